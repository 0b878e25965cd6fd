"""Parallel, polite fetching (issue 11): several hosts on 127.0.0.1 (one server per port, each
counting what is open at once); feeds fetched concurrently, one connection at a time per
host, a failing feed never stopping the others, the report in the order feeds were given."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from faults import serving
from feedserver import FeedServer, Reply, Request, item, rss

from fouille.cli import main
from indexer.pool import HostPool, host_key
from search import Engine, Settings

HOSTS = 4
FEEDS_PER_HOST = 4


class Overlap:
    """Counts requests in progress across every server: did fetches overlap at all?"""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.lock = threading.Lock()

    def handler(self, body: bytes, wait: float, server: FeedServer) -> object:
        def reply(request: Request) -> Reply:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            server.closed.wait(wait)
            with self.lock:
                self.now -= 1
            return Reply(200, body)

        return reply


def reindex(index_dir: Path, feeds: list[str], **env: str) -> tuple[int, dict]:
    args = ["reindex", "--index", str(index_dir), "--json"]
    for url in feeds:
        args += ["--feed", url]
    result = CliRunner(env={f"FOUILLE_{k.upper()}": v for k, v in env.items()}).invoke(main, args)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("per_host", [1, 2])
def test_no_host_ever_sees_more_connections_than_allowed(tmp_path, per_host):
    servers = [FeedServer() for _ in range(HOSTS)]
    overlap = Overlap()
    feeds = []
    with serving(*servers):
        for h, server in enumerate(servers):
            for k in range(FEEDS_PER_HOST):
                body = rss([item(h * 100 + k)], title=f"Hôte {h}, flux {k}")
                server.route(f"/flux-{k}", handler=overlap.handler(body, 0.15, server))
                feeds.append(server.url(f"/flux-{k}"))
        code, data = reindex(
            tmp_path / "index", feeds, fetch_workers="8", connections_per_host=str(per_host)
        )
    assert code == 0
    assert data["totals"]["new"] == HOSTS * FEEDS_PER_HOST
    for server in servers:
        assert len(server.requests) == FEEDS_PER_HOST
        assert server.max_in_flight <= per_host, "a host saw too many requests at once"
        assert server.max_connections <= per_host, "a host saw too many connections at once"
    assert any(server.max_in_flight == per_host for server in servers)
    # Fetches did run side by side: on several hosts at once.
    assert HOSTS * per_host >= overlap.most >= 2


def test_one_worker_fetches_one_feed_at_a_time(tmp_path):
    servers = [FeedServer() for _ in range(2)]
    overlap = Overlap()
    feeds = []
    with serving(*servers):
        for h, server in enumerate(servers):
            for k in range(2):
                server.route(
                    f"/f{k}", handler=overlap.handler(rss([item(h * 10 + k)]), 0.1, server)
                )
                feeds.append(server.url(f"/f{k}"))
        code, _ = reindex(tmp_path / "index", feeds, fetch_workers="1")
    assert code == 0
    assert overlap.most == 1


def test_failing_feeds_never_stop_the_others_and_the_report_keeps_its_order(tmp_path):
    servers = [FeedServer() for _ in range(3)]
    with serving(*servers):
        a, b, c = servers
        a.route("/ok", body=rss([item(1), item(2)]))
        a.route("/500", status=500)
        b.route("/lent", body=rss([item(3)]), delay=0.3)
        b.route(
            "/page",
            body=b"<html><title>Accueil</title></html>",
            headers={"Content-Type": "text/html"},
        )
        c.route("/ok", body=rss([item(4)]))
        dead = FeedServer()
        with dead:
            refused = dead.url("/parti")  # a port nobody listens on once it is closed
        feeds = [b.url("/lent"), a.url("/500"), refused, a.url("/ok"), b.url("/page"), c.url("/ok")]
        code, data = reindex(tmp_path / "index", feeds)
    assert code == 1
    assert [f["url"] for f in data["feeds"]] == feeds, "the report lists feeds as given"
    status = {f["url"]: f["status"] for f in data["feeds"]}
    assert status == {
        b.url("/lent"): "ok",
        a.url("/500"): "failed",
        refused: "failed",
        a.url("/ok"): "ok",
        b.url("/page"): "failed",
        c.url("/ok"): "ok",
    }
    assert data["totals"]["new"] == 4
    with Engine.open(Settings(index_dir=tmp_path / "index")) as engine:
        assert engine.stats().articles == 4


def test_a_429_leaves_the_rest_of_that_host_alone_for_the_run(tmp_path):
    busy, calm = FeedServer(), FeedServer()
    with serving(busy, calm):
        busy.route("/1", status=429, headers={"Retry-After": "600"})
        for k in (2, 3):
            busy.route(f"/{k}", body=rss([item(k)]))
        calm.route("/4", body=rss([item(4)]))
        feeds = [busy.url("/1"), busy.url("/2"), busy.url("/3"), calm.url("/4")]
        code, data = reindex(tmp_path / "index", feeds)
    assert code == 1
    by_url = {f["url"]: f for f in data["feeds"]}
    assert by_url[busy.url("/1")]["status"] == "failed"
    for k in (2, 3):
        feed = by_url[busy.url(f"/{k}")]
        assert feed["status"] == "skipped"
        assert "asked us to slow down" in feed["reason"]
        assert not busy.hits(f"/{k}"), "no request once the host said 429"
    assert by_url[calm.url("/4")]["status"] == "ok"


def test_an_article_in_two_feeds_keeps_the_feed_it_was_first_indexed_from(tmp_path):
    with FeedServer() as one, FeedServer() as two:
        # The second feed answers first; the article goes to it, and stays there when the
        # first one is the quicker on the next run.
        one.route("/une", body=rss([item(1), item(2)], title="À la une"), delay=0.3)
        two.route("/monde", body=rss([item(2), item(3)], title="International"))
        feeds = [one.url("/une"), two.url("/monde")]
        code, data = reindex(tmp_path / "index", feeds)
        assert code == 0
        assert data["totals"]["new"] == 3 and data["totals"]["duplicates"] == 1
        with Engine.open(Settings(index_dir=tmp_path / "index")) as engine:
            owner = engine.get("https://exemple.fr/articles/2").feed_title
        one.route("/une", body=rss([item(1), item(2)], title="À la une"))
        two.route("/monde", body=rss([item(2), item(3)], title="International"), delay=0.3)
        code, data = reindex(tmp_path / "index", feeds)
        assert code == 0
        assert data["totals"]["updated"] == 0, "the article must not flip between its feeds"
        with Engine.open(Settings(index_dir=tmp_path / "index")) as engine:
            assert engine.get("https://exemple.fr/articles/2").feed_title == owner


def test_the_pool_takes_hosts_in_turn():
    pool = HostPool(workers=1, per_host=1)
    gate = threading.Event()
    order: list[str] = []

    def job(name: str):
        def run() -> str:
            gate.wait(5)
            order.append(name)
            return name

        return run

    # One site with many feeds does not hold back the others.
    for n in range(3):
        pool.submit(f"a{n}", f"https://a.exemple/{n}", job(f"a{n}"))
    pool.submit("b0", "https://b.exemple/0", job("b0"))
    gate.set()
    got = [pool.next() for _ in range(4)]
    pool.close()
    assert [d.key for d in got] == order
    assert order.index("b0") <= 1
    assert all(d.error is None and d.value == d.key for d in got)


def test_the_pool_hands_back_what_a_job_raised():
    pool = HostPool(workers=2, per_host=1)
    pool.submit("x", "https://x.exemple/", lambda: 1 / 0)
    done = pool.next()
    pool.close()
    assert isinstance(done.error, ZeroDivisionError) and pool.pending == 0


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Exemple.fr/rss", "exemple.fr:443"),
        ("https://exemple.fr:443/atom", "exemple.fr:443"),
        ("http://exemple.fr/rss", "exemple.fr:80"),
        ("http://127.0.0.1:8001/a", "127.0.0.1:8001"),
        ("http://moi:secret@exemple.fr/rss", "exemple.fr:80"),
    ],
)
def test_host_keys(url, key):
    assert host_key(url) == key
