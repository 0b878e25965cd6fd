"""The /feeds page and /api/feeds: the feeds' health table in French, from the real app
behind waitress (and from `fouille serve` itself), in headless Chromium too."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from chromium import CHROMIUM, headless_chromium
from click.testing import CliRunner
from faults import fouille_argv, fouille_env
from feedserver import FeedServer, item, rss
from flask import Flask
from webserver import serve

from fouille.cli import main
from fouille.serve_cmd import feed_health_rows
from search import Settings
from web import create_app
from web.feeds import HEALTH

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">Piège'


def fouille(index_dir: Path, *args: str) -> Any:
    result = CliRunner().invoke(main, [*args, "--index", str(index_dir)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 1), result.output
    return result


@pytest.fixture(scope="module")
def followed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """An index fed by three followed feeds: one read, one failing, one never fetched."""
    index_dir = tmp_path_factory.mktemp("feeds-page") / "index"
    with FeedServer() as server:
        server.route("/regional", body=rss([item(1), item(2), item(3)], title="Ouest Info"))
        server.route("/casse", status=500)
        fouille(index_dir, "feeds", "add", server.url("/regional"), "--tag", "Régions")
        fouille(index_dir, "feeds", "add", server.url("/casse"), "--no-check", "--name", HOSTILE)
        fouille(index_dir, "reindex")
        fouille(index_dir, "feeds", "add", "https://plus-tard.exemple/rss", "--no-check")
        yield Settings(index_dir=index_dir, lang="fr")  # the page's French texts


@pytest.fixture(scope="module")
def feeds_app(followed: Settings) -> Iterator[Flask]:
    application = create_app(followed, config={"TESTING": True})
    application.extensions[HEALTH] = feed_health_rows  # what `fouille serve` does
    yield application
    application.extensions["fouille"].close()


@pytest.fixture(scope="module")
def base_url(feeds_app: Flask) -> Iterator[str]:
    with serve(feeds_app) as url:
        yield url


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers["Content-Type"], response.read()


def test_the_page_shows_each_feed_and_how_it_fares(base_url):
    status, kind, body = get(base_url + "/feeds")
    assert status == 200 and kind.startswith("text/html")
    doc = lxml.html.fromstring(body)
    assert doc.xpath("string(//h1)") == "Flux suivis"
    summary = " ".join(doc.xpath("string(//p[@class='feeds-summary'])").split())
    assert summary == "3 flux suivis, dont 1 en échec ; 3 articles dans l’archive."
    rows = doc.xpath("//table[@class='feeds-table']/tbody/tr")
    assert len(rows) == 3
    texts = [" ".join(row.text_content().split()) for row in rows]
    assert texts[0].startswith("Ouest Info")
    assert "Régions" in texts[0] and "lu (HTTP 200)" in texts[0]
    assert " 3 " in f" {texts[0]} " and " du " in texts[0] and " au " in texts[0]
    assert "en échec (HTTP 500) HTTP 500 Internal Server Error" in texts[1], texts[1]
    assert "feed-failed" in rows[1].get("class")
    assert "jamais collecté" in texts[2] and "jamais" in texts[2]
    # The count links to the feed's articles; the tag to its search.
    count_link = rows[0].xpath(".//td[@class='num']/a/@href")[0]
    assert count_link.startswith("/search?feed=")
    status, _, found = get(base_url + count_link)
    assert status == 200
    assert len(lxml.html.fromstring(found).xpath("//article[@class='hit']")) == 3


def test_untrusted_names_are_shown_as_text(base_url):
    _, _, body = get(base_url + "/feeds")
    assert b"<script>window.__pwned" not in body
    doc = lxml.html.fromstring(body)
    assert HOSTILE in doc.xpath("string(//tbody/tr[2]/th/span[@class='feed-name'])")


def test_the_json_is_the_table_of_fouille_feeds(base_url, followed):
    status, kind, body = get(base_url + "/api/feeds")
    assert status == 200 and kind.startswith("application/json")
    data = json.loads(body)
    assert data["history"] is True
    cli = json.loads(fouille(followed.index_dir, "feeds", "--json").stdout)["feeds"]
    assert data["feeds"] == cli


def test_without_the_indexer_the_page_lists_the_archive(client):
    response = client.get("/feeds")
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.data)
    note = " ".join(doc.xpath("string(//p[@class='notice'])").split())
    assert "L’historique des collectes n’est pas disponible ici" in note
    rows = doc.xpath("//tbody/tr")
    names = [" ".join(r.xpath("string(./th)").split()) for r in rows]
    assert any(name.startswith("Le Veilleur numérique") for name in names)
    assert b"<script>window.__pwned" not in response.data
    assert client.get("/api/feeds").get_json()["history"] is False


def test_the_page_works_before_there_is_an_index(empty_client):
    response = empty_client.get("/feeds")
    assert response.status_code == 200
    assert "Aucun flux pour l’instant" in response.get_data(as_text=True)


def test_fouille_serve_shows_the_fetch_history(followed):
    process = subprocess.Popen(
        fouille_argv("serve", "--index", str(followed.index_dir), "--port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=fouille_env(),
    )
    found: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if " at http://127.0.0.1:" in line:
                found.append(line.split(" at ", 1)[1].split()[0])

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        for _ in range(600):
            if found or process.poll() is not None:
                break
            threading.Event().wait(0.1)
        assert found, "fouille serve printed no URL"
        _, _, body = get(found[0] + "api/feeds")
        data = json.loads(body)
        assert data["history"] is True
        assert {row["result"] for row in data["feeds"]} == {"ok", "failed", None}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    yield from headless_chromium()


@pytest.mark.browser
def test_the_page_in_chromium(browser, base_url):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        page.goto(base_url + "/")
        page.get_by_role("link", name="Flux suivis").click()
        page.wait_for_url("**/feeds")
        table = page.get_by_role("table")
        assert table.get_by_role("row").count() == 4  # the header and three feeds
        failing = page.locator("tr.feed-failed")
        assert "en échec" in failing.inner_text()
        assert HOSTILE in failing.locator(".feed-name").inner_text()
        assert page.evaluate("typeof window.__pwned") == "undefined"
        # The page's own stylesheet is allowed by the CSP, and applied.
        weight = failing.locator(".status-failed").evaluate("e => getComputedStyle(e).fontWeight")
        assert weight == "600"
        page.get_by_role("link", name="Régions").click()
        page.wait_for_url("**/search?tag=*")
        assert page.locator("article.hit").count() == 3
        assert errors == []
    finally:
        context.close()
