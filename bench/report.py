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


def wrk_version() -> str:
    """wrk's version (`wrk -v`), or "absent"."""
    try:
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "absent"
    words = (out.stdout + out.stderr).split()
    return words[1] if len(words) > 1 and words[0] == "wrk" else "unknown"


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
            "flask": _dist_version("flask"),
            "gunicorn": _dist_version("gunicorn"),
            "waitress": _dist_version("waitress"),
            "wrk": wrk_version(),
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
class Goal:
    """A target for one cell: the value to reach and how the table states it."""

    value: float
    text: str


@dataclass(frozen=True)
class Row:
    """What a target may depend on: the size, the previous size of the run, every system's
    value in this row."""

    size: int
    previous: int | None
    values: dict[str, float | None]


@dataclass(frozen=True)
class Metric:
    """One row of the table: how to read it from a system's results, and the issue's target.

    `label` may name `{previous}`, the previous size of the run. `systems` limits the row to
    some columns (the others show "n/a").
    """

    key: str
    label: str
    higher_is_better: bool
    fmt: str
    get: Callable[[dict[str, Any]], float | None]
    target: Callable[[Row], Goal | None] = lambda row: None
    systems: tuple[str, ...] | None = None

    def goal(self, row: Row) -> Goal | None:
        return self.target(row)

    def judge(self, value: float | None, goal: Goal | None) -> str:
        if goal is None or value is None:
            return ""
        ok = value >= goal.value if self.higher_is_better else value <= goal.value
        return "met" if ok else "MISSED"


def _dig(*keys: str) -> Callable[[dict[str, Any]], Any]:
    def get(result: dict[str, Any]) -> Any:
        value: Any = result
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value

    return get


def _lat(stage: str, key: str, pct: float) -> Callable[[dict[str, Any]], float | None]:
    """A percentile of a list of latencies (ms)."""

    def get(result: dict[str, Any]) -> float | None:
        values = _dig(stage, key)(result)
        return percentile(values, pct) if values else None

    return get


def _http(pct: int) -> Callable[[dict[str, Any]], float | None]:
    """wrk's percentile (`p50_ms`…), or one of the latencies of a run before wrk."""
    new, old = _dig("http", f"p{pct}_ms"), _lat("http", "latency_ms", pct)
    return lambda result: new(result) if new(result) is not None else old(result)


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


def _by_size(small: float, large: float, sign: str, fmt: str = "{:,.0f}") -> Callable[[Row], Goal]:
    """The issue's fixed target: one up to 36k, another above."""

    def target(row: Row) -> Goal:
        value = small if row.size <= FULL_CORPUS else large
        return Goal(value, f"{sign} {fmt.format(value)}")

    return target


def _fixed(value: float, sign: str, fmt: str = "{:,.0f}") -> Callable[[Row], Goal]:
    return lambda row: Goal(value, f"{sign} {fmt.format(value)}")


def _only_large(value: float, sign: str, fmt: str = "{:,.0f}") -> Callable[[Row], Goal | None]:
    """A target the issue sets at 100k (any size above 36k)."""

    def target(row: Row) -> Goal | None:
        return Goal(value, f"{sign} {fmt.format(value)}") if row.size > FULL_CORPUS else None

    return target


def _times(system: str, factor: float, fmt: str) -> Callable[[Row], Goal | None]:
    """At most `factor` times another system's value in the same row."""

    def target(row: Row) -> Goal | None:
        other = row.values.get(system)
        if other is None:
            return None
        value = factor * other
        return Goal(value, f"≤ {factor:g}× {system} = {fmt.format(value)}")

    return target


def _growth_target(row: Row) -> Goal | None:
    """p50 at 100k ≤ 1.3 × p50 at 36k: judged where the previous size is 36k or less and this
    one above it."""
    if row.previous is None or not (row.previous <= FULL_CORPUS < row.size):
        return None
    return Goal(1.3, "≤ 1.30×")


SEARCHABLE = ("fouille", "tantivy", "fts5")
SERVED = ("fouille", "ceiling")

METRICS: tuple[Metric, ...] = (
    Metric("build_rate", "build: articles/s", True, "{:,.0f}", _dig("build", "rate"),
           _by_size(600, 450, "≥")),
    Metric("build_s", "build: wall time, s", False, "{:,.1f}", _dig("build", "seconds")),
    Metric("build_rss", "build: peak memory (VmHWM; summed over writer processes), MB", False,
           "{:,.0f}", _mb("build", "peak_rss_kb"), _fixed(600, "≤")),
    Metric("size_mb", "index size on disk, MB", False, "{:,.1f}",
           lambda r: _dig("build", "size_bytes")(r) and _dig("build", "size_bytes")(r) / 2**20,
           _times("tantivy", 2.5, "{:,.1f}")),
    Metric("segments", "segments after the build", False, "{:,.0f}", _dig("build", "segments"),
           systems=("fouille", "tantivy", "whoosh")),
    Metric("add_s", "add 100 articles + commit, s", False, "{:.2f}", _dig("add", "seconds"),
           _only_large(0.5, "≤", "{:.2f}")),
    Metric("rebuild_rate", "`reindex --rebuild`: articles/s", True, "{:,.0f}",
           _dig("rebuild", "rate"), _by_size(600, 450, "≥"), systems=("fouille",)),
    Metric("startup_s", "startup to first answer (fresh process), s", False, "{:.2f}",
           _dig("startup", "seconds"), _only_large(5, "≤"), systems=SEARCHABLE),
    Metric("p50", "result page p50, first pass, ms", False, "{:.2f}",
           _lat("query", "latency_ms", 50), _times("tantivy", 1.5, "{:.2f}"),
           systems=SEARCHABLE),
    Metric("p99", "result page p99, first pass, ms", False, "{:.2f}",
           _lat("query", "latency_ms", 99), _times("tantivy", 3, "{:.2f}"), systems=SEARCHABLE),
    Metric("steady_p50", "result page p50, steady state, ms", False, "{:.2f}",
           _lat("query", "steady_ms", 50), _times("tantivy", 1.5, "{:.2f}"),
           systems=SEARCHABLE),
    Metric("steady_p99", "result page p99, steady state, ms", False, "{:.2f}",
           _lat("query", "steady_ms", 99), _times("tantivy", 3, "{:.2f}"), systems=SEARCHABLE),
    Metric("growth", "p50 growth from {previous:,}, first pass", False, "{:.2f}×",
           _dig("growth", "first"), _growth_target, systems=SEARCHABLE),
    Metric("steady_growth", "p50 growth from {previous:,}, steady state", False, "{:.2f}×",
           _dig("growth", "steady"), _growth_target, systems=SEARCHABLE),
    Metric("query_rss", "searching process: peak RSS, MB", False, "{:,.0f}",
           _mb("query", "peak_rss_kb"), systems=SEARCHABLE),
    Metric("mrr", "known-item MRR@10", True, "{:.3f}", _mean_rr(0), _fixed(0.92, "≥", "{:.2f}"),
           systems=SEARCHABLE),
    Metric("hit10", "known-item hit@10", True, "{:.3f}", _mean_rr(0.1 - 1e-9),
           _fixed(0.96, "≥", "{:.2f}"), systems=SEARCHABLE),
    Metric("http_rps", "HTTP /search: requests/s", True, "{:,.0f}", _dig("http", "rps"),
           _by_size(500, 400, "≥"), systems=SERVED),
    Metric("http_p50", "HTTP /search: p50, ms", False, "{:.1f}", _http(50), systems=SERVED),
    Metric("http_p99", "HTTP /search: p99, ms", False, "{:.1f}", _http(99), _fixed(40, "≤"),
           systems=SERVED),
    Metric("http_cpu", "HTTP: server CPU per request, ms", False, "{:.2f}",
           _dig("http", "cpu_ms_per_request"), systems=SERVED),
    Metric("http_pss", "HTTP: server memory (PSS, all processes, peak), MB", False, "{:,.0f}",
           _mb("http", "server_pss_kb"), _only_large(300, "≤"), systems=SERVED),
)  # fmt: skip


def ratio(fouille: float | None, reference: float | None) -> str:
    """Fouille's figure divided by the reference's, as `1.23×`."""
    if fouille is None or reference is None or reference == 0:
        return ""
    return f"{fouille / reference:.2f}×"


def with_growth(results: dict[int, dict[str, dict[str, Any]]]) -> dict[int, dict[str, Any]]:
    """`results` with each system's `growth` at every size but the first: its p50 (first
    pass, steady state) divided by its p50 at the previous size of the run."""
    out: dict[int, dict[str, Any]] = {}
    previous: dict[str, Any] | None = None
    for size in sorted(results):
        out[size] = {name: dict(res) for name, res in results[size].items()}
        if previous is not None:
            for name, res in out[size].items():
                growth: dict[str, float] = {}
                for key, field in (("first", "latency_ms"), ("steady", "steady_ms")):
                    now = _lat("query", field, 50)(res)
                    before = _lat("query", field, 50)(previous.get(name, {}))
                    if now is not None and before:
                        growth[key] = now / before
                if growth:
                    res["growth"] = growth
        previous = results[size]
    return out


def table(results: dict[int, dict[str, dict[str, Any]]], labels: dict[str, str]) -> str:
    """The Markdown table: one block of rows per size, the systems side by side.

    `results[size][system]` holds that system's `build`, `add`, `rebuild`, `startup`, `query`
    and `http` results (the `ceiling` column: the trivial page's `http`).
    """
    sizes = sorted(results)
    results = with_growth(results)
    refs = [name for name in labels if name != "fouille"]
    head = ["size", "metric", *(labels[n] for n in labels)]
    if "fouille" in labels:
        head += [f"Fouille / {labels[r]}" for r in refs]
        head += ["target", "Fouille vs target"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, size in enumerate(sizes):
        previous = sizes[i - 1] if i else None
        per_system = results[size]
        for metric in METRICS:
            shown = [n for n in labels if metric.systems is None or n in metric.systems]
            values = {
                name: metric.get(per_system[name]) if per_system.get(name) else None
                for name in shown
            }
            failed = {n for n in shown if per_system.get(n, {}).get("error")}
            if all(v is None for v in values.values()) and not failed:
                continue
            row = Row(size, previous, values)
            cells = [f"{size:,}", metric.label.format(previous=previous or 0)]
            for name in labels:
                value = values.get(name)
                if name not in shown:
                    cells.append("n/a")
                elif value is None:
                    cells.append("failed" if name in failed else "—")
                else:
                    aborted = metric.key.startswith("http") and (
                        per_system.get(name, {}).get("http", {}).get("aborted")
                    )
                    cells.append(metric.fmt.format(value) + (" (aborted)" if aborted else ""))
            if "fouille" in labels:
                for ref in refs:
                    cells.append(ratio(values.get("fouille"), values.get(ref)))
                goal = metric.goal(row)
                cells.append(goal.text if goal else "")
                cells.append(metric.judge(values.get("fouille"), goal))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def fetch_table(fetch: dict[str, Any]) -> str:
    """The fetch benchmark of issue 11 (`bench/fetch.py`'s result file): serial versus
    parallel fetching of many local feeds with an added latency."""
    serial, parallel = fetch.get("serial_seconds"), fetch.get("parallel_seconds")
    feeds, delay = fetch.get("feeds", "?"), fetch.get("latency_ms", "?")
    lines = [
        f"| fetch: {feeds} local feeds, {delay} ms each | seconds | target |",
        "|---|---|---|",
    ]
    if isinstance(serial, int | float):
        lines.append(f"| serial | {serial:.2f} | |")
    if isinstance(parallel, int | float):
        goal = ""
        if isinstance(serial, int | float) and serial:
            ok = parallel <= serial / 4
            goal = f"≤ serial / 4 = {serial / 4:.2f}: {'met' if ok else 'MISSED'}"
        lines.append(f"| parallel | {parallel:.2f} | {goal} |")
    for key, value in fetch.items():  # whatever else the fetch benchmark reports
        if key in ("serial_seconds", "parallel_seconds", "feeds", "latency_ms", "file", "measured"):
            continue
        if isinstance(value, bool | int | float | str):
            lines.append(f"| {key} | {value} | |")
    return "\n".join(lines)
