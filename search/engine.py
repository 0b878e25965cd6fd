"""The facade over the index: `Engine` is what every front end calls.

On disk, `index_dir` holds `CURRENT` (the name of the live generation) and one Whoosh
index per generation (`gen-000001/`…). A rebuild writes a new generation and switches
`CURRENT` atomically, so searches never see a half-built index.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import math
import os
import re
import shutil
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import chain
from pathlib import Path
from typing import Any, Literal

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.index import LockError
from whoosh.searching import Searcher

from .analysis import STOP_WORDS, fold
from .caching import SizedCache
from .config import Settings
from .documents import Article
from .errors import (
    FouilleError,
    IndexLockedError,
    IndexNotFoundError,
    IndexOutdatedError,
    InvalidFilterError,
)
from .query import (
    Compiled,
    any_words_query,
    compile_query,
    filter_query,
    parse,
    parse_date,
    tag_key,
)
from .ranking import RANKED_FIELDS, Ranker, posting_blocks, top
from .results import Facets, Hit, IndexStats, SearchPage
from .schema import SPELLING_FIELDS, TEXT_FIELD, TITLE_REPEAT, build_schema
from .snippets import compile_forms, highlight, highlighter, make_snippet

log = logging.getLogger(__name__)

UpsertStatus = Literal["new", "updated", "unchanged"]
SCHEMA_FIELDS = frozenset(build_schema().names())
SORTS = ("relevance", "date", "fresh")
CURRENT = "CURRENT"
GEN_RE = re.compile(r"^gen-(\d{6})$")
MAX_PAGE = 10_000
FEW_HITS = 3
MAX_PREFIX_TERMS = 200
MAX_PREFIX_SCAN = 5000
MIN_DATE = datetime(1900, 1, 1, tzinfo=UTC)
MAX_DATE = datetime(2200, 1, 1, tzinfo=UTC)
LIMITS = {
    "id": 2048,
    "url": 4096,
    "title": 2000,
    "author": 500,
    "summary": 20_000,
    "body": 1_000_000,
    "feed_url": 4096,
    "feed_title": 500,
}
MAX_TAGS = 100
MAX_TAG_CHARS = 200


# --- generations on disk ---------------------------------------------------------------------


def current_generation(root: Path) -> str | None:
    """The name of the live generation, or None when there is no index."""
    try:
        name = (root / CURRENT).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise FouilleError(f"cannot read {root / CURRENT}: {exc}") from exc
    if not GEN_RE.match(name) or not (root / name).is_dir():
        raise FouilleError(
            f"{root / CURRENT} names no index generation: run `fouille reindex --rebuild`"
        )
    return name


def _switch_generation(root: Path, name: str) -> None:
    tmp = root / f".{CURRENT}.{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / CURRENT)
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _next_generation(root: Path) -> str:
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := GEN_RE.match(p.name))]
    return f"gen-{max(numbers, default=0) + 1:06d}"


# --- per-thread searcher state ---------------------------------------------------------------


class _State:
    """What is derived from one committed state of the index, shared by every thread's
    searcher on that state: posting sets, BM25 weights, dates, tags."""

    TERM_SET_BUDGET = 2_000_000

    def __init__(self) -> None:
        self.term_sets: SizedCache[tuple[str, str], frozenset[int]] = SizedCache(
            self.TERM_SET_BUDGET
        )
        self.filters: SizedCache[str, frozenset[int]] = SizedCache(self.TERM_SET_BUDGET // 4)
        self.ranker = Ranker()
        self.all: frozenset[int] | None = None
        self.months: list[str | None] | None = None
        self.dates: list[float] | None = None
        self.tags: dict[str, frozenset[int]] | None = None
        self.labels: dict[str, str] = {}


@dataclass
class _View:
    """One thread's searcher on a committed state of the index, with the shared state."""

    generation: str
    searcher: Searcher
    state: _State

    def scores(self, q: wq.Query, candidates: frozenset[int]) -> dict[int, float]:
        return self.state.ranker.scores(self.searcher.reader(), q, candidates)

    def timestamps(self) -> list[float]:
        """Publication time (POSIX seconds) of each document number."""
        if self.state.dates is None:
            column = self.searcher.reader().column_reader("published", translate=True)
            self.state.dates = [
                d.replace(tzinfo=UTC).timestamp() if isinstance(d, datetime) else 0.0
                for d in column
            ]
        return self.state.dates

    def all_docs(self) -> frozenset[int]:
        """Every live document number."""
        if self.state.all is None:
            self.state.all = frozenset(self.searcher.reader().all_doc_ids())
        return self.state.all

    def docs(self, q: wq.Query) -> frozenset[int]:
        """Every live document matching `q`, by set algebra over cached posting sets:
        far cheaper than walking Whoosh's matcher tree in Python for totals and facets."""
        if isinstance(q, wq.Term):
            return self._term_docs(q.fieldname, q.text)
        if isinstance(q, wq.Or | wq.DisjunctionMax):
            # A title is also in `text`: its title term adds no document to the union.
            in_text = {
                sub.text
                for sub in q.subqueries
                if isinstance(sub, wq.Term) and sub.fieldname == TEXT_FIELD
            }
            subs = [
                sub
                for sub in q.subqueries
                if not (
                    isinstance(sub, wq.Term) and sub.fieldname == "title" and sub.text in in_text
                )
            ]
            if len(subs) == 1:
                return self.docs(subs[0])
            out: set[int] = set()
            for sub in subs:
                out |= self.docs(sub)
            return frozenset(out)
        if isinstance(q, wq.And):
            parts = sorted((self.docs(sub) for sub in q.subqueries), key=len)
            return parts[0].intersection(*parts[1:]) if parts else frozenset()
        if isinstance(q, wq.AndNot):
            return self.docs(q.a) - self.docs(q.b)
        if isinstance(q, wq.Not):
            return self.all_docs() - self.docs(q.query)
        if isinstance(q, wq.Every):
            return self.all_docs()
        if q is wq.NullQuery:
            return frozenset()
        return frozenset(q.docs(self.searcher))

    def filter_docs(self, flt: wq.Query) -> frozenset[int]:
        return self.state.filters.get_or_compute(repr(flt), lambda: self.docs(flt))

    def _term_docs(self, fieldname: str, text: str) -> frozenset[int]:
        def read() -> frozenset[int]:
            reader = self.searcher.reader()
            if not reader.doc_frequency(fieldname, text):
                return frozenset()
            if fieldname in RANKED_FIELDS:
                # The BM25 weights will be wanted too: one walk over the postings serves both.
                return frozenset(self.state.ranker.weights(reader, fieldname, text))
            found = frozenset(
                chain.from_iterable(
                    ids if not offset else (d + offset for d in ids)
                    for ids, _, offset in posting_blocks(reader, fieldname, text)
                )
            )
            return found & self.all_docs() if reader.has_deletions() else found

        return self.state.term_sets.get_or_compute((fieldname, text), read)

    def months(self) -> list[str | None]:
        """`YYYY-MM` of each document number."""
        if self.state.months is None:
            column = self.searcher.reader().column_reader("published", translate=True)
            self.state.months = [
                f"{d.year:04d}-{d.month:02d}" if isinstance(d, datetime) else None for d in column
            ]
        return self.state.months

    def tag_postings(self) -> dict[str, frozenset[int]]:
        """The live documents of every tag (by folded key)."""
        if self.state.tags is None:
            reader = self.searcher.reader()
            tags = {}
            for raw in reader.lexicon("tag"):
                key = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                if docs := self._term_docs("tag", key):
                    tags[key] = docs
            self.state.tags = tags
        return self.state.tags

    def label(self, key: str) -> str:
        """The tag as feeds spell it (accents and case kept) for a folded key."""
        labels = self.state.labels
        if key not in labels:
            found = key
            docs = self.tag_postings().get(key)
            if docs:
                for label in self.searcher.stored_fields(min(docs)).get("tags") or ():
                    if tag_key(label) == key:
                        found = label
                        break
            labels[key] = found
        return labels[key]


# --- the writer ------------------------------------------------------------------------------


class ArticleWriter:
    """Adds and replaces articles; commits every `batch_size` changes and on exit."""

    def __init__(self, ix: Any, batch_size: int) -> None:
        self._ix = ix
        self._batch_size = max(1, batch_size)
        self._writer: Any = None
        self._pending: set[str] = set()
        self._hashes: dict[str, str] = {}
        self._searcher = ix.searcher()
        self.counts: Counter[str] = Counter()

    def upsert(self, article: Article) -> UpsertStatus:
        """Add a new article, replace a changed one (its hash differs), skip an unchanged one."""
        article = clean_article(article)
        known = self._hashes.get(article.id)
        if known is None:
            known = self._stored_hash(article.id)
        if known == article.content_hash:
            self.counts["unchanged"] += 1
            return "unchanged"
        if article.id in self._pending:
            self.commit()  # the same id twice in one batch: make the first visible to replace it
        writer = self._open_writer()
        doc = article_document(article)
        if known is None:
            writer.add_document(**doc)
            status: UpsertStatus = "new"
        else:
            writer.update_document(**doc)
            status = "updated"
        self._hashes[article.id] = article.content_hash
        self._pending.add(article.id)
        self.counts[status] += 1
        if len(self._pending) >= self._batch_size:
            self.commit()
        return status

    def commit(self) -> None:
        """Make everything written so far durable and visible to searches."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            self._pending.clear()
            try:
                writer.commit()
            except OSError as exc:
                raise FouilleError(
                    f"cannot write the index in {self._ix.storage.folder}: {exc.strerror or exc}"
                ) from exc
            self._searcher = _refreshed(self._searcher, self._ix)

    def cancel(self) -> None:
        """Drop the uncommitted batch (what was committed stays)."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            self._pending.clear()
            with contextlib.suppress(Exception):  # a writer that failed may be closed already
                writer.cancel()

    def close(self) -> None:
        self._searcher.close()

    def _open_writer(self) -> Any:
        # Separate segment files, not one compound file: whoosh3 copies every sub-file of a
        # compound segment into memory for each searcher (a full copy of the index per
        # server thread); separate files are read through the page cache.
        if self._writer is None:
            try:
                self._writer = self._ix.writer(limitmb=256, compound=False)
            except LockError as exc:
                raise IndexLockedError(self._ix.storage.folder) from exc
        return self._writer

    def _stored_hash(self, article_id: str) -> str | None:
        docnum = self._searcher.document_number(id=article_id)
        if docnum is None:
            return None
        return self._searcher.stored_fields(docnum).get("content_hash")


def _bounded_prefixes(q: wq.Query, reader: Any) -> wq.Query:
    """Prefix queries as an OR of at most MAX_PREFIX_TERMS words, the most frequent first:
    `a*` must not open tens of thousands of posting lists."""
    if isinstance(q, wq.Prefix):
        words = []
        for n, raw in enumerate(reader.expand_prefix(q.fieldname, q.text)):
            if n >= MAX_PREFIX_SCAN:
                break
            word = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            words.append((reader.doc_frequency(q.fieldname, word), word))
        words.sort(reverse=True)
        terms = [wq.Term(q.fieldname, w) for _, w in words[:MAX_PREFIX_TERMS]]
        return wq.Or(terms) if terms else wq.NullQuery
    if q.is_leaf():
        return q
    return q.apply(lambda sub: _bounded_prefixes(sub, reader))


def _refreshed(searcher: Searcher, ix: Any) -> Searcher:
    """A searcher on the latest commit.

    Not `Searcher.refresh()`: in whoosh3 3.54 it keeps the segments that a merge replaced
    (FileIndex._reader extends the new segment list with the reused reader's), so merged
    articles would show twice.
    """
    searcher.close()
    return ix.searcher()


def _clip(text: str, limit: int) -> str:
    text = text[:limit] if len(text) > limit else text
    if "\x00" in text:
        text = text.replace("\x00", "")
    text = text.encode("utf-8", "replace").decode("utf-8")
    return unicodedata.normalize("NFC", text)


def clean_article(article: Article) -> Article:
    """Bound every field (sizes, tag count, dates) so that no entry can hurt the index."""
    tags = []
    seen = set()
    for tag in article.tags[: MAX_TAGS * 4]:
        label = " ".join(_clip(str(tag), MAX_TAG_CHARS).split())
        key = tag_key(label)
        if key and key not in seen:
            seen.add(key)
            tags.append(label)
        if len(tags) >= MAX_TAGS:
            break
    values = {name: _clip(getattr(article, name), limit) for name, limit in LIMITS.items()}
    return Article(
        **values,
        tags=tuple(tags),
        published=_clamp(article.published),
        updated=_clamp(article.updated) if article.updated else None,
        content_hash=article.content_hash,
    )


def _clamp(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return min(max(moment, MIN_DATE), MAX_DATE)


def article_document(article: Article) -> dict[str, Any]:
    """The Whoosh document for an article."""
    body = article.body
    summary = article.summary
    if summary and summary[:200] not in body:
        body = f"{summary}\n\n{body}" if body else summary
    title = (article.title + "\n") * TITLE_REPEAT
    return {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "title_exact": article.title,
        "text": f"{title}{' ; '.join(article.tags)}\n{body}",
        "body": article.body,
        "body_exact": body,
        "summary": article.summary,
        "author": article.author,
        "tags": list(article.tags),
        "tag": ",".join(tag_key(t) for t in article.tags),
        "feed_url": article.feed_url,
        "feed_title": article.feed_title,
        "published": article.published.astimezone(UTC).replace(tzinfo=None),
        "updated": article.updated.astimezone(UTC).isoformat() if article.updated else None,
        "content_hash": article.content_hash,
    }


def _aware(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            return _aware(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def stored_article(fields: dict[str, Any]) -> Article:
    """Rebuild an Article from its stored fields."""
    return Article(
        id=fields["id"],
        url=fields.get("url") or "",
        title=fields.get("title") or "",
        published=_aware(fields.get("published")) or MIN_DATE,
        body=fields.get("body") or "",
        summary=fields.get("summary") or "",
        author=fields.get("author") or "",
        tags=tuple(fields.get("tags") or ()),
        feed_url=fields.get("feed_url") or "",
        feed_title=fields.get("feed_title") or "",
        updated=_aware(fields.get("updated")),
        content_hash=fields.get("content_hash") or "",
    )


# --- the engine ------------------------------------------------------------------------------


class Engine:
    """A French-aware Whoosh index on disk, and everything one does with it.

    Thread-safe: each thread gets its own searcher, refreshed when a reindex commits or a
    rebuild switches generations.
    """

    def __init__(self, settings: Settings, root: Path) -> None:
        self.settings = settings
        self.root = root
        self._lock = threading.Lock()
        self._local = threading.local()
        self._indexes: dict[str, Any] = {}
        self._states: dict[tuple[str, int | None], _State] = {}

    @classmethod
    def open(cls, settings: Settings, *, create: bool = False) -> Engine:
        """Open the index in `settings.index_dir`.

        Raises:
            IndexNotFoundError: there is no index and `create` is false.
        """
        root = Path(settings.index_dir)
        engine = cls(settings, root)
        name = current_generation(root) if root.is_dir() else None
        if name is None:
            if not create:
                raise IndexNotFoundError(root)
            try:
                root.mkdir(parents=True, exist_ok=True)
                name = _next_generation(root)
                (root / name).mkdir()
                whoosh_index.create_in(str(root / name), build_schema())
                _switch_generation(root, name)
            except OSError as exc:
                raise FouilleError(
                    f"cannot create an index in {root}: {exc.strerror or exc}"
                ) from exc
        engine._index(name, any_schema=True)
        return engine

    # -- reading --

    def _index(self, name: str, *, any_schema: bool = False) -> Any:
        """The Whoosh index of a generation; it must have today's schema unless `any_schema`
        (a rebuild reads an older one).

        Raises:
            IndexOutdatedError: the index was built by an older Fouille.
        """
        with self._lock:
            if name not in self._indexes:
                try:
                    self._indexes[name] = whoosh_index.open_dir(str(self.root / name))
                except (whoosh_index.EmptyIndexError, OSError) as exc:
                    raise IndexNotFoundError(self.root) from exc
            ix = self._indexes[name]
        if not any_schema and set(ix.schema.names()) != SCHEMA_FIELDS:
            raise IndexOutdatedError(self.root)
        return ix

    def _view(self) -> _View:
        """This thread's searcher, refreshed if the index changed since it was opened."""
        name = current_generation(self.root)
        if name is None:
            raise IndexNotFoundError(self.root)
        view: _View | None = getattr(self._local, "view", None)
        if view is not None and view.generation == name:
            if view.searcher.up_to_date():
                return view
            searcher = _refreshed(view.searcher, self._index(name))
        else:
            if view is not None:
                view.searcher.close()
            searcher = self._index(name).searcher()
        view = _View(name, searcher, self._state((name, searcher.reader().generation())))
        self._local.view = view
        return view

    def _state(self, key: tuple[str, int | None]) -> _State:
        """The shared derived data of one committed state (the two latest are kept)."""
        with self._lock:
            state = self._states.get(key)
            if state is None:
                state = self._states[key] = _State()
                while len(self._states) > 2:
                    self._states.pop(next(iter(self._states)))
            return state

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
        started = time.perf_counter()
        page_size = self._check_paging(sort, page, page_size)
        if isinstance(tags, str):
            tags = (tags,)
        flt = filter_query(
            tags=tuple(t for t in tags if t),
            since=parse_date(since, end=False),
            until=parse_date(until, end=True),
            author=author,
            feed=feed,
        )
        view = self._view()
        text = text or ""
        if text.strip():
            compiled = compile_query(parse(text))
        else:
            compiled = Compiled(wq.Every(), simple=False)
            if sort == "relevance":
                sort = "date"
        allowed = self._filter_docs(view, flt)
        docs, ranked = self._run(view, compiled.query, allowed, sort, page * page_size)
        fallback = False
        if not docs and compiled.simple and len(compiled.plain_words) > 1:
            docs, ranked = self._run(
                view, any_words_query(compiled), allowed, sort, page * page_size
            )
            fallback = bool(docs)
        total = len(docs)
        pages = max(1, math.ceil(total / page_size))
        window = ranked[(page - 1) * page_size : page * page_size]
        pattern = self._pattern(view, compiled)
        hits = tuple(self._hit(view, docnum, score, pattern) for docnum, score in window)
        suggestion = None
        if total < FEW_HITS and compiled.simple and compiled.plain_words:
            suggestion = self._suggestion(view, compiled, total)
        return SearchPage(
            query=text,
            total=total,
            page=page,
            pages=pages,
            hits=hits,
            facets=self._facets(view, docs),
            suggestion=suggestion,
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

    def _filter_docs(self, view: _View, flt: wq.Query | None) -> frozenset[int] | None:
        return None if flt is None else view.filter_docs(flt)

    def _run(
        self, view: _View, q: wq.Query, allowed: frozenset[int] | None, sort: str, limit: int
    ) -> tuple[frozenset[int], list[tuple[int, float]]]:
        """All matching document numbers, and the first `limit` of them in order."""
        if q is wq.NullQuery or (allowed is not None and not allowed):
            return frozenset(), []
        q = _bounded_prefixes(q, view.searcher.reader())
        docs = view.docs(q)
        if allowed is not None:
            docs = docs.intersection(allowed)
        if not docs:
            return docs, []
        if sort == "date":
            dates = view.timestamps()
            newest = heapq.nlargest(limit, docs, key=dates.__getitem__)
            return docs, [(d, 0.0) for d in newest]
        if view.state.ranker.supports(q):
            scored = view.scores(q, docs)
        else:
            # Phrases and prefixes: Whoosh scores them, over the set already known.
            hits = view.searcher.search(q, filter=set(docs), limit=None, terms=False)
            scored = {hit.docnum: hit.score or 0.0 for hit in hits}
        if sort == "fresh":
            scored = self._freshen(view, scored)
        return docs, top(scored, limit)

    def _freshen(self, view: _View, scored: dict[int, float]) -> dict[int, float]:
        """Relevance times 1 + 2^(-age / half-life): today's article counts double."""
        half_life = max(self.settings.fresh_half_life_days, 0.01) * 86400
        now = time.time()
        dates = view.timestamps()
        return {
            d: score * (1 + 2 ** (-max(now - dates[d], 0) / half_life))
            for d, score in scored.items()
        }

    def _pattern(self, view: _View, compiled: Compiled) -> Any:
        return highlighter(frozenset(compiled.stems), frozenset(compiled.words))

    def _hit(self, view: _View, docnum: int, score: float, pattern: Any) -> Hit:
        stored = view.searcher.stored_fields(docnum)
        body = stored.get("body") or stored.get("summary") or ""
        return Hit(
            id=stored["id"],
            url=stored.get("url") or "",
            title=stored.get("title") or "",
            author=stored.get("author") or "",
            published=_aware(stored.get("published")) or MIN_DATE,
            updated=_aware(stored.get("updated")),
            tags=tuple(stored.get("tags") or ()),
            feed=stored.get("feed_title") or stored.get("feed_url") or "",
            feed_url=stored.get("feed_url") or "",
            score=float(score),
            snippet=make_snippet(body, pattern),
            title_snippet=highlight(stored.get("title") or "", pattern),
        )

    def _facets(self, view: _View, docs: frozenset[int]) -> Facets:
        if not docs:
            return Facets()
        months = view.months()
        month_counts = Counter(map(months.__getitem__, docs))
        month_counts.pop(None, None)
        tag_counts = []
        for key, tagged in view.tag_postings().items():
            small, large = (tagged, docs) if len(tagged) < len(docs) else (docs, tagged)
            if count := len(small.intersection(large)):
                tag_counts.append((view.label(key), count))
        tag_counts.sort(key=lambda pair: (-pair[1], fold(pair[0])))
        return Facets(
            tags=tuple(tag_counts[:50]),
            months=tuple(sorted(month_counts.items())),  # type: ignore[arg-type]
        )

    # -- suggestions --

    def _suggestion(self, view: _View, compiled: Compiled, total: int) -> str | None:
        """ "Vouliez-vous dire": accents restored and unknown words replaced by the closest
        frequent word of the archive; offered only when it finds more than the query did."""
        reader = view.searcher.reader()
        words = compiled.plain_words
        better = [self._better_word(view, reader, word) for word in words]
        if better == words:
            return None
        suggestion = " ".join(better)
        if [fold(w) for w in better] != [fold(w) for w in words]:
            found = view.docs(compile_query(parse(suggestion)).query)
            if len(found) <= total:
                return None
        return suggestion

    def _better_word(self, view: _View, reader: Any, word: str) -> str:
        """The word as the archive spells it: accents restored, or a typo fixed (only for a
        word the archive does not know)."""
        folded = fold(word)
        if not folded.isalpha() or len(folded) < 3:
            return word

        def frequency(term: str) -> int:
            return sum(reader.doc_frequency(f, term) for f in SPELLING_FIELDS)

        best = folded
        if frequency(folded) == 0:
            best_key = (0, 0)
            for maxdist in (1, 2) if len(folded) >= 6 else (1,):
                for fieldname in SPELLING_FIELDS:
                    for candidate in reader.terms_within(fieldname, folded, maxdist, prefix=1):
                        if candidate in STOP_WORDS or not candidate.isalpha():
                            continue
                        # Closest first, then most frequent; ties go to the longer word
                        # (`windos` → `windows`, not `window`).
                        key = (frequency(candidate), len(candidate))
                        if key > best_key:
                            best, best_key = candidate, key
                if best != folded:
                    break
            if best == folded:
                return word
        elif not word.isascii() or word.isupper():
            return word  # typed with its accents, or an acronym: nothing to restore
        surface = self._surface(view, best)
        return surface if surface is not None else word

    def _surface(self, view: _View, folded: str) -> str | None:
        """The most common spelling, accents included, of a folded vocabulary word."""
        reader = view.searcher.reader()
        pattern = compile_forms(frozenset({folded}))
        seen: Counter[str] = Counter()
        docnums: set[int] = set()
        for fieldname in SPELLING_FIELDS:
            for n, docnum in enumerate(
                reader.postings(fieldname, folded).all_ids()
                if reader.doc_frequency(fieldname, folded)
                else ()
            ):
                if n >= 5:
                    break
                docnums.add(docnum)
        for docnum in sorted(docnums)[:8]:
            stored = view.searcher.stored_fields(docnum)
            for value in (
                stored.get("title") or "",
                stored.get("body") or stored.get("summary") or "",
            ):
                for m in pattern.finditer(value[:50_000]):  # type: ignore[union-attr]
                    if "-" not in m.group():
                        seen[m.group().lower()] += 1
        return seen.most_common(1)[0][0] if seen else None

    def suggest(self, prefix: str, *, limit: int = 8) -> list[str]:
        """Completions for what a user is typing, from tags and the vocabulary."""
        prefix = (prefix or "")[: self.settings.max_query_length]
        head, _, last = prefix.rpartition(" ")
        folded = fold(last)
        if len(folded) < 2 or not folded.isalnum():
            return []
        view = self._view()
        reader = view.searcher.reader()
        found: list[tuple[int, str]] = []
        for key, postings in view.tag_postings().items():
            if key.startswith(folded):
                found.append((len(postings) * 2, view.label(key)))
        candidates = []
        for n, raw in enumerate(reader.expand_prefix("title_exact", folded)):
            if n >= 2000:
                break
            word = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            candidates.append((reader.doc_frequency("title_exact", word), word))
        candidates.sort(reverse=True)
        for freq, word in candidates[:limit]:
            found.append((freq, self._surface_title(view, word) or word))
        found.sort(key=lambda pair: -pair[0])
        out: list[str] = []
        for _, completion in found:
            full = f"{head} {completion}".strip() if head else completion
            if full.lower() not in (o.lower() for o in out):
                out.append(full)
            if len(out) >= limit:
                break
        return out

    def _surface_title(self, view: _View, folded: str) -> str | None:
        reader = view.searcher.reader()
        pattern = compile_forms(frozenset({folded}))
        for docnum in reader.postings("title_exact", folded).all_ids():
            m = pattern.search(view.searcher.stored_fields(docnum).get("title") or "")  # type: ignore[union-attr]
            return m.group().lower() if m else None
        return None

    # -- articles --

    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        searcher = self._view().searcher
        docnum = searcher.document_number(id=article_id)
        return stored_article(searcher.stored_fields(docnum)) if docnum is not None else None

    def more_like(self, article_id: str, *, limit: int = 5) -> list[Hit]:
        """Articles related to this one (by its most distinctive words)."""
        view = self._view()
        searcher = view.searcher
        docnum = searcher.document_number(id=article_id)
        if docnum is None:
            return []
        stored = searcher.stored_fields(docnum)
        text = f"{stored.get('title', '')}\n{stored.get('body') or stored.get('summary') or ''}"
        results = searcher.more_like(
            docnum, TEXT_FIELD, text=text[:100_000], top=limit, numterms=12
        )
        return [self._hit(view, hit.docnum, hit.score or 0.0, None) for hit in results]

    def articles(self) -> Iterator[Article]:
        """Every stored article (for rebuilds and exports)."""
        searcher = self._view().searcher
        for fields in searcher.all_stored_fields():
            yield stored_article(fields)

    def stats(self) -> IndexStats:
        """What the archive holds."""
        view = self._view()
        reader = view.searcher.reader()
        dates = [
            d for d in reader.column_reader("published", translate=True) if isinstance(d, datetime)
        ]
        live = (
            [d for n, d in enumerate(dates) if not reader.is_deleted(n)]
            if reader.has_deletions()
            else dates
        )
        feeds = sum(1 for term in reader.lexicon("feed_url") if term)
        return IndexStats(
            articles=reader.doc_count(),
            feeds=feeds,
            oldest=min(live).replace(tzinfo=UTC) if live else None,
            newest=max(live).replace(tzinfo=UTC) if live else None,
            index_dir=str(self.root),
            generation=int(view.generation[4:]),
            last_commit=datetime.fromtimestamp((self.root / view.generation).stat().st_mtime, UTC),
        )

    # -- writing --

    @contextmanager
    def writer(self, *, batch_size: int = 500) -> Iterator[ArticleWriter]:
        """A writer; commits on normal exit, drops only the uncommitted batch on error.

        Raises:
            IndexLockedError: another process is writing.
        """
        name = current_generation(self.root)
        if name is None:
            raise IndexNotFoundError(self.root)
        writer = ArticleWriter(self._index(name), batch_size)
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
        old = current_generation(self.root)
        if old is None:
            raise IndexNotFoundError(self.root)
        new = _next_generation(self.root)
        target = self.root / new
        count = 0
        try:
            target.mkdir()
            ix = whoosh_index.create_in(str(target), build_schema())
            writer = ix.writer(limitmb=256, compound=False)
            with self._index(old, any_schema=True).searcher() as searcher:
                for fields in searcher.all_stored_fields():
                    writer.add_document(**article_document(clean_article(stored_article(fields))))
                    count += 1
            writer.commit(optimize=True)
        except OSError as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise FouilleError(
                f"cannot rebuild the index in {self.root}: {exc.strerror or exc}"
            ) from exc
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        try:
            _switch_generation(self.root, new)
        except OSError as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise FouilleError(
                f"cannot switch to the rebuilt index: {exc.strerror or exc}"
            ) from exc
        for path in self.root.iterdir():
            if GEN_RE.match(path.name) and path.name not in (old, new):
                shutil.rmtree(path, ignore_errors=True)
        log.info("rebuilt %d articles into %s", count, new)
        return count

    def close(self) -> None:
        """Release this thread's searcher and the open indexes."""
        view = getattr(self._local, "view", None)
        if view is not None:
            view.searcher.close()
            self._local.view = None
        with self._lock:
            for ix in self._indexes.values():
                ix.close()
            self._indexes.clear()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
