"""The benchmark, one command: `python -m bench.run [--quick] [--sizes 10000,36000,100000]
[--queries N] [--clients N]`.

For each size and each system (Fouille, SQLite FTS5, tantivy), in fresh processes: build the index
from the same articles, run the same latency and known-item queries, add 100 articles; then load
an open `fouille serve` over HTTP. Prints one Markdown table; keeps the raw figures in
bench/results/. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import corpus, queries, report
from .http_load import Server, run_load
from .systems import SYSTEMS, FouilleSystem
from .worker import MARKER

REPO = Path(__file__).resolve().parent.parent
# A --snapshot run executes in a copy of HEAD but writes its results into the original repo.
OUT = Path(os.environ.get("FOUILLE_BENCH_OUT", REPO))
RESULTS = OUT / "bench" / "results"
DEFAULT_SIZES = (10_000, 36_152, 100_000)
QUERY_POOL = 10_000  # queries come from the first articles: the same for any choice of sizes
WARMUP = 30


def log(message: str) -> None:
    """Progress on standard error, timestamped."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_worker(task: dict[str, Any], logfile: Path, timeout: float) -> dict[str, Any]:
    """Run one step in a fresh `python -m bench.worker` process; its result, or {"error": …}."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with logfile.open("ab") as err:
        err.write(f"\n=== {json.dumps(task)}\n".encode())
        err.flush()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "bench.worker", json.dumps(task)],
                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err, timeout=timeout,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f} s"}
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    tail = logfile.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
    return {"error": f"exit {proc.returncode}: {tail[0] if tail else ''}"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    uid = os.getuid()
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one small size (5,000), fewer queries, a short HTTP run",
    )
    parser.add_argument(
        "--sizes", help="comma-separated article counts (default 10000,36152,100000)"
    )
    parser.add_argument("--queries", type=int, help="latency queries per system (default 300)")
    parser.add_argument("--known", type=int, help="known-item queries (default 300)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients (8)")
    parser.add_argument("--http-seconds", type=float, help="HTTP load duration (default 20)")
    parser.add_argument(
        "--systems",
        default="fouille,fts5,tantivy",
        help="which systems, comma-separated (fouille,fts5,tantivy)",
    )
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP load")
    parser.add_argument(
        "--http-max-rss",
        type=float,
        default=6000,
        help="stop the server past this RSS in MB (6000; 0: no cap)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(os.environ.get("TMPDIR", "/tmp")) / f"fouille-bench-{uid}",
        help="where indexes and article files go (outside the repo)",
    )
    parser.add_argument("--corpus", help="the shared corpus directory (found by default)")
    parser.add_argument("--keep", action="store_true", help="keep the indexes after the run")
    parser.add_argument(
        "--snapshot",
        action="store_true",
        help="run on a copy of the committed HEAD (git archive), so that edits "
        "to the work tree during a long run do not mix into it",
    )
    parser.add_argument(
        "--render",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="print the table of saved runs (bench/results/run-*.json) again; "
        "several runs of the same commit make one table, by size",
    )
    parser.add_argument(
        "--save",
        action="store_true",
        help="also write the table, date and machine to BENCHMARKS.md",
    )
    args = parser.parse_args(argv)  # fmt: skip
    if args.sizes:
        args.sizes = [int(s.replace("_", "").replace(",", "")) for s in args.sizes.split(",")]
    else:
        args.sizes = [5_000] if args.quick else list(DEFAULT_SIZES)
    args.queries = args.queries or (100 if args.quick else 300)
    args.known = args.known or (100 if args.quick else 300)
    args.http_seconds = args.http_seconds or (5.0 if args.quick else 20.0)
    args.systems = [s for s in args.systems.split(",") if s]
    unknown = set(args.systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    return args


def prepare(args: argparse.Namespace) -> tuple[Path, dict[int, tuple[Path, Path]]]:
    """Write the article files of every size and the query file; their paths."""
    source = corpus.find_corpus(args.corpus)
    data = args.workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    log(f"loading articles from {source}")
    records = corpus.pool(source, args.workdir / "cache", max(args.sizes) + corpus.INCREMENT)
    files: dict[int, tuple[Path, Path]] = {}
    for size in args.sizes:
        main_file, extra_file = data / f"articles-{size}.jsonl", data / f"extra-{size}.jsonl"
        corpus.write_records(main_file, records[:size])
        corpus.write_records(extra_file, records[size : size + corpus.INCREMENT])
        files[size] = (main_file, extra_file)
    base = records[: min(QUERY_POOL, *args.sizes)]
    shorts = queries.latency_queries(base, args.queries + WARMUP)
    known = queries.known_items(base, args.known)
    spec = {
        "warmup": shorts[:WARMUP],
        "latency": shorts[WARMUP:],
        "known": [k.to_dict() for k in known],
    }
    query_file = data / "queries.json"
    query_file.write_text(json.dumps(spec, ensure_ascii=False, indent=1), encoding="utf-8")
    log(f"{len(spec['latency'])} latency queries, {len(known)} known-item queries from the first "
        f"{len(base):,} articles; article files in {data}")  # fmt: skip
    return query_file, files


def bench_size(
    args: argparse.Namespace, size: int, files: tuple[Path, Path], query_file: Path, logs: Path
) -> dict[str, dict[str, Any]]:
    """Every step of every system at one size."""
    out: dict[str, dict[str, Any]] = {name: {} for name in args.systems}
    timeout = max(600.0, size / 20)
    for name in args.systems:
        index_dir = args.workdir / "indexes" / f"{name}-{size}"
        shutil.rmtree(index_dir, ignore_errors=True)
        logfile = logs / f"{name}-{size}.log"
        common = {"system": name, "index_dir": str(index_dir)}
        log(f"{size:,} · {name}: build")
        build = run_worker({"task": "build", "articles": str(files[0]), **common}, logfile, timeout)
        out[name]["build"] = build
        if "error" in build:
            log(f"{size:,} · {name}: build failed: {build['error']}")
            out[name]["error"] = build["error"]
            continue
        log(f"{size:,} · {name}: {build['articles']:,} articles, {build['seconds']:.1f} s; queries")
        query = run_worker({"task": "query", "queries": str(query_file), **common}, logfile, 900)
        out[name]["query"] = query
        if "error" in query:
            log(f"{size:,} · {name}: queries failed: {query['error']}")
        log(f"{size:,} · {name}: add {corpus.INCREMENT}")
        out[name]["add"] = run_worker(
            {"task": "add", "articles": str(files[1]), **common}, logfile, 600
        )
        if name == "fouille" and not args.no_http:
            out[name]["http"] = http_step(args, index_dir, query_file, logs / f"serve-{size}.log")
        if not args.keep:
            shutil.rmtree(index_dir, ignore_errors=True)
    return out


def http_step(args: argparse.Namespace, index_dir: Path, query_file: Path, logfile: Path) -> Any:
    """An open `fouille serve` under `args.clients` concurrent clients."""
    log(f"HTTP: fouille serve, {args.clients} clients, {args.http_seconds:.0f} s")
    spec = json.loads(query_file.read_text(encoding="utf-8"))
    try:
        with Server(index_dir, logfile) as server:
            return run_load(
                server.base, spec["latency"], clients=args.clients,
                seconds=args.http_seconds, pid=server.pid, max_rss_mb=args.http_max_rss,
            )  # fmt: skip
    except Exception as exc:  # a missing web app must not lose the other figures
        log(f"HTTP failed: {exc}")
        return {"error": str(exc)}


def summary_lines(results: dict[int, dict[str, dict[str, Any]]]) -> list[str]:
    """Notes under the table: failures, empty pages, HTTP errors."""
    notes = []
    for size, per_system in sorted(results.items()):
        for name, res in per_system.items():
            for stage in ("build", "query", "add", "http"):
                step = res.get(stage)
                error = step.get("error") if isinstance(step, dict) else None
                if error:
                    notes.append(f"- {size:,} · {name} · {stage}: {error}")
            empty = res.get("query", {}).get("empty_pages")
            if empty:
                notes.append(f"- {size:,} · {name}: {empty} latency queries found nothing")
            http = res.get("http", {})
            if http.get("aborted"):
                notes.append(f"- {size:,} · {name} · HTTP aborted: {http['aborted']}")
            if http.get("errors"):
                notes.append(f"- {size:,} · {name} · HTTP: {http['errors']} errors "
                             f"({', '.join(http['error_kinds'])})")  # fmt: skip
    return notes


def run_snapshot(argv: list[str]) -> int:
    """Re-run this command without --snapshot in a `git archive HEAD` copy of the repo."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    target = Path(os.environ.get("TMPDIR", "/tmp")) / f"fouille-bench-snapshot-{commit}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    (target / ".commit").write_text(commit + "\n", encoding="ascii")
    log(f"snapshot of {commit} in {target}")
    env = {**os.environ, "FOUILLE_BENCH_OUT": str(OUT), "PYTHONPATH": str(target)}
    rest = [a for a in argv if a != "--snapshot"]
    command = [sys.executable, "-m", "bench.run", *rest]
    return subprocess.run(command, cwd=target, env=env).returncode


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--snapshot" in argv:
        return run_snapshot(argv)
    args = parse_args(argv)
    if args.render:
        return render(args)
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    logs = RESULTS / f"logs-{stamp}"
    logs.mkdir(parents=True, exist_ok=True)
    info = report.machine()
    info["fouille_writer"] = FouilleSystem.indexer_path()
    log(f"machine: {report.machine_line(info)}")
    query_file, files = prepare(args)
    results: dict[int, dict[str, dict[str, Any]]] = {}
    labels = {name: SYSTEMS[name].label for name in args.systems}
    partial = RESULTS / f"run-{stamp}.partial.json"
    for size in args.sizes:
        results[size] = bench_size(args, size, files[size], query_file, logs)
        # Each finished size is kept at once: a long run stopped later loses nothing before.
        partial.write_text(json.dumps({"machine": info, "results": results}), encoding="utf-8")
        log(f"{size:,} done:\n{report.table({size: results[size]}, labels)}")
    partial.unlink(missing_ok=True)
    info["loadavg_end"] = os.getloadavg()
    elapsed = (datetime.now(UTC) - started).total_seconds()
    raw = {"args": {k: str(v) for k, v in vars(args).items()}, "machine": info,
           "started": started.isoformat(), "minutes": elapsed / 60, "results": results}  # fmt: skip
    body = render_body(raw, labels)
    print(body)
    (RESULTS / f"run-{stamp}.json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    (RESULTS / "latest.md").write_text(body, encoding="utf-8")
    log(f"raw figures in {RESULTS / f'run-{stamp}.json'}")
    if args.save:
        write_benchmarks(body)
    return 0


def render_body(raw: dict[str, Any], labels: dict[str, str]) -> str:
    """The header, the table and the notes of a run."""
    info, args = raw["machine"], raw["args"]
    results = {int(size): per for size, per in raw["results"].items()}
    started = datetime.fromisoformat(raw["started"])
    header = (
        f"Fouille benchmark, {started:%Y-%m-%d %H:%M} UTC, {raw.get('minutes', 0):.0f} min; "
        f"{args['queries']} latency queries, {args['known']} known-item queries, "
        f"{args['clients']} HTTP clients for {float(args['http_seconds']):.0f} s.\n\n"
        f"Machine: {report.machine_line(info)} Load average {info['loadavg'][0]:.2f} at the "
        f"start, {info.get('loadavg_end', info['loadavg'])[0]:.2f} at the end. Fouille writes "
        f"through `{info['fouille_writer']}`."
    )
    notes = summary_lines(results)
    text = report.table(results, labels)
    return header + "\n\n" + text + ("\n\n" + "\n".join(notes) if notes else "") + "\n"


def render(args: argparse.Namespace) -> int:
    """Print (and with --save, keep) the table of a saved run."""
    runs = [json.loads(path.read_text(encoding="utf-8")) for path in args.render]
    raw = runs[0]
    for other in runs[1:]:
        raw["results"].update(other["results"])
        raw["minutes"] = raw.get("minutes", 0) + other.get("minutes", 0)
        raw["machine"]["loadavg_end"] = other["machine"].get("loadavg_end")
    names = [n for n in SYSTEMS if any(n in per for per in raw["results"].values())]
    body = render_body(raw, {name: SYSTEMS[name].label for name in names})
    print(body)
    if args.save:
        write_benchmarks(body)
    return 0


def write_benchmarks(body: str) -> None:
    """Replace the table section of BENCHMARKS.md, keeping the hand-written notes below it."""
    path = OUT / "BENCHMARKS.md"
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    block = f"{begin}\n{body}{end}"
    if path.is_file() and begin in (old := path.read_text(encoding="utf-8")) and end in old:
        head, _, rest = old.partition(begin)
        _, _, tail = rest.partition(end)
        path.write_text(head + block + tail, encoding="utf-8")
    else:
        path.write_text(
            "# Benchmarks\n\nWritten by `python -m bench.run --save`; see bench/README.md.\n\n"
            + block + "\n", encoding="utf-8",
        )  # fmt: skip
    log(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
