"""A bounded pool of fetching threads that is polite per host.

At most `workers` jobs run at once, and at most `per_host` of them for any one host; the
others wait their turn, hosts taking turns so that one site with many feeds does not hold
back the rest. Results come back to the caller's thread in the order they finish, so that
one thread (the index writer's) does all the parsing and writing.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def host_key(url: str) -> str:
    """The host a URL is fetched from, as the pool counts connections: its name and port
    (one server; `https://a.fr` and `https://a.fr:443` are the same)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = (parts.hostname or "").lower()
    return f"{host}:{port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)}"


@dataclass(frozen=True)
class Done:
    """A finished job: what it returned, or what it raised."""

    key: Any
    value: Any
    error: BaseException | None


@dataclass
class _Job:
    key: Any
    host: str
    run: Callable[[], Any]


class HostPool:
    """Runs jobs in daemon threads, bounded overall and per host; `next()` hands back each
    result as it comes."""

    def __init__(self, *, workers: int, per_host: int) -> None:
        self.workers = max(1, workers)
        self.per_host = max(1, per_host)
        self._cond = threading.Condition()
        #: Waiting jobs per host.
        self._waiting: dict[str, deque[_Job]] = {}
        #: The hosts with a waiting job and a free connection, in turn (an ordered set).
        self._ready: dict[str, None] = {}
        self._active: Counter[str] = Counter()
        self._done: queue.Queue[Done] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._pending = 0
        self._closed = False

    def submit(self, key: Any, url: str, run: Callable[[], Any]) -> None:
        """Queue `run()` (a fetch of `url`); its `Done` comes back from `next()` with `key`."""
        host = host_key(url)
        with self._cond:
            self._waiting.setdefault(host, deque()).append(_Job(key, host, run))
            if self._active[host] < self.per_host:
                self._ready.setdefault(host)
            self._pending += 1
            if len(self._threads) < self.workers:
                thread = threading.Thread(target=self._work, name="fouille-fetch", daemon=True)
                self._threads.append(thread)
                thread.start()
            self._cond.notify()

    @property
    def pending(self) -> int:
        """Jobs submitted whose result `next()` has not returned yet."""
        return self._pending

    def next(self) -> Done:
        """The next finished job (blocks until one finishes)."""
        done = self._done.get()
        self._pending -= 1
        return done

    def close(self) -> None:
        """Stop the threads once their current job is done; waiting jobs are dropped."""
        with self._cond:
            self._closed = True
            self._waiting.clear()
            self._ready.clear()
            self._cond.notify_all()

    def _take(self) -> _Job | None:
        """A job of the first ready host, which then goes to the back of the line."""
        if not self._ready:
            return None
        host = next(iter(self._ready))
        del self._ready[host]
        jobs = self._waiting[host]
        job = jobs.popleft()
        if not jobs:
            del self._waiting[host]
        self._active[host] += 1
        if host in self._waiting and self._active[host] < self.per_host:
            self._ready[host] = None
        return job

    def _work(self) -> None:
        while True:
            with self._cond:
                job = None
                while not self._closed and (job := self._take()) is None:
                    self._cond.wait()
                if job is None:
                    return
            try:
                done = Done(job.key, job.run(), None)
            except BaseException as exc:  # handed to the caller's thread, which decides
                done = Done(job.key, None, exc)
            with self._cond:
                self._active[job.host] -= 1
                if job.host in self._waiting:
                    self._ready.setdefault(job.host)
                self._cond.notify_all()
            self._done.put(done)
