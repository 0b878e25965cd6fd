"""`fouille reindex` end to end: the real command, a real index on disk, feeds over real HTTP."""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from faults import fouille_argv, fouille_env, kill_backfill_at_page
from feedserver import FeedServer, Reply, Request, item, rss

from fouille.cli import main
from fouille.reindex_cmd import parse_interval
from indexer.build import index_articles
from indexer.fetch import STATE_FILE_NAME
from search import Article, Engine, Settings
from search.locking import reindex_lock

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


def reindex(index_dir: Path, *args: str):
    """Run `fouille reindex --index DIR ARGS`; returns click's result."""
    result = CliRunner().invoke(main, ["reindex", "--index", str(index_dir), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def report(index_dir: Path, *args: str) -> tuple[int, dict]:
    result = reindex(index_dir, "--json", *args)
    return result.exit_code, json.loads(result.stdout)


def opened(index_dir: Path) -> Engine:
    return Engine.open(Settings(index_dir=index_dir))


def etag_feed(server: FeedServer, path: str, versions: list[bytes]) -> list[int]:
    """Serve `path` with ETags: version n answers If-None-Match "vn" with a 304.

    Returns a one-item list holding the current version; change it to publish another.
    """
    current = [0]

    def handler(request: Request) -> Reply:
        tag = f'"v{current[0]}"'
        if request.headers.get("if-none-match") == tag:
            return Reply(304)
        return Reply(200, versions[current[0]], {"ETag": tag})

    server.route(path, handler=handler)
    return current


def test_new_then_not_modified_then_updated_and_vanished_items_stay(server, index_dir):
    v1 = rss([item(1), item(2), item(3)])
    v2 = rss([item(2, body="Résumé corrigé : la canicule arrive."), item(1), item(4)])
    version = etag_feed(server, "/feed", [v1, v2])
    url = server.url("/feed")

    code, first = report(index_dir, "--feed", url)
    assert code == 0
    assert first["feeds"][0] | {"new": 3, "updated": 0, "unchanged": 0} == first["feeds"][0]

    code, second = report(index_dir, "--feed", url)
    assert code == 0
    assert second["feeds"][0]["status"] == "not-modified"
    assert server.hits("/feed")[1].headers["if-none-match"] == '"v0"'

    version[0] = 1
    code, third = report(index_dir, "--feed", url)
    assert code == 0
    feed = third["feeds"][0]
    assert (feed["new"], feed["updated"], feed["unchanged"]) == (1, 1, 1)

    with opened(index_dir) as engine:
        assert engine.stats().articles == 4
        gone = engine.get("https://exemple.fr/articles/3")
        assert gone is not None, "an article that left the feed stays in the archive"
        assert "canicule" in engine.get("https://exemple.fr/articles/2").summary + (
            engine.get("https://exemple.fr/articles/2").body
        )
        assert engine.search("canicule").total == 1


def test_state_lives_in_the_index_directory(server, index_dir):
    etag_feed(server, "/feed", [rss([item(1)])])
    reindex(index_dir, "--feed", server.url("/feed"))
    code, data = report(index_dir, "--feed", server.url("/feed"))
    assert code == 0 and data["index_dir"] == str(index_dir)
    state = json.loads((index_dir / STATE_FILE_NAME).read_text())
    assert state["feeds"][server.url("/feed")]["etag"] == '"v0"'


def test_a_broken_feed_does_not_stop_the_others(server, index_dir):
    server.route("/good", body=rss([item(1), item(2)]))
    server.route("/broken", status=500)
    server.route(
        "/page",
        body=b"<!DOCTYPE html><html><title>Accueil</title></html>",
        headers={"Content-Type": "text/html"},
    )
    result = reindex(
        index_dir,
        "--feed",
        server.url("/broken"),
        "--feed",
        server.url("/good"),
        "--feed",
        server.url("/page"),
    )
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any("/broken" in line and "failed: HTTP 500" in line for line in lines)
    assert any("/page" in line and "an HTML page" in line for line in lines)
    assert any("/good" in line and "2 new" in line for line in lines)
    assert "3 feeds: 1 read, 2 failed" in lines[-1]
    with opened(index_dir) as engine:
        assert engine.stats().articles == 2


def test_retry_after_skips_the_feed_next_time_unless_forced(server, index_dir):
    server.route("/busy", status=429, headers={"Retry-After": "3600"})
    code, first = report(index_dir, "--feed", server.url("/busy"))
    assert code == 1
    assert "retry after" in first["feeds"][0]["reason"]

    code, second = report(index_dir, "--feed", server.url("/busy"))
    assert code == 0, "a feed we were asked to leave alone is not a failure"
    assert second["feeds"][0]["status"] == "skipped"
    assert len(server.hits("/busy")) == 1

    server.route("/busy", body=rss([item(1)]))
    code, third = report(index_dir, "--feed", server.url("/busy"), "--force")
    assert code == 0 and third["feeds"][0]["new"] == 1


def test_permanent_redirect_is_remembered_across_runs(server, index_dir):
    server.route("/old", status=301, headers={"Location": "/new"})
    server.route("/new", body=rss([item(1)]))
    reindex(index_dir, "--feed", server.url("/old"))
    reindex(index_dir, "--feed", server.url("/old"))
    assert len(server.hits("/old")) == 1
    assert len(server.hits("/new")) == 2
    with opened(index_dir) as engine:
        assert engine.get("https://exemple.fr/articles/1").feed_url == server.url("/old")


def test_undated_entries_do_not_look_changed_on_the_next_run(server, index_dir):
    undated = {"title": "Brève sans date", "link": "https://exemple.fr/breve"}
    server.route("/feed", body=rss([undated]))
    reindex(index_dir, "--feed", server.url("/feed"))
    code, again = report(index_dir, "--feed", server.url("/feed"), "--force")
    assert code == 0
    assert again["feeds"][0]["unchanged"] == 1
    with opened(index_dir) as engine:
        published = engine.get("https://exemple.fr/breve").published
        assert abs(published - datetime.now(UTC)) < timedelta(minutes=5)


def test_an_article_in_two_feeds_is_indexed_once(server, index_dir):
    server.route("/une", body=rss([item(1), item(2)], title="À la une"))
    server.route("/monde", body=rss([item(2), item(3)], title="International"))
    code, data = report(index_dir, "--feed", server.url("/une"), "--feed", server.url("/monde"))
    assert data["totals"]["new"] == 3
    assert data["feeds"][1]["duplicates"] == 1
    code, data = report(index_dir, "--feed", server.url("/une"), "--feed", server.url("/monde"))
    assert code == 0
    assert data["totals"]["updated"] == 0, "the article must not flip between its two feeds"


def test_wordpress_backfill_walks_paged_until_the_end(server, index_dir):
    wordpress = "<generator>https://wordpress.org/?v=6.5</generator>"
    server.route("/feed/", body=rss([item(n) for n in (9, 8, 7)], extra=wordpress))
    server.route("/feed/?paged=2", body=rss([item(n) for n in (6, 5, 4)], extra=wordpress))
    server.route("/feed/?paged=3", body=rss([item(n) for n in (3, 2, 1)], extra=wordpress))
    # /feed/?paged=4 is a 404, as on WordPress.
    code, data = report(index_dir, "--feed", server.url("/feed/"), "--backfill")
    assert code == 0
    feed = data["feeds"][0]
    assert feed["new"] == 9 and feed["pages"] == 3
    assert any("page 4" in w and "404" in w for w in feed["warnings"])

    again = reindex(index_dir, "--feed", server.url("/feed/"), "--backfill")
    assert again.exit_code == 0
    assert len(server.hits("/feed/?paged=2")) == 2
    assert len(server.hits("/feed/?paged=3")) == 1, "a page that brings nothing new ends it"


def test_backfill_respects_max_pages(server, index_dir):
    for n in range(1, 10):
        path = "/feed/" if n == 1 else f"/feed/?paged={n}"
        server.route(path, body=rss([item(n)]))
    code, data = report(index_dir, "--feed", server.url("/feed/"), "--backfill", "--max-pages", "4")
    assert code == 0
    assert data["feeds"][0]["pages"] == 4
    assert data["feeds"][0]["new"] == 4


def test_rfc5005_archive_links_are_followed(server, index_dir):
    def page(n: int, older: str) -> bytes:
        link = f'<atom:link rel="prev-archive" href="{older}"/>' if older else ""
        return rss([item(n * 10 + k) for k in range(2)], extra=link)

    server.route("/current.xml", body=page(3, "/archive/2.xml"))
    server.route("/archive/2.xml", body=page(2, server.url("/archive/1.xml")))
    server.route("/archive/1.xml", body=page(1, ""))
    code, data = report(index_dir, "--feed", server.url("/current.xml"), "--backfill")
    assert code == 0
    assert data["feeds"][0]["pages"] == 3
    assert data["feeds"][0]["new"] == 6


def test_killed_backfill_keeps_the_pages_it_read(server, index_dir):
    reached = threading.Event()

    def stuck(request: Request) -> Reply:
        reached.set()
        return Reply(200, rss([item(5)]), delay=20)

    server.route("/feed/", body=rss([item(1), item(2)]))
    server.route("/feed/?paged=2", body=rss([item(3), item(4)]))
    server.route("/feed/?paged=3", handler=stuck)
    kill_backfill_at_page(index_dir, server.url("/feed/"), reached)
    with opened(index_dir) as engine:
        ids = {a.id for a in engine.articles()}
    assert ids == {f"https://exemple.fr/articles/{n}" for n in (1, 2, 3, 4)}
    # And the killed process left no lock behind.
    server.route("/feed/?paged=3", status=404)
    assert reindex(index_dir, "--feed", server.url("/feed/"), "--backfill").exit_code == 0


def test_second_reindex_on_a_locked_index_exits_2(server, index_dir):
    server.route("/feed", body=rss([item(1)]))
    with reindex_lock(index_dir):
        result = reindex(index_dir, "--feed", server.url("/feed"))
    assert result.exit_code == 2
    assert "another `fouille reindex` is running" in result.stderr
    assert not server.hits("/feed"), "nothing was done"


def test_bad_config_exits_2(tmp_path, index_dir):
    result = reindex(index_dir, "--config", str(tmp_path / "absent.toml"))
    assert result.exit_code == 2
    assert "config file" in result.stderr
    result = reindex(index_dir, "--feed", str(tmp_path / "nowhere.xml"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_config_file_feeds_with_names_and_tags(server, tmp_path, index_dir):
    server.route("/feed", body=rss([item(1)]))
    config = tmp_path / "fouille.toml"
    config.write_text(
        f'[[feeds]]\nurl = "{server.url("/feed")}"\nname = "Le Flux"\ntags = ["régional"]\n'
        '[[feeds]]\nurl = "feeds/local.xml"\n',
        encoding="utf-8",
    )
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "local.xml").write_bytes(rss([item(2)]))
    code, data = report(index_dir, "--config", str(config))
    assert code == 0
    assert data["feeds"][0]["name"] == "Le Flux"
    with opened(index_dir) as engine:
        article = engine.get("https://exemple.fr/articles/1")
        assert article.feed_title == "Le Flux"
        assert "régional" in article.tags
        assert engine.get("https://exemple.fr/articles/2") is not None

    # Naming a configured feed with --feed keeps its name and tags.
    code, data = report(index_dir, "--config", str(config), "--feed", server.url("/feed"))
    assert code == 0
    assert [f["name"] for f in data["feeds"]] == ["Le Flux"]


def test_local_directory_is_searched_recursively(index_dir):
    code, data = report(index_dir, "--feed", str(DATA / "feeds"))
    assert code == 1
    by_name = {f["name"]: f for f in data["feeds"]}
    assert set(by_name) == {p.name for p in (DATA / "feeds").glob("*.xml")}
    assert by_name["html-page.xml"]["status"] == "failed"
    assert by_name["atom-full.xml"]["new"] == 2
    assert by_name["rss-malformed.xml"]["warnings"]


def test_quiet_prints_only_failures(server, index_dir):
    server.route("/good", body=rss([item(1)]))
    result = reindex(index_dir, "--quiet", "--feed", server.url("/good"))
    assert result.exit_code == 0 and result.output == ""
    result = reindex(index_dir, "--quiet", "--feed", server.url("/missing"))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "HTTP 404" in result.stderr and len(result.stderr.splitlines()) == 1


def test_sample_feed_indexes_offline(index_dir):
    code, data = report(index_dir, "--sample")
    assert code == 0
    assert data["totals"]["new"] >= 40
    with opened(index_dir) as engine:
        assert engine.stats().articles >= 40


def test_rebuild_keeps_every_article(server, index_dir):
    server.route("/feed", body=rss([item(n) for n in range(1, 6)]))
    reindex(index_dir, "--feed", server.url("/feed"))
    code, data = report(index_dir, "--rebuild")
    assert code == 0
    assert data["rebuilt"] == 5
    assert data["feeds"] == []
    with opened(index_dir) as engine:
        assert engine.stats().articles == 5


def test_index_articles_is_the_upsert_path(settings):
    now = datetime(2025, 6, 2, tzinfo=UTC)
    articles = [Article(id=f"a{n}", url="", title=f"Titre {n}", published=now) for n in range(3)]
    with Engine.open(settings, create=True) as engine:
        assert index_articles(engine, articles) == {"new": 3, "updated": 0, "unchanged": 0}
        changed = [articles[0], Article(id="a1", url="", title="Autre titre", published=now)]
        assert index_articles(engine, changed) == {"new": 0, "updated": 1, "unchanged": 1}


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("1h30m", 5400), ("2h", 7200), ("90", 90), ("1d", 86400)]
)
def test_parse_interval(text, seconds):
    assert parse_interval(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "10s", "5x", "m30"])
def test_bad_intervals_are_refused(text, index_dir):
    with pytest.raises(ValueError):
        parse_interval(text)
    assert reindex(index_dir, "--sample", "--every", text).exit_code == 2


def test_every_runs_again_until_interrupted(server, index_dir, monkeypatch):
    server.route("/feed", body=rss([item(1)]))
    naps = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("fouille.reindex_cmd.time.sleep", sleep)
    result = reindex(index_dir, "--feed", server.url("/feed"), "--every", "30m")
    assert result.exit_code == 0
    assert len(server.hits("/feed")) == 2
    assert 1700 < naps[0] <= 1800
    assert "1 new" in result.stdout and "1 unchanged" in result.stdout


def test_console_script_runs_in_a_subprocess(tmp_path):
    """The installed entry point's code path, in a fresh interpreter."""
    feed = tmp_path / "f.xml"
    feed.write_bytes(rss([item(1)]))
    proc = subprocess.run(
        fouille_argv("reindex", "--index", str(tmp_path / "ix"), "--feed", str(feed)),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env=fouille_env(),
    )
    assert proc.returncode == 0, proc.stderr
    assert "1 new" in proc.stdout
    assert "Traceback" not in proc.stderr


# -- the shared corpus: large and hostile real-world inputs ------------------------------------

ONE_LINE = re.compile(r"^[^\n]{1,400}$")


def _check_corpus_report(data: dict, files: list[Path]) -> None:
    assert len(data["feeds"]) == len(files)
    for feed in data["feeds"]:
        assert feed["status"] in ("ok", "failed"), feed
        if feed["status"] == "failed":
            assert ONE_LINE.match(feed["reason"]), feed
            assert "unexpected error" not in feed["reason"], feed


@pytest.mark.corpus
@pytest.mark.slow
def test_every_corpus_feed_is_indexed_or_reported(corpus, index_dir):
    feeds = corpus / "feeds"
    files = [p for p in feeds.rglob("*.xml")]
    assert len(files) == 128
    code, data = report(index_dir, "--feed", str(feeds))
    assert code == 1, "three corpus files are deliberately not feeds"
    _check_corpus_report(data, files)
    failed = sorted(f["name"] for f in data["feeds"] if f["status"] == "failed")
    assert failed == [
        "plurital-2025/flux-rss-bfmtv-strasbourg.xml",
        "plurital-2025/flux-rss.xml",
        "plurital-2025/le-figaro-etudiant.xml",
    ]
    assert all("HTML page" in f["reason"] for f in data["feeds"] if f["status"] == "failed")
    with opened(index_dir) as engine:
        assert engine.stats().articles == data["totals"]["new"] > 2500


@pytest.mark.corpus
@pytest.mark.slow
def test_every_feedparser_test_feed_is_indexed_or_reported(corpus, tmp_path, index_dir):
    target = tmp_path / "feedparser"
    with tarfile.open(corpus / "feedparser-tests" / "tests-feeds.tar.gz") as tar:
        tar.extractall(target, filter="data")
    files = list(target.rglob("*.xml"))
    assert len(files) > 2000
    code, data = report(index_dir, "--feed", str(target))
    assert code == 1
    _check_corpus_report(data, files)
    ok = [f for f in data["feeds"] if f["status"] == "ok"]
    assert len(ok) > 1500


@pytest.mark.corpus
def test_next_inpact_full_feed_reads_as_clean_french(corpus, index_dir):
    path = corpus / "feeds" / "next-inpact" / "next_inpact_full.xml"
    code, data = report(index_dir, "--feed", str(path))
    assert code == 0
    assert data["feeds"][0]["new"] == 45
    assert any("malformed" in w for w in data["feeds"][0]["warnings"])
    leftovers = re.compile(r"&amp;|&#|&[a-z]+;|<p>|</p>|<br|&lt;|&gt;")
    with opened(index_dir) as engine:
        articles = list(engine.articles())
    assert len(articles) == 45
    for article in articles:
        for text in (article.title, article.body, article.summary, article.author):
            assert not leftovers.search(text), (article.id, leftovers.search(text))
        assert article.body.count("\n\n") >= 1, "paragraphs are kept"
        assert article.published.tzinfo is not None
    text = " ".join(a.title + " " + a.body for a in articles)
    assert "é" in text and "à" in text and "’" in text
