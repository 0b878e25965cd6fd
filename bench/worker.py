"""One benchmark step in its own process: `python -m bench.worker '<json task>'`.

A fresh process per step isolates the systems from each other and makes the peak memory of a
build its own: the kernel's high-water mark of this process's RSS (VmHWM, read at the end). The
articles are streamed from a JSON-lines file, so the corpus is never held in memory.
The result is printed as one line, `BENCH-RESULT <json>`, on standard output.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from .corpus import read_records
from .queries import canonical, reciprocal_rank
from .systems import SYSTEMS

MARKER = "BENCH-RESULT "


def rss_kb(field: str = "VmRSS") -> int:
    """This process's resident set size (VmRSS) or its peak (VmHWM), in KiB, from /proc.

    VmHWM is used for peaks rather than `ru_maxrss`, which Linux carries across `execve` from
    the parent (the benchmark's own process) and would overstate a small child.
    """
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def dir_size(path: Path) -> int:
    """Bytes of all files under `path` (apparent size)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def do_build(task: dict[str, Any]) -> dict[str, Any]:
    system = SYSTEMS[task["system"]]()
    index_dir = Path(task["index_dir"])
    baseline = rss_kb()
    start = time.perf_counter()
    count = system.build(index_dir, read_records(Path(task["articles"]), task.get("limit")))
    seconds = time.perf_counter() - start
    return {
        "articles": count,
        "seconds": seconds,
        "rate": count / seconds if seconds else 0.0,
        "size_bytes": dir_size(index_dir),
        "baseline_rss_kb": baseline,
        "peak_rss_kb": rss_kb("VmHWM"),
    }


def do_add(task: dict[str, Any]) -> dict[str, Any]:
    system = SYSTEMS[task["system"]]()
    index_dir = Path(task["index_dir"])
    records = list(read_records(Path(task["articles"])))
    start = time.perf_counter()
    system.add(index_dir, records)
    seconds = time.perf_counter() - start
    return {"articles": len(records), "seconds": seconds, "size_bytes": dir_size(index_dir)}


def do_query(task: dict[str, Any]) -> dict[str, Any]:
    system = SYSTEMS[task["system"]]()
    spec = json.loads(Path(task["queries"]).read_text(encoding="utf-8"))
    start = time.perf_counter()
    searcher = system.open(Path(task["index_dir"]))
    open_seconds = time.perf_counter() - start
    for query in spec["warmup"]:
        searcher.page(query)
    gc.collect()
    latencies = []
    empty = 0
    for query in spec["latency"]:
        t0 = time.perf_counter()
        ids = searcher.page(query)
        latencies.append((time.perf_counter() - t0) * 1000.0)
        empty += not ids
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
        "latency_ms": latencies,
        "empty_pages": empty,
        "known_ms": known_ms,
        "reciprocal_ranks": ranks,
        "peak_rss_kb": rss_kb("VmHWM"),
    }


def do_versions(task: dict[str, Any]) -> dict[str, Any]:
    return {name: cls().versions() for name, cls in SYSTEMS.items()}


TASKS = {"build": do_build, "add": do_add, "query": do_query, "versions": do_versions}


def main(argv: list[str]) -> int:
    task = json.loads(argv[1])
    result = TASKS[task["task"]](task)
    result["pid"] = os.getpid()
    sys.stdout.write(MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
