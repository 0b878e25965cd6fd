"""One benchmark step in its own process: `python -m bench.worker '<json task>'`.

A fresh process per step isolates the systems from each other and makes the peak memory of a
build its own: the kernel's high-water mark of this process's RSS (VmHWM, read at the end),
plus that of every process it starts (a writer with several processes). The articles are
streamed from a JSON-lines file, so the corpus is never held in memory.
The result is printed as one line, `BENCH-RESULT <json>`, on standard output.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .corpus import read_records
from .queries import canonical, reciprocal_rank
from .systems import SYSTEMS, FouilleSystem

MARKER = "BENCH-RESULT "


def rss_kb(field: str = "VmRSS", pid: int | str = "self") -> int:
    """A process's resident set size (VmRSS) or its peak (VmHWM), in KiB, from /proc.

    VmHWM is used for peaks rather than `ru_maxrss`, which Linux carries across `execve` from
    the parent (the benchmark's own process) and would overstate a small child.
    """
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class DescendantPeaks:
    """Samples the peak RSS (VmHWM) of every process this one starts, ten times a second.

    A writer with several processes uses memory in each; the build's peak is then the sum of
    the peaks, which overstates it a little (pages shared after a fork count in each).
    """

    def __init__(self) -> None:
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> DescendantPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self._sample()

    def _sample(self) -> None:
        from .http_load import process_tree

        for pid in process_tree(os.getpid())[1:]:
            peak = rss_kb("VmHWM", pid)
            if peak:
                self.peaks[pid] = max(self.peaks.get(pid, 0), peak)


def dir_size(path: Path) -> int:
    """Bytes of all files under `path` (apparent size)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def timed_write(write: Callable[[], int]) -> dict[str, Any]:
    """Run a write step; its count, time and peak memory (this process plus its children)."""
    baseline = rss_kb()
    with DescendantPeaks() as children:
        start = time.perf_counter()
        count = write()
        seconds = time.perf_counter() - start
    own = rss_kb("VmHWM")
    return {
        "articles": count,
        "seconds": seconds,
        "rate": count / seconds if seconds else 0.0,
        "baseline_rss_kb": baseline,
        "own_peak_rss_kb": own,
        "peak_rss_kb": own + sum(children.peaks.values()),
        "processes": 1 + len(children.peaks),
    }


def do_build(task: dict[str, Any]) -> dict[str, Any]:
    system = SYSTEMS[task["system"]]()
    system.load()
    index_dir = Path(task["index_dir"])
    records = read_records(Path(task["articles"]), task.get("limit"))
    result = timed_write(lambda: system.build(index_dir, records))
    result["size_bytes"] = dir_size(index_dir)
    result["segments"] = system.segments(index_dir)
    return result


def do_add(task: dict[str, Any]) -> dict[str, Any]:
    system = SYSTEMS[task["system"]]()
    system.load()
    index_dir = Path(task["index_dir"])
    records = list(read_records(Path(task["articles"])))
    start = time.perf_counter()
    system.add(index_dir, records)
    seconds = time.perf_counter() - start
    return {
        "articles": len(records),
        "seconds": seconds,
        "size_bytes": dir_size(index_dir),
        "segments": system.segments(index_dir),
    }


def do_rebuild(task: dict[str, Any]) -> dict[str, Any]:
    """`fouille reindex --rebuild` on the built index (Fouille only)."""
    system = FouilleSystem()
    system.load()
    index_dir = Path(task["index_dir"])
    result = timed_write(lambda: system.rebuild(index_dir))
    result["segments"] = system.segments(index_dir)
    return result


def do_startup(task: dict[str, Any]) -> dict[str, Any]:
    """Open the index and answer one query, in this fresh process.

    `spawned_at` is the parent's clock just before it started this process, so the figure
    includes the interpreter's start and the imports.
    """
    t0 = time.perf_counter()
    system = SYSTEMS[task["system"]]()
    searcher = system.open(Path(task["index_dir"]))
    opened = time.perf_counter()
    ids = searcher.page(task["query"])
    answered = time.time()
    t1 = time.perf_counter()
    searcher.close()
    return {
        "seconds": answered - task["spawned_at"],
        "open_seconds": opened - t0,
        "first_query_ms": (t1 - opened) * 1000.0,
        "hits": len(ids),
    }


def do_query(task: dict[str, Any]) -> dict[str, Any]:
    """Warm-up queries, then each latency query once (first pass) and again (steady state),
    then the known-item queries."""
    system = SYSTEMS[task["system"]]()
    system.load()
    spec = json.loads(Path(task["queries"]).read_text(encoding="utf-8"))
    start = time.perf_counter()
    searcher = system.open(Path(task["index_dir"]))
    open_seconds = time.perf_counter() - start
    for query in spec["warmup"]:
        searcher.page(query)
    gc.collect()
    passes: list[list[float]] = []
    empty = 0
    for _ in range(2):
        latencies = []
        for query in spec["latency"]:
            t0 = time.perf_counter()
            ids = searcher.page(query)
            latencies.append((time.perf_counter() - t0) * 1000.0)
            empty += not ids and not passes
        passes.append(latencies)
    ranks = []
    known_ms = []
    for item in spec["known"]:
        t0 = time.perf_counter()
        ids = searcher.page(item["query"])
        known_ms.append((time.perf_counter() - t0) * 1000.0)
        ranks.append(reciprocal_rank([canonical(i) for i in ids], item["target"]))
    searcher.close()
    return {
        "open_seconds": open_seconds,
        "latency_ms": passes[0],
        "steady_ms": passes[1],
        "empty_pages": empty,
        "known_ms": known_ms,
        "reciprocal_ranks": ranks,
        "peak_rss_kb": rss_kb("VmHWM"),
    }


def do_versions(task: dict[str, Any]) -> dict[str, Any]:
    return {name: cls().versions() for name, cls in SYSTEMS.items()}


TASKS = {
    "build": do_build,
    "add": do_add,
    "rebuild": do_rebuild,
    "startup": do_startup,
    "query": do_query,
    "versions": do_versions,
}


def main(argv: list[str]) -> int:
    task = json.loads(argv[1])
    result = TASKS[task["task"]](task)
    result["pid"] = os.getpid()
    sys.stdout.write(MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
