"""Searching while reindexing (issue 6): `fouille serve` (waitress) answers a steady stream of
searches while real `fouille reindex` and `fouille reindex --rebuild` processes write the same
index; no request fails, and new articles appear once the reindex has committed. Two reindexes
at once: the second is refused with a clear message, the first is unharmed.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from faults import (
    assert_no_traceback,
    fouille_argv,
    fouille_env,
    index_ids,
    run_fouille,
    start_fouille,
)
from feedserver import FeedServer, Reply, Request, rss

pytestmark = pytest.mark.slow

CLIENTS = 3
INTERVAL = 0.02  # seconds between two requests of one client: ~150 requests/s offered
PATHS = (
    "/search?q=dépêche",
    "/api/search?q=dépêche&sort=date",
    "/api/search?q=zqneuf",
    "/search?q=zqneuf+OR+rédaction&page=2",
    "/api/search?q=presse&sort=fresh&tag=Flux",
    "/api/suggest?q=dép",
    "/search.atom?q=dépêche",
    "/healthz",
    "/",
)


def items(prefix: str, numbers: range, marker: str = "") -> list[dict[str, str]]:
    return [
        {
            "title": f"Dépêche {marker} numéro {n} de la rédaction",
            "link": f"https://conc.example/{prefix}/{n}",
            "guid": f"https://conc.example/{prefix}/{n}",
            "pubDate": "Mon, 02 Jun 2025 10:00:00 +0200",
            "category": "Flux",
            "description": "Un article de presse assez long pour peser. " * 6,
        }
        for n in numbers
    ]


@dataclass
class Load:
    """Clients sending requests at a steady pace; every answer is checked."""

    base: str
    served: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def client(self, offset: int) -> None:
        with httpx.Client(base_url=self.base, timeout=20) as http:
            n = offset
            while not self.stop.is_set():
                path = PATHS[n % len(PATHS)]
                n += 1
                try:
                    response = http.get(path)
                    ok = response.status_code == 200 and (
                        "Traceback" not in response.text and len(response.content) > 20
                    )
                    problem = "" if ok else f"{path}: {response.status_code} {response.text[:200]}"
                except httpx.HTTPError as exc:
                    problem = f"{path}: {type(exc).__name__}: {exc}"
                with self.lock:
                    self.served += 1
                    if problem:
                        self.failures.append(problem)
                time.sleep(INTERVAL)

    def count(self) -> int:
        with self.lock:
            return self.served


@contextmanager
def fouille_serve(index: Path, cwd: Path) -> Iterator[str]:
    """The real `fouille serve` (waitress) in its own process, on a free port; yields its URL."""
    log = (cwd / "serve.log").open("w+")  # a file, not a pipe nobody reads while serving
    server = subprocess.Popen(
        fouille_argv("serve", "--index", str(index), "--port", "0"),
        cwd=cwd,
        env=fouille_env(),
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "Fouille is serving … at http://127.0.0.1:PORT/ …"
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, (line, server.poll())
        yield match.group(0)
    finally:
        server.send_signal(signal.SIGINT)  # what Ctrl+C sends: waitress stops cleanly
        try:
            server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
        log.seek(0)
        assert_no_traceback(log.read())
        log.close()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[FeedServer, Load, Path]]:
    """A feed server, an index of 300 articles, the app under waitress, and the load on it."""
    index = tmp_path / "index"
    with FeedServer() as feeds:
        feeds.route("/initial", body=rss(items("initial", range(300)), title="Initial"))
        done = run_fouille(
            "reindex", "--index", str(index), "--feed", feeds.url("/initial"), cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
        with fouille_serve(index, tmp_path) as base:
            load = Load(base)
            threads = [
                threading.Thread(target=load.client, args=(i,), daemon=True) for i in range(CLIENTS)
            ]
            for thread in threads:
                thread.start()
            try:
                yield feeds, load, index
            finally:
                load.stop.set()
                for thread in threads:
                    thread.join(timeout=30)


def total(base: str, query: str) -> int:
    return httpx.get(f"{base}/api/search", params={"q": query}, timeout=20).json()["total"]


def test_searches_never_fail_while_reindex_and_rebuild_run(
    running: tuple[FeedServer, Load, Path], tmp_path: Path
) -> None:
    feeds, load, index = running
    for k in range(3):
        feeds.route(f"/new-{k}", body=rss(items(f"new{k}", range(300), "zqneuf")))
    time.sleep(0.5)
    assert total(load.base, "zqneuf") == 0
    start_count = load.count()

    args = ["reindex", "--quiet", "--index", str(index)]
    new_feeds = [arg for k in range(3) for arg in ("--feed", feeds.url(f"/new-{k}"))]
    reindex = start_fouille(*args, *new_feeds, cwd=tmp_path)
    seen_during: list[int] = []
    while reindex.poll() is None:
        seen_during.append(total(load.base, "zqneuf"))
        time.sleep(0.05)
    out, err = reindex.communicate()
    assert reindex.returncode == 0, err
    assert_no_traceback(out, err)
    # Visible on the very next request, without a restart.
    assert total(load.base, "zqneuf") == 900
    # Commits show whole batches, and what was shown never disappears.
    assert seen_during == sorted(seen_during) and max(seen_during) <= 900

    for _ in range(2):
        rebuild = run_fouille(*args, "--rebuild", cwd=tmp_path)
        assert rebuild.returncode == 0, rebuild.stderr
        assert total(load.base, "zqneuf") == 900
    during = load.count() - start_count
    time.sleep(0.3)

    assert load.failures == [], load.failures[:5]
    assert during > 50, during
    print(f"\nconcurrency: {during} requests served during reindex + 2 rebuilds, 0 failed")


def test_a_second_reindex_is_refused_and_the_first_is_unharmed(
    running: tuple[FeedServer, Load, Path], tmp_path: Path
) -> None:
    feeds, load, index = running
    arrived = threading.Event()

    def slow(request: Request) -> Reply:
        arrived.set()
        return Reply(body=rss(items("slow", range(50), "zqlent")), delay=2.0)

    feeds.route("/slow", handler=slow)
    feeds.route("/other", body=rss(items("other", range(50), "zqautre")))
    args = ["reindex", "--index", str(index)]
    first = start_fouille(*args, "--feed", feeds.url("/slow"), cwd=tmp_path, read_timeout=10)
    assert arrived.wait(15), "the first reindex never fetched its feed"
    second = run_fouille(*args, "--feed", feeds.url("/other"), cwd=tmp_path, timeout=20)
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "another `fouille reindex` is running" in lines[0], lines
    assert first.poll() is None  # still running, not disturbed
    out, err = first.communicate(timeout=30)
    assert first.returncode == 0, err
    assert_no_traceback(out, err, second.stderr)
    ids = index_ids(index)
    assert {f"https://conc.example/slow/{n}" for n in range(50)} <= ids
    assert not any("/other/" in i for i in ids)
    # The lock went with the first run: the second one can now go.
    again = run_fouille(*args, "--feed", feeds.url("/other"), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert total(load.base, "zqautre") == 50
    assert load.failures == [], load.failures[:5]


COMMITTER = """
import sys
from datetime import UTC, datetime
from search import Article, Engine, Settings
with Engine.open(Settings(index_dir=sys.argv[1])) as engine:
    for n in range(int(sys.argv[2])):
        with engine.writer() as writer:
            writer.upsert(Article(id=f"c{n}", url="", title=f"Dépêche numéro {n}",
                                  published=datetime.now(UTC)))
"""


def test_searches_from_fresh_engines_never_fail_during_commits(tmp_path: Path) -> None:
    """`fouille search` while `fouille reindex` commits: each search opens the index afresh,
    as a new process does, and must answer."""
    from articles import build_index

    from search import Article, Engine

    settings = build_index(
        tmp_path / "index",
        [Article(id="first", url="", title="Première dépêche", published=datetime.now(UTC))],
    )
    committer = subprocess.Popen(
        [sys.executable, "-c", COMMITTER, str(settings.index_dir), "150"], env=fouille_env()
    )
    failures: list[str] = []
    searches = 0
    try:
        while committer.poll() is None:
            try:
                with Engine.open(settings) as engine:
                    assert engine.search("dépêche").total >= 1
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
            searches += 1
    finally:
        committer.wait(timeout=120)
    assert committer.returncode == 0
    assert searches > 20, "the searches did not overlap the commits"
    assert failures == [], f"{len(failures)} of {searches} searches failed: {failures[:3]}"
