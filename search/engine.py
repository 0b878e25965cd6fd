"""The facade over the index: `Engine` is what every front end calls.

It wires the modules that do the work: `storage` (generations on disk), `reading` (committed
states and per-thread views), `writer` (adding articles, rebuilds), `plan` and `matching`
(queries), `facets`, `spelling`, `snippets`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import facets, scoring, urls
from .analysis import analyze
from .config import Settings
from .documents import MIN_DATE, Article, aware, stored_article
from .errors import IndexNotFoundError, InvalidFilterError
from .filters import Filters
from .locking import reindex_lock
from .matching import Matches, top
from .plan import EVERYTHING, Compiled, Stems, any_words, compile_query
from .plan import Any as AnyOf
from .postings import IndexArrays
from .query import parse
from .reading import Snapshots, View
from .results import Facets, FeedStats, Hit, IndexStats, SearchPage
from .snippets import highlight, highlighter, make_snippet
from .storage import Storage
from .writer import ArticleWriter, rebuild

log = logging.getLogger(__name__)

SORTS = ("relevance", "date", "fresh")
MAX_PAGE = 10_000
FEW_HITS = 3


class Engine:
    """A French-aware Whoosh index on disk, and everything one does with it.

    Thread-safe: each thread gets its own Whoosh searcher on the shared state, refreshed
    when a reindex commits or a rebuild switches generations.
    """

    def __init__(self, settings: Settings, root: Path) -> None:
        self.settings = settings
        self.root = root
        self.storage = Storage(root)
        self._snapshots = Snapshots(self.storage)
        self._reindex_depth = 0
        self._reindex_owner: int | None = None

    @classmethod
    def open(cls, settings: Settings, *, create: bool = False) -> Engine:
        """Open the index in `settings.index_dir`.

        Raises:
            IndexNotFoundError: there is no index and `create` is false.
            IndexOutdatedError: the index was built by an older Fouille.
        """
        engine = cls(settings, Path(settings.index_dir))
        name = engine.storage.current() if engine.root.is_dir() else None
        if name is None:
            if not create:
                engine.storage.require()
            with engine.locked():
                name = engine.storage.current() or engine.storage.create()
        engine.storage.open(name, any_format=True)  # an outdated index says so when searched
        return engine

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
        correct: bool = True,
    ) -> SearchPage:
        """Search; query text never errors (garbage finds nothing).

        When nothing matches the words as typed and their spelling correction matches,
        the page is the correction's (`query` is the corrected text, `corrected_from` the
        typed one) unless `correct` is false.

        Raises:
            InvalidFilterError: a filter (date, sort, page, page size) is invalid.
        """
        started = time.perf_counter()
        page_size = self._check_paging(sort, page, page_size)
        filters = Filters.build(tags=tags, since=since, until=until, author=author, feed=feed)
        text = text or ""
        if text.strip():
            compiled = compile_query(parse(text[: self.settings.max_query_length * 2]))
        else:
            compiled = Compiled(EVERYTHING, simple=False)
            if sort == "relevance":
                sort = "date"
        view = self._snapshots.view()
        matcher = view.matcher()
        allowed = view.state.allowed_docs(filters, matcher) if filters else None
        found = matcher.run(compiled.plan, allowed)
        suggestion = corrected_from = None
        if len(found) < FEW_HITS and compiled.simple and compiled.plain_words:
            better = view.speller().suggestion(compiled.plain_words)
            if better is not None:
                alternative = compile_query(parse(better))
                better_found = matcher.run(alternative.plan, allowed)
                if not len(found) and len(better_found) and correct:
                    # Nothing for the words as typed, something for the correction: show it.
                    compiled, found, corrected_from, text = alternative, better_found, text, better
                elif len(better_found) > len(found):
                    suggestion = better
        fallback = False
        if not len(found) and compiled.simple and len(compiled.plain_words) > 1:
            found = matcher.run(any_words(compiled), allowed)
            fallback = bool(len(found))
        ranked = self._ranked(view.state.arrays, found, sort, page * page_size)
        window = ranked[(page - 1) * page_size : page * page_size]
        pattern = highlighter(frozenset(compiled.stems), frozenset(compiled.words))
        hits = tuple(self._hit(view, docnum, score, pattern) for docnum, score in window)
        total = len(found)
        return SearchPage(
            query=text,
            total=total,
            page=page,
            pages=max(1, math.ceil(total / page_size)),
            hits=hits,
            facets=_public_feeds(facets.count(view.state.arrays, found.docs)),
            suggestion=suggestion,
            corrected_from=corrected_from,
            fallback=fallback,
            page_size=page_size,
            sort=sort,
            took_ms=(time.perf_counter() - started) * 1000,
        )

    def _check_paging(self, sort: str, page: int, page_size: int | None) -> int:
        if sort not in SORTS:
            raise InvalidFilterError(
                f"unknown sort {str(sort)[:20]!r}: use one of {', '.join(SORTS)}"
            )
        if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= MAX_PAGE:
            raise InvalidFilterError(f"page must be a whole number from 1 to {MAX_PAGE}")
        size = self.settings.page_size if page_size is None else page_size
        if not isinstance(size, int) or not 1 <= size <= self.settings.max_page_size:
            raise InvalidFilterError(
                f"page size must be a whole number from 1 to {self.settings.max_page_size}"
            )
        return size

    def _ranked(
        self, arrays: IndexArrays, found: Matches, sort: str, limit: int
    ) -> list[tuple[int, float]]:
        if sort == "date":
            return top(found, limit, key=arrays.published[found.docs])
        if not len(found):
            return []
        if sort == "fresh":
            now = int(time.time() * 1e6)
            scores = scoring.freshness(
                found.scores,
                arrays.published[found.docs],
                now,
                self.settings.fresh_half_life_days,
            )
            found = Matches(found.docs, scores)
        if not found.scores.any():
            # Only filters or field clauses: nothing to rank by, so the newest first.
            return top(found, limit, key=arrays.published[found.docs])
        return top(found, limit)

    def _hit(self, view: View, docnum: int, score: float, pattern: Any) -> Hit:
        stored = view.stored(docnum)
        body = stored.get("body") or stored.get("summary") or ""
        # Articles indexed before issue 13 may hold their feed's secret address: what a hit
        # shows is cleaned here, whatever the index holds.
        feed_url = stored.get("feed_url") or ""
        secrets = urls.url_secrets(feed_url)
        return Hit(
            id=urls.scrub(stored["id"], secrets),
            url=urls.public_link(stored.get("url") or "", secrets),
            title=stored.get("title") or "",
            author=stored.get("author") or "",
            published=aware(stored.get("published")) or MIN_DATE,
            updated=aware(stored.get("updated")),
            tags=tuple(stored.get("tags") or ()),
            feed=urls.public_label(stored.get("feed_title") or "", feed_url),
            feed_url=urls.public_feed_url(feed_url),
            score=float(score),
            snippet=make_snippet(body, pattern),
            title_snippet=highlight(stored.get("title") or "", pattern),
        )

    def version(self) -> str:
        """Names the committed state searches see now: it changes with every commit and
        every rebuild (HTTP caches key their validators on it)."""
        state = self._snapshots.state()
        return f"{state.generation}.{state.toc_generation}"

    def suggest(self, prefix: str, *, limit: int = 8) -> list[str]:
        """Completions for what a user is typing, from tags and the vocabulary."""
        prefix = (prefix or "")[: self.settings.max_query_length]
        return self._snapshots.view().speller().completions(prefix, limit=limit)

    # -- articles --------------------------------------------------------------------------

    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        searcher = self._snapshots.view().searcher
        docnum = searcher.document_number(id=article_id)
        return stored_article(searcher.stored_fields(docnum)) if docnum is not None else None

    def more_like(self, article_id: str, *, limit: int = 5) -> list[Hit]:
        """Articles related to this one: those sharing its most distinctive words."""
        view = self._snapshots.view()
        docnum = view.searcher.document_number(id=article_id)
        if docnum is None:
            return []
        stored = view.stored(docnum)
        text = f"{stored.get('title', '')}\n{stored.get('body') or stored.get('summary') or ''}"
        arrays = view.state.arrays
        counts: dict[str, int] = {}
        for _, term, _, _ in analyze(text[:100_000]):
            counts[term] = counts.get(term, 0) + 1
        weights = []
        for term, tf in counts.items():
            df = arrays.doc_frequency(scoring.STEMMED[0], term)
            if df > 1:  # a word no other article has relates to nothing
                weights.append((tf * scoring.idf(df, arrays.count), term))
        weights.sort(reverse=True)
        plan = AnyOf(tuple(Stems((term,)) for _, term in weights[:12]))
        found = view.matcher().run(plan)
        ranked = [(d, s) for d, s in top(found, limit + 1) if d != docnum][:limit]
        return [self._hit(view, d, s, None) for d, s in ranked]

    def articles(self) -> Iterator[Article]:
        """Every stored article (for rebuilds and exports)."""
        for fields in self._snapshots.view().searcher.reader().all_stored_fields():
            yield stored_article(fields)

    def stats(self) -> IndexStats:
        """What the archive holds.

        Raises:
            IndexNotFoundError: there is no index (any more).
        """
        view = self._snapshots.view()
        try:
            committed = (self.root / view.state.generation).stat().st_mtime
        except FileNotFoundError as exc:
            raise IndexNotFoundError(self.root) from exc
        arrays = view.state.arrays
        live = arrays.live_docs()
        dates = arrays.published[live]
        feeds = len({arrays.feeds[f][0] for f in np.unique(arrays.feed_of[live]).tolist()} - {""})
        return IndexStats(
            articles=len(live),
            feeds=feeds,
            oldest=_from_us(int(dates.min())) if len(dates) else None,
            newest=_from_us(int(dates.max())) if len(dates) else None,
            index_dir=str(self.root),
            generation=int(view.state.generation[4:]),
            last_commit=datetime.fromtimestamp(committed, UTC),
        )

    def feeds(self) -> list[FeedStats]:
        """Per feed, how many articles the archive holds and their date range (for the
        feeds' health table), ordered by URL.

        Feeds are named by their public address and title (`search.urls`), as hits name
        them: articles indexed before issue 13 under a feed's secret address add up with
        those indexed since under its public one.
        """
        arrays = self._snapshots.view().state.arrays
        live = arrays.live_docs()
        if not len(live) or not arrays.feeds:
            return []
        codes = arrays.feed_of[live]
        dates = arrays.published[live]
        size = len(arrays.feeds)
        counts = np.bincount(codes, minlength=size)
        oldest = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
        newest = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
        np.minimum.at(oldest, codes, dates)
        np.maximum.at(newest, codes, dates)
        merged: dict[str, FeedStats] = {}
        for code, (url, title) in enumerate(arrays.feeds):
            if not url or not counts[code]:
                continue
            stats = FeedStats(
                feed_url=urls.public_feed_url(url),
                title=urls.public_label(title, url),
                articles=int(counts[code]),
                oldest=_from_us(int(oldest[code])),
                newest=_from_us(int(newest[code])),
            )
            merged[stats.feed_url] = _add_stats(merged.get(stats.feed_url), stats)
        return sorted(merged.values(), key=lambda stats: stats.feed_url)

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the reindex lock (re-entrant within this engine): one writer per index.

        Raises:
            IndexLockedError: another process holds it.
        """
        me = threading.get_ident()
        if self._reindex_owner == me:
            self._reindex_depth += 1
            try:
                yield
            finally:
                self._reindex_depth -= 1
            return
        with reindex_lock(self.root):
            self._reindex_owner, self._reindex_depth = me, 1
            try:
                yield
            finally:
                self._reindex_owner, self._reindex_depth = None, 0

    @contextmanager
    def writer(self, *, batch_size: int = 500) -> Iterator[ArticleWriter]:
        """A writer; commits on normal exit, drops only the uncommitted part on error.

        Raises:
            IndexLockedError: another process is writing.
        """
        with self.locked():
            ix = self.storage.open(self.storage.require())
            writer = ArticleWriter(ix, batch_size=batch_size)
            try:
                yield writer
            except BaseException:
                writer.cancel()
                raise
            else:
                writer.commit()
            finally:
                writer.close()

    def delete_articles(self, *, feed_url: str) -> int:
        """Delete every article of the feed `feed_url` from the index and commit (a feed
        removed with its articles).

        Returns:
            How many articles were deleted.

        Raises:
            IndexLockedError: a reindex is running.
        """
        public = urls.public_feed_url(feed_url)
        with self.writer() as writer:
            # Also those indexed before issue 13 under the feed's secret address.
            stored = {url for url, _ in self._snapshots.view().state.arrays.feeds}
            targets = {feed_url, public} | {
                url for url in stored if url and urls.public_feed_url(url) == public
            }
            count = sum(writer.delete_where(feed_url=url) for url in sorted(targets))
        log.info("deleted %d articles of %s", count, public)
        return count

    def rebuild(self) -> int:
        """Re-analyse every stored article into a new index generation and switch to it
        atomically; searches keep working meanwhile. Returns the article count."""
        with self.locked():
            return rebuild(self.storage)

    def close(self) -> None:
        """Release this thread's searcher and the open indexes."""
        self._snapshots.close()
        self.storage.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _public_feeds(found: Facets) -> Facets:
    """The feed facet with feed names as `Hit.feed` shows them (no secret address); names
    that become equal (one feed stored under its old and its public address) add up."""
    counts: dict[str, int] = {}
    for name, count in found.feeds:
        label = urls.public_feed_url(name) if "://" in name else urls.public_host(name)
        counts[label] = counts.get(label, 0) + count
    feeds = tuple(sorted(counts.items(), key=lambda pair: -pair[1]))
    return replace(found, feeds=feeds)


def _add_stats(known: FeedStats | None, more: FeedStats) -> FeedStats:
    """Two rows of one feed (stored under its old and its public address) as one; the name
    is the one of the most recent articles."""
    if known is None:
        return more
    newer = more if (more.newest or MIN_DATE) > (known.newest or MIN_DATE) else known
    return FeedStats(
        feed_url=known.feed_url,
        title=newer.title,
        articles=known.articles + more.articles,
        oldest=min(d for d in (known.oldest, more.oldest) if d is not None)
        if known.oldest or more.oldest
        else None,
        newest=newer.newest,
    )


def _from_us(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1e6, UTC)
