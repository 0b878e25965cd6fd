"""The article writer: adds and replaces articles, commits, and keeps few segments.

Articles go through one analysis into a segment being built in memory (`search.segments`);
a segment is written when it is full, and a commit names every written segment in a new
Whoosh table of contents, with the deletions of the articles they replace. Readers see the
previous commit until the new table of contents is in place.

Merging re-analyses the live articles of small segments into one: segments are grouped by
size in powers of `MERGE_FACTOR`, and a level holding `MERGE_FACTOR` of them is merged,
never past `MAX_MERGE_DOCS`: a commit of a few articles stays small, and a large segment is
never rewritten.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from whoosh.index import TOC, FileIndex, LockError, clean_files
from whoosh.searching import Searcher

from .analysis import tag_key
from .documents import Article, article_fields, clean_article, indexed_body, stored_article
from .errors import FouilleError, IndexLockedError
from .i18n import N_
from .inverter import Inverter
from .schema import TITLE_REPEAT
from .segments import MAX_DOCS, SegmentBuilder
from .storage import Storage

log = logging.getLogger(__name__)

UpsertStatus = Literal["new", "updated", "unchanged"]
MERGE_FACTOR = 8
#: The largest segment a commit merges into (a few seconds of analysis): bigger segments
#: come from bulk writes only, so that an everyday commit stays short.
MAX_MERGE_DOCS = 16_384
#: Tokens held in memory before a segment is written (a bound on the writer's memory).
TOKEN_BUDGET = 16000000


@dataclass(slots=True)
class _Pending:
    """An article written in this session, not committed yet."""

    segment: int  # index in `_new`, or -1 for the segment being built
    docnum: int
    content_hash: str
    feed_url: str = ""


class ArticleWriter:
    """Adds, replaces and commits articles in one Whoosh index; holds its write lock.

    Commits every `batch_size` changes, and when `commit()` is called. With `batch_size`
    None (bulk imports), commits each time a segment is full instead: a large import then
    has as few segments as the writer's memory allows (each segment costs every query a
    term lookup), and a crash loses at most one segment's articles.
    """

    def __init__(
        self, ix: Any, *, batch_size: int | None, inverter: Inverter | None = None
    ) -> None:
        self._ix = ix
        self._batch_size = None if batch_size is None else max(1, batch_size)
        self._inverter = inverter
        self._lock = ix.lock("WRITELOCK")
        try:
            acquired = self._lock.acquire(blocking=False)
        except LockError:
            acquired = False
        if not acquired:
            raise IndexLockedError(ix.storage.folder)
        try:
            toc = ix._read_toc()
            self._generation = toc.generation
            self._segments = [_copy_segment(s) for s in toc.segments]
            self._searcher = self._open_searcher()
        except BaseException:
            self._lock.release()
            raise
        self._builder: SegmentBuilder | None = None
        self._new: list[Any] = []
        self._pending: dict[str, _Pending] = {}
        self._changes = 0

    # -- writing ---------------------------------------------------------------------------

    def upsert(self, article: Article) -> UpsertStatus:
        """Add a new article, replace a changed one (its hash differs), skip an unchanged one."""
        article = clean_article(article)
        pending = self._pending.get(article.id)
        if pending is not None:
            known: str | None = pending.content_hash
        else:
            docnum = self._searcher.document_number(id=article.id)
            known = (
                self._searcher.stored_fields(docnum).get("content_hash", "")
                if docnum is not None
                else None
            )
        if known == article.content_hash:
            return "unchanged"
        if pending is not None:
            self._delete_pending(pending)
        elif known is not None:
            self._delete_committed(article.id)
        builder = self._building()
        docnum = self._add(builder, article)
        self._pending[article.id] = _Pending(-1, docnum, article.content_hash, article.feed_url)
        self._changes += 1
        if builder.count >= MAX_DOCS or builder.tokens >= TOKEN_BUDGET:
            self._flush()
            if self._batch_size is None:
                self.commit()
        if self._batch_size is not None and self._changes >= self._batch_size:
            self.commit()
        return "new" if known is None else "updated"

    def delete_where(self, *, feed_url: str) -> int:
        """Delete every article of the feed `feed_url`, committed or written in this session
        (a feed removed with its articles); the deletion is durable at the next commit.

        Returns:
            How many articles were deleted.
        """
        count = 0
        for article_id, pending in list(self._pending.items()):
            if pending.feed_url == feed_url:
                # Its committed version, if any, was deleted when this one was written.
                self._delete_pending(pending)
                del self._pending[article_id]
                count += 1
        for docnum in self._searcher.document_numbers(feed_url=feed_url):
            segment, local = self._locate(docnum)
            if not segment.is_deleted(local):
                segment.delete_document(local)
                count += 1
        self._changes += count
        return count

    def commit(self) -> None:
        """Make everything written so far durable and visible to searches.

        Raises:
            FouilleError: the disk refused (full, read-only).
        """
        if not self._changes and not self._new and self._builder is None:
            return
        try:
            self._flush()
            # A segment whose every article was deleted is dropped (its files go with the
            # next commit, as a merged segment's do).
            segments = [s for s in self._merged([*self._segments, *self._new]) if _live(s)]
            self._generation += 1
            TOC(self._ix.schema, segments, self._generation).write(
                self._ix.storage, self._ix.indexname
            )
        except OSError as exc:
            raise FouilleError.from_os_error(
                N_("cannot write the index in {path}: {reason}"), self._ix.storage.folder, exc
            ) from exc
        # The files of the previous commit's segments stay until the next commit: a reader
        # that has just read the previous table of contents may still open them.
        with contextlib.suppress(OSError):
            clean_files(
                self._ix.storage,
                self._ix.indexname,
                self._generation,
                [*segments, *self._segments],
            )
        self._segments = [_copy_segment(s) for s in segments]
        self._new = []
        self._pending.clear()
        self._changes = 0
        self._searcher.close()
        self._searcher = self._open_searcher()

    def cancel(self) -> None:
        """Drop what was not committed (what was committed stays)."""
        if self._builder is not None:
            self._builder.cancel()
            self._builder = None
        for segment in self._new:
            for name in segment.list_files(self._ix.storage):
                with contextlib.suppress(OSError):
                    self._ix.storage.delete_file(name)
        self._new = []
        self._pending.clear()
        self._changes = 0
        toc = self._ix._read_toc()
        self._segments = [_copy_segment(s) for s in toc.segments]

    def close(self) -> None:
        """Release the write lock (after `commit` or `cancel`)."""
        with contextlib.suppress(Exception):
            self._searcher.close()
        with contextlib.suppress(Exception):
            self._lock.release()

    # -- internals -------------------------------------------------------------------------

    def _open_searcher(self) -> Searcher:
        reader = FileIndex._reader(
            self._ix.storage, self._ix.schema, self._segments, self._generation
        )
        return Searcher(reader)

    def _building(self) -> SegmentBuilder:
        if self._builder is None:
            # A fresh vocabulary per segment: ids need only agree within one, and the
            # memory of a long import stays that of one segment.
            self._builder = SegmentBuilder(self._ix, self._inverter or Inverter())
        return self._builder

    def _add(self, builder: SegmentBuilder, article: Article) -> int:
        return builder.add(
            article_fields(article),
            title=article.title,
            tags=[(label, tag_key(label)) for label in article.tags],
            body=indexed_body(article),
            repeat_title=TITLE_REPEAT,
        )

    def _flush(self) -> None:
        builder, self._builder = self._builder, None
        if builder is None:
            return
        if not builder.count:
            builder.cancel()
            return
        try:
            segment = builder.write()
        except BaseException:
            builder.cancel()
            raise
        index = len(self._new)
        self._new.append(segment)
        for pending in self._pending.values():
            if pending.segment == -1:
                pending.segment = index

    def _delete_pending(self, pending: _Pending) -> None:
        if pending.segment == -1:
            assert self._builder is not None
            self._builder.delete(pending.docnum)
        else:
            self._new[pending.segment].delete_document(pending.docnum)

    def _delete_committed(self, article_id: str) -> None:
        for docnum in self._searcher.document_numbers(id=article_id):
            segment, local = self._locate(docnum)
            segment.delete_document(local)

    def _locate(self, docnum: int) -> tuple[Any, int]:
        """The committed segment holding the searcher's document `docnum`, and its number
        there."""
        offset = 0
        for segment in self._segments:
            count = segment.doc_count_all()
            if docnum < offset + count:
                return segment, docnum - offset
            offset += count
        raise IndexError(f"no document {docnum} in the committed segments")

    def _merged(self, segments: list[Any]) -> list[Any]:
        """The segments after merging any level that has filled up."""
        while True:
            group = _full_level(segments)
            if not group:
                return segments
            merged = self._merge(group)
            segments = [s for s in segments if s not in group]
            if merged is not None:
                segments.append(merged)

    def _merge(self, group: list[Any]) -> Any:
        """One segment with the live articles of `group` (None when none is live)."""
        builder = SegmentBuilder(self._ix, self._inverter or Inverter())
        reader = FileIndex._reader(self._ix.storage, self._ix.schema, group, self._generation)
        try:
            for fields in reader.all_stored_fields():
                self._add(builder, stored_article(fields))
            log.info("merged %d segments into %d articles", len(group), builder.count)
            if not builder.count:
                builder.cancel()
                return None
            return builder.write()
        except BaseException:
            builder.cancel()
            raise
        finally:
            reader.close()


def _live(segment: Any) -> int:
    return int(segment.doc_count_all() - segment.deleted_count())


def _full_level(segments: Iterable[Any]) -> list[Any]:
    """The smallest size level with `MERGE_FACTOR` segments that fit in one, if any."""
    levels: dict[int, list[Any]] = {}
    for segment in segments:
        live = _live(segment)
        level = int(math.log(max(live, 1), MERGE_FACTOR))
        levels.setdefault(level, []).append(segment)
    for level in sorted(levels):
        group = sorted(levels[level], key=_live)
        while len(group) >= MERGE_FACTOR and sum(map(_live, group)) > MAX_MERGE_DOCS:
            group.pop()
        if len(group) >= MERGE_FACTOR:
            return group
    return []


def _copy_segment(segment: Any) -> Any:
    """A segment whose deletions this writer may change without touching the original
    (readers share the table of contents' objects)."""
    twin = copy.copy(segment)
    if getattr(segment, "_deleted", None) is not None:
        twin._deleted = set(segment._deleted)
    return twin


def rebuild(storage: Storage) -> int:
    """Re-analyse every stored article of the live generation into a new one and switch to
    it atomically (the caller holds the reindex lock); returns the article count."""
    old = storage.require()
    source = storage.open(old, any_format=True)
    try:
        new = storage.new_generation()
    except OSError as exc:
        raise FouilleError.from_os_error(
            N_("cannot rebuild the index in {path}: {reason}"), storage.root, exc
        ) from exc
    count = 0
    try:
        writer = ArticleWriter(storage.open(new), batch_size=1 << 30)
        try:
            with source.searcher() as searcher:
                for fields in searcher.reader().all_stored_fields():
                    writer.upsert(stored_article(fields))
                    count += 1
            writer.commit()
        finally:
            writer.close()
        storage.switch(new)
    except OSError as exc:
        storage.discard(new)
        raise FouilleError.from_os_error(
            N_("cannot rebuild the index in {path}: {reason}"), storage.root, exc
        ) from exc
    except BaseException:
        storage.discard(new)
        raise
    # The previous generation stays until the next rebuild: a reader may still use it.
    storage.remove_all_but(old, new)
    log.info("rebuilt %d articles into %s", count, new)
    return count
