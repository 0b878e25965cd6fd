"""What a search returns: frozen dataclasses, never Whoosh objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any


@dataclass(frozen=True)
class Snippet:
    """Original text (accents kept) with highlight spans as (start, end) character offsets."""

    text: str
    highlights: tuple[tuple[int, int], ...] = ()

    def parts(self) -> list[tuple[str, bool]]:
        """The text cut into (piece, highlighted) pairs, for any renderer."""
        out: list[tuple[str, bool]] = []
        pos = 0
        for start, end in self.highlights:
            if start > pos:
                out.append((self.text[pos:start], False))
            out.append((self.text[start:end], True))
            pos = end
        if pos < len(self.text):
            out.append((self.text[pos:], False))
        return out

    def html(self) -> str:
        """HTML-escaped text with <mark> around the highlights."""
        return "".join(
            f"<mark>{escape(piece)}</mark>" if marked else escape(piece)
            for piece, marked in self.parts()
        )

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Hit:
    """One matching article."""

    id: str
    url: str
    title: str
    author: str
    published: datetime
    updated: datetime | None
    tags: tuple[str, ...]
    feed: str
    feed_url: str
    score: float
    snippet: Snippet
    title_snippet: Snippet

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape shared by `fouille search --json` and `/api/search`."""
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "title_html": self.title_snippet.html(),
            "author": self.author,
            "published": self.published.isoformat(),
            "updated": self.updated.isoformat() if self.updated else None,
            "tags": list(self.tags),
            "feed": self.feed,
            "feed_url": self.feed_url,
            "score": round(self.score, 4),
            "snippet": self.snippet.html(),
        }


@dataclass(frozen=True)
class Facets:
    """Counts over all matches, not only the page: (name, count), most frequent first
    for tags, feeds and authors, chronological for months (YYYY-MM)."""

    tags: tuple[tuple[str, int], ...] = ()
    months: tuple[tuple[str, int], ...] = ()
    feeds: tuple[tuple[str, int], ...] = ()
    authors: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class SearchPage:
    """One page of results, with what a front end needs around it."""

    query: str
    total: int
    page: int
    pages: int
    hits: tuple[Hit, ...]
    facets: Facets = field(default_factory=Facets)
    suggestion: str | None = None
    #: The text as typed, when the page shows the results of its spelling correction.
    corrected_from: str | None = None
    fallback: bool = False
    page_size: int = 10
    sort: str = "relevance"
    took_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `fouille search --json` and `/api/search`."""
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "page_size": self.page_size,
            "sort": self.sort,
            "hits": [hit.to_dict() for hit in self.hits],
            "facets": {
                "tags": [[name, count] for name, count in self.facets.tags],
                "months": [[name, count] for name, count in self.facets.months],
                "feeds": [[name, count] for name, count in self.facets.feeds],
                "authors": [[name, count] for name, count in self.facets.authors],
            },
            "suggestion": self.suggestion,
            "corrected_from": self.corrected_from,
            "fallback": self.fallback,
            "took_ms": round(self.took_ms, 2),
        }


@dataclass(frozen=True)
class IndexStats:
    """What the archive holds."""

    articles: int
    feeds: int
    oldest: datetime | None
    newest: datetime | None
    index_dir: str
    generation: int = 0
    last_commit: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "feeds": self.feeds,
            "oldest": self.oldest.isoformat() if self.oldest else None,
            "newest": self.newest.isoformat() if self.newest else None,
            "index_dir": self.index_dir,
            "generation": self.generation,
            "last_commit": self.last_commit.isoformat() if self.last_commit else None,
        }


@dataclass(frozen=True)
class FeedStats:
    """What the archive holds of one feed (articles are counted by their `feed_url`)."""

    feed_url: str
    title: str
    articles: int
    oldest: datetime | None
    newest: datetime | None
