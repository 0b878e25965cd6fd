"""The benchmark's articles, read in place from the shared corpus.

The article pool is ordered and nested, so that every size is a prefix of the larger ones:
OrangeSum (36,152 articles, by numeric id), then the Le Monde 2022 feed archive (about 31k unique
items by guid, by date), then OrangeSum again under new ids (`<id>~r<k>`) for as long as needed.
A repeat keeps its original id as `canon`, so quality scoring treats it as the same article.

Records are plain dicts (JSON lines on disk) with the keys of `search.Article` plus `canon`:
id, canon, url, title, published (ISO 8601, UTC), body, summary, tags, feed_url, feed_title.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import re
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Record = dict[str, Any]

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
ORANGESUM = "articles/orangesum.jsonl.xz"
LEMONDE = "feeds-archive/lemonde-rss-2022.tar.xz"
INCREMENT = 100  # articles added to a full index by the incremental step
LEMONDE_CACHE_VERSION = 2


def find_corpus(explicit: str | None = None) -> Path:
    """The shared corpus directory: `explicit`, else ../shared/corpus beside the repo, else
    /work/shared/corpus."""
    for candidate in (explicit, CORPUS, "/work/shared/corpus"):
        if candidate and (Path(candidate) / ORANGESUM).is_file():
            return Path(candidate)
    raise SystemExit(f"bench: corpus not found (looked for {ORANGESUM} under {CORPUS})")


def add_place_arguments(parser: argparse.ArgumentParser, *, name: str, holds: str) -> None:
    """`--workdir` (default $TMPDIR/fouille-<name>-<uid>, outside the repo; `holds` says
    what goes there) and `--corpus`, which every benchmark run over the corpus takes."""
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(os.environ.get("TMPDIR", "/tmp")) / f"fouille-{name}-{os.getuid()}",
        help=holds,
    )
    parser.add_argument("--corpus", help="the shared corpus directory (found by default)")


def load_orangesum(corpus: Path) -> list[Record]:
    """All OrangeSum articles, in the file's order (numeric id)."""
    records: list[Record] = []
    with lzma.open(corpus / ORANGESUM, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            ident = f"orangesum-{row['id']}"
            records.append(
                {
                    "id": ident,
                    "canon": ident,
                    "url": f"https://actu.orange.fr/orangesum/{row['id']}.html",
                    "title": row.get("title") or "",
                    "published": f"{row['date']}T12:00:00+00:00",
                    "body": row.get("article") or "",
                    "summary": row.get("heading") or "",
                    "tags": [],
                    "feed_url": "https://actu.orange.fr/",
                    "feed_title": "Orange Actu",
                }
            )
    return records


def _rubrique(url: str) -> str:
    """Le Monde's section, the first path segment of the article URL (kept as the feed's tag)."""
    parts = url.split("/")
    return parts[3] if len(parts) > 4 and parts[3] else ""


def _feed_links(data: bytes, fallback: str) -> str:
    match = re.search(rb"<link>([^<]+)</link>", data)
    return match.group(1).decode("utf-8", "replace").strip() if match else fallback


def parse_lemonde(corpus: Path) -> list[Record]:
    """Every unique item (by guid) of the Le Monde archive, by date.

    Each feed file goes through the indexer's own parser (`indexer.feeds.parse_feed`, the code
    `fouille reindex` runs on a feed); the item's section (from its URL) becomes its tag, as a
    per-feed tag of the config would.
    """
    from indexer.feeds import parse_feed  # only needed on a cold cache

    seen: dict[str, Record] = {}
    with tarfile.open(corpus / LEMONDE) as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".xml"):
                continue
            fh = tar.extractfile(member)
            data = fh.read() if fh else b""
            if not data.strip():
                continue
            feed_url = _feed_links(data, "lemonde:" + member.name.rsplit("/", 1)[-1])
            try:
                feed = parse_feed(data, url=feed_url)
            except Exception:  # a broken file of the archive: skipped, as reindex reports it
                continue
            for art in feed.articles:
                if art.id in seen:
                    continue
                rubrique = _rubrique(art.url)
                seen[art.id] = {
                    "id": art.id,
                    "canon": art.id,
                    "url": art.url,
                    "title": art.title,
                    "published": art.published.astimezone(UTC).isoformat(),
                    "body": art.body,
                    "summary": art.summary,
                    "tags": sorted({*art.tags, *([rubrique] if rubrique else [])}),
                    "feed_url": art.feed_url,
                    "feed_title": art.feed_title,
                }
    return sorted(seen.values(), key=lambda r: (r["published"], r["id"]))


def load_lemonde(corpus: Path, cache_dir: Path) -> list[Record]:
    """The Le Monde items, from a JSON-lines cache in `cache_dir` (built on first use, ~40 s)."""
    cache = cache_dir / f"lemonde-v{LEMONDE_CACHE_VERSION}.jsonl"
    if cache.is_file():
        return list(read_records(cache))
    records = parse_lemonde(corpus)
    cache_dir.mkdir(parents=True, exist_ok=True)
    write_records(cache.with_suffix(".tmp"), records)
    cache.with_suffix(".tmp").replace(cache)
    return records


def pool(corpus: Path, cache_dir: Path, needed: int) -> list[Record]:
    """The first `needed` records of the ordered pool (see the module docstring)."""
    base = load_orangesum(corpus)
    if needed > len(base):
        base += load_lemonde(corpus, cache_dir)
    originals = [r for r in base if r["id"].startswith("orangesum-")]
    out = base[:needed]
    round_ = 1
    while len(out) < needed:
        for rec in originals:
            if len(out) >= needed:
                break
            out.append({**rec, "id": f"{rec['id']}~r{round_}", "url": f"{rec['url']}#r{round_}"})
        round_ += 1
    return out


def write_records(path: Path, records: list[Record]) -> None:
    """Write records as JSON lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False))
            fh.write("\n")


def read_records(path: Path, limit: int | None = None) -> Iterator[Record]:
    """Stream records from a JSON-lines file (so a build never holds the corpus in memory)."""
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if limit is not None and n >= limit:
                return
            yield json.loads(line)


def published(rec: Record) -> datetime:
    """The record's publication time, timezone-aware."""
    return datetime.fromisoformat(rec["published"])


def month(rec: Record) -> str:
    """YYYY-MM of the publication date (the month facet)."""
    return rec["published"][:7]
