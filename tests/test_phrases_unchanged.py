"""Phrase queries find exactly what Fouille 0.1.0 found (issue 11): positions moved from
Whoosh's postings to the segment arrays, and phrases are verified on them.

The queries are drawn (seeded) from the first 1,500 OrangeSum articles, read in place: 80
phrases of 2 to 4 consecutive words, then a dozen common ones. `tests/data/phrases-0.1.0.json`
holds, for each, the total the 0.1.0 engine (f252687) found and a digest of the sorted ids of
every article it found. The test skips without the corpus.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import random
import re
from datetime import datetime
from pathlib import Path

import pytest

from search import Article, Engine, Settings

RECORDED = json.loads(
    (Path(__file__).parent / "data" / "phrases-0.1.0.json").read_text(encoding="utf-8")
)
COMMON = [
    '"de la"', '"il y a"', '"la France"', '"aujourd’hui"', '"aujourd\'hui"', '"ce n\'est pas"',
    '"Jean-Marc"', '"Covid-19"', '"l\'Élysée"', '"à la fin"', 'titre:"le gouvernement"',
    '"coronavirus" "France"',
]  # fmt: skip

pytestmark = pytest.mark.corpus


def _articles() -> list[Article]:
    corpus = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
    source = corpus / "articles" / "orangesum.jsonl.xz"
    if not source.is_file():
        pytest.skip("../shared/corpus is absent")
    articles = []
    with lzma.open(source, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            articles.append(
                Article(
                    id=f"orangesum-{row['id']}",
                    url="",
                    title=row.get("title") or "",
                    published=datetime.fromisoformat(f"{row['date']}T12:00:00+00:00"),
                    body=row.get("article") or "",
                    summary=row.get("heading") or "",
                )
            )
            if len(articles) >= RECORDED["articles"]:
                return articles
    return articles


def _queries(articles: list[Article]) -> list[str]:
    rng = random.Random(11)
    queries: list[str] = []
    while len(queries) < 80:
        article = rng.choice(articles)
        words = re.findall(r"[\w’'-]+", article.body or article.title)
        if len(words) < 4:
            continue
        size = rng.randint(2, 4)
        start = rng.randrange(len(words) - size)
        queries.append('"' + " ".join(words[start : start + size]) + '"')
    return queries + COMMON


@pytest.fixture(scope="module")
def orangesum(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, list[str]]:
    articles = _articles()
    settings = Settings(index_dir=tmp_path_factory.mktemp("phrases") / "index")
    engine = Engine.open(settings, create=True)
    with engine.writer() as writer:
        for article in articles:
            writer.upsert(article)
    return engine, _queries(articles)


def found(engine: Engine, query: str) -> tuple[int, list[str]]:
    ids: list[str] = []
    page = 1
    while True:
        # Every article found, near-duplicates too (they are one result by default).
        result = engine.search(query, page_size=100, page=page, collapse=False)
        ids += [hit.id for hit in result.hits]
        if page >= result.pages:
            return result.total, sorted(ids)
        page += 1


@pytest.mark.parametrize("number", range(len(RECORDED["queries"])))
def test_a_phrase_finds_what_it_found_before(
    orangesum: tuple[Engine, list[str]], number: int
) -> None:
    engine, queries = orangesum
    total, ids = found(engine, queries[number])
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]
    assert [total, digest] == RECORDED["queries"][number], queries[number]
