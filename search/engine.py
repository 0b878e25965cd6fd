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

import numpy as np

from . import archive, duplicates, facets, feedstats, hits, urls, vocabulary
from .config import Settings
from .documents import Article, stored_article
from .errors import ConfigError, IndexNotFoundError
from .explain import Recorder
from .explain import normalized as explain_query
from .filters import Filters, check_paging, check_sort
from .i18n import N_
from .locking import reindex_lock
from .plan import EVERYTHING, Compiled, any_words, compile_query
from .query import parse, split_dates
from .reading import Snapshots
from .results import ArticlePage, FeedStats, Hit, IndexStats, SearchPage
from .snippets import highlighter
from .storage import Storage
from .writer import ArticleWriter, rebuild

log = logging.getLogger(__name__)

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
        #: Protected words and synonyms: the shipped list and the settings' additions.
        try:
            self.vocabulary = vocabulary.load(settings.protected_words, settings.synonyms)
        except ValueError as exc:
            raise ConfigError(N_("protected_words, synonyms: {reason}"), reason=str(exc)) from exc

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
        explain: bool = False,
        collapse: bool = True,
    ) -> SearchPage:
        """Search; query text never errors (garbage finds nothing).

        When nothing matches the words as typed and their spelling correction matches,
        the page is the correction's (`query` is the corrected text, `corrected_from` the
        typed one) unless `correct` is false. Dates written in the query (`depuis:lundi`)
        narrow `since`/`until`. With `explain`, each hit says why it matched. With
        `collapse`, near-duplicates are one result, the others listed as its versions.

        Raises:
            InvalidFilterError: a filter (date, sort, page, page size) is invalid.
        """
        started = time.perf_counter()
        page_size = check_paging(sort, page, page_size, self.settings)
        filters = Filters.build(tags=tags, since=since, until=until, author=author, feed=feed)
        text = text or ""
        dated = split_dates(text[: self.settings.max_query_length * 2])
        filters = filters.within(dated.since, dated.until)
        tree = parse(dated.text) if dated.text.strip() else None
        if dated.text.strip():
            compiled = compile_query(tree, self.vocabulary)
        else:
            compiled = Compiled(EVERYTHING, simple=False)
            if sort == "relevance":
                sort = "date"
        view = self._snapshots.view()
        # To explain, the matcher records its evaluation: the same one ranks the hits.
        matcher = view.recorder() if explain else view.matcher()
        allowed = view.state.allowed_docs(filters, matcher) if filters else None
        found = matcher.run(compiled.plan, allowed)
        suggestion = corrected_from = None
        if len(found) < FEW_HITS and compiled.simple and compiled.plain_words:
            better = view.speller(self.vocabulary).suggestion(compiled.plain_words)
            if better is not None:
                alternative = compile_query(parse(better), self.vocabulary)
                better_found = matcher.run(alternative.plan, allowed)
                better = " ".join((better, *dated.dates))  # the dates stay in the query
                if not len(found) and len(better_found) and correct:
                    # Nothing for the words as typed, something for the correction: show it.
                    compiled, found, corrected_from, text = alternative, better_found, text, better
                    tree = parse(split_dates(better).text)
                elif len(better_found) > len(found):
                    suggestion = better
        fallback = False
        if not len(found) and compiled.has_fallback:
            found = matcher.run(any_words(compiled), allowed)
            fallback = bool(len(found))
        arrays = view.state.arrays
        half_life = self.settings.fresh_half_life_days
        window, versions, stories = duplicates.collapse(
            arrays.clusters() if collapse else None,
            found.docs,
            lambda limit: hits.ranked(arrays, found, sort, limit, half_life),
            page,
            page_size,
        )
        pattern = highlighter(
            frozenset(compiled.stems), frozenset(compiled.words), frozenset(compiled.narrow)
        )
        shown = tuple(
            hits.make_hit(view, docnum, score, pattern, versions.get(docnum))
            for docnum, score in window
        )
        if isinstance(matcher, Recorder):
            plan = any_words(compiled) if fallback else compiled.plan
            shown = hits.explained(matcher, plan, tree, found, window, shown, sort, self.vocabulary)
        return SearchPage(
            query=text,
            total=len(found),
            page=page,
            pages=max(1, math.ceil(stories / page_size)),
            hits=shown,
            facets=hits.public_feeds(facets.count(arrays, found.docs)),
            suggestion=suggestion,
            corrected_from=corrected_from,
            fallback=fallback,
            page_size=page_size,
            sort=sort,
            took_ms=(time.perf_counter() - started) * 1000,
            normalized=explain_query(tree) if explain else None,
            date_words=dated.dates,
            since=filters.since,
            until=filters.until,
            unknown_tags=facets.unknown_tags(arrays, tags),
            stories=stories,
        )

    def version(self) -> str:
        """Names the committed state searches see now: it changes with every commit and
        every rebuild (HTTP caches key their validators on it)."""
        state = self._snapshots.state()
        return f"{state.generation}.{state.toc_generation}"

    def suggest(self, prefix: str, *, limit: int = 8) -> list[str]:
        """Completions for what a user is typing, from tags and the vocabulary; after
        other words, the words that come with them (`vie pri` → `vie privée`)."""
        prefix = (prefix or "")[: self.settings.max_query_length]
        view = self._snapshots.view()
        context = view.completion_context(self.vocabulary)
        return view.speller(self.vocabulary).completions(prefix, limit=limit, context=context)

    # -- articles --------------------------------------------------------------------------

    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        searcher = self._snapshots.view().searcher
        docnum = searcher.document_number(id=article_id)
        return stored_article(searcher.stored_fields(docnum)) if docnum is not None else None

    def article(
        self,
        article_id: str,
        *,
        query: str = "",
        related: int = 5,
        explain: bool = False,
        sort: str = "relevance",
    ) -> ArticlePage | None:
        """The page of an archived article (None when there is none with this id, as hits
        show it): its text in paragraphs with the words of `query` marked, the original
        link landing on the passage that matched, and `related` related articles. With
        `explain`, why it matches `query` as the result list ranked it with `sort` (the
        result page's "Pourquoi ?" reads it here rather than explaining every hit)."""
        check_sort(sort)
        view = self._snapshots.view()
        docnum = hits.find(view, article_id)
        if docnum is None:
            return None
        query = (query or "")[: self.settings.max_query_length]
        marker = None
        words = split_dates(query).text
        why = normalized = None
        if words.strip():
            tree = parse(words)
            compiled = compile_query(tree, self.vocabulary)
            marker = highlighter(
                frozenset(compiled.stems), frozenset(compiled.words), frozenset(compiled.narrow)
            )
            if explain and tree is not None:
                half_life = self.settings.fresh_half_life_days
                why = hits.explain_one(
                    view, docnum, compiled, tree, sort, half_life, self.vocabulary
                )
                normalized = explain_query(tree)
        near = tuple(
            hits.make_hit(view, d, s, None) for d, s in hits.related(view, docnum, related)
        )
        page = archive.article_page(view, docnum, marker, query, near)
        return replace(page, explanation=why, normalized=normalized) if explain else page

    def more_like(self, article_id: str, *, limit: int = 5) -> list[Hit]:
        """Articles related to this one: those sharing its most distinctive words."""
        view = self._snapshots.view()
        docnum = hits.find(view, article_id)
        if docnum is None:
            return []
        return [hits.make_hit(view, d, s, None) for d, s in hits.related(view, docnum, limit)]

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
        return feedstats.per_feed(self._snapshots.view().state.arrays)

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
    def writer(self, *, batch_size: int | None = 500) -> Iterator[ArticleWriter]:
        """A writer; commits on normal exit, drops only the uncommitted part on error.
        `batch_size`: changes between commits (None: a commit per full segment, for bulk
        imports; see `ArticleWriter`).

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


def _from_us(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1e6, UTC)
