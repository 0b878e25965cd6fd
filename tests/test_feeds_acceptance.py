"""Issue 14's "done when", as a user would do it with the real `fouille` in subprocesses:
import an OPML file of 100 feeds served on 127.0.0.1, reindex, see each feed's state;
remove and purge one and find nothing of it left."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faults import assert_no_traceback, run_fouille, serving
from feedserver import FeedServer, item, rss

from indexer.opml import OpmlFeed, read_opml, write_opml
from search import Engine, Settings

pytestmark = pytest.mark.slow

FEEDS = 100
SERVERS = 5
BROKEN = {7: 404, 42: 500}  # feed number → HTTP status


def test_import_100_feeds_reindex_list_and_purge(tmp_path: Path) -> None:
    servers = [FeedServer() for _ in range(SERVERS)]
    with serving(*servers):
        subscriptions = []
        for n in range(FEEDS):
            server = servers[n % SERVERS]
            path = f"/site-{n}/feed"
            if n in BROKEN:
                server.route(path, status=BROKEN[n])
            else:
                items = [item(1000 * n + k, title=f"Nouvelle {k} du site {n}") for k in range(3)]
                server.route(path, body=rss(items, title=f"Site {n}"))
            folder = ("Régions",) if n % 3 == 0 else ("Tech", "Numérique") if n % 3 == 1 else ()
            subscriptions.append(OpmlFeed(server.url(path), f"Site n° {n}", "", folder))
        opml = tmp_path / "abonnements.opml"
        opml.write_text(write_opml(subscriptions, title="Export d’un autre lecteur"), "utf-8")
        index = tmp_path / "index"
        # The order of the file (feeds grouped by folder) is the order they are read in.
        order = [feed.url for feed in read_opml(opml.read_bytes()).feeds]
        number = {s.url: n for n, s in enumerate(subscriptions)}

        done = run_fouille("feeds", "import", str(opml), "--index", str(index), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert f"Imported {FEEDS} feeds" in done.stdout

        done = run_fouille("reindex", "--index", str(index), "--json", cwd=tmp_path)
        assert_no_traceback(done.stderr)
        assert done.returncode == 1, "two feeds fail, the rest is committed"
        report = json.loads(done.stdout)
        assert [f["url"] for f in report["feeds"]] == order
        assert report["totals"]["new"] == 3 * (FEEDS - len(BROKEN))
        for server in servers:
            # One request at a time per host. (The server counts a connection the client
            # closed until its thread reads the end of it, so a connection opened right after
            # may overlap it there for a moment: `max_connections` can say 2 on a busy machine.)
            assert server.max_in_flight <= 1, "one request at a time per host"

        done = run_fouille("feeds", "--json", "--index", str(index), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        rows = json.loads(done.stdout)["feeds"]
        assert [r["url"] for r in rows] == order
        for row in rows:
            n = number[row["url"]]
            assert row["name"] == f"Site n° {n}"
            assert row["last_fetch"] is not None
            if n in BROKEN:
                assert (row["result"], row["last_status"], row["articles"]) == (
                    "failed",
                    BROKEN[n],
                    0,
                )
                assert row["error"].startswith(f"HTTP {BROKEN[n]}")
            else:
                assert (row["result"], row["last_status"], row["articles"]) == ("ok", 200, 3)
                assert row["oldest"] and row["newest"]
        table = run_fouille("feeds", "--index", str(index), cwd=tmp_path).stdout
        assert "Feeds followed: 100, failing: 2;" in table
        assert "failed: HTTP 404 Not Found" in table

        gone = subscriptions[13].url
        done = run_fouille("feeds", "remove", gone, "--purge", "--index", str(index), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "its 3 articles were deleted" in done.stdout
        with Engine.open(Settings(index_dir=index)) as engine:
            assert all(article.feed_url != gone for article in engine.articles())
            assert all(h.feed_url != gone for h in engine.search("Nouvelle", page_size=100).hits)
            assert engine.stats().articles == 3 * (FEEDS - len(BROKEN) - 1)
        done = run_fouille("reindex", "--index", str(index), "--json", cwd=tmp_path)
        assert len(json.loads(done.stdout)["feeds"]) == FEEDS - 1
        with Engine.open(Settings(index_dir=index)) as engine:
            assert gone not in {s.feed_url for s in engine.feeds()}
