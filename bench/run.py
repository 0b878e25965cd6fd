"""The benchmark, one command: `python -m bench.run [--quick] [--sizes 10000,36152,100000]
[--queries N] [--http-seconds S] [--workers N]`.

For each size and each system (Fouille, tantivy, SQLite FTS5, plain Whoosh), in fresh
processes: build the index from the same articles, open it and answer one query, run the same
latency queries twice and the known-item queries, add 100 articles; for Fouille, load a real
`fouille serve --workers N` with wrk, next to a trivial Flask page on the same server stack,
then rebuild the index (`reindex --rebuild`). Prints one Markdown table; keeps the raw figures
in bench/results/. See bench/README.md for what each figure means.
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
from .http_load import Server, ceiling_command, fouille_command, load, write_requests
from .systems import SYSTEMS, FouilleSystem
from .worker import MARKER

REPO = Path(__file__).resolve().parent.parent
# A --snapshot run executes in a copy of HEAD but writes its results into the original repo.
OUT = Path(os.environ.get("FOUILLE_BENCH_OUT", REPO))
RESULTS = OUT / "bench" / "results"
DEFAULT_SIZES = (10_000, 36_152, 100_000)
DEFAULT_SYSTEMS = "fouille,tantivy,fts5,whoosh"
QUERY_POOL = 10_000  # queries come from the first articles: the same for any choice of sizes
WARMUP = 30
#: Distinct queries wrk cycles through: more than a server answers in a run (500 req/s × 20 s).
HTTP_QUERIES = 20_000
#: The fetch benchmark's result (`bench/fetch.py`, issue 11), shown under the table if present.
FETCH_RESULT = RESULTS / "fetch.json"
LABELS = {**{name: cls.label for name, cls in SYSTEMS.items()},
          "ceiling": "Flask ceiling"}  # fmt: skip


def log(message: str) -> None:
    """Progress on standard error, timestamped."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_worker(task: dict[str, Any], logfile: Path, timeout: float) -> dict[str, Any]:
    """Run one step in a fresh `python -m bench.worker` process; its result, or {"error": …}."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with logfile.open("ab") as err:
        err.write(f"\n=== {json.dumps(task)}\n".encode())
        err.flush()
        task = {**task, "spawned_at": time.time()}  # for the startup figure
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
    parser.add_argument(
        "--clients",
        "--connections",
        dest="clients",
        type=int,
        default=8,
        help="wrk's open connections, -c (8)",
    )
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk's threads, -t (2)")
    parser.add_argument("--http-seconds", type=float, help="wrk's duration, -d (default 20)")
    parser.add_argument(
        "--http-queries",
        type=int,
        help=f"distinct queries wrk cycles through (default {HTTP_QUERIES:,}; --quick 5,000)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="server processes of `fouille serve` and of the ceiling page (default: cores)",
    )
    parser.add_argument(
        "--systems",
        default=DEFAULT_SYSTEMS,
        help=f"which systems, comma-separated ({DEFAULT_SYSTEMS})",
    )
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP load")
    parser.add_argument("--no-rebuild", action="store_true", help="skip `reindex --rebuild`")
    parser.add_argument(
        "--http-max-rss",
        type=float,
        default=6000,
        help="stop the server past this memory (PSS over its processes) in MB (6000; 0: no cap)",
    )
    parser.add_argument(
        "--fetch-result",
        type=Path,
        help="the fetch benchmark's result file, shown under the table if present "
        "(default bench/results/fetch.json; with --render, only when given)",
    )
    corpus.add_place_arguments(
        parser, name="bench", holds="where indexes and article files go (outside the repo)"
    )
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
    args.http_queries = args.http_queries or (5_000 if args.quick else HTTP_QUERIES)
    args.systems = [s for s in args.systems.split(",") if s]
    unknown = set(args.systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    return args


def prepare(args: argparse.Namespace) -> tuple[Path, dict[int, tuple[Path, Path]]]:
    """Write the article files of every size and the query files; their paths.

    Beside `queries.json`: `http-warmup.txt` and `http-queries.txt`, the URL-encoded query
    strings wrk cycles through (`bench/cycle.lua`), none of them among the engine's queries.
    """
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
    if not args.no_http:
        http = queries.latency_queries(base, args.http_queries + WARMUP, seed=11, exclude=shorts)
        write_requests(data / "http-warmup.txt", http[:WARMUP])
        write_requests(data / "http-queries.txt", http[WARMUP:])
    log(f"{len(spec['latency'])} latency queries, {len(known)} known-item queries from the first "
        f"{len(base):,} articles; article files in {data}")  # fmt: skip
    return query_file, files


def bench_size(
    args: argparse.Namespace, size: int, files: tuple[Path, Path], query_file: Path, logs: Path
) -> dict[str, dict[str, Any]]:
    """Every step of every system at one size."""
    out: dict[str, dict[str, Any]] = {name: {} for name in args.systems}
    timeout = max(600.0, size / 20)
    spec = json.loads(query_file.read_text(encoding="utf-8"))
    for name in args.systems:
        system = SYSTEMS[name]
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
        log(f"{size:,} · {name}: {build['articles']:,} articles, {build['seconds']:.1f} s")
        if system.searchable:
            log(f"{size:,} · {name}: startup, then queries")
            out[name]["startup"] = run_worker(
                {"task": "startup", "query": spec["latency"][0], **common}, logfile, 300
            )
            out[name]["query"] = run_worker(
                {"task": "query", "queries": str(query_file), **common}, logfile, 900
            )
        log(f"{size:,} · {name}: add {corpus.INCREMENT}")
        out[name]["add"] = run_worker(
            {"task": "add", "articles": str(files[1]), **common}, logfile, 600
        )
        if name == "fouille" and not args.no_http:
            data = files[0].parent
            out[name]["http"] = http_step(args, fouille_command(index_dir, args.workers),
                                          "/search", data, logs / f"serve-{size}.log")  # fmt: skip
            out["ceiling"] = {
                "http": http_step(
                    args, ceiling_command(args.workers), "/", data, logs / f"ceiling-{size}.log"
                )
            }
        if name == "fouille" and not args.no_rebuild:
            log(f"{size:,} · {name}: reindex --rebuild")
            out[name]["rebuild"] = run_worker({"task": "rebuild", **common}, logfile, timeout)
        for step in ("startup", "query", "add", "rebuild"):
            error = out[name].get(step, {}).get("error")
            if error:
                log(f"{size:,} · {name}: {step} failed: {error}")
        if not args.keep:
            shutil.rmtree(index_dir, ignore_errors=True)
    return out


def http_step(
    args: argparse.Namespace, command: list[str], path: str, data: Path, logfile: Path
) -> dict[str, Any]:
    """wrk against a server started with `command`, after a short warm-up."""
    what = "fouille serve" if path == "/search" else "ceiling page"
    log(f"HTTP: {what}, {args.workers} workers; wrk -t{args.wrk_threads} -c{args.clients} "
        f"-d{args.http_seconds:.0f}s")  # fmt: skip
    try:
        with Server(command, logfile) as server:
            result = load(
                server, path=path, warmup=data / "http-warmup.txt",
                requests=data / "http-queries.txt", request_count=args.http_queries,
                threads=args.wrk_threads, connections=args.clients, seconds=args.http_seconds,
                max_pss_mb=args.http_max_rss,
            )  # fmt: skip
    except Exception as exc:  # a failing server must not lose the other figures
        log(f"HTTP failed: {exc}")
        return {"error": str(exc)}
    result["workers"] = args.workers
    log(f"HTTP: {result['rps']:,.0f} requests/s, p99 {result['p99_ms']:.1f} ms")
    return result


def summary_lines(results: dict[int, dict[str, dict[str, Any]]]) -> list[str]:
    """Notes under the table: failures, empty pages, HTTP errors."""
    notes = []
    for size, per_system in sorted(results.items()):
        for name, res in per_system.items():
            for stage in ("build", "startup", "query", "add", "rebuild", "http"):
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
            if http.get("error_count"):
                kinds = ", ".join(f"{k} {v}" for k, v in http["errors"].items() if v)
                notes.append(f"- {size:,} · {name} · HTTP: {http['error_count']} errors "
                             f"({kinds}; `status` counts answers other than 2xx/3xx)")  # fmt: skip
            if http.get("repeated") and name != "ceiling":  # its page is the same for all
                notes.append(f"- {size:,} · {name} · HTTP: a wrk thread went through its share "
                             f"of the {http['distinct_requests']:,} distinct queries and "
                             "repeated some: raise --http-queries")  # fmt: skip
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
    names = [*args.systems, *([] if args.no_http or "fouille" not in args.systems else ["ceiling"])]
    labels = {name: LABELS[name] for name in names}
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
           "started": started.isoformat(), "minutes": elapsed / 60, "results": results,
           "fetch": read_fetch(args.fetch_result or FETCH_RESULT)}  # fmt: skip
    body = render_body(raw, labels)
    print(body)
    (RESULTS / f"run-{stamp}.json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    (RESULTS / "latest.md").write_text(body, encoding="utf-8")
    log(f"raw figures in {RESULTS / f'run-{stamp}.json'}")
    if args.save:
        write_benchmarks(body)
    return 0


def read_fetch(path: Path) -> dict[str, Any] | None:
    """The fetch benchmark's result (a JSON object), with where and when it was measured."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        measured = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {**data, "file": str(path), "measured": f"{measured:%Y-%m-%d %H:%M}"}


def http_line(args: dict[str, Any]) -> str:
    """How the HTTP load was made, in one sentence (runs before wrk said less)."""
    if args.get("no_http") == "True":
        return "No HTTP load."
    if "wrk_threads" not in args:
        return f"{args['clients']} HTTP clients for {float(args['http_seconds']):.0f} s."
    seconds = float(args["http_seconds"])
    return (
        f"HTTP: wrk -t{args['wrk_threads']} -c{args['clients']} -d{seconds:.0f}s "
        f"over {int(args['http_queries']):,} distinct queries, {args['workers']} server workers."
    )


def render_body(raw: dict[str, Any], labels: dict[str, str]) -> str:
    """The header, the table and the notes of a run."""
    info, args = raw["machine"], raw["args"]
    results = {int(size): per for size, per in raw["results"].items()}
    started = datetime.fromisoformat(raw["started"])
    header = (
        f"Fouille benchmark, {started:%Y-%m-%d %H:%M} UTC, {raw.get('minutes', 0):.0f} min; "
        f"{args['queries']} latency queries, {args['known']} known-item queries. "
        f"{http_line(args)}\n\n"
        f"Machine: {report.machine_line(info)} Load average {info['loadavg'][0]:.2f} at the "
        f"start, {info.get('loadavg_end', info['loadavg'])[0]:.2f} at the end. Fouille writes "
        f"through `{info['fouille_writer']}`."
    )
    notes = summary_lines(results)
    text = report.table(results, labels)
    body = header + "\n\n" + text + ("\n\n" + "\n".join(notes) if notes else "") + "\n"
    fetch = raw.get("fetch")
    if fetch:
        body += (f"\nFetch benchmark (`bench/fetch.py`), read from `{fetch['file']}`, measured "
                 f"{fetch['measured']} UTC:\n\n{report.fetch_table(fetch)}\n")  # fmt: skip
    return body


def render(args: argparse.Namespace) -> int:
    """Print (and with --save, keep) the table of a saved run."""
    runs = [json.loads(path.read_text(encoding="utf-8")) for path in args.render]
    raw = runs[0]
    for other in runs[1:]:
        raw["results"].update(other["results"])
        raw["minutes"] = raw.get("minutes", 0) + other.get("minutes", 0)
        raw["machine"]["loadavg_end"] = other["machine"].get("loadavg_end")
    if args.fetch_result:
        raw["fetch"] = read_fetch(args.fetch_result)
    names = [n for n in LABELS if any(n in per for per in raw["results"].values())]
    body = render_body(raw, {name: LABELS[name] for name in names})
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
