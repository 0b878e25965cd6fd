"""One step of `python -m bench.precision`, in its own process, against one version of the code.

Run as a script (`python bench/precision_worker.py '<json task>'`) with `PYTHONPATH` set to the
code under test, so that `search` and `indexer` are that version's: this file imports nothing
of `bench` and only the public API of `search` (`Engine`, `Settings`, `Article`), which every
version measured shares. The result is printed as one line, `PRECISION-RESULT <json>`.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

MARKER = "PRECISION-RESULT "


def records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def articles(path: Path) -> Iterator[Any]:
    from search import Article

    for rec in records(path):
        yield Article(
            id=rec["id"],
            url=rec["url"],
            title=rec["title"],
            published=datetime.fromisoformat(rec["published"]),
            body=rec["body"],
            summary=rec["summary"],
            tags=tuple(rec["tags"]),
            feed_url=rec["feed_url"],
            feed_title=rec["feed_title"],
        )


def build(task: dict[str, Any]) -> dict[str, Any]:
    """A new index from a JSON-lines file, through the code `fouille reindex` runs."""
    from search import Engine, Settings

    started = time.perf_counter()
    with Engine.open(Settings(index_dir=Path(task["index_dir"])), create=True) as engine:
        try:
            from indexer.build import index_articles
        except ImportError:  # a version without the indexer's helper
            with engine.writer() as writer:
                for article in articles(Path(task["articles"])):
                    writer.upsert(article)
        else:
            index_articles(engine, articles(Path(task["articles"])))
    return {"seconds": time.perf_counter() - started}


def search(task: dict[str, Any]) -> dict[str, Any]:
    """The first page of each query (ids in rank order) and its total, built as the web
    page builds it (snippets and facets included), and the time each page took."""
    from search import Engine, Settings

    out: dict[str, Any] = {}
    with Engine.open(Settings(index_dir=Path(task["index_dir"]))) as engine:
        totals: list[int] = []

        def page(query: str) -> list[str]:
            result = engine.search(query, page=1, page_size=10)
            for hit in result.hits:
                hit.title_snippet.html()
                hit.snippet.html()
            _ = (result.total, result.facets.tags, result.facets.months)
            totals.append(result.total)
            return [hit.id for hit in result.hits]

        for query in task.get("warmup", []):
            page(query)
        gc.collect()
        for name in ("ambiguity", "known", "latency"):
            ranked, ms = [], []
            totals.clear()
            for query in task.get(name, []):
                t0 = time.perf_counter()
                ranked.append(page(query))
                ms.append((time.perf_counter() - t0) * 1000.0)
            out[name] = {"ranked": ranked, "ms": ms, "totals": list(totals)}
    return out


TASKS = {"build": build, "search": search}


def main(argv: list[str]) -> int:
    task = json.loads(argv[1])
    result = TASKS[task["task"]](task)
    sys.stdout.write(MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
