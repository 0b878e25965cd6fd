"""Crashes mid-reindex (issue 6): the real `fouille reindex` is killed with SIGKILL, many times
in a row, while it fetches, writes, commits, rebuilds and switches generations.

After every kill the index opens, every article committed before the kill is still there and
found, no lock is left behind (the next run is never refused), and a final run completes.

The default run stays under a minute. A longer soak:

    FOUILLE_SOAK_KILLS=300 FOUILLE_SOAK_SECONDS=1800 python -m pytest tests/test_crash.py -s
"""

from __future__ import annotations

import os
import random
import signal
import string
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from faults import assert_no_traceback, found, index_ids, run_fouille, start_fouille
from feedserver import FeedServer, Reply, Request, rss

from search import Engine, Settings
from search.locking import reindex_lock

pytestmark = pytest.mark.slow

FEEDS = 3
WINDOW = 400  # items in a feed; each fetch slides it by STEP, so every run has new articles
STEP = 200  # 3 x 200 new articles > the writer's batch of 500: a run commits mid-way too
CAP = 2000  # item numbers wrap here (then articles are updated), so a long soak stays fast
KILLS = int(os.environ.get("FOUILLE_SOAK_KILLS", "24"))
BUDGET = float(os.environ.get("FOUILLE_SOAK_SECONDS", "40"))
STRATEGIES = ("fetch", "random", "writing", "commit", "rebuild", "switch")


def word(n: int) -> str:
    """A made-up word unique to item `n`: kbaa, kbab… (letters only, so no analyzer splits it)."""
    letters = []
    for _ in range(4):
        n, r = divmod(n, 26)
        letters.append(string.ascii_lowercase[r])
    return "zq" + "".join(letters)


class GrowingFeeds:
    """Feeds whose window of items slides forward on every fetch, like a busy news site."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.fetches: Counter[int] = Counter()
        self.slow_requested = threading.Event()
        self._lock = threading.Lock()
        for k in range(FEEDS):
            server.route(f"/feed-{k}", handler=self._handler(k))
        server.route("/slow", handler=self._slow)

    @staticmethod
    def item_id(k: int, n: int) -> str:
        return f"https://crash.example/{k}/{n % CAP}"

    def _handler(self, k: int) -> Callable[[Request], Reply]:
        def handler(request: Request) -> Reply:
            with self._lock:
                self.fetches[k] += 1
                top = self.fetches[k] * STEP
            items = [
                {
                    "title": f"Dépêche {word(k * 1_000_000 + n % CAP)} de la rédaction",
                    "link": self.item_id(k, n),
                    "guid": self.item_id(k, n),
                    "pubDate": "Mon, 02 Jun 2025 10:00:00 +0200",
                    # Past CAP the same ids come back with a new text: updates, not additions.
                    "description": f"Version {n // CAP}. " + "Un article de presse. " * 12,
                }
                for n in range(max(0, top - WINDOW), top)
            ]
            return Reply(body=rss(items, title=f"Flux {k}"))

        return handler

    def _slow(self, request: Request) -> Reply:
        self.slow_requested.set()
        return Reply(body=rss([]), delay=1.5)

    def urls(self) -> list[str]:
        urls = [self.server.url(f"/feed-{k}") for k in range(FEEDS)]
        return [*urls[:2], self.server.url("/slow"), *urls[2:]]


def _files(directory: Path) -> set[str]:
    try:
        return {p.name for p in directory.iterdir()}
    except FileNotFoundError:
        return set()


def _generations(index: Path) -> set[str]:
    return {name for name in _files(index) if name.startswith("gen-")}


def _current(index: Path) -> str:
    try:
        return (index / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return ""


def _wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str], limit: float) -> bool:
    """Poll `condition` every millisecond until it holds, the process ends, or `limit` passes."""
    end = time.monotonic() + limit
    while time.monotonic() < end and proc.poll() is None:
        if condition():
            return True
        time.sleep(0.001)
    return False


def kill_at(strategy: str, proc: subprocess.Popen[str], index: Path, feeds: GrowingFeeds) -> str:
    """Wait for the moment `strategy` names, then SIGKILL; returns what was hit."""
    rng = random.random
    gen = index / _current(index) if _current(index) else None
    before = _files(gen) if gen else set()
    hit = strategy
    if strategy == "fetch":
        # The slow feed comes after two others: their articles sit in the uncommitted batch.
        hit = "fetch" if _wait_for(feeds.slow_requested.is_set, proc, 15) else "missed"
        time.sleep(rng() * 0.5)
    elif strategy == "random":
        time.sleep(rng() * 2.5)
    elif strategy == "writing":
        # Whoosh writes a new segment's files as documents are added.
        changed = _wait_for(lambda: bool(gen and _files(gen) - before), proc, 15)
        hit = "writing" if changed else "missed"
        time.sleep(rng() * 0.05)
    elif strategy == "commit":
        # A new table of contents (temporary, then renamed) is the commit itself.
        changed = _wait_for(
            lambda: bool(gen and any(".toc" in f for f in _files(gen) - before)), proc, 15
        )
        hit = "commit" if changed else "missed"
    elif strategy == "rebuild":
        old = _generations(index)
        changed = _wait_for(lambda: bool(_generations(index) - old), proc, 15)
        hit = "rebuild" if changed else "missed"
        time.sleep(rng() * 0.6)
    elif strategy == "switch":
        old = _current(index)
        changed = _wait_for(lambda: _current(index) != old, proc, 15)
        hit = "switch" if changed else "missed"
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    else:
        hit = "finished"
    proc.wait(timeout=30)
    feeds.slow_requested.clear()
    return hit


def check_index(index: Path, committed: set[str]) -> set[str]:
    """The index opens; nothing committed was lost; a sample of it is found by searching."""
    ids = index_ids(index)
    lost = committed - ids
    assert not lost, f"{len(lost)} committed articles lost, e.g. {sorted(lost)[:3]}"
    with Engine.open(Settings(index_dir=index)) as engine:
        assert engine.stats().articles == len(ids)  # no duplicate left by a half-done update
    for article_id in random.sample(sorted(ids), min(3, len(ids))):
        k, n = (int(part) for part in article_id.rsplit("/", 2)[-2:])
        assert article_id in found(index, word(k * 1_000_000 + n))
    # No stale lock: the kernel dropped the dead process's flock.
    with reindex_lock(index):
        pass
    return ids


def test_sigkill_at_any_moment_loses_nothing_committed(tmp_path: Path) -> None:
    index = tmp_path / "index"
    seed = int(os.environ.get("FOUILLE_SOAK_SEED", str(random.randrange(1 << 30))))
    random.seed(seed)
    outcomes: Counter[str] = Counter()
    with FeedServer() as server:
        feeds = GrowingFeeds(server)
        feed_args = [arg for url in feeds.urls() for arg in ("--feed", url)]
        base = ("reindex", "--quiet", "--index", str(index))
        first = run_fouille(*base, *feed_args, cwd=tmp_path, read_timeout=5)
        assert first.returncode == 0, first.stderr
        committed = check_index(index, set())
        started = time.monotonic()
        n = 0
        while n < KILLS and time.monotonic() - started < BUDGET:
            strategy = STRATEGIES[n % len(STRATEGIES)]
            n += 1
            rebuild = strategy in ("rebuild", "switch") or (strategy == "random" and n % 4 == 0)
            args = [*base, "--rebuild"] if rebuild else [*base]
            if not rebuild or n % 2:
                args += feed_args
            proc = start_fouille(*args, cwd=tmp_path, read_timeout=5)
            hit = kill_at(strategy, proc, index, feeds)
            out, err = proc.communicate()
            assert_no_traceback(out, err)
            assert proc.returncode != 2, f"run {n} ({strategy}) was refused: {err}"
            outcomes[hit] += 1
            committed = check_index(index, committed)

        # The next reindex completes and holds everything it just read.
        final = run_fouille(*base, *feed_args, cwd=tmp_path, read_timeout=5)
        assert final.returncode == 0, final.stderr
        assert_no_traceback(final.stdout, final.stderr)
        ids = check_index(index, committed)
        for k in range(FEEDS):
            top = feeds.fetches[k] * STEP
            latest = {feeds.item_id(k, m) for m in range(top - WINDOW, top)}
            assert latest <= ids
        rebuilt = run_fouille(*base, "--rebuild", cwd=tmp_path)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert index_ids(index) == ids
        # Killed rebuilds leave no generation behind once a rebuild succeeds.
        assert len(_generations(index)) <= 2

    kills = sum(count for hit, count in outcomes.items() if hit not in ("finished", "missed"))
    print(
        f"\ncrash: {kills} kills survived ({dict(outcomes)}), seed {seed}, "
        f"{len(ids)} articles, {time.monotonic() - started:.0f} s"
    )
    assert kills >= min(n, KILLS) * 0.6, outcomes
