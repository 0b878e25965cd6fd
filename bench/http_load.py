"""HTTP load on a real server: `wrk` in its own process against `fouille serve --workers N`
(or the trivial Flask page of `bench.ceiling` on the same server stack), started as a
subprocess on a free port of 127.0.0.1.

While wrk runs, the server's memory is sampled as PSS summed over the master and all its
worker processes (`/proc/<pid>/smaps_rollup`: shared pages such as the memory-mapped index
count once, split between the processes that map them), and its CPU time is read before and
after from `/proc/<pid>/stat` (user + system, the processes' own and their reaped children's).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "cycle.lua"
WRK_MARKER = "WRK-RESULT "
READY_RE = re.compile(r"\bserving\b.*\bat (https?://\S+)", re.IGNORECASE)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- /proc readings


def children(pid: int) -> list[int]:
    """The direct children of a process (every thread's list, /proc/<pid>/task/*/children)."""
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                out.extend(int(p) for p in fh.read().split())
        except OSError:
            continue
    return out


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants, parents first."""
    tree = [pid]
    i = 0
    while i < len(tree):
        tree.extend(c for c in children(tree[i]) if c not in tree)
        i += 1
    return tree


def smaps_rollup(pid: int) -> dict[str, int]:
    """The kB figures of /proc/<pid>/smaps_rollup (Rss, Pss, Pss_Anon, …); {} if gone."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                parts = rest.split()
                if len(parts) == 2 and parts[1] == "kB":
                    out[key] = int(parts[0])
    except OSError:
        pass
    return out


def tree_memory(pid: int) -> dict[str, int]:
    """PSS and RSS (kB) summed over `pid` and its descendants, and how many processes."""
    pss = rss = count = 0
    for member in process_tree(pid):
        figures = smaps_rollup(member)
        if figures:
            pss += figures.get("Pss", 0)
            rss += figures.get("Rss", 0)
            count += 1
    return {"pss_kb": pss, "rss_kb": rss, "processes": count}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its reaped children (/proc/<pid>/stat), seconds."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            stat = fh.read()
    except OSError:
        return 0.0
    # The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + cutime + cstime) / CLOCK_TICKS


def tree_cpu(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds of each process in `pids` still alive."""
    return {pid: cpu_seconds(pid) for pid in pids if os.path.exists(f"/proc/{pid}")}


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two `tree_cpu` readings (a new process counts in full)."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


# --------------------------------------------------------------------------- the server


class Server:
    """A server command started on 127.0.0.1 port 0; ready once it prints "serving … at URL".

    Its output goes to `log`. On exit the master is interrupted (SIGINT, as Ctrl+C), then
    killed, and any worker left behind is killed by its pid.
    """

    def __init__(self, command: Sequence[str], log: Path, *, timeout: float = 120) -> None:
        self.command = list(command)
        self.log = log
        self.timeout = timeout
        self.base = ""
        self.proc: subprocess.Popen[bytes] | None = None
        self._drain: threading.Thread | None = None

    def __enter__(self) -> Server:
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.log.parent.mkdir(parents=True, exist_ok=True)
        logfile = self.log.open("wb")
        self.proc = subprocess.Popen(
            self.command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        assert self.proc.stdout is not None
        found: list[str] = []
        ready = threading.Event()

        def drain(stream: IO[bytes]) -> None:
            for raw in stream:
                logfile.write(raw)
                logfile.flush()
                match = READY_RE.search(raw.decode("utf-8", "replace"))
                if match and not ready.is_set():
                    found.append(match.group(1).rstrip("/"))
                    ready.set()
            logfile.close()
            ready.set()

        self._drain = threading.Thread(target=drain, args=(self.proc.stdout,), daemon=True)
        self._drain.start()
        if not ready.wait(self.timeout) or not found:
            self.stop()
            raise RuntimeError(f"server not ready within {self.timeout:.0f} s: see {self.log}")
        self.base = found[0]
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Interrupt the server, then kill what is left of its process tree."""
        if self.proc is None:
            return
        tree = process_tree(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in tree[1:]:
            with contextlib.suppress(OSError):  # gone already, as it should be
                os.kill(pid, signal.SIGKILL)
        if self._drain is not None:
            self._drain.join(5)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid


def fouille_command(index_dir: Path, workers: int) -> list[str]:
    """`fouille serve` on a port of the system's choosing."""
    return [
        sys.executable, "-m", "fouille", "serve", "--index", str(index_dir),
        "--host", "127.0.0.1", "--port", "0", "--workers", str(workers),
    ]  # fmt: skip


def ceiling_command(workers: int) -> list[str]:
    """The trivial Flask page (`bench.ceiling`) on the same server stack."""
    return [
        sys.executable, "-m", "bench.ceiling",
        "--host", "127.0.0.1", "--port", "0", "--workers", str(workers),
    ]  # fmt: skip


# --------------------------------------------------------------------------- wrk


def write_requests(path: Path, queries: Sequence[str]) -> Path:
    """One URL-encoded query string per line (`q=…`), for `cycle.lua`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(urlencode({"q": q}) + "\n" for q in queries), encoding="ascii")
    return path


def parse_wrk(stdout: str) -> dict[str, Any]:
    """The figures of one wrk run, from the `WRK-RESULT` line `cycle.lua` prints at the end.

    Raises:
        ValueError: no such line (wrk failed before the end of the run).
    """
    for line in stdout.splitlines():
        if line.startswith(WRK_MARKER):
            raw = json.loads(line[len(WRK_MARKER) :])
            break
    else:
        raise ValueError("wrk printed no result line")
    seconds = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    return {
        "requests": raw["requests"],
        "seconds": seconds,
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "bytes": raw["bytes"],
        # A thread that went past its stretch of the list met another thread's queries.
        "repeated": raw.get("most_sent_by_a_thread", 0) > raw.get("distinct_per_thread", 0),
        "errors": raw["errors"],
        "error_count": sum(raw["errors"].values()),
        **{f"{key}_ms": value / 1000 for key, value in lat.items()},
    }


def wrk_command(
    base: str, requests: Path, *, path: str, threads: int, connections: int, seconds: float
) -> list[str]:
    """The wrk command line (the server's latency distribution with `--latency`)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian package `wrk`)")
    return [
        wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
        "--timeout", "30s", "-s", str(LUA), base + "/", "--", str(requests), str(threads), path,
    ]  # fmt: skip


def run_wrk(
    base: str, requests: Path, *, path: str, threads: int, connections: int, seconds: float
) -> dict[str, Any]:
    """Run wrk once and return its figures, with its printed report as `report`."""
    command = wrk_command(
        base, requests, path=path, threads=threads, connections=connections, seconds=seconds
    )
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    try:
        figures = parse_wrk(done.stdout)
    except ValueError as exc:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-300:]}") from exc
    figures["report"] = done.stdout.split(WRK_MARKER)[0].rstrip()
    return figures


def load(
    server: Server,
    *,
    path: str,
    warmup: Path,
    requests: Path,
    request_count: int,
    threads: int,
    connections: int,
    seconds: float,
    max_pss_mb: float = 0,
) -> dict[str, Any]:
    """Warm the server up with wrk for a few seconds, then measure a wrk run of `seconds`.

    The warm-up (its own queries) lets every worker open the index. During the measured run
    the server's memory is sampled twice a second; past `max_pss_mb` (when given) the server
    is stopped and the run reported as aborted, to protect a shared machine.
    """
    run_wrk(
        server.base, warmup, path=path, threads=threads, connections=connections,
        seconds=min(5.0, max(2.0, seconds / 5)),
    )  # fmt: skip
    settled = tree_memory(server.pid)
    samples: list[dict[str, int]] = [settled]
    aborted: list[str] = []
    stop = threading.Event()

    def sampler() -> None:
        while not stop.wait(0.5):
            figures = tree_memory(server.pid)
            samples.append(figures)
            if max_pss_mb and figures["pss_kb"] > max_pss_mb * 1024:
                aborted.append(
                    f"server PSS {figures['pss_kb'] / 1024:,.0f} MB over the {max_pss_mb:,.0f} "
                    "MB cap"
                )
                server.stop()
                return

    cpu_before = tree_cpu(process_tree(server.pid))
    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    try:
        result = run_wrk(
            server.base, requests, path=path, threads=threads, connections=connections,
            seconds=seconds,
        )  # fmt: skip
    finally:
        cpu_after = tree_cpu(process_tree(server.pid))
        stop.set()
        thread.join()
    samples.append(tree_memory(server.pid))
    cpu = cpu_spent(cpu_before, cpu_after)
    peak = max(samples, key=lambda s: s["pss_kb"])
    result.update(
        {
            "threads": threads,
            "connections": connections,
            "distinct_requests": request_count,
            "server_cpu_seconds": cpu,
            "cpu_ms_per_request": cpu * 1000 / result["requests"] if result["requests"] else None,
            "server_pss_kb": peak["pss_kb"],
            "server_rss_kb": peak["rss_kb"],
            "server_processes": peak["processes"],
            "settled_pss_kb": settled["pss_kb"],
        }
    )
    if aborted:
        result["aborted"] = aborted[0]
    return result
