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
#: Postings turned into Python objects at a time while a field is written.
CHUNK = 1 << 16
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
    out: np.ndarray = _LENGTH_BYTES[np.minimum(lengths, len(_LENGTH_BYTES) - 1)]
    big = lengths >= len(_LENGTH_BYTES)
    if big.any():
        out[big] = [length_to_byte(int(n)) for n in lengths[big]]
    return out


def term_hash(term: str) -> int:
    """A stable 64-bit hash of a term: how the arrays look terms up."""
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class _TermTable(OrderedHashWriter):  # type: ignore[misc]  # Whoosh is untyped
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
        return int(super().close())


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
        self.docs = np.asarray(docs, dtype=np.int32)
        #: Whole frequencies as int32 (the big fields); weights as float64 otherwise.
        self.freqs = freqs if freqs.dtype == np.int32 else np.asarray(freqs, dtype=np.float64)
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
        self._other: dict[str, _SmallField] = {}
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
        for name in sorted({*fields, *lengths}):
            value = fields.get(name, "")
            if value is None:
                continue
            field = schema[name]
            length = lengths.get(name, 0)
            if field.indexed and name not in lengths:
                small = self._other.get(name)
                if small is None:
                    small = self._other[name] = _SmallField()
                for tbytes, freq, weight, vbytes in field.index(value):
                    if field.scorable:
                        length += freq
                    small.add(tbytes, docnum, weight, vbytes)
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

    def _grouped(
        self, ids: np.ndarray, ends: np.ndarray, stems: bool
    ) -> tuple[list[bytes], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Tokens (vocabulary ids, documents ending at `ends`) grouped into postings.

        Returns the terms in byte order, the token order that sorts by term then document
        (tokens were added document by document, so a stable sort by term is enough and
        keeps each document's tokens in order), each posting's first sorted token, its
        document, and where each term's postings start. Arrays are int32 where they can be:
        this is the peak of a build's memory.
        """
        vocab = self.inverter.stems if stems else self.inverter.exact
        used = np.unique(ids)
        encoded = [vocab.terms[i].encode("utf-8") for i in used.tolist()]
        by_bytes = sorted(range(len(used)), key=encoded.__getitem__)
        rank = np.zeros(len(vocab), dtype=np.int32)
        rank[used[by_bytes]] = np.arange(len(used), dtype=np.int32)
        del used
        ranked = rank[ids]
        del rank
        order = np.argsort(ranked, kind="stable")
        ranked = ranked[order]
        per_doc = np.diff(ends, prepend=0)
        docs = np.repeat(np.arange(len(ends), dtype=np.int32), per_doc)[order]
        change = np.empty(len(ranked), dtype=bool)
        change[:1] = True
        np.not_equal(ranked[1:], ranked[:-1], out=change[1:])
        change[1:] |= docs[1:] != docs[:-1]
        first = np.flatnonzero(change).astype(np.int32)
        del change
        first_docs = docs[first]
        del docs
        term_starts = np.searchsorted(ranked[first], np.arange(len(encoded) + 1))
        return [encoded[i] for i in by_bytes], order, first, first_docs, term_starts

    def _stem_postings(self, name: str) -> _Postings:
        stream = self._stems[name]
        ids = np.frombuffer(stream.ids, dtype=np.int32)
        ends = np.frombuffer(stream.ends, dtype=np.int64)
        terms, order, first, docs, starts = self._grouped(ids, ends, stems=True)
        del order
        freqs = np.diff(first, append=np.int32(len(ids)))
        return _Postings(terms, starts, docs, freqs, None)

    def _exact_postings(self, name: str) -> _Postings:
        stream = self._exact[name]
        ids = np.frombuffer(stream.ids, dtype=np.int32)
        ends = np.frombuffer(stream.ends, dtype=np.int64)
        terms, order, first, docs, starts = self._grouped(ids, ends, stems=False)
        freqs = np.diff(first, append=np.int32(len(ids)))
        postings = _Postings(terms, starts, docs, freqs, None)
        # Positions go to the arrays only (Whoosh's Positions format pickles every posting's
        # list: the largest part of an index, and the slowest to write and to read), at most
        # MAX_TF of them per posting, as many as its stored frequency says.
        positions = stream.positions()[order]
        del order
        within = np.arange(len(positions), dtype=np.int32)
        within -= np.repeat(first, freqs)
        kept = within < MAX_TF
        del within
        postings.positions = positions[kept]
        del positions, kept
        per_term = np.add.reduceat(np.minimum(freqs, MAX_TF), starts[:-1]) if len(first) else freqs
        postings.position_starts = np.concatenate(([0], np.cumsum(per_term)))
        return postings

    def _other_by_field(self) -> dict[str, _Postings]:
        return {name: small.postings() for name, small in self._other.items()}


class _SmallField:
    """The postings of a small field, as codes: its terms and values repeat a lot."""

    def __init__(self) -> None:
        self.terms: dict[bytes, int] = {}
        self.values: dict[bytes, int] = {}
        self.term_codes = array("i")
        self.docs = array("i")
        self.weights = array("d")
        self.value_codes = array("i")

    def add(self, tbytes: bytes, docnum: int, weight: float, vbytes: bytes) -> None:
        self.term_codes.append(self.terms.setdefault(tbytes, len(self.terms)))
        self.docs.append(docnum)
        self.weights.append(weight)
        self.value_codes.append(self.values.setdefault(vbytes, len(self.values)))

    def postings(self) -> _Postings:
        terms = sorted(self.terms)
        rank = np.empty(len(terms), dtype=np.int64)
        rank[[self.terms[t] for t in terms]] = np.arange(len(terms))
        ranked = rank[np.frombuffer(self.term_codes, dtype=np.int32)]
        docs = np.frombuffer(self.docs, dtype=np.int32)
        order = np.lexsort((docs, ranked))
        values = list(self.values)
        return _Postings(
            terms,
            np.searchsorted(ranked[order], np.arange(len(terms) + 1)),
            docs[order],
            np.frombuffer(self.weights, dtype=np.float64)[order],
            [
                values[code]
                for code in np.frombuffer(self.value_codes, dtype=np.int32)[order].tolist()
            ],
        )


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
    """Write every term of one field: its W3 blocks to `postfile`, its info to `table`.

    Block statistics are computed for the whole field with numpy; the Python lists the
    pickles are made of are built a chunk of terms at a time, to bound memory.
    """
    docs = postings.docs
    starts = postings.starts
    freqs = postings.freqs
    # Blocks of at most BLOCK postings, never across terms.
    nblocks = (np.diff(starts) + BLOCK - 1) // BLOCK
    block_end = np.cumsum(nblocks)
    block_term = np.repeat(np.arange(len(nblocks)), nblocks)
    bstart = (
        starts[:-1][block_term]
        + (np.arange(len(block_term)) - (block_end - nblocks)[block_term]) * BLOCK
    )
    bend = np.minimum(bstart + BLOCK, starts[1:][block_term])
    del block_term
    deltas = np.diff(docs, prepend=np.int32(0))
    deltas[bstart] = docs[bstart]
    wmax = np.maximum.reduceat(freqs, bstart).astype(np.float64).tolist()
    wmin = np.minimum.reduceat(freqs, bstart).astype(np.float64).tolist()
    wsum = np.add.reduceat(freqs, bstart).astype(np.float64).tolist()
    if lenbytes is not None:
        doc_lengths = lenbytes[docs]
        lmin = np.minimum.reduceat(doc_lengths, bstart).tolist()
        lmax = np.maximum.reduceat(doc_lengths, bstart).tolist()
        del doc_lengths
    else:
        lmin = lmax = [0] * len(bstart)
    # Whole frequencies are pickled as ints (2 bytes each where Whoosh's floats take 9).
    weights = freqs if freqs.dtype == np.int32 or not _whole(freqs) else freqs.astype(np.int32)
    values = postings.values
    bstart_l, bend_l = bstart.tolist(), bend.tolist()
    nblocks_l, starts_l = nblocks.tolist(), starts.tolist()
    terms = postings.terms
    written = postfile.tell()
    t = 0
    b = 0
    while t < len(terms):
        # The next chunk of terms: about CHUNK postings (at least one term).
        t_end = max(int(np.searchsorted(starts, starts_l[t] + CHUNK, side="right")) - 1, t + 1)
        t_end = min(t_end, len(terms))
        a0, a1 = starts_l[t], starts_l[t_end]
        delta_list = deltas[a0:a1].tolist()
        doc_list = docs[a0:a1].tolist()
        weight_list = weights[a0:a1].tolist()
        out = bytearray()
        for term in range(t, t_end):
            first = len(out)
            out += HEADER_MAGIC
            weight = 0.0
            maxweight = 0.0
            minlen = 255
            maxlen = 0
            last = b + nblocks_l[term] - 1
            while b <= last:
                a, e = bstart_l[b] - a0, bend_l[b] - a0
                hi, lo = wmax[b], wmin[b]
                if lo == hi == 1.0:
                    mini: Any = None
                elif lo == hi:
                    mini = hi
                else:
                    mini = tuple(weight_list[a:e])
                if fixed is None or fixed < 0:
                    vs: Any = tuple(values[a0 + a : a0 + e]) if values is not None else ()
                elif fixed == 0:
                    vs = None
                else:
                    assert values is not None
                    vs = b"".join(values[a0 + a : a0 + e])
                data = dumps((tuple(delta_list[a:e]), mini, vs), 2)
                comp = COMPRESSION if len(data) >= COMPRESSION_MIN_SIZE else 0
                if comp:
                    data = zlib.compress(data, comp)
                info = dumps((e - a, doc_list[e - 1], hi, comp, lmin[b], lmax[b]), 2)
                size = len(info) + len(data)
                out += _BLOCKLEN.pack(-size if b == last else size)
                out += info
                out += data
                weight += wsum[b]
                maxweight = max(maxweight, hi)
                minlen = min(minlen, lmin[b])
                maxlen = max(maxlen, lmax[b])
                b += 1
            a, e = starts_l[term] - a0, starts_l[term + 1] - a0
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
            extent = pack_long(written + first) + pack_int(len(out) - first)
            table.add(prefix + terms[term], head + extent)
        postfile.write(bytes(out))
        written += len(out)
        t = t_end


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
    if postings.positions is not None and postings.position_starts is not None:
        wide = postings.positions.size and postings.positions.max() >= 1 << 16
        out[f"{name}.pos"] = postings.positions.astype(np.uint32 if wide else np.uint16)
        out[f"{name}.pstart"] = postings.position_starts.astype(np.int32)
    return out
