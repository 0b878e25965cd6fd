"""What the search path reads, for one committed state of the index: the memory-mapped
arrays of every segment (`search.segments` writes them), and per-document columns built from
them once per state.

Document numbers are Whoosh's: segments in table-of-contents order, each numbered from the
sum of the sizes of those before it, deleted documents included (Whoosh's own statistics
count them too, and so does the scoring model).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.util.numeric import byte_to_length

from . import duplicates
from .arrays import EXTENSION, ArrayFile, term_hash
from .documents import EPOCH
from .errors import IndexOutdatedError
from .segments import ARRAY_FIELDS, CARD_DICTIONARY, read_card

_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)
EMPTY_IDS = np.zeros(0, dtype=np.int32)
EMPTY_TF = np.zeros(0, dtype=np.float32)


class _Terms:
    """One field's terms in one segment: their sorted hashes, the term each hash is, where
    each term's postings start, and the postings (views of the segment's map, resolved once
    per segment: a query looks up a dozen terms in every segment)."""

    __slots__ = ("docs", "hashes", "order", "start", "tf")

    def __init__(self, file: ArrayFile, field: str) -> None:
        self.hashes = file.array(f"{field}.hash")
        self.order = file.array(f"{field}.order")
        self.start = file.array(f"{field}.start")
        self.docs = file.array(f"{field}.docs")
        self.tf = file.array(f"{field}.tf")

    def find(self, h: np.uint64) -> int:
        """The term number of hash `h`, or -1."""
        hashes = self.hashes
        i = int(hashes.searchsorted(h))
        if i < len(hashes) and hashes[i] == h:
            return int(self.order[i])
        return -1


@dataclass
class _Segment:
    file: ArrayFile
    offset: int
    count: int
    deleted: frozenset[int]
    by_field: dict[str, _Terms | None] = field(default_factory=dict, repr=False)
    #: What the segment's cards are compressed against (`search.segments.pack_cards`).
    card_dictionary: bytes | None = field(default=None, repr=False)

    def terms(self, name: str) -> _Terms | None:
        """The segment's terms of field `name` (None when it has none)."""
        try:
            return self.by_field[name]
        except KeyError:
            found = _Terms(self.file, name) if self.file.has(f"{name}.hash") else None
            self.by_field[name] = found
            return found

    def locate(self, name: str, h: np.uint64) -> tuple[_Terms, int, int, int] | None:
        """Field `name`'s terms, and the term number of hash `h` and where its postings
        start and stop in them (None: the segment lacks the term)."""
        terms = self.terms(name)
        if terms is None:
            return None
        t = terms.find(h)
        if t < 0:
            return None
        a, b = terms.start[t : t + 2].tolist()
        return terms, t, a, b


@dataclass(frozen=True)
class Postings:
    """A term's postings over the whole index: ascending document numbers and frequencies."""

    docs: np.ndarray
    tf: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)


NO_POSTINGS = Postings(EMPTY_IDS, EMPTY_TF)


class IndexArrays:
    """The arrays of one committed state of the index (thread-safe: read-only)."""

    def __init__(self, folder: Path, segments: Sequence[Any]) -> None:
        self._segments: list[_Segment] = []
        offset = 0
        for segment in segments:
            path = folder / segment.make_filename(EXTENSION)
            if not path.exists() and (folder / segment.make_filename(".trm")).exists():
                raise IndexOutdatedError(folder.parent)  # a segment Fouille did not write
            file = ArrayFile(str(path))
            count = segment.doc_count_all()
            deleted = frozenset(segment.deleted_docs()) if segment.has_deletions() else frozenset()
            self._segments.append(_Segment(file, offset, count, deleted))
            offset += count
        #: Documents, deleted ones included.
        self.count = offset
        self._starts = [seg.offset for seg in self._segments]
        self._norms: dict[tuple[str, float, float], np.ndarray] = {}
        self._lengths: dict[str, np.ndarray] = {}
        self.live: np.ndarray | None = None
        if any(seg.deleted for seg in self._segments):
            live = np.ones(self.count, dtype=bool)
            for seg in self._segments:
                if seg.deleted:
                    live[seg.offset + np.fromiter(seg.deleted, dtype=np.int64)] = False
            self.live = live
        self.live_count = self.count if self.live is None else int(self.live.sum())
        self._columns()

    # -- postings --------------------------------------------------------------------------

    def postings(self, field: str, term: str) -> Postings:
        """Every posting of `term` in `field` (deleted documents included)."""
        return self.postings_by_hash(field, term_hash(term))

    def postings_by_hash(self, field: str, h: int) -> Postings:
        key = np.uint64(h)
        docs: list[np.ndarray] = []
        tfs: list[np.ndarray] = []
        offsets: list[int] = []
        for seg in self._segments:
            located = seg.locate(field, key)
            if located is not None:
                terms, _, a, b = located
                docs.append(terms.docs[a:b])
                tfs.append(terms.tf[a:b])
                offsets.append(seg.offset)
        if not docs:
            return NO_POSTINGS
        # Few calls whatever the number of segments: each costs about a microsecond, and a
        # query looks up a dozen terms in every segment.
        if len(docs) == 1:
            return Postings(np.add(docs[0], offsets[0], dtype=np.int32), tfs[0].astype(np.float32))
        found = np.concatenate(docs, dtype=np.int32)
        at = 0
        for part, offset in zip(docs, offsets, strict=True):
            if offset:
                found[at : at + len(part)] += offset
            at += len(part)
        return Postings(found, np.concatenate(tfs, dtype=np.float32))

    def doc_frequency(self, field: str, term: str) -> int:
        """Documents holding `term` in `field` (deleted ones included, as Whoosh counts)."""
        h = np.uint64(term_hash(term))
        total = 0
        for seg in self._segments:
            located = seg.locate(field, h)
            if located is not None:
                total += located[3] - located[2]
        return total

    def positions(self, field: str, term: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(document, position) of every occurrence of `term` in `field` within `docs`
        (ascending document numbers the term is known to occur in)."""
        h = np.uint64(term_hash(term))
        out_docs: list[np.ndarray] = []
        out_pos: list[np.ndarray] = []
        for seg in self._segments:
            lo, hi = np.searchsorted(docs, [seg.offset, seg.offset + seg.count])
            if lo == hi:
                continue
            located = seg.locate(field, h)
            if located is None:
                continue
            _, t, a, b = located
            file = seg.file
            local = file.read(f"{field}.docs", a, b).astype(np.int64)
            tf = file.read(f"{field}.tf", a, b).astype(np.int64)
            wanted = docs[lo:hi] - seg.offset
            at = np.searchsorted(local, wanted)
            at = at[(at < len(local)) & (local[np.minimum(at, len(local) - 1)] == wanted)]
            if not len(at):
                continue
            first = int(file.array(f"{field}.pstart")[t])
            # Positions are stored per posting, in posting order; tf says how many each has.
            # (A term seen more than 255 times in a document keeps only its first 255 here.)
            ends = np.cumsum(tf)
            starts = ends - tf
            counts = tf[at]
            gather = np.repeat(starts[at] - np.cumsum(counts) + counts, counts) + np.arange(
                counts.sum()
            )
            low = int(gather.min())
            wanted_pos = file.read(f"{field}.pos", first + low, first + int(gather.max()) + 1)
            pos = wanted_pos[gather - low].astype(np.int64)
            out_docs.append(np.repeat(local[at] + seg.offset, counts))
            out_pos.append(pos)
        if not out_docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(out_docs), np.concatenate(out_pos)

    # -- lengths ---------------------------------------------------------------------------

    def lengths(self, field: str) -> np.ndarray:
        """Each document's length in `field`, as Whoosh stores it (one byte, decoded)."""
        found = self._lengths.get(field)
        if found is None:
            parts = []
            for seg in self._segments:
                name = f"{field}.len"
                if seg.file.has(name):
                    parts.append(_BYTE_LENGTHS[seg.file.array(name)])
                else:
                    parts.append(np.zeros(seg.count, dtype=np.float32))
            found = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
            self._lengths[field] = found
        return found

    def total_length(self, field: str) -> int:
        """The sum of the exact lengths of `field` over every document."""
        return sum(int(seg.file.header.get("lengths", {}).get(field, 0)) for seg in self._segments)

    def norms(self, field: str, k1: float, b: float) -> np.ndarray:
        """BM25's k1·(1 − b + b·length/average length) for each document, cached."""
        key = (field, k1, b)
        found = self._norms.get(key)
        if found is None:
            average = max(self.total_length(field) / max(self.count, 1), 1.0)
            found = (k1 * (1 - b + b * self.lengths(field) / average)).astype(np.float32)
            self._norms[key] = found
        return found

    # -- columns ---------------------------------------------------------------------------

    def _columns(self) -> None:
        segs = self._segments
        self.published = _concat([seg.file.array("published") for seg in segs], np.int64)
        months = self.published.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
        self.month_base = int(months.min()) if len(months) else 0
        self.months = (months - self.month_base).astype(np.int32)
        #: Months from `month_base` to the latest document's.
        self.month_count = int(self.months.max()) + 1 if len(months) else 0

        feeds: dict[str, int] = {}
        self.feeds: list[tuple[str, str]] = []
        authors: dict[str, int] = {}
        self.authors: list[str] = []
        tags: dict[str, int] = {}
        self.tag_keys: list[str] = []
        spellings: list[dict[str, int]] = []
        feed_parts, author_parts, tag_parts, tag_end_parts = [], [], [], []
        tag_base = 0
        for seg in segs:
            header = seg.file.header
            feed_map = np.array(
                [_code(feeds, url, self.feeds, (url, title)) for url, title in header["feeds"]]
                or [0],
                dtype=np.int32,
            )
            for url, title in header["feeds"]:
                known = self.feeds[feeds[url]]
                if title and not known[1]:
                    self.feeds[feeds[url]] = (url, title)
            feed_parts.append(feed_map[seg.file.array("feed")])
            author_map = np.array(
                [_code(authors, name, self.authors, name) for name in header["authors"]] or [0],
                dtype=np.int32,
            )
            author_parts.append(author_map[seg.file.array("author")])
            tag_map = []
            for key, labels in header["tags"]:
                code = _code(tags, key, self.tag_keys, key)
                if code == len(spellings):
                    spellings.append({})
                for label, n in labels.items():
                    spellings[code][label] = spellings[code].get(label, 0) + n
                tag_map.append(code)
            codes = seg.file.array("tags")
            tag_parts.append(np.array(tag_map or [0], dtype=np.int32)[codes])
            tag_end_parts.append(seg.file.array("tag_ends") + tag_base)
            tag_base += len(codes)
        self.feed_of = _concat(feed_parts, np.int32)
        self.author_of = _concat(author_parts, np.int32)
        self.tag_codes = _concat(tag_parts, np.int32)
        self.tag_ends = np.concatenate([[0], _concat(tag_end_parts, np.int64)]).astype(np.int64)
        #: The most frequent spelling of each tag (case and accents as the feeds write them;
        #: the first one seen on a tie).
        self.tag_labels = [
            max(labels.items(), key=lambda item: item[1])[0] if labels else key
            for key, labels in zip(self.tag_keys, spellings, strict=True)
        ]
        self.tag_index = tags
        #: What the feed facet names each feed: its title, else its address.
        self.feed_names = [title or url for url, title in self.feeds]
        # Near-duplicate keys (`search.duplicates`); 0, no key, in segments written before.
        self.dup_title = _concat([_column(seg, "dup_title") for seg in segs], np.uint64)
        self.dup_body = _concat([_column(seg, "dup_body") for seg in segs], np.uint64)
        self._clusters: duplicates.Clusters | None = None

    def clusters(self) -> duplicates.Clusters:
        """The near-duplicate clusters of this state, computed once."""
        found = self._clusters
        if found is None:
            found = duplicates.Clusters.build(self.dup_title, self.dup_body, self.published)
            self._clusters = found
        return found

    def card(self, doc: int) -> dict[str, Any] | None:
        """What a near-duplicate is listed with (`search.segments.CARD_FIELDS`, its feed's
        address and its date), read from the document's card: None when its segment was
        written without cards, or when its card cannot tell (read the stored fields)."""
        seg = self._segments[bisect_right(self._starts, doc) - 1]
        if not seg.file.has("cards"):
            return None
        local = doc - seg.offset
        ends = seg.file.array("card_ends")
        start = int(ends[local - 1]) if local else 0
        if seg.card_dictionary is None:
            seg.card_dictionary = seg.file.read_bytes("card_dictionary", 0, CARD_DICTIONARY)
        found: dict[str, Any] | None = read_card(
            seg.file.read_bytes("cards", start, int(ends[local])), seg.card_dictionary
        )
        if found is not None:
            found["feed_url"] = self.feeds[int(self.feed_of[doc])][0]
            found["published"] = EPOCH + timedelta(microseconds=int(self.published[doc]))
        return found

    def live_docs(self) -> np.ndarray:
        """Every live document number, ascending."""
        if self.live is None:
            return np.arange(self.count, dtype=np.int32)
        return np.flatnonzero(self.live).astype(np.int32)

    def alive(self, docs: np.ndarray) -> np.ndarray:
        """A mask of the documents of `docs` that are not deleted."""
        if self.live is None:
            return np.ones(len(docs), dtype=bool)
        mask: np.ndarray = self.live[docs]
        return mask

    def tags_of(self, docs: np.ndarray) -> np.ndarray:
        """The tag codes of every document of `docs`, flat (for counting)."""
        starts = self.tag_ends[docs]
        counts = self.tag_ends[docs + 1] - starts
        total = int(counts.sum())
        if not total:
            return np.zeros(0, dtype=np.int32)
        shift = np.repeat(starts - (np.cumsum(counts) - counts), counts)
        return self.tag_codes[shift + np.arange(total)]


def _column(seg: _Segment, name: str) -> np.ndarray:
    if seg.file.has(name):
        return seg.file.array(name)
    return np.zeros(seg.count, dtype=np.uint64)


def _code(codes: dict[str, int], key: str, table: list[Any], value: Any) -> int:
    found = codes.get(key)
    if found is None:
        found = codes[key] = len(table)
        table.append(value)
    return found


def _concat(parts: Iterable[np.ndarray], dtype: Any) -> np.ndarray:
    parts = list(parts)
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


__all__ = ["ARRAY_FIELDS", "IndexArrays", "Postings"]
