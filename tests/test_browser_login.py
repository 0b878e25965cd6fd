"""The login flow in headless Chromium (issue 13): the real app with a password, behind
waitress on 127.0.0.1. Skipped cleanly without Debian's Chromium or Playwright."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from chromium import CHROMIUM, headless_chromium
from flask import Flask
from webserver import sample_articles, serve

from web import create_app
from web.passwords import hash_password

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

PASSWORD = "un mot de passe, enfin"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from headless_chromium()


@pytest.fixture
def locked(make_index) -> Iterator[str]:
    settings = make_index(sample_articles(), web_password=hash_password(PASSWORD, n=2**12))
    app: Flask = create_app(settings)
    with serve(app) as url:
        yield url
    app.extensions["fouille"].close()


def test_logging_in_and_out_in_a_browser(browser: Any, locked: str) -> None:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("dialog", lambda dialog: (problems.append(dialog.message), dialog.dismiss()))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    try:
        # A bookmarked search, before logging in: the login form, which remembers it.
        page.goto(locked + "/search?q=données&tag=RGPD")
        assert urlsplit(page.url).path == "/login"
        (target,) = parse_qs(urlsplit(page.url).query)["next"]
        assert unquote(target) == "/search?q=données&tag=RGPD"
        assert page.locator("h1").inner_text() == "Archive privée"
        assert page.evaluate("document.activeElement.id") == "password"  # autofocus
        assert page.locator("article.hit").count() == 0

        page.get_by_label("Mot de passe").fill("pas celui-là")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state()
        assert page.locator("[role=alert]").inner_text() == "Mot de passe incorrect."
        assert urlsplit(page.url).path == "/login"

        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/search?q=*")
        assert parse_qs(urlsplit(page.url).query) == {"q": ["données"], "tag": ["RGPD"]}
        assert page.locator("article.hit").count() >= 1

        (cookie,) = [c for c in context.cookies() if c["name"] == "fouille_session"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert not cookie["secure"]  # plain HTTP on 127.0.0.1
        assert "fouille_session" not in page.evaluate("document.cookie")  # out of scripts' reach

        # The page's script still reaches the API with the session: suggestions come.
        page.locator("#q").fill("")
        page.locator("#q").type("donn")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#q-suggestions option')]"
            ".some(o => o.value === 'données')"
        )
        atom = page.locator("a[type='application/atom+xml']").get_attribute("href")
        assert "key=" in atom

        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url("**/login")
        page.goto(locked + "/")
        assert urlsplit(page.url).path == "/login"
        assert problems == []
    finally:
        context.close()


def test_a_feed_reader_follows_the_atom_link_without_a_session(browser: Any, locked: str) -> None:
    """The Atom link copied from a results page opens in a fresh browser (no cookie)."""
    basic = base64.b64encode(f"fouille:{PASSWORD}".encode()).decode()
    context = browser.new_context(extra_http_headers={"Authorization": f"Basic {basic}"})
    try:
        page = context.new_page()
        page.goto(locked + "/search?q=cnil")
        atom = page.locator("a[type='application/atom+xml']").get_attribute("href")
    finally:
        context.close()
    reader = browser.new_context()
    try:
        response = reader.request.get(locked + atom)
        assert response.status == 200
        assert "<entry>" in response.text() and "CNIL" in response.text()
        assert reader.request.get(locked + "/search.atom?q=cnil").status == 401
    finally:
        reader.close()
