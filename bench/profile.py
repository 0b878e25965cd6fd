"""Where Fouille's time goes: `python -m bench.profile build|query [--size N]`.

`build` profiles indexing N articles through the indexer's helper; `query` profiles the
benchmark's latency queries (page 1, snippets and facets) on an index of N articles, built
first unless `--index` points at one; `web` profiles the same queries as `/search` result
pages through the Flask app (test client: views, engine and templates, no sockets).
Prints the top functions by own time and by cumulative time, and saves the raw cProfile
data in bench/results/ (open it with `python -m pstats`).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import shutil
import sys
import time
from pathlib import Path

from . import corpus, queries
from .corpus import read_records
from .run import RESULTS, WARMUP
from .systems import FouilleSystem


def report(profile: cProfile.Profile, title: str, out: Path, top: int) -> None:
    """Print and save the profile's top functions."""
    out.parent.mkdir(parents=True, exist_ok=True)
    profile.dump_stats(str(out))
    buffer = io.StringIO()
    stats = pstats.Stats(profile, stream=buffer).strip_dirs()
    for key in ("tottime", "cumulative"):
        buffer.write(f"\n===== {title}: top {top} by {key}\n")
        stats.sort_stats(key).print_stats(top)
    text = buffer.getvalue()
    out.with_suffix(".txt").write_text(text, encoding="utf-8")
    print(text)
    print(f"saved {out} and {out.with_suffix('.txt')}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("what", choices=("build", "query", "web"))
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--index", type=Path, help="an existing Fouille index (query only)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/fouille-bench-profile"))
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args(argv)

    records = corpus.pool(corpus.find_corpus(), args.workdir / "cache", args.size)
    articles = args.workdir / f"articles-{args.size}.jsonl"
    corpus.write_records(articles, records)
    system = FouilleSystem()
    index_dir = args.index or args.workdir / f"fouille-{args.size}"
    stamp = time.strftime("%Y%m%dT%H%M%S")

    if args.what == "build" or not (index_dir / "CURRENT").exists():
        shutil.rmtree(index_dir, ignore_errors=True)
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        count = system.build(index_dir, read_records(articles))
        profile.disable()
        seconds = time.perf_counter() - start
        print(f"build: {count} articles in {seconds:.1f} s ({count / seconds:.0f}/s, profiled)")
        if args.what == "build":
            report(profile, f"build {args.size}", RESULTS / f"profile-build-{stamp}.prof", args.top)
            return 0

    short = queries.latency_queries(records[: min(args.size, 10_000)], args.queries + WARMUP)
    if args.what == "web":
        return profile_web(index_dir, short, args)
    searcher = system.open(index_dir)
    for query in short[:WARMUP]:
        searcher.page(query)
    profile = cProfile.Profile()
    slow: list[tuple[float, str]] = []
    start = time.perf_counter()
    for query in short[WARMUP:]:
        t0 = time.perf_counter()
        profile.enable()
        searcher.page(query)
        profile.disable()
        slow.append(((time.perf_counter() - t0) * 1000, query))
    seconds = time.perf_counter() - start
    searcher.close()
    slow.sort(reverse=True)
    print(f"queries: {len(slow)} in {seconds:.2f} s (profiled); slowest: {json.dumps(slow[:10])}")
    report(profile, f"query {args.size}", RESULTS / f"profile-query-{stamp}.prof", args.top)
    return 0


def profile_web(index_dir: Path, short: list[str], args: argparse.Namespace) -> int:
    """Profile `/search?q=…` through the Flask test client, one thread."""
    from search import Settings
    from web import create_app

    client = create_app(Settings(index_dir=index_dir)).test_client()
    for query in short[:WARMUP]:
        client.get("/search", query_string={"q": query})
    profile = cProfile.Profile()
    times: list[float] = []
    for query in short[WARMUP:]:
        t0 = time.perf_counter()
        profile.enable()
        response = client.get("/search", query_string={"q": query})
        profile.disable()
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (query, response.status_code)
    times.sort()
    print(f"web: {len(times)} pages, median {times[len(times) // 2]:.1f} ms (profiled)")
    report(profile, f"web {args.size}", RESULTS / f"profile-web-{time.strftime('%H%M%S')}.prof",
           args.top)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
