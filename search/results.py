"""What a search returns: frozen dataclasses, never Whoosh objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any, Protocol

from .keys import article_key


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


class _Described(Protocol):
    """What a hit and an article page both say of an article."""

    @property
    def title(self) -> str: ...
    @property
    def title_snippet(self) -> Snippet: ...
    @property
    def author(self) -> str: ...
    @property
    def published(self) -> datetime: ...
    @property
    def updated(self) -> datetime | None: ...
    @property
    def tags(self) -> tuple[str, ...]: ...
    @property
    def feed(self) -> str: ...
    @property
    def feed_url(self) -> str: ...


def _described(article: _Described) -> dict[str, Any]:
    """The fields a hit's JSON and an article page's JSON share, in their order."""
    return {
        "title": article.title,
        "title_html": article.title_snippet.html(),
        "author": article.author,
        "published": article.published.isoformat(),
        "updated": _iso(article.updated),
        "tags": list(article.tags),
        "feed": article.feed,
        "feed_url": article.feed_url,
    }


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
class ScorePart:
    """One term's share of a score: `clause` (the query's word, as typed) matched `term`
    (a stem, an exact word, or the words of a phrase) in `field`, `tf` times, weighted
    `weight`; metadata clauses (tag:, author:, feed:) match with a part of 0."""

    clause: str
    term: str
    field: str
    weight: float
    tf: int | None
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "term": self.term,
            "field": self.field,
            "weight": self.weight,
            "tf": self.tf,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Explanation:
    """Why a hit ranks where it does: its score's parts add up to its relevance; with the
    "fresh" sort, the score is the relevance times the freshness factor."""

    parts: tuple[ScorePart, ...]
    relevance: float
    freshness: float | None
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "parts": [part.to_dict() for part in self.parts],
            "relevance": round(self.relevance, 4),
            "freshness": round(self.freshness, 4) if self.freshness is not None else None,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class _Archived:
    """An archived article by its id and original link (the first fields of a hit and of
    a version)."""

    id: str
    url: str

    @property
    def key(self) -> str:
        """The id as one URL path segment: the article's page is `/article/<key>`."""
        return article_key(self.id)

    def _address(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.key, "url": self.url}


@dataclass(frozen=True)
class Version(_Archived):
    """Another article telling the same story as a hit (a near-duplicate)."""

    title: str
    feed: str
    published: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._address(),
            "title": self.title,
            "feed": self.feed,
            "published": self.published.isoformat(),
        }


@dataclass(frozen=True)
class Hit(_Archived):
    """One matching article."""

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
    #: Why it matched (`Engine.search(explain=True)` only).
    explanation: Explanation | None = None
    #: The other matching articles telling the same story (near-duplicates), oldest first;
    #: `version_count` counts them all, this one included.
    versions: tuple[Version, ...] = ()
    version_count: int = 1

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape shared by `fouille search --json` and `/api/search`."""
        return {
            **self._address(),
            **_described(self),
            "score": round(self.score, 4),
            "snippet": self.snippet.html(),
            "versions": [version.to_dict() for version in self.versions],
            "version_count": self.version_count,
            **({"explanation": self.explanation.to_dict()} if self.explanation else {}),
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
    #: The query as the engine searched it (`l’avion` → `avion`), when explained.
    normalized: str | None = None
    #: The date clauses read in the query text (`depuis:lundi`), and the date range the
    #: search applied (those and the date filters together).
    date_words: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    #: Tag filters no article of the index has, each with the nearest tags it has.
    unknown_tags: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Stories on the page's results: matching articles, near-duplicates counted once.
    stories: int | None = None

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
                kind: [[name, count] for name, count in getattr(self.facets, kind)]
                for kind in ("tags", "months", "feeds", "authors")
            },
            "suggestion": self.suggestion,
            "corrected_from": self.corrected_from,
            "fallback": self.fallback,
            "took_ms": round(self.took_ms, 2),
            "stories": self.total if self.stories is None else self.stories,
            "date_words": list(self.date_words),
            "since": _iso(self.since),
            "until": _iso(self.until),
            "unknown_tags": [
                {"tag": tag, "nearest": list(nearest)} for tag, nearest in self.unknown_tags
            ],
            **({"normalized": self.normalized} if self.normalized is not None else {}),
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
            "oldest": _iso(self.oldest),
            "newest": _iso(self.newest),
            "index_dir": self.index_dir,
            "generation": self.generation,
            "last_commit": _iso(self.last_commit),
        }


@dataclass(frozen=True)
class ArticlePage:
    """One archived article as its page shows it: the stored text in paragraphs (the
    query's words marked), the original link, and related articles."""

    id: str
    key: str
    url: str
    #: The original link, with a text fragment landing on the passage that matched best.
    link: str
    title: str
    title_snippet: Snippet
    author: str
    published: datetime
    updated: datetime | None
    tags: tuple[str, ...]
    feed: str
    feed_url: str
    paragraphs: tuple[Snippet, ...]
    #: The paragraph holding that passage (None when the query matched no paragraph).
    passage: int | None = None
    query: str = ""
    related: tuple[Hit, ...] = ()
    #: Why the article matches `query` (`Engine.article(explain=True)`), None otherwise.
    explanation: Explanation | None = None
    #: The query as searched (`SearchPage.normalized`), when explained.
    normalized: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `fouille show --json` and `/api/article/<key>`."""
        return {
            "id": self.id,
            "key": self.key,
            "url": self.url,
            "link": self.link,
            **_described(self),
            "query": self.query,
            "paragraphs": [p.text for p in self.paragraphs],
            "paragraphs_html": [p.html() for p in self.paragraphs],
            "passage": self.passage,
            "related": [hit.to_dict() for hit in self.related],
            **(
                {"normalized": self.normalized, "explanation": self.explanation.to_dict()}
                if self.explanation is not None
                else {}
            ),
        }


@dataclass(frozen=True)
class FeedStats:
    """What the archive holds of one feed (articles are counted by their `feed_url`)."""

    feed_url: str
    title: str
    articles: int
    oldest: datetime | None
    newest: datetime | None
