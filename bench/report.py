"""Figures, targets and the one table: percentiles, the machine, Markdown output."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FULL_CORPUS = 36_152  # sizes up to here are judged on the 36k targets, larger on the 100k ones


def percentile(values: Sequence[float], pct: float) -> float:
    """The `pct` percentile of `values` with linear interpolation (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            names = (ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
            cpu = next(names, "")
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "search", "indexer", "web"],
            cwd=REPO, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    except OSError:
        commit, dirty = "", ""
    if not commit and (REPO / ".commit").is_file():  # a `--snapshot` copy (git archive)
        commit, dirty = (REPO / ".commit").read_text(encoding="ascii").strip(), ""
    import sqlite3

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "memory_gib": round(mem_gib, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "libraries": {
            "whoosh3": _dist_version("whoosh3"),
            "PyStemmer": _dist_version("PyStemmer"),
            "Unidecode": _dist_version("Unidecode"),
            "tantivy": _dist_version("tantivy"),
            "sqlite": sqlite3.sqlite_version,
            "waitress": _dist_version("waitress"),
            "httpx": _dist_version("httpx"),
        },
        "fouille_commit": commit + ("+local changes" if dirty else ""),
        "loadavg": os.getloadavg(),
        "executable": sys.executable,
    }


def machine_line(info: dict[str, Any]) -> str:
    """The machine in one Markdown paragraph."""
    libs = ", ".join(f"{k} {v}" for k, v in info["libraries"].items())
    return (
        f"{info['cpu'] or 'unknown CPU'}, {info['usable_cores']} cores, "
        f"{info['memory_gib']} GiB; {info['os']}; {info['python']}; {libs}; "
        f"Fouille at {info['fouille_commit'] or 'unknown commit'}."
    )


@dataclass(frozen=True)
class Metric:
    """One row of the table: how to read it from a system's results, and the issue's target."""

    key: str
    label: str
    higher_is_better: bool
    fmt: str
    get: Callable[[dict[str, Any]], float | None]
    target: Callable[[int], float | None] = lambda size: None
    fouille_only: bool = False

    def judge(self, value: float | None, size: int) -> str:
        goal = self.target(size)
        if goal is None or value is None:
            return ""
        ok = value >= goal if self.higher_is_better else value <= goal
        return "met" if ok else "MISSED"

    def target_text(self, size: int) -> str:
        goal = self.target(size)
        if goal is None:
            return ""
        return ("≥ " if self.higher_is_better else "≤ ") + self.fmt.format(goal)


def _dig(*keys: str) -> Callable[[dict[str, Any]], Any]:
    def get(result: dict[str, Any]) -> Any:
        value: Any = result
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value

    return get


def _lat(stage: str, pct: float) -> Callable[[dict[str, Any]], float | None]:
    def get(result: dict[str, Any]) -> float | None:
        values = _dig(stage, "latency_ms")(result)
        return percentile(values, pct) if values else None

    return get


def _mb(*keys: str) -> Callable[[dict[str, Any]], float | None]:
    def get(result: dict[str, Any]) -> float | None:
        value = _dig(*keys)(result)
        return value / 1024 if value is not None else None

    return get


def _mean_rr(threshold: float) -> Callable[[dict[str, Any]], float | None]:
    def get(result: dict[str, Any]) -> float | None:
        ranks = _dig("query", "reciprocal_ranks")(result)
        if not ranks:
            return None
        if threshold:
            return sum(r >= threshold for r in ranks) / len(ranks)
        return sum(ranks) / len(ranks)

    return get


def _by_size(small: float, large: float) -> Callable[[int], float]:
    return lambda size: small if size <= FULL_CORPUS else large


def _only_large(goal: float) -> Callable[[int], float | None]:
    return lambda size: goal if size > FULL_CORPUS else None


def _only_small(goal: float) -> Callable[[int], float | None]:
    return lambda size: goal if size <= FULL_CORPUS else None


METRICS: tuple[Metric, ...] = (
    Metric("build_rate", "build: articles/s", True, "{:,.0f}", _dig("build", "rate"),
           lambda size: 600),
    Metric("build_s", "build: wall time, s", False, "{:,.1f}", _dig("build", "seconds")),
    Metric("size_mb", "index size on disk, MB", False, "{:,.1f}",
           lambda r: _dig("build", "size_bytes")(r) and _dig("build", "size_bytes")(r) / 2**20),
    Metric("build_rss", "build: peak RSS, MB", False, "{:,.0f}", _mb("build", "peak_rss_kb")),
    Metric("add_s", "add 100 articles + commit, s", False, "{:.2f}", _dig("add", "seconds"),
           lambda size: 1.0),
    Metric("p50", "query p50, ms", False, "{:.2f}", _lat("query", 50), _by_size(4, 8)),
    Metric("p95", "query p95, ms", False, "{:.2f}", _lat("query", 95)),
    Metric("p99", "query p99, ms", False, "{:.2f}", _lat("query", 99), _by_size(20, 40)),
    Metric("mrr", "known-item MRR@10", True, "{:.3f}", _mean_rr(0), lambda size: 0.92),
    Metric("hit10", "known-item hit@10", True, "{:.3f}", _mean_rr(0.1 - 1e-9),
           lambda size: 0.96),
    Metric("query_rss", "searching process: peak RSS, MB", False, "{:,.0f}",
           _mb("query", "peak_rss_kb")),
    Metric("http_rps", "HTTP /search: requests/s", True, "{:,.0f}", _dig("http", "rps"),
           _only_small(200), fouille_only=True),
    Metric("http_p50", "HTTP /search: p50, ms", False, "{:.1f}", _lat("http", 50),
           fouille_only=True),
    Metric("http_p99", "HTTP /search: p99, ms", False, "{:.1f}", _lat("http", 99),
           fouille_only=True),
    Metric("http_rss", "HTTP: server peak RSS, MB", False, "{:,.0f}",
           _mb("http", "server_rss_kb"), _only_large(300), fouille_only=True),
)  # fmt: skip


def ratio(fouille: float | None, reference: float | None) -> str:
    """Fouille's figure divided by the reference's, as `1.23×`."""
    if fouille is None or reference is None or reference == 0:
        return ""
    return f"{fouille / reference:.2f}×"


def table(results: dict[int, dict[str, dict[str, Any]]], labels: dict[str, str]) -> str:
    """The Markdown table: one block of rows per size, the systems side by side.

    `results[size][system]` holds that system's `build`, `add`, `query` and `http` results.
    """
    refs = [name for name in labels if name != "fouille"]
    head = ["size", "metric", *(labels[n] for n in labels)]
    if "fouille" in labels:
        head += [f"Fouille / {labels[r]}" for r in refs]
        head += ["target", "Fouille vs target"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for size in sorted(results):
        per_system = results[size]
        for metric in METRICS:
            values = {
                name: (metric.get(per_system.get(name, {})) if per_system.get(name) else None)
                for name in labels
            }
            if metric.fouille_only and values.get("fouille") is None:
                continue
            cells = [f"{size:,}", metric.label]
            for name in labels:
                value = values[name]
                if metric.fouille_only and name != "fouille":
                    cells.append("n/a")
                elif value is None:
                    error = per_system.get(name, {}).get("error")
                    cells.append("failed" if error else "—")
                else:
                    aborted = metric.key.startswith("http") and (
                        per_system.get(name, {}).get("http", {}).get("aborted")
                    )
                    cells.append(metric.fmt.format(value) + (" (aborted)" if aborted else ""))
            if "fouille" in labels:
                for ref in refs:
                    fig = "" if metric.fouille_only else ratio(values["fouille"], values[ref])
                    cells.append(fig)
                cells.append(metric.target_text(size))
                cells.append(metric.judge(values["fouille"], size))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
