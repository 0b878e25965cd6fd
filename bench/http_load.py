"""HTTP load on a real `fouille serve`: the WSGI server started as a subprocess on 127.0.0.1,
N client threads each with its own keep-alive `httpx.Client`, for a fixed duration."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

REPO = Path(__file__).resolve().parent.parent
SERVE = "import sys; from fouille.cli import main; sys.exit(main())"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB."""
    out = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


class Server:
    """`fouille serve --index DIR` on a free port; stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, index_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.index_dir = index_dir
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        cmd = [
            sys.executable, "-c", SERVE, "serve", "--index", str(self.index_dir),
            "--host", "127.0.0.1", "--port", str(self.port),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"fouille serve exited with {self.proc.returncode}: {self.log}")
            try:
                if httpx.get(self.base + "/", timeout=2).status_code < 500:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"fouille serve did not answer within 90 s: see {self.log}")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid


def run_load(
    base: str,
    queries: Sequence[str],
    *,
    clients: int,
    seconds: float,
    path: str = "/search",
    pid: int | None = None,
    max_rss_mb: float = 0,
) -> dict[str, Any]:
    """Hammer `base + path?q=…` with `clients` threads for `seconds`; latencies in ms.

    With `pid` the server's RSS is sampled twice a second; past `max_rss_mb` (when given) the
    server is stopped and the run reported as aborted, to protect a shared machine.
    """
    urls = [f"{path}?{urlencode({'q': q})}" for q in queries]
    with httpx.Client(base_url=base, timeout=30) as warm:
        for url in urls[:20]:
            warm.get(url)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    next_index = [0]
    rss_samples: list[int] = []
    aborted: list[str] = []
    stop_at = time.monotonic() + seconds

    def client() -> None:
        mine: list[float] = []
        with httpx.Client(base_url=base, timeout=30) as http:
            while time.monotonic() < stop_at:
                with lock:
                    url = urls[next_index[0] % len(urls)]
                    next_index[0] += 1
                t0 = time.perf_counter()
                try:
                    status = http.get(url).status_code
                except httpx.HTTPError as exc:
                    errors.append(type(exc).__name__)
                    continue
                mine.append((time.perf_counter() - t0) * 1000.0)
                if status != 200:
                    errors.append(str(status))
        with lock:
            latencies.extend(mine)

    def sampler() -> None:
        nonlocal stop_at
        while pid and time.monotonic() < stop_at:
            rss = proc_status(pid).get("VmRSS", 0)
            rss_samples.append(rss)
            if max_rss_mb and rss > max_rss_mb * 1024:
                aborted.append(f"server RSS {rss / 1024:,.0f} MB over the {max_rss_mb:,.0f} MB cap")
                stop_at = time.monotonic()
                os.kill(pid, signal.SIGTERM)
                break
            time.sleep(0.5)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    threads.append(threading.Thread(target=sampler))
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    status = proc_status(pid) if pid else {}
    return {
        "clients": clients,
        "seconds": elapsed,
        "requests": len(latencies),
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "latency_ms": latencies,
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "server_rss_kb": max([status.get("VmRSS", 0), *rss_samples]),
        "server_hwm_kb": status.get("VmHWM", 0),
        **({"aborted": aborted[0]} if aborted else {}),
    }
