"""The facade over the index: `Engine` is what every front end calls.

It wires the modules that do the work: `storage` (generations on disk), `writer` (adding
articles), `plan` and `matching` (queries), `facets`, `spelling`, `snippets`. Each committed
state of the index is read through one `State`, shared by every thread.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import STORED_COLUMN
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from . import facets, scoring, vocabulary
from .analysis import analyze
from .arrays import ArrayFileError
from .config import Settings
from .documents import MIN_DATE, Article, aware, stored_article
from .errors import ConfigError, FouilleError, InvalidFilterError
from .filters import Filters
from .locking import reindex_lock
from .matching import Matcher, Matches, NarrowCache, top
from .plan import EVERYTHING, Compiled, Stems, any_words, compile_query
from .plan import Any as AnyOf
from .postings import IndexArrays
from .query import parse
from .results import Hit, IndexStats, SearchPage
from .snippets import highlight, highlighter, make_snippet
from .spelling import Speller
from .storage import Storage
from .vocabulary import Vocabulary
from .writer import ArticleWriter

log = logging.getLogger(__name__)

SORTS = ("relevance", "date", "fresh")
MAX_PAGE = 10_000
FEW_HITS = 3
#: Filter results kept per state (a filter is often repeated: paging, facets).
FILTER_CACHE = 64
#: A reader re-checks the table of contents at least this often, whatever the mtimes say.
RECHECK_SECONDS = 1.0
#: Tries to read a committed state that a concurrent commit keeps replacing.
READ_ATTEMPTS = 8


@dataclass
class State:
    """One committed state of one generation: its arrays and what is derived from them."""

    generation: str
    toc_generation: int
    segments: list[Any]
    arrays: IndexArrays
    allowed: OrderedDict[Filters, np.ndarray] = field(default_factory=OrderedDict)
    #: The matcher's cache of narrowed document sets (`Matcher._narrowed`).
    narrowed: NarrowCache = field(default_factory=dict)

    def allowed_docs(self, filters: Filters, matcher: Matcher) -> np.ndarray:
        found = self.allowed.get(filters)
        if found is None:
            found = matcher.allowed(filters)
            self.allowed[filters] = found
            while len(self.allowed) > FILTER_CACHE:
                self.allowed.popitem(last=False)
        return found


class _View:
    """One thread's Whoosh searcher on a state (stored fields, term tables)."""

    def __init__(self, state: State, searcher: Searcher) -> None:
        self.state = state
        self.searcher = searcher
        # Each segment's stored-fields column, read directly: Whoosh's `stored_fields`
        # also filters every field through the schema, a third of the cost of a hit.
        self._columns: list[tuple[int, Any]] = []
        reader = searcher.reader()
        leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
        for leaf, offset in leaves:
            perdoc = getattr(leaf, "_perdoc", None)
            column = perdoc._cached_reader("_stored", STORED_COLUMN) if perdoc else None
            self._columns.append((offset, column))
        self._starts = [offset for offset, _ in self._columns]

    def stored(self, docnum: int) -> dict[str, Any]:
        """A document's stored fields."""
        i = bisect_right(self._starts, docnum) - 1
        offset, column = self._columns[i] if i >= 0 else (0, None)
        if column is None:
            fields: dict[str, Any] = self.searcher.stored_fields(docnum)
            return fields
        return column[docnum - offset] or {}

    def expand(self, fieldname: str, prefix: str) -> list[str]:
        """Words of a field starting with `prefix`, the most frequent first."""
        reader = self.searcher.reader()
        words = []
        for n, raw in enumerate(reader.expand_prefix(fieldname, prefix)):
            if n >= 5000:
                break
            word = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            words.append((reader.doc_frequency(fieldname, word), word))
        words.sort(reverse=True)
        return [w for _, w in words]

    def words(self, fieldname: str, prefix: str) -> Iterator[str]:
        """Words of a field starting with `prefix`, in the term table's order (cheap: no
        frequencies)."""
        for n, raw in enumerate(self.searcher.reader().expand_prefix(fieldname, prefix)):
            if n >= 5000:
                break
            yield raw.decode("utf-8") if isinstance(raw, bytes) else raw

    def matcher(self) -> Matcher:
        return Matcher(self.state.arrays, self.expand, self.words, self.state.narrowed)

    def speller(self, vocabulary: Vocabulary) -> Speller:
        return Speller(self.searcher.reader(), self.stored, self.state.arrays, vocabulary)


class Engine:
    """A French-aware Whoosh index on disk, and everything one does with it.

    Thread-safe: each thread gets its own Whoosh searcher on the shared state, refreshed
    when a reindex commits or a rebuild switches generations.
    """

    def __init__(self, settings: Settings, root: Path) -> None:
        self.settings = settings
        self.root = root
        self.storage = Storage(root)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._states: OrderedDict[tuple[str, int], State] = OrderedDict()
        self._seen: tuple[Any, ...] = ()
        self._checked = 0.0
        self._reindex_depth = 0
        self._reindex_owner: int | None = None
        #: Protected words and synonyms: the shipped list and the settings' additions.
        try:
            self.vocabulary = vocabulary.load(settings.protected_words, settings.synonyms)
        except ValueError as exc:
            raise ConfigError(f"protected_words, synonyms: {exc}") from exc

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

    # -- reading ---------------------------------------------------------------------------

    def _state(self) -> State:
        """The state of the latest commit of the live generation."""
        stamp = self._stamp()
        now = time.monotonic()
        with self._lock:
            if stamp == self._seen and now - self._checked < RECHECK_SECONDS and self._states:
                return next(reversed(self._states.values()))
            for attempt in range(READ_ATTEMPTS):
                try:
                    state = self._load_state()
                    break
                except (FileNotFoundError, EOFError, ArrayFileError):
                    # A commit replaced the table of contents or removed a merged segment
                    # between our reading the directory and opening it: read again.
                    if attempt == READ_ATTEMPTS - 1:
                        raise
                    time.sleep(0.01 * (attempt + 1))
            self._seen, self._checked = stamp, now
            return state

    def _load_state(self) -> State:
        name = self.storage.require()
        ix = self.storage.open(name)
        toc = ix._read_toc()
        key = (name, toc.generation)
        state = self._states.get(key)
        if state is None:
            arrays = IndexArrays(self.root / name, toc.segments)
            state = State(name, toc.generation, toc.segments, arrays)
            self._states[key] = state
            while len(self._states) > 2:
                self._states.popitem(last=False)
        else:
            self._states.move_to_end(key)
        return state

    def _stamp(self) -> tuple[Any, ...]:
        """What changes when a commit or a switch happens (directory modification times)."""
        try:
            name = (self.root / "CURRENT").stat()
            root = self.root.stat()
            gen = os.stat(self.root / self.storage.require())
        except (OSError, FouilleError):
            return ()
        return (name.st_mtime_ns, root.st_mtime_ns, gen.st_mtime_ns, gen.st_ino)

    def _view(self) -> _View:
        """This thread's view of the current state."""
        state = self._state()
        view: _View | None = getattr(self._local, "view", None)
        if view is not None and view.state is state:
            return view
        if view is not None:
            view.searcher.close()
        for attempt in range(READ_ATTEMPTS):
            try:
                ix = self.storage.open(state.generation)
                reader = FileIndex._reader(
                    ix.storage, ix.schema, state.segments, state.toc_generation
                )
                view = _View(state, Searcher(reader))
            except FileNotFoundError:
                # The state's segments were merged away and deleted: read the newest one.
                if attempt == READ_ATTEMPTS - 1:
                    raise
                self._seen = ()
                state = self._state()
            else:
                self._local.view = view
                return view
        raise AssertionError("unreachable")

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
            compiled = compile_query(
                parse(text[: self.settings.max_query_length * 2]), self.vocabulary
            )
        else:
            compiled = Compiled(EVERYTHING, simple=False)
            if sort == "relevance":
                sort = "date"
        view = self._view()
        matcher = view.matcher()
        allowed = view.state.allowed_docs(filters, matcher) if filters else None
        found = matcher.run(compiled.plan, allowed)
        suggestion = corrected_from = None
        if len(found) < FEW_HITS and compiled.simple and compiled.plain_words:
            better = view.speller(self.vocabulary).suggestion(compiled.plain_words)
            if better is not None:
                alternative = compile_query(parse(better), self.vocabulary)
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
        pattern = highlighter(
            frozenset(compiled.stems), frozenset(compiled.words), frozenset(compiled.narrow)
        )
        hits = tuple(self._hit(view, docnum, score, pattern) for docnum, score in window)
        total = len(found)
        return SearchPage(
            query=text,
            total=total,
            page=page,
            pages=max(1, math.ceil(total / page_size)),
            hits=hits,
            facets=facets.count(view.state.arrays, found.docs),
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

    def _hit(self, view: _View, docnum: int, score: float, pattern: Any) -> Hit:
        stored = view.stored(docnum)
        body = stored.get("body") or stored.get("summary") or ""
        return Hit(
            id=stored["id"],
            url=stored.get("url") or "",
            title=stored.get("title") or "",
            author=stored.get("author") or "",
            published=aware(stored.get("published")) or MIN_DATE,
            updated=aware(stored.get("updated")),
            tags=tuple(stored.get("tags") or ()),
            feed=stored.get("feed_title") or stored.get("feed_url") or "",
            feed_url=stored.get("feed_url") or "",
            score=float(score),
            snippet=make_snippet(body, pattern),
            title_snippet=highlight(stored.get("title") or "", pattern),
        )

    def suggest(self, prefix: str, *, limit: int = 8) -> list[str]:
        """Completions for what a user is typing, from tags and the vocabulary; after
        other words, the words that come with them (`vie pri` → `vie privée`)."""
        prefix = (prefix or "")[: self.settings.max_query_length]
        view = self._view()
        context = _Context(view.matcher(), self.vocabulary)
        return view.speller(self.vocabulary).completions(prefix, limit=limit, context=context)

    # -- articles --------------------------------------------------------------------------

    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        searcher = self._view().searcher
        docnum = searcher.document_number(id=article_id)
        return stored_article(searcher.stored_fields(docnum)) if docnum is not None else None

    def more_like(self, article_id: str, *, limit: int = 5) -> list[Hit]:
        """Articles related to this one: those sharing its most distinctive words."""
        view = self._view()
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
        for fields in self._view().searcher.reader().all_stored_fields():
            yield stored_article(fields)

    def stats(self) -> IndexStats:
        """What the archive holds."""
        view = self._view()
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
            last_commit=datetime.fromtimestamp(
                (self.root / view.state.generation).stat().st_mtime, UTC
            ),
        )

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

    def rebuild(self) -> int:
        """Re-analyse every stored article into a new index generation and switch to it
        atomically; searches keep working meanwhile. Returns the article count."""
        with self.locked():
            old = self.storage.require()
            source = self.storage.open(old, any_format=True)
            try:
                new = self.storage.new_generation()
            except OSError as exc:
                raise FouilleError(
                    f"cannot rebuild the index in {self.root}: {exc.strerror or exc}"
                ) from exc
            count = 0
            try:
                writer = ArticleWriter(self.storage.open(new), batch_size=1 << 30)
                try:
                    with source.searcher() as searcher:
                        for fields in searcher.reader().all_stored_fields():
                            writer.upsert(stored_article(fields))
                            count += 1
                    writer.commit()
                finally:
                    writer.close()
                self.storage.switch(new)
            except OSError as exc:
                self.storage.discard(new)
                raise FouilleError(
                    f"cannot rebuild the index in {self.root}: {exc.strerror or exc}"
                ) from exc
            except BaseException:
                self.storage.discard(new)
                raise
            # The previous generation stays until the next rebuild: a reader may still use it.
            self.storage.remove_all_but(old, new)
            log.info("rebuilt %d articles into %s", count, new)
            return count

    def close(self) -> None:
        """Release this thread's searcher and the open indexes."""
        view = getattr(self._local, "view", None)
        if view is not None:
            view.searcher.close()
            self._local.view = None
        self.storage.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Context:
    """For completions: the documents some words find, and phrase counts."""

    def __init__(self, matcher: Matcher, vocabulary: Vocabulary) -> None:
        self.matcher = matcher
        self.vocabulary = vocabulary

    def docs(self, text: str) -> np.ndarray:
        found: np.ndarray = self.matcher.run(compile_query(parse(text), self.vocabulary).plan).docs
        return found

    def follows(self, words: tuple[str, ...], within: np.ndarray) -> int:
        found = [self.matcher.phrase(words, field, within) for field in scoring.EXACT]
        return len(np.union1d(*found))


def _from_us(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1e6, UTC)
