"""Helpers for the hardening tests (issue 6): the real `fouille` in a subprocess, raw sockets
that misbehave on purpose, feeds that grow, and what an index holds.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import os
import pty
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from search import Engine, Settings

REPO = Path(__file__).resolve().parents[1]
TRACEBACK = "Traceback (most recent call last)"
#: The longest wait for `fouille serve` to start or stop (a deadline, not a pause).
SERVE_WAIT = 60.0


#: What decides a command's language and colours: taken out, so that it speaks English
#: (the C locale) with no colour forced, unless a test sets them.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "NO_COLOR")


def fouille_env(**settings: object) -> dict[str, str]:
    """The environment for a `fouille` subprocess: FOUILLE_* settings, no config file, the C
    locale (English messages)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FOUILLE_") and k not in LOCALE_VARIABLES
    }
    env["LANG"] = "C.UTF-8"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["COLUMNS"] = "200"
    for name, value in settings.items():
        env[f"FOUILLE_{name.upper()}"] = str(value)
    return env


def fouille_argv(*args: str) -> list[str]:
    """The command line of the real console script, run by this interpreter."""
    return [sys.executable, "-m", "fouille", *args]


def run_fouille(
    *args: str,
    cwd: Path,
    timeout: float = 60,
    input_text: str | None = None,
    **settings: object,
) -> subprocess.CompletedProcess[str]:
    """Run `fouille ARGS` to completion in `cwd` (where there is no fouille.toml), with
    `input_text` on its standard input (none by default)."""
    return subprocess.run(
        fouille_argv(*args),
        cwd=cwd,
        env=fouille_env(**settings),
        input=input_text,
        stdin=None if input_text is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_fouille(*args: str, cwd: Path, **settings: object) -> subprocess.Popen[str]:
    """Start `fouille ARGS` without waiting (output goes to pipes)."""
    return subprocess.Popen(
        fouille_argv(*args),
        cwd=cwd,
        env=fouille_env(**settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def on_a_terminal(*args: str, stdout: bool = True, **environ: str) -> str:
    """What `fouille ARGS` (run to success) writes to a terminal, a pseudo-terminal as its
    stderr and, unless `stdout` is False (then discarded), its stdout; `environ` is added
    to its environment."""
    env = fouille_env()
    env.update(environ)
    main, child = pty.openpty()
    proc = subprocess.Popen(
        fouille_argv(*args),
        cwd=REPO,
        env=env,
        stdout=child if stdout else subprocess.DEVNULL,
        stderr=child,
        close_fds=True,
    )
    os.close(child)
    output = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: the child's end closed
            break
        if not chunk:
            break
        output += chunk
    os.close(main)
    text = output.decode("utf-8", "replace")
    assert proc.wait(timeout=60) == 0, text
    return text


def kill_backfill_at_page(index_dir: Path, url: str, reached: threading.Event) -> None:
    """Run `fouille reindex --backfill` on the feed at `url` until the feed server sets
    `reached` (on the page the test stalls), then kill it with SIGKILL: a backfill cut short
    at a page the test chose."""
    proc = subprocess.Popen(
        fouille_argv("reindex", "--index", str(index_dir), "--backfill", "--feed", url),
        cwd=REPO,
        env=fouille_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert reached.wait(30), "the backfill never reached the page"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def fouille_serve(index_dir: object, *args: str, **settings: object) -> Iterator[str]:
    """`fouille serve --port 0 ARGS` in a subprocess with FOUILLE_* `settings`; yields its
    base URL (no trailing slash) once it listens, and stops it with Ctrl+C at the end."""
    process = subprocess.Popen(
        fouille_argv("serve", "--index", str(index_dir), "--port", "0", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=fouille_env(**settings),
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    try:
        while True:
            line = lines.get(timeout=SERVE_WAIT)
            assert line is not None, "fouille serve exited"
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            if found:
                break
        yield found.group(0)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=SERVE_WAIT)
        finally:
            if process.poll() is None:
                process.kill()


def assert_no_traceback(*outputs: str) -> None:
    for text in outputs:
        assert TRACEBACK not in (text or ""), text[-3000:]


def index_ids(index_dir: Path) -> set[str]:
    """The ids of every article in the index (opened afresh, as a new process would)."""
    with Engine.open(Settings(index_dir=index_dir)) as engine:
        return {article.id for article in engine.articles()}


def found(index_dir: Path, query: str, **kwargs: object) -> set[str]:
    """The ids that a search finds (first 100)."""
    with Engine.open(Settings(index_dir=index_dir)) as engine:
        page = engine.search(query, page_size=100, **kwargs)  # type: ignore[arg-type]
        return {hit.id for hit in page.hits}


class RawServer:
    """A TCP server on 127.0.0.1 whose every connection is handed to `behaviour(conn)`.

    For faults a real HTTP server will not commit: silence, trickles, endless bodies.
    """

    def __init__(self, behaviour: Callable[[socket.socket], None]) -> None:
        self.behaviour = behaviour
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str = "/feed", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self.behaviour(conn)

    def stopped(self) -> bool:
        return self._stop.is_set()

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        for conn in self.connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self._thread.join(timeout=5)


def read_request(conn: socket.socket) -> bytes:
    """Read up to the end of the request headers."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@contextlib.contextmanager
def serving(*servers: object) -> Iterator[None]:
    """Enter several servers at once."""
    with contextlib.ExitStack() as stack:
        for server in servers:
            stack.enter_context(server)  # type: ignore[arg-type]
        yield
