"""`fouille reindex --backfill` resumes where the last one stopped, says so, and shows its
progress (pages and articles) even for one feed, on a terminal and in logs."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from faults import kill_backfill_at_page, on_a_terminal
from feedserver import FeedServer, Reply, Request, item, rss

from fouille.cli import main
from indexer.fetch import STATE_FILE_NAME
from search import Engine, Settings

WORDPRESS = "<generator>https://wordpress.org/?v=6.5</generator>"
PAGES = 9


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


def wordpress(server: FeedServer, pages: int = PAGES) -> str:
    """A WordPress feed whose page n holds items 10n..10n+2; ?paged past the last is a 404."""
    for n in range(1, pages + 1):
        path = "/feed/" if n == 1 else f"/feed/?paged={n}"
        server.route(path, body=rss([item(10 * n + k) for k in range(3)], extra=WORDPRESS))
    return server.url("/feed/")


def reindex(index_dir: Path, *args: str):
    result = CliRunner().invoke(main, ["reindex", "--index", str(index_dir), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def report(index_dir: Path, *args: str) -> dict:
    result = reindex(index_dir, "--json", *args)
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.stdout)
    return data["feeds"][0]


def state(index_dir: Path, url: str) -> dict:
    data: dict = json.loads((index_dir / STATE_FILE_NAME).read_text())["feeds"][url]
    return data


def article_count(index_dir: Path) -> int:
    with Engine.open(Settings(index_dir=index_dir)) as engine:
        return engine.stats().articles


def test_a_capped_backfill_resumes_where_it_stopped_and_says_so(server, index_dir):
    url = wordpress(server)
    first = report(index_dir, "--feed", url, "--backfill", "--max-pages", "3")
    assert (first["pages"], first["new"], first["resumed_at"]) == (3, 9, 0)
    assert "the next --backfill resumes at page 4" in " ".join(first["warnings"])
    saved = state(index_dir, url)
    assert saved | {"backfill_page": 3, "backfill_resume": 4, "backfill_end": False} == saved

    result = reindex(index_dir, "--feed", url, "--backfill", "--max-pages", "3")
    assert result.exit_code == 0
    assert "backfill resumes at page 4, where the last one stopped" in result.stderr
    assert "(3 pages, backfill resumed at page 4)" in result.stdout
    assert len(server.hits("/feed/?paged=2")) == 1, "pages already read are not read again"
    assert len(server.hits("/feed/?paged=4")) == 1
    assert article_count(index_dir) == 15

    # Uncapped, it goes to the end (page 10 is a 404) and the walk is complete.
    third = report(index_dir, "--feed", url, "--backfill")
    assert third["resumed_at"] == 6 and third["new"] == 12
    assert any("page 10" in w and "404" in w for w in third["warnings"])
    assert article_count(index_dir) == 27
    saved = state(index_dir, url)
    assert saved | {"backfill_page": 9, "backfill_next": "", "backfill_end": True} == saved

    # From then on a backfill only catches up: it stops at the first page with nothing new.
    fourth = report(index_dir, "--feed", url, "--backfill")
    assert fourth["resumed_at"] == 0 and fourth["pages"] == 2
    assert "backfill: page 2 brought nothing new" in fourth["warnings"]
    assert len(server.hits("/feed/?paged=3")) == 1


def test_a_killed_backfill_resumes_at_the_page_it_had_not_finished(server, index_dir):
    url = wordpress(server, pages=4)
    reached = threading.Event()
    page_three = rss([item(30 + k) for k in range(3)], extra=WORDPRESS)

    def stuck(request: Request) -> Reply:
        reached.set()
        return Reply(200, page_three, delay=30)

    server.route("/feed/?paged=3", handler=stuck)
    kill_backfill_at_page(index_dir, url, reached)
    assert article_count(index_dir) == 6, "pages 1 and 2 were committed"
    assert state(index_dir, url)["backfill_resume"] == 3

    server.route("/feed/?paged=3", body=page_three)
    again = report(index_dir, "--feed", url, "--backfill")
    assert again["resumed_at"] == 3
    assert again["new"] == 6  # pages 3 and 4
    assert len(server.hits("/feed/?paged=2")) == 1
    assert article_count(index_dir) == 12


def test_rfc5005_archives_resume_at_the_remembered_page(server, index_dir):
    def page(n: int, older: str) -> bytes:
        link = f'<atom:link rel="prev-archive" href="{older}"/>' if older else ""
        return rss([item(n * 10 + k) for k in range(2)], extra=link)

    server.route("/current.xml", body=page(4, "/archive/3.xml"))
    for n in (3, 2, 1):
        server.route(f"/archive/{n}.xml", body=page(n, f"/archive/{n - 1}.xml" if n > 1 else ""))
    url = server.url("/current.xml")
    first = report(index_dir, "--feed", url, "--backfill", "--max-pages", "2")
    assert first["pages"] == 2
    assert state(index_dir, url)["backfill_next"] == server.url("/archive/2.xml")
    second = report(index_dir, "--feed", url, "--backfill")
    assert second["resumed_at"] == 3 and second["new"] == 4
    assert len(server.hits("/archive/3.xml")) == 1
    assert state(index_dir, url)["backfill_end"] is True


def test_a_json_feed_is_backfilled_through_next_url(server, index_dir):
    def page(n: int) -> bytes:
        document = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Carnet JSON",
            "items": [
                {"id": f"j{n}-{k}", "url": f"https://j.exemple/{n}/{k}", "title": f"Note {n}.{k}"}
                for k in range(2)
            ],
        }
        if n < 3:
            document["next_url"] = server.url(f"/feed.json?page={n + 1}")
        return json.dumps(document).encode()

    server.route("/feed.json", body=page(1), headers={"Content-Type": "application/feed+json"})
    for n in (2, 3):
        server.route(f"/feed.json?page={n}", body=page(n), headers={"Content-Type": "text/plain"})
    data = report(index_dir, "--feed", server.url("/feed.json"), "--backfill")
    assert (data["status"], data["pages"], data["new"]) == ("ok", 3, 6)


def test_logs_show_progress_of_a_single_feed_at_most_every_few_seconds(
    server, index_dir, monkeypatch
):
    url = wordpress(server, pages=4)
    # Without a terminal, a line comes only once the interval has passed: none for a
    # run this short with the real interval…
    quick = reindex(index_dir, "--feed", url, "--backfill", "--max-pages", "2")
    assert "page" not in quick.stderr
    # …and one per page once it is shorter than a page takes.
    monkeypatch.setattr("fouille.reindex_cmd.PROGRESS_INTERVAL", 0.0)
    result = reindex(index_dir, "--feed", url, "--backfill")
    assert result.exit_code == 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("reindex: ")]
    assert "backfill resumes at page 3" in lines[0]
    assert any("0/1 feeds done" in line and ": page 3, 6 entries (3 new)" in line for line in lines)
    assert any(": page 4, 9 entries (6 new)" in line for line in lines), lines
    assert lines[-1].startswith("reindex: 1/1 feeds done, ")
    assert "\r" not in result.stderr and "\x1b" not in result.stderr, "plain lines in logs"


def test_a_terminal_shows_one_live_progress_line(server, index_dir):
    url = wordpress(server, pages=3)
    text = on_a_terminal(
        "reindex", "--index", str(index_dir), "--backfill", "--feed", url, stdout=False
    )
    assert "\r\x1b[K" in text, "the line is rewritten in place"
    assert "page 3, 9 entries (9 new)" in text


def test_a_state_file_of_an_older_version_still_reads(server, index_dir):
    """feeds-state.json keeps its format: older files (without health and backfill fields)
    load, and values of the wrong type are ignored rather than trusted."""
    url = wordpress(server, pages=2)
    index_dir.mkdir()
    old = {
        "version": 1,
        "feeds": {
            url: {"etag": "", "last_modified": "", "last_fetched": "2024-01-01T00:00:00+00:00"},
            "https://ailleurs.exemple/rss": {"backfill_resume": True, "backfill_next": 7},
        },
    }
    (index_dir / STATE_FILE_NAME).write_text(json.dumps(old))
    data = report(index_dir, "--feed", url, "--backfill")
    assert (data["status"], data["resumed_at"], data["new"]) == ("ok", 0, 6)
    saved = json.loads((index_dir / STATE_FILE_NAME).read_text())
    assert saved["version"] == 1
    assert saved["feeds"][url]["last_result"] == "ok"
    other = saved["feeds"]["https://ailleurs.exemple/rss"]
    assert (other["backfill_resume"], other["backfill_next"]) == (0, "")
