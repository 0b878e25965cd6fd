"""The facade over the index: `Engine` is what every front end calls."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Literal

from .config import Settings
from .documents import Article
from .results import Hit, IndexStats, SearchPage

UpsertStatus = Literal["new", "updated", "unchanged"]
SORTS = ("relevance", "date", "fresh")


class ArticleWriter:
    """Adds and replaces articles; commits every `batch_size` changes and on exit."""

    def upsert(self, article: Article) -> UpsertStatus:
        """Add a new article, replace a changed one (content hash differs), skip an unchanged one."""
        raise NotImplementedError

    def commit(self) -> None:
        """Make everything written so far durable and visible to searches."""
        raise NotImplementedError


class Engine:
    """A French-aware Whoosh index on disk, and everything one does with it."""

    @classmethod
    def open(cls, settings: Settings, *, create: bool = False) -> Engine:
        """Open the index in `settings.index_dir`.

        Raises:
            IndexNotFoundError: there is no index and `create` is false.
        """
        raise NotImplementedError

    def search(
        self,
        text: str,
        *,
        tags: tuple[str, ...] | list[str] = (),
        since: str | date | datetime | None = None,
        until: str | date | datetime | None = None,
        author: str | None = None,
        feed: str | None = None,
        sort: str = "relevance",
        page: int = 1,
        page_size: int | None = None,
    ) -> SearchPage:
        """Search; query text never errors (garbage finds nothing).

        Raises:
            InvalidFilterError: a filter (date, sort, page, page size) is invalid.
        """
        raise NotImplementedError

    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        raise NotImplementedError

    def more_like(self, article_id: str, *, limit: int = 5) -> list[Hit]:
        """Articles related to this one."""
        raise NotImplementedError

    def suggest(self, prefix: str, *, limit: int = 8) -> list[str]:
        """Completions for what a user is typing, from titles, tags and the vocabulary."""
        raise NotImplementedError

    def stats(self) -> IndexStats:
        """What the archive holds."""
        raise NotImplementedError

    def articles(self) -> Iterator[Article]:
        """Every stored article (for rebuilds and exports)."""
        raise NotImplementedError

    @contextmanager
    def writer(self, *, batch_size: int = 500) -> Iterator[ArticleWriter]:
        """A writer; commits on normal exit, drops only the uncommitted batch on error.

        Raises:
            IndexLockedError: another process is writing.
        """
        raise NotImplementedError

    def rebuild(self) -> int:
        """Re-analyse every stored article into a new index generation and switch to it
        atomically; searches keep working meanwhile. Returns the article count."""
        raise NotImplementedError

    def close(self) -> None:
        """Release searchers and files."""
        raise NotImplementedError
