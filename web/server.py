"""Running the app on a real WSGI server: gunicorn worker processes, or waitress in one.

Searching is CPU work in Python, so one process serves one search at a time whatever its
threads: `workers` processes (gunicorn, forked after the app and its libraries are loaded,
so their code pages are shared) serve that many at once. Each worker opens the index on its
first request; the index's arrays are memory-mapped files, shared through the page cache.
Where gunicorn cannot run (no `fork`, or one worker asked), waitress serves in one process.

Reloads are graceful: on SIGHUP, and when the live index generation changes (a rebuild),
gunicorn starts new workers and lets the old ones finish their requests.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from search import FouilleError
from search.i18n import N_

from .proxy import note_listening

log = logging.getLogger(__name__)

#: waitress threads, when it serves alone.
THREADS = 8
#: How often the gunicorn master looks for a new index generation (seconds).
GENERATION_POLL = 2.0


def default_workers() -> int:
    """One worker per core."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def can_fork() -> bool:
    """True where gunicorn can run (POSIX, with fork)."""
    if not hasattr(os, "fork") or sys.platform == "win32":
        return False
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


class ServeError(FouilleError):
    """The server could not start (the port is taken, or the host unknown)."""

    @classmethod
    def cannot_listen(cls, host: str, port: int, exc: OSError) -> ServeError:
        """The error of an address `exc` kept us from listening on."""
        return cls(
            N_("cannot listen on {host}:{port} ({reason})"),
            host=host,
            port=port,
            reason=str(exc.strerror),
        )


def serve_app(
    app: Flask,
    *,
    host: str,
    port: int,
    workers: int,
    on_ready: Callable[[str], None],
    generation: Callable[[], str | None] | None = None,
) -> None:
    """Serve `app` on host:port until interrupted; `on_ready(url)` once the port listens.

    Args:
        workers: processes; 1 (or no fork) means waitress in this process.
        generation: the live index generation, watched to reload the workers on a change.

    Raises:
        ServeError: the port could not be bound.
    """
    _check_port(host, port)
    if workers > 1 and can_fork():
        _gunicorn(app, host, port, workers, on_ready, generation)
    else:
        _waitress(app, host, port, on_ready)


def _check_port(host: str, port: int) -> None:
    """Fail at once on a taken port (gunicorn would retry for seconds, then log it)."""
    if not port:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise ServeError.cannot_listen(host, port, exc) from exc


def _waitress(app: Flask, host: str, port: int, on_ready: Callable[[str], None]) -> None:
    from waitress import create_server

    try:
        # X-Forwarded-* reach the app, as under gunicorn: the app decides whether they
        # count (trusted_proxies, web/proxy.py), waitress would drop them all.
        server = create_server(
            app, host=host, port=port, threads=THREADS, clear_untrusted_proxy_headers=False
        )
    except OSError as exc:
        raise ServeError.cannot_listen(host, port, exc) from exc
    holder = app.extensions.get("fouille")

    def reopen(signum: int, frame: Any) -> None:
        if holder is not None:
            holder.close()  # the next request opens the index again

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, reopen)
    url = f"http://{url_host(host)}:{server.effective_port}/"
    note_listening(app, url)
    on_ready(url)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        if holder is not None:
            holder.close()


def _gunicorn(
    app: Flask,
    host: str,
    port: int,
    workers: int,
    on_ready: Callable[[str], None],
    generation: Callable[[], str | None] | None,
) -> None:
    from gunicorn.app.base import BaseApplication

    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def when_ready(arbiter: Any) -> None:
        listener = arbiter.LISTENERS[0]
        bound_port = listener.sock.getsockname()[1]
        url = f"http://{url_host(host)}:{bound_port}/"
        note_listening(app, url)  # in the master, before the workers fork: they inherit it
        on_ready(url)
        if generation is not None:
            _watch_generation(generation, arbiter)

    def post_fork(arbiter: Any, worker: Any) -> None:
        # The master may have opened the index (to check it): each worker opens its own.
        holder = app.extensions.get("fouille")
        if holder is not None:
            holder.close()

    freezer = GarbageFreezer(app.extensions.get("fouille"))

    def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
        freezer()  # gunicorn checks a hook's arity: a function of four arguments

    class Application(BaseApplication):
        def load_config(self) -> None:
            settings = {
                "bind": bind,
                "workers": workers,
                # Sync workers: each takes the next connection only when it is free, so a
                # request waits in one queue for whichever worker frees first, where the
                # connections gthread keeps alive wait behind their own worker's (wrk -c8,
                # 20,000 distinct queries at 100k articles: p99 27 ms against 40-46, the
                # same 390 req/s; the price is a connection per request, 0.1 ms of CPU).
                "worker_class": "sync",
                "preload_app": True,
                "when_ready": when_ready,
                "post_fork": post_fork,
                "post_request": post_request,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "graceful_timeout": 10,
                "timeout": 60,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    try:
        Application().run()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise ServeError(N_("cannot listen on {host}:{port}"), host=host, port=port) from exc


class GarbageFreezer:
    """A gunicorn `post_request` hook that keeps Python's cyclic garbage collector off a
    worker's long-lived objects: the app, its libraries and the index state it reads.

    A full collection walks every object the collector tracks: 35 ms in a worker at
    100,000 articles, a pause that every request queued behind it waited out (it was the
    HTTP p99). Once a worker has answered from a new index state (its first, or one a
    commit made), after the response is sent, it collects once and freezes what is left
    (`gc.freeze`): later collections look only at newer objects. Unfreezing first lets
    that collection free the replaced state's cycles.
    """

    def __init__(self, holder: Any) -> None:
        self._holder = holder
        self._seen: str | None = None

    def __call__(self) -> None:
        version = self.version()
        if version is None or version == self._seen:
            return
        self._seen = version
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    def version(self) -> str | None:
        """The index state the worker answers from (None: no index)."""
        if self._holder is None:
            return None
        try:
            version: str = self._holder.get().version()
        except Exception:  # no index yet, or a broken one: the requests report it
            return None
        return version


def _watch_generation(generation: Callable[[], str | None], arbiter: Any) -> None:
    """Reload the workers gracefully when the live index generation changes."""

    def watch() -> None:
        seen = _safe(generation)
        stop = threading.Event()
        while not stop.wait(GENERATION_POLL):
            now = _safe(generation)
            if now != seen:
                seen = now
                log.info("index generation changed to %s: reloading the workers", now)
                os.kill(arbiter.pid, signal.SIGHUP)

    threading.Thread(target=watch, name="fouille-generation", daemon=True).start()


def _safe(generation: Callable[[], str | None]) -> str | None:
    try:
        return generation()
    except Exception:  # an unreadable index is the workers' to report
        return None


def url_host(host: str) -> str:
    """How a listening address is written in a URL."""
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
