"""Writes a Whoosh segment in bulk, vectorised, and the arrays Fouille searches beside it.

Whoosh's own writer pushes every posting through a Python sorting pool and a per-posting
`add_posting` call, which caps a build at a few hundred articles per second. Here articles
are analysed once (`search.inverter`), their tokens kept as flat integer arrays, and when the
segment is written the postings of each field are grouped with numpy and encoded a block at
a time in Whoosh's W3 format (`whoosh.codec.whoosh3`): the same `.trm` term table, the same
`.pst` blocks (a pickled tuple of delta-coded ids, weights and values, compressed from 80
bytes), and the per-document columns written by Whoosh's own `W3PerDocWriter`. Whoosh reads
the result as a segment it wrote itself and stays the source of truth.

Beside the segment, `<segment>.fouille` (`search.arrays`) holds what the search path reads
with numpy: per field, the postings as document ids and term frequencies with a term lookup
table, the documents' field lengths; per document, the publication time (µs), feed, author and tags.
"""

from __future__ import annotations

import contextlib
import hashlib
import struct
import zlib
from array import array
from collections.abc import Iterable
from datetime import datetime
from pickle import dumps
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.filedb.filetables import OrderedHashWriter, md5_hash
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte

from . import arrays
from .documents import microseconds
from .inverter import ExactStream, Inverter, StemStream

BLOCK = 128  # postings per block, as Whoosh's W3 codec writes them
#: Documents in one segment at most: their numbers within it fit the arrays' 16 bits.
MAX_DOCS = 1 << 16
#: Occurrences of a word in one field that the arrays count (and keep positions of).
MAX_TF = 255
COMPRESSION = 1  # zlib level: Whoosh uses 3; 1 is twice as fast for a few % more bytes
COMPRESSION_MIN_SIZE = 80  # Whoosh never compresses a smaller block either
HEADER_MAGIC = b"W3Bl"
_TERMINFO = struct.Struct("!BfIBBfII")
_RECORD = struct.Struct("!ii")
_BLOCKLEN = struct.Struct("!i")

#: Fields fed from the one analysis: stemmed (frequencies) and exact (with positions).
STEM_FIELDS = ("text", "title")
EXACT_FIELDS = ("body_exact", "title_exact")
#: Every field whose postings the search path reads as arrays.
ARRAY_FIELDS = (*STEM_FIELDS, *EXACT_FIELDS, "tag", "author", "feed_title", "feed_url")

_LENGTH_BYTES = np.array([length_to_byte(n) for n in range(1 << 16)], dtype=np.uint8)


def length_bytes(lengths: np.ndarray) -> np.ndarray:
    """Whoosh's one-byte encoding of field lengths (`length_to_byte`), vectorised."""
    lengths = np.asarray(lengths, dtype=np.int64)
    out = _LENGTH_BYTES[np.minimum(lengths, len(_LENGTH_BYTES) - 1)]
    big = lengths >= len(_LENGTH_BYTES)
    if big.any():
        out[big] = [length_to_byte(int(n)) for n in lengths[big]]
    return out


def term_hash(term: str) -> int:
    """A stable 64-bit hash of a term: how the arrays look terms up."""
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class _TermTable(OrderedHashWriter):
    """Whoosh's `.trm` table, with its records gathered in memory and written at once."""

    def __init__(self, dbfile: Any) -> None:
        super().__init__(dbfile)
        self._records = bytearray()
        self._base = dbfile.tell()

    def add(self, key: bytes, value: bytes) -> None:
        pos = self._base + len(self._records)
        self._records += _RECORD.pack(len(key), len(value))
        self._records += key
        self._records += value
        h = md5_hash(key)
        self.buckets[h & 255].append((h, pos))
        self.index.append(pos)

    def close(self) -> int:
        self.dbfile.write(bytes(self._records))
        self._records = bytearray()
        return super().close()


class _Postings:
    """One field's postings grouped by term, terms in byte order."""

    def __init__(
        self,
        terms: list[bytes],
        starts: np.ndarray,
        docs: np.ndarray,
        freqs: np.ndarray,
        values: list[bytes] | None,
    ) -> None:
        self.terms = terms
        self.starts = np.asarray(starts, dtype=np.int64)
        self.docs = np.asarray(docs, dtype=np.int64)
        self.freqs = np.asarray(freqs, dtype=np.float64)
        self.values = values
        self.positions: np.ndarray | None = None
        self.position_starts: np.ndarray | None = None


class SegmentBuilder:
    """Accumulates analysed documents and writes them as one Whoosh segment.

    `add` takes the Whoosh document (field name → value, as `search.documents` makes it)
    and the texts the four big fields are fed from; `write` produces the segment files and
    returns the `W3Segment` to name in the index's table of contents.
    """

    def __init__(self, ix: Any, inverter: Inverter) -> None:
        self.storage = ix.storage
        self.schema = ix.schema
        self.codec = W3Codec()
        self.segment = W3Segment(self.codec, ix.indexname)
        self.inverter = inverter
        self.count = 0
        #: Tokens held in memory (what a bulk writer bounds).
        self.tokens = 0
        self.deleted: set[int] = set()
        self._stems = {name: StemStream() for name in STEM_FIELDS}
        self._exact = {name: ExactStream() for name in EXACT_FIELDS}
        # Small fields (ids, tags, authors, dates) go through Whoosh's own field analysis.
        self._other: list[tuple[str, bytes, int, float, bytes]] = []
        self._lengths: dict[str, array[int]] = {}
        self._published = array("q")
        self._feeds = array("i")
        self._authors = array("i")
        self._feed_codes: dict[str, int] = {}
        self._author_codes: dict[str, int] = {}
        self._feed_titles: dict[str, str] = {}
        self._tag_labels: dict[str, dict[str, int]] = {}
        self._tag_codes: dict[str, int] = {}
        self._doc_tags = array("i")
        self._doc_tag_ends = array("q")
        self._perdoc: Any = None

    # -- adding ------------------------------------------------------------------------------

    def add(
        self,
        fields: dict[str, Any],
        *,
        title: str,
        tags: Iterable[tuple[str, str]],
        body: str,
        repeat_title: int,
    ) -> int:
        """Add one document; returns its number within the segment.

        Args:
            fields: the Whoosh document: stored values and the small indexed fields.
            title, body: the texts of `title`/`title_exact` and `body_exact`; `text` is the
                title `repeat_title` times, the tags and the body.
            tags: (label, folded key) of each tag.
        """
        if self._perdoc is None:
            self._perdoc = self.codec.per_document_writer(self.storage, self.segment)
        docnum = self.count
        inverter = self.inverter
        tags = list(tags)
        title_runs = inverter.runs(title)
        body_runs = inverter.runs(body)
        title_stems = inverter.stem_ids(title_runs)
        tag_stems = inverter.stem_ids(inverter.runs(" ; ".join(label for label, _ in tags)))
        lengths = {
            "title": self._stems["title"].add(title_stems),
            "text": self._stems["text"].add(
                *([title_stems] * repeat_title),
                tag_stems,
                inverter.stem_ids(body_runs),
            ),
            "title_exact": self._exact["title_exact"].add(title_runs),
            "body_exact": self._exact["body_exact"].add(body_runs),
        }
        self.tokens += lengths["text"] + lengths["body_exact"]

        perdoc = self._perdoc
        perdoc.start_doc(docnum)
        schema = self.schema
        for name in sorted(fields):
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = lengths.get(name, 0)
            if field.indexed and name not in lengths:
                other = self._other
                for tbytes, freq, weight, vbytes in field.index(value):
                    if field.scorable:
                        length += freq
                    other.append((name, tbytes, docnum, weight, vbytes))
            perdoc.add_field(name, field, value if field.stored else None, length)
            if length:
                column = self._lengths.get(name)
                if column is None:
                    column = self._lengths[name] = array("q", bytes(8 * docnum))
                column.append(length)
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        for column in self._lengths.values():
            if len(column) <= docnum:
                column.append(0)

        published = fields.get("published")
        self._published.append(microseconds(published) if isinstance(published, datetime) else 0)
        feed_url = fields.get("feed_url") or ""
        self._feeds.append(self._feed_codes.setdefault(feed_url, len(self._feed_codes)))
        if fields.get("feed_title"):
            self._feed_titles.setdefault(feed_url, fields["feed_title"])
        author = fields.get("author") or ""
        self._authors.append(self._author_codes.setdefault(author, len(self._author_codes)))
        for label, key in tags:
            spellings = self._tag_labels.setdefault(key, {})
            spellings[label] = spellings.get(label, 0) + 1
            self._doc_tags.append(self._tag_codes.setdefault(key, len(self._tag_codes)))
        self._doc_tag_ends.append(len(self._doc_tags))
        self.count += 1
        return docnum

    def delete(self, docnum: int) -> None:
        """Mark a document of this (unwritten) segment deleted."""
        self.deleted.add(docnum)

    # -- writing -----------------------------------------------------------------------------

    def write(self) -> W3Segment:
        """Write the segment files and its arrays. The segment is in no index until the
        caller commits a table of contents that names it."""
        segment = self.segment
        if self._perdoc is None:
            self._perdoc = self.codec.per_document_writer(self.storage, self.segment)
        self._perdoc.close()
        segment.set_doc_count(self.count)
        for docnum in sorted(self.deleted):
            segment.delete_document(docnum)

        table = _TermTable(segment.create_file(self.storage, W3Codec.TERMS_EXT))
        fieldmap: dict[str, int] = {}
        table.extras["fieldmap"] = fieldmap
        postfile = segment.create_file(self.storage, W3Codec.POSTS_EXT)
        out: dict[str, np.ndarray] = {}
        header: dict[str, Any] = {"count": self.count, "fields": {}}
        other = self._other_by_field()
        for name in sorted({*self._stems, *self._exact, *other}):
            if name in self._stems:
                postings = self._stem_postings(name)
            elif name in self._exact:
                postings = self._exact_postings(name)
            else:
                postings = other[name]
            if not postings.terms:
                continue
            fieldmap[name] = len(fieldmap)
            lenbytes = self._length_bytes(name)
            _write_field(
                table,
                postfile,
                pack_ushort(fieldmap[name]),
                postings,
                self.schema[name].format.fixed_value_size(),
                lenbytes,
            )
            if name in ARRAY_FIELDS:
                out.update(_field_arrays(name, postings, lenbytes))
                header["fields"][name] = {"terms": len(postings.terms)}
        table.close()
        postfile.close()

        out["published"] = np.frombuffer(self._published, dtype=np.int64)
        out["feed"] = np.frombuffer(self._feeds, dtype=np.int32)
        out["author"] = np.frombuffer(self._authors, dtype=np.int32)
        header["feeds"] = [
            [url, self._feed_titles.get(url, "")] for url in _by_code(self._feed_codes)
        ]
        header["authors"] = _by_code(self._author_codes)
        out["tags"] = np.frombuffer(self._doc_tags, dtype=np.int32)
        out["tag_ends"] = np.frombuffer(self._doc_tag_ends, dtype=np.int64)
        header["tags"] = [[key, self._tag_labels[key]] for key in _by_code(self._tag_codes)]
        header["lengths"] = {name: int(sum(col)) for name, col in self._lengths.items()}
        arrays.write(self.storage, segment.make_filename(arrays.EXTENSION), header, out)
        return segment

    def cancel(self) -> None:
        """Drop the segment being built (its files are in no table of contents)."""
        if self._perdoc is not None and not self._perdoc.is_closed:
            self._perdoc.close()
        for name in self.segment.list_files(self.storage):
            with contextlib.suppress(OSError):
                self.storage.delete_file(name)

    def _length_bytes(self, name: str) -> np.ndarray | None:
        column = self._lengths.get(name)
        if column is None:
            return None
        return length_bytes(np.frombuffer(column, dtype=np.int64))

    def _term_order(self, ids: np.ndarray, stems: bool) -> tuple[list[bytes], np.ndarray]:
        """The terms used, in byte order, and each vocabulary id's rank among them."""
        vocab = self.inverter.stems if stems else self.inverter.exact
        used = np.unique(ids)
        encoded = [vocab.terms[i].encode("utf-8") for i in used.tolist()]
        order = sorted(range(len(used)), key=encoded.__getitem__)
        rank = np.zeros(len(vocab), dtype=np.int64)
        rank[used[order]] = np.arange(len(used))
        return [encoded[i] for i in order], rank

    def _stem_postings(self, name: str) -> _Postings:
        stream = self._stems[name]
        ids = np.frombuffer(stream.ids, dtype=np.int32)
        ends = np.frombuffer(stream.ends, dtype=np.int64)
        docs = np.repeat(np.arange(len(ends), dtype=np.int64), np.diff(ends, prepend=0))
        terms, rank = self._term_order(ids, stems=True)
        pairs, freqs = np.unique((rank[ids] << 32) | docs, return_counts=True)
        starts = np.searchsorted(pairs >> 32, np.arange(len(terms) + 1))
        return _Postings(terms, starts, pairs & 0xFFFFFFFF, freqs, None)

    def _exact_postings(self, name: str) -> _Postings:
        stream = self._exact[name]
        ids = np.frombuffer(stream.ids, dtype=np.int32)
        ends = np.frombuffer(stream.ends, dtype=np.int64)
        docs = np.repeat(np.arange(len(ends), dtype=np.int64), np.diff(ends, prepend=0))
        terms, rank = self._term_order(ids, stems=False)
        keys = (rank[ids] << 32) | docs
        # A stable sort keeps each document's positions in order within its posting.
        sort = np.argsort(keys, kind="stable")
        keys = keys[sort]
        positions = stream.positions()[sort]
        first = np.flatnonzero(np.diff(keys, prepend=-1))
        pairs = keys[first]
        freqs = np.diff(first, append=len(keys))
        starts = np.searchsorted(pairs >> 32, np.arange(len(terms) + 1))
        postings = _Postings(terms, starts, pairs & 0xFFFFFFFF, freqs, None)
        # Positions go to the arrays only (Whoosh's Positions format pickles every posting's
        # list: the largest part of an index, and the slowest to write and to read), at most
        # MAX_TF of them per posting, as many as its stored frequency says.
        rank = np.arange(len(keys)) - np.repeat(first, freqs)
        kept = rank < MAX_TF
        postings.positions = positions[kept]
        postings.position_starts = np.searchsorted((keys >> 32)[kept], np.arange(len(terms) + 1))
        return postings

    def _other_by_field(self) -> dict[str, _Postings]:
        by_field: dict[str, list[tuple[bytes, int, float, bytes]]] = {}
        for name, tbytes, docnum, weight, vbytes in self._other:
            by_field.setdefault(name, []).append((tbytes, docnum, weight, vbytes))
        out = {}
        for name, postings in by_field.items():
            postings.sort(key=lambda p: (p[0], p[1]))
            terms: list[bytes] = []
            starts: list[int] = []
            for n, (tbytes, _, _, _) in enumerate(postings):
                if not terms or tbytes != terms[-1]:
                    terms.append(tbytes)
                    starts.append(n)
            starts.append(len(postings))
            out[name] = _Postings(
                terms,
                np.array(starts),
                np.array([p[1] for p in postings]),
                np.array([p[2] for p in postings]),
                [p[3] for p in postings],
            )
        return out


def _by_code(codes: dict[str, int]) -> list[str]:
    out = [""] * len(codes)
    for value, code in codes.items():
        out[code] = value
    return out


def _write_field(
    table: _TermTable,
    postfile: Any,
    prefix: bytes,
    postings: _Postings,
    fixed: int | None,
    lenbytes: np.ndarray | None,
) -> None:
    """Write every term of one field: its W3 blocks to `postfile`, its info to `table`."""
    docs = postings.docs
    starts = postings.starts
    # Blocks of at most BLOCK postings, never across terms.
    counts = np.diff(starts)
    nblocks = (counts + BLOCK - 1) // BLOCK
    block_term = np.repeat(np.arange(len(counts)), nblocks)
    block_rank = np.arange(len(block_term)) - np.repeat(np.cumsum(nblocks) - nblocks, nblocks)
    bstart = starts[:-1][block_term] + block_rank * BLOCK
    bend = np.minimum(bstart + BLOCK, starts[1:][block_term])
    deltas = np.diff(docs, prepend=0)
    deltas[bstart] = docs[bstart]
    freqs = postings.freqs
    wmax = np.maximum.reduceat(freqs, bstart)
    wmin = np.minimum.reduceat(freqs, bstart)
    wsum = np.add.reduceat(freqs, bstart)
    if lenbytes is not None:
        doc_lengths = lenbytes[docs]
        lmin = np.minimum.reduceat(doc_lengths, bstart).tolist()
        lmax = np.maximum.reduceat(doc_lengths, bstart).tolist()
    else:
        lmin = lmax = [0] * len(bstart)
    delta_list = deltas.tolist()
    doc_list = docs.tolist()
    freq_list = freqs.tolist()
    values = postings.values
    # Whole frequencies are pickled as ints (2 bytes each where Whoosh's floats take 9).
    weight_list = freqs.astype(np.int64).tolist() if _whole(freqs) else freq_list
    out = bytearray()
    base = postfile.tell()
    b = 0
    bstart_l, bend_l = bstart.tolist(), bend.tolist()
    wmax_l, wmin_l, wsum_l = wmax.tolist(), wmin.tolist(), wsum.tolist()
    for t, tbytes in enumerate(postings.terms):
        first = len(out)
        out += HEADER_MAGIC
        weight = 0.0
        maxweight = 0.0
        minlen = 255
        maxlen = 0
        last = b + int(nblocks[t]) - 1
        while b <= last:
            a, e = bstart_l[b], bend_l[b]
            hi, lo = wmax_l[b], wmin_l[b]
            if lo == hi == 1.0:
                mini: Any = None
            elif lo == hi:
                mini = hi
            else:
                mini = tuple(weight_list[a:e])
            if fixed is None or fixed < 0:
                vs: Any = tuple(values[a:e]) if values is not None else ()
            elif fixed == 0:
                vs = None
            else:
                assert values is not None
                vs = b"".join(values[a:e])
            data = dumps((tuple(delta_list[a:e]), mini, vs), 2)
            comp = COMPRESSION if len(data) >= COMPRESSION_MIN_SIZE else 0
            if comp:
                data = zlib.compress(data, comp)
            info = dumps((e - a, doc_list[e - 1], hi, comp, lmin[b], lmax[b]), 2)
            size = len(info) + len(data)
            out += _BLOCKLEN.pack(-size if b == last else size)
            out += info
            out += data
            weight += wsum_l[b]
            maxweight = max(maxweight, hi)
            minlen = min(minlen, lmin[b])
            maxlen = max(maxlen, lmax[b])
            b += 1
        a, e = int(starts[t]), int(starts[t + 1])
        head = _TERMINFO.pack(
            0,
            weight,
            e - a,
            minlen if lenbytes is not None else 0,
            maxlen,
            maxweight,
            doc_list[a],
            doc_list[e - 1],
        )
        table.add(prefix + tbytes, head + pack_long(base + first) + pack_int(len(out) - first))
    postfile.write(bytes(out))


def _whole(values: np.ndarray) -> bool:
    return bool(np.all(values == np.floor(values)))


def _field_arrays(name: str, postings: _Postings, lenbytes: np.ndarray | None) -> dict[str, Any]:
    hashes = np.array([term_hash(t.decode("utf-8")) for t in postings.terms], dtype=np.uint64)
    order = np.argsort(hashes, kind="stable")
    out = {
        f"{name}.hash": hashes[order],
        f"{name}.order": order.astype(np.int32),
        f"{name}.start": postings.starts.astype(np.int32),
        f"{name}.docs": postings.docs.astype(np.uint16),
        # One byte per posting: the scoring model counts a word at most MAX_TF times in one
        # field (BM25 has long saturated there).
        f"{name}.tf": np.minimum(postings.freqs, MAX_TF).astype(np.uint8),
    }
    if lenbytes is not None:
        out[f"{name}.len"] = lenbytes
    if postings.positions is not None:
        wide = postings.positions.size and postings.positions.max() >= 1 << 16
        out[f"{name}.pos"] = postings.positions.astype(np.uint32 if wide else np.uint16)
        out[f"{name}.pstart"] = postings.position_starts.astype(np.int32)
    return out
