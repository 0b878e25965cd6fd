"""Precision on ambiguous French words, next to known-item quality and speed, for one or more
versions of the code in the same run: `python -m bench.precision [--baseline REV]`.

For each version (the work tree, and `--baseline REV` as `git archive` of that commit), in fresh
processes (`bench/precision_worker.py`, run against that version's `search` and `indexer`):
build an index of the 128 real feeds (2,563 articles) and one per size of the benchmark's
article pool (`bench.corpus`: OrangeSum first, so 36,152 is exactly OrangeSum), then ask:

- the ambiguity set (`bench/ambiguity.json`) on the feeds and on OrangeSum: precision@10, where
  an article is relevant iff it contains one of the query's forms as a word (title, summary or
  body; case aside, accents as written), and precision@10 = relevant articles among the first
  10 / min(10, relevant articles in the index) — plain P@10 whenever the index holds at least
  10 relevant articles (every OrangeSum query does), and no penalty for an index that holds
  fewer. Reported on the tuning half and the held-out half separately, with the share of the
  matched articles that hold the word (relevant articles / total, at most 1: what the
  collisions add to the count and the facets);
- the known-item queries of `bench.run` (same seed, same 300 queries): MRR@10 and hit@10;
- the latency queries of `bench.run`: engine time per result page (p50, p99), page built as
  the web page builds it (snippets, facets).

Prints one Markdown table; `--save` also writes it into BENCHMARKS.md (issue 12's section).
Raw figures go to bench/results/precision-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean
from typing import Any

from . import corpus, queries, report

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
AMBIGUITY = Path(__file__).resolve().parent / "ambiguity.json"
WORKER = Path(__file__).resolve().parent / "precision_worker.py"
MARKER = "PRECISION-RESULT "
FEEDS = "feeds"
DEFAULT_SIZES = (36_152, 100_000)
#: Sizes the ambiguity set is judged on besides the feeds: OrangeSum alone.
JUDGED_SIZES = (36_152,)
QUERY_POOL = 10_000
WARMUP = 30
DEPTH = 10
TARGETS = {"held-out": 0.90, "mrr": 0.92, "hit": 0.96}
SECTION_BEGIN = "<!-- precision:begin -->"
SECTION_END = "<!-- precision:end -->"
_WORD_RE = re.compile(r"[^\W_]+")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.precision", description=__doc__)
    parser.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="REV",
        help="also measure this commit (git archive of it); repeatable",
    )
    parser.add_argument(
        "--no-current", action="store_true", help="measure only the --baseline commits"
    )
    parser.add_argument("--sizes", help="comma-separated pool sizes (default 36152,100000)")
    parser.add_argument("--known", type=int, default=300, help="known-item queries (300)")
    parser.add_argument("--queries", type=int, default=300, help="latency queries (300)")
    corpus.add_place_arguments(
        parser,
        name="precision",
        holds="indexes, article files and code snapshots (outside the repo)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="reuse indexes built by an earlier run of a commit"
    )
    parser.add_argument(
        "--details", action="store_true", help="print each tuning query's precision"
    )
    parser.add_argument("--save", action="store_true", help="write the table to BENCHMARKS.md")
    args = parser.parse_args(argv)
    sizes = args.sizes.split(",") if args.sizes else [str(s) for s in DEFAULT_SIZES]
    args.sizes = [int(s.replace("_", "")) for s in sizes if s]
    return args


# -- the articles and what is relevant ------------------------------------------------------------


def feed_records(source: Path) -> list[corpus.Record]:
    """Every article of the 128 feeds, through the indexer's parser (first copy of an id)."""
    from indexer.feeds import parse_feed

    seen: dict[str, corpus.Record] = {}
    for path in sorted((source / "feeds").rglob("*.xml")):
        try:
            feed = parse_feed(path.read_bytes(), url=f"file://{path}")
        except Exception:  # an HTML page or a broken file: skipped, as reindex reports it
            continue
        for art in feed.articles:
            if art.id in seen:
                continue
            seen[art.id] = {
                "id": art.id,
                "canon": art.id,
                "url": art.url,
                "title": art.title,
                "published": art.published.isoformat(),
                "body": art.body,
                "summary": art.summary,
                "tags": list(art.tags),
                "feed_url": art.feed_url,
                "feed_title": art.feed_title,
            }
    return list(seen.values())


def words_of(rec: corpus.Record) -> set[str]:
    """The words of an article's title, summary and body: lower case, accents as written."""
    text = unicodedata.normalize("NFC", f"{rec['title']}\n{rec['summary']}\n{rec['body']}")
    return {w.lower() for w in _WORD_RE.findall(text)}


def judge(records: list[corpus.Record], items: list[dict[str, Any]]) -> list[set[str]]:
    """For each ambiguity query, the ids of the articles that contain one of its forms."""
    forms = [{unicodedata.normalize("NFC", f).lower() for f in it["forms"]} for it in items]
    relevant: list[set[str]] = [set() for _ in items]
    for rec in records:
        words = words_of(rec)
        for i, wanted in enumerate(forms):
            if words & wanted:
                relevant[i].add(rec["id"])
    return relevant


def precision_at(ranked: list[str], relevant: set[str], depth: int = DEPTH) -> float | None:
    """Relevant among the first `depth` / min(depth, relevant in the index); None if none."""
    if not relevant:
        return None
    found = sum(1 for ident in ranked[:depth] if ident in relevant)
    return found / min(depth, len(relevant))


# -- versions of the code -------------------------------------------------------------------------


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()


def versions(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """(label, code directory) of each version to measure."""
    out = []
    for rev in args.baseline:
        commit = git("rev-parse", "--short", rev)
        target = args.workdir / "code" / commit
        if not (target / "search").is_dir():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            archive = subprocess.run(
                ["git", "archive", commit], cwd=REPO, capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
        out.append((commit, target))
    if not args.no_current:
        head = git("rev-parse", "--short", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
        out.append((f"{head}+work tree" if dirty else head, REPO))
    return out


def run_worker(code: Path, task: dict[str, Any], logfile: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    with logfile.open("ab") as err:
        err.write(f"\n=== {json.dumps(task)[:300]}\n".encode())
        err.flush()
        proc = subprocess.run(
            [sys.executable, str(WORKER), json.dumps(task)],
            cwd=code,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
        )
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith(MARKER):
            result: dict[str, Any] = json.loads(line[len(MARKER) :])
            return result
    raise SystemExit(f"bench: worker failed (exit {proc.returncode}); see {logfile}")


# -- the run --------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    source = corpus.find_corpus(args.corpus)
    data = args.workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    logfile = RESULTS / f"precision-{started.strftime('%Y%m%dT%H%M%SZ')}.log"
    spec = json.loads(AMBIGUITY.read_text(encoding="utf-8"))
    items: list[dict[str, Any]] = spec["queries"]

    log("loading articles")
    files: dict[str, Path] = {}
    judged: dict[str, list[set[str]]] = {}
    feeds = feed_records(source)
    files[FEEDS] = data / "feeds.jsonl"
    corpus.write_records(files[FEEDS], feeds)
    judged[FEEDS] = judge(feeds, items)
    pool = corpus.pool(source, args.workdir / "cache", max(args.sizes))
    for size in args.sizes:
        files[str(size)] = data / f"articles-{size}.jsonl"
        corpus.write_records(files[str(size)], pool[:size])
        if size in JUDGED_SIZES:
            judged[str(size)] = judge(pool[:size], items)
    base = pool[: min(QUERY_POOL, *args.sizes)]
    shorts = queries.latency_queries(base, args.queries + WARMUP)
    known = queries.known_items(base, args.known)
    log(f"{len(feeds):,} feed articles; {len(items)} ambiguity, {len(known)} known-item and "
        f"{len(shorts) - WARMUP} latency queries")  # fmt: skip
    del pool

    raw: dict[str, Any] = {"started": started.isoformat(), "versions": {}}
    for label, code in versions(args):
        per: dict[str, Any] = {}
        for name, path in files.items():
            index_dir = args.workdir / "indexes" / label.split("+")[0] / name
            if label.endswith("work tree") or not (args.reuse and index_dir.is_dir()):
                shutil.rmtree(index_dir, ignore_errors=True)
                log(f"{label} · {name}: build")
                built = run_worker(
                    code,
                    {"task": "build", "articles": str(path), "index_dir": str(index_dir)},
                    logfile,
                )
            else:
                built = {"seconds": None}
            task: dict[str, Any] = {"task": "search", "index_dir": str(index_dir)}
            if name in judged:
                task["ambiguity"] = [it["query"] for it in items]
            if name != FEEDS:
                task["warmup"] = shorts[:WARMUP]
                task["latency"] = shorts[WARMUP:]
                task["known"] = [k.query for k in known]
            log(f"{label} · {name}: queries")
            found = run_worker(code, task, logfile)
            per[name] = {"build_seconds": built["seconds"], **found}
        raw["versions"][label] = per
    raw["items"] = items
    raw["known_targets"] = [k.target for k in known]
    raw["relevant"] = {name: [sorted(r) for r in rel] for name, rel in judged.items()}
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"precision-{stamp}.json").write_text(json.dumps(raw), encoding="utf-8")

    rows = figures(raw, judged, args.sizes)
    table = render(raw, rows, args.sizes, started)
    print(table)
    if args.details:
        print(details(raw, judged))
    if args.save:
        write_benchmarks(table)
    return 0


def figures(
    raw: dict[str, Any], judged: dict[str, list[set[str]]], sizes: list[int]
) -> dict[str, dict[str, float]]:
    """label → figure name → value."""
    items = raw["items"]
    targets = raw["known_targets"]
    out: dict[str, dict[str, float]] = {}
    for label, per in raw["versions"].items():
        row: dict[str, float] = {}
        for half in ("tuning", "held-out"):
            every: list[float] = []
            for name, relevant in judged.items():
                ranked = per[name]["ambiguity"]["ranked"]
                values = [
                    p
                    for it, ids, rel in zip(items, ranked, relevant, strict=True)
                    if it["half"] == half and (p := precision_at(ids, rel)) is not None
                ]
                row[f"p10 {half} {name}"] = mean(values)
                every.extend(values)
                totals = per[name]["ambiguity"].get("totals")
                if totals:
                    shares = [
                        min(1.0, len(rel) / total) if total else 0.0
                        for it, rel, total in zip(items, relevant, totals, strict=True)
                        if it["half"] == half and rel
                    ]
                    row[f"share {half} {name}"] = mean(shares)
            row[f"p10 {half}"] = mean(every)
        for size in sizes:
            found = per[str(size)]
            ranks = [
                queries.reciprocal_rank([queries.canonical(i) for i in ids], target)
                for ids, target in zip(found["known"]["ranked"], targets, strict=True)
            ]
            row[f"mrr {size}"] = mean(ranks)
            row[f"hit {size}"] = sum(r > 0 for r in ranks) / len(ranks)
            ms = found["latency"]["ms"]
            row[f"p50 {size}"] = percentile(ms, 0.5)
            row[f"p99 {size}"] = percentile(ms, 0.99)
        out[label] = row
    return out


def render(
    raw: dict[str, Any],
    rows: dict[str, dict[str, float]],
    sizes: list[int],
    started: datetime,
) -> str:
    labels = list(rows)
    minutes = (datetime.now(UTC) - started).total_seconds() / 60
    info = report.machine()
    n_tuning = sum(it["half"] == "tuning" for it in raw["items"])
    n_held = len(raw["items"]) - n_tuning
    lines = [
        f"Precision benchmark (`python -m bench.precision`), {started:%Y-%m-%d %H:%M} UTC, "
        f"{minutes:.0f} min; {n_tuning} tuning and {n_held} held-out ambiguity queries on the "
        f"128 feeds and OrangeSum, {len(raw['known_targets'])} known-item queries. "
        f"Machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores; "
        f"load average {os.getloadavg()[0]:.2f} at the end.",
        "",
        "| figure | " + " | ".join(labels) + " | target |",
        "|---|" + "---|" * len(labels) + "---|",
    ]

    def line(name: str, key: str, fmt: str, target: str = "") -> None:
        values = [
            format(rows[label][key], fmt) if key in rows[label] else "n/a" for label in labels
        ]
        lines.append(f"| {name} | " + " | ".join(values) + f" | {target} |")

    for half in ("tuning", "held-out"):
        target = f"≥ {TARGETS['held-out']:.2f}" if half == "held-out" else ""
        line(f"ambiguity precision@10, {half} half", f"p10 {half}", ".3f", target)
        line(f"— on the 128 feeds ({half})", f"p10 {half} {FEEDS}", ".3f")
        for size in JUDGED_SIZES:
            if size in sizes:
                line(f"— on OrangeSum ({half})", f"p10 {half} {size}", ".3f")
    for half in ("tuning", "held-out"):
        line(f"matched articles that hold the word, feeds ({half})", f"share {half} {FEEDS}", ".3f")
        for size in JUDGED_SIZES:
            if size in sizes:
                line(
                    f"matched articles that hold the word, OrangeSum ({half})",
                    f"share {half} {size}",
                    ".3f",
                )
    for size in sizes:
        line(f"known-item MRR@10, {size:,}", f"mrr {size}", ".3f", f"≥ {TARGETS['mrr']:.2f}")
        line(f"known-item hit@10, {size:,}", f"hit {size}", ".3f", f"≥ {TARGETS['hit']:.2f}")
    for size in sizes:
        line(f"engine p50 per result page, {size:,}, ms", f"p50 {size}", ".2f")
        line(f"engine p99 per result page, {size:,}, ms", f"p99 {size}", ".2f")
    return "\n".join(lines)


def details(raw: dict[str, Any], judged: dict[str, list[set[str]]]) -> str:
    """Each tuning query's precision@10 per version and corpus (held-out ones stay hidden)."""
    out = ["", "| tuning query | corpus | relevant | " + " | ".join(raw["versions"]) + " |"]
    out.append("|---|---|---|" + "---|" * len(raw["versions"]))
    for i, it in enumerate(raw["items"]):
        if it["half"] != "tuning":
            continue
        for name, relevant in judged.items():
            cells = []
            for per in raw["versions"].values():
                p = precision_at(per[name]["ambiguity"]["ranked"][i], relevant[i])
                cells.append("" if p is None else f"{p:.1f}")
            out.append(
                f"| {it['query']} | {name} | {len(relevant[i])} | " + " | ".join(cells) + " |"
            )
    return "\n".join(out)


def write_benchmarks(table: str) -> None:
    path = REPO / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8")
    block = f"{SECTION_BEGIN}\n{table}\n{SECTION_END}"
    if SECTION_BEGIN in text and SECTION_END in text:
        head, rest = text.split(SECTION_BEGIN, 1)
        _, tail = rest.split(SECTION_END, 1)
        text = head + block + tail
    else:
        text = (
            text.rstrip("\n") + "\n\n## Issue 12: precision on ambiguous words\n\n" + block + "\n"
        )
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
