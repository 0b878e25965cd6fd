"""Small literal article sets for the tests that pin behaviour, and a real index to hold them.

Each set is written for one question (ranking, dates, query language), so that an expected
order or result set can be read off the texts by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from search import Article, Engine, Settings

DAY = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)
NEXT = "https://next.example/feed/"
OTHER = "https://autre.example/atom.xml"

# Articles no query of the tests is about: they give the collection a realistic document
# frequency for each word, so that no test word is in every article.
FILLER = [
    ("filler-climat", "Le climat se réchauffe", "Un rapport sur la mer et les glaciers."),
    ("filler-banque", "La banque centrale relève ses taux", "Les marchés réagissent."),
    ("filler-football", "Le football reprend", "Les supporters retrouvent les stades."),
    ("filler-trains", "Des trains supprimés", "Le froid perturbe le trafic en hiver."),
]


def article(
    id: str,
    title: str,
    body: str = "",
    *,
    published: datetime = DAY,
    **fields: object,
) -> Article:
    """An article with only what a test cares about; everything else is a constant."""
    return Article(
        id=id,
        url=f"https://next.example/{id}",
        title=title,
        body=body,
        published=published,
        **fields,  # type: ignore[arg-type]
    )


def filler() -> list[Article]:
    return [article(i, t, b) for i, t, b in FILLER]


@contextmanager
def open_index(path: Path, articles: Iterable[Article]) -> Iterator[Engine]:
    """A real index on disk under `path` holding `articles`, open for searching."""
    with Engine.open(Settings(index_dir=path / "index"), create=True) as engine:
        with engine.writer() as writer:
            for item in articles:
                writer.upsert(item)
        yield engine


def ids(page: object) -> list[str]:
    """The ids of a page's hits, in order."""
    return [hit.id for hit in page.hits]  # type: ignore[attr-defined]


def scores(engine: Engine, query: str, **kwargs: object) -> dict[str, float]:
    """id → score of every hit of a query (one page of up to 100)."""
    page = engine.search(query, page_size=100, **kwargs)  # type: ignore[arg-type]
    return {hit.id: hit.score for hit in page.hits}
