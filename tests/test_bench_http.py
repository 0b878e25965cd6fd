"""The benchmark's HTTP measurement (bench/http_load.py, bench/cycle.lua): the wrk script walks
distinct queries from a different offset per thread and reports wrk's figures; a server's
memory is PSS summed over its process tree (shared pages once); its CPU time is read from
/proc; the server is stopped with all its workers. Real processes, real wrk, 127.0.0.1 only.
"""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from bench.http_load import (
    Server,
    ceiling_command,
    cpu_seconds,
    load,
    process_tree,
    run_wrk,
    tree_memory,
    write_requests,
)

needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
needs_proc = pytest.mark.skipif(
    not Path("/proc/self/smaps_rollup").exists(), reason="no /proc/<pid>/smaps_rollup"
)


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a short page and records the request line's path."""

    protocol_version = "HTTP/1.1"
    paths: ClassVar[list[str]] = []
    lock = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            self.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # wrk closes its connections mid-request when its time is up


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    Recorder.paths = []
    server = QuietServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", Recorder.paths
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
@needs_wrk
def test_wrk_cycles_through_distinct_queries_from_an_offset_per_thread(
    recorder: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, seen = recorder
    queries = [f"électricité n°{i} & co" for i in range(4000)]
    requests = write_requests(tmp_path / "requests.txt", queries)
    result = run_wrk(base, requests, path="/search", threads=2, connections=4, seconds=1)
    asked = [parse_qs(urlsplit(p).query)["q"][0] for p in seen]
    assert all(urlsplit(p).path == "/search" for p in seen)
    assert set(asked) <= set(queries)  # the text survives the encoding, accents and all
    assert len(asked) == len(set(asked))  # no query asked twice
    # Thread 0 starts at the top of the list, thread 1 half-way (wrk's script check takes
    # thread 0's first line).
    numbers = sorted(queries.index(q) for q in asked)
    assert numbers[0] <= 1 and 2000 in numbers
    assert 0 < result["requests"] <= len(seen)
    assert result["error_count"] == 0 and not result["repeated"]
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert "Latency Distribution" in result["report"]


@pytest.mark.slow
@needs_wrk
def test_wrk_says_when_a_thread_repeats_queries(
    recorder: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, seen = recorder
    requests = write_requests(tmp_path / "requests.txt", ["un", "deux", "trois", "quatre"])
    result = run_wrk(base, requests, path="/", threads=2, connections=2, seconds=1)
    assert result["requests"] > 4 and result["repeated"]
    assert {parse_qs(urlsplit(p).query)["q"][0] for p in seen} == {"un", "deux", "trois", "quatre"}


SHARING = """
import os, sys, time
memory = bytearray(64 * 2**20)
for i in range(0, len(memory), 4096):
    memory[i] = 1                      # resident in the parent, then shared by the children
for _ in range(2):
    if os.fork() == 0:
        deadline = time.process_time() + 0.3
        while time.process_time() < deadline:  # some CPU time for each child
            pass
        os.write(1, b"child\\n")  # one write: the two children's lines never mix
        time.sleep(60)
        os._exit(0)
time.sleep(60)
"""


@needs_proc
def test_memory_is_pss_over_the_process_tree_and_shared_pages_count_once(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SHARING)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        for _ in range(2):
            line = proc.stdout.readline()
            assert line.strip() == "child", (line, proc.poll())
        tree = process_tree(proc.pid)
        assert len(tree) == 3 and tree[0] == proc.pid
        memory = tree_memory(proc.pid)
        assert memory["processes"] == 3
        mib = 1024  # kB
        assert memory["rss_kb"] > 3 * 64 * mib  # each process maps the 64 MiB...
        assert memory["pss_kb"] < 2 * 64 * mib  # ...which PSS counts once, split three ways
        assert all(cpu_seconds(child) >= 0.25 for child in tree[1:])
    finally:
        for pid in reversed(process_tree(proc.pid)):
            os.kill(pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.slow
@needs_wrk
@needs_proc
def test_the_ceiling_page_under_wrk_on_the_server_stack(tmp_path: Path) -> None:
    """The real `python -m bench.ceiling` with two gunicorn workers: found ready by its
    line, loaded by wrk, measured over its three processes, stopped with all of them."""
    warmup = write_requests(tmp_path / "warmup.txt", ["a", "b"])
    requests = write_requests(tmp_path / "requests.txt", [f"q{i}" for i in range(50_000)])
    with Server(ceiling_command(2), tmp_path / "ceiling.log") as server:
        tree = process_tree(server.pid)
        result = load(
            server, path="/", warmup=warmup, requests=requests, request_count=50_000,
            threads=2, connections=4, seconds=1,
        )  # fmt: skip
    assert result["requests"] > 0 and result["error_count"] == 0
    assert result["server_processes"] == 3  # the gunicorn master and its two workers
    assert 0 < result["settled_pss_kb"] <= result["server_pss_kb"]
    assert result["cpu_ms_per_request"] > 0
    assert not any(alive(pid) for pid in tree)


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"
