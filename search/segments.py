"""Writes a Whoosh segment in bulk, vectorised, and the arrays Fouille searches beside it.

Whoosh's own writer pushes every posting through a Python sorting pool and a per-posting
`add_posting` call, which caps a build at a few hundred articles per second. Here articles
are analysed once (`search.inverter`), their tokens kept as flat integer arrays, and when the
segment is written the postings of each field are grouped with numpy and encoded a block at
a time in Whoosh's W3 format (`search.w3`), next to the per-document columns written by
Whoosh's own `W3PerDocWriter`. Whoosh reads the result as a segment it wrote itself and stays
the source of truth.

Beside the segment, `<segment>.fouille` (`search.arrays`) holds what the search path reads
with numpy: per field, the postings as document ids and term frequencies with a term lookup
table, the documents' field lengths; per document, the publication time (µs), feed, author and tags,
and a card: the few stored fields a near-duplicate is listed with (`pack_cards`).
"""

from __future__ import annotations

import contextlib
import zlib
from array import array
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from isal import isal_zlib
from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.system import pack_ushort

from . import arrays, duplicates
from .arrays import term_hash
from .documents import microseconds
from .fieldbuffer import MAX_TF, FieldBuffer
from .inverter import Inverter
from .w3 import FieldPostings, TermTable, length_bytes, write_field

#: Documents in one segment at most: their numbers within it fit the arrays' 16 bits.
MAX_DOCS = 1 << 16
#: Tokens held as streams before they are compacted into sorted runs (memory).
COMPACT_TOKENS = 4_000_000
#: Fields fed from the one analysis: stemmed (frequencies) and exact (with positions).
STEM_FIELDS = ("text", "title")
EXACT_FIELDS = ("body_exact", "title_exact")
#: Every field whose postings the search path reads as arrays.
ARRAY_FIELDS = (*STEM_FIELDS, *EXACT_FIELDS, "tag", "author", "feed_title", "feed_url")


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
        self._buffers = {name: FieldBuffer(positions=False) for name in STEM_FIELDS}
        self._buffers.update({name: FieldBuffer(positions=True) for name in EXACT_FIELDS})
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
        self._dup_title = array("Q")
        self._dup_body = array("Q")
        self._cards = bytearray()
        self._card_ends = array("I")
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
        buffers = self._buffers
        lengths = {
            "title": buffers["title"].add_stems(title_stems),
            "text": buffers["text"].add_stems(
                *([title_stems] * repeat_title),
                tag_stems,
                inverter.stem_ids(body_runs),
            ),
            "title_exact": buffers["title_exact"].add_exact(title_runs),
            "body_exact": buffers["body_exact"].add_exact(body_runs),
        }
        self.tokens += lengths["text"] + lengths["body_exact"]
        title_key, body_key = duplicates.keys(
            inverter.stem_hashes.of([info[2][0] for info in title_runs if info[2]]),
            inverter.exact_hashes.of(buffers["body_exact"].last_ids()),
        )
        if buffers["text"].pending + buffers["body_exact"].pending >= COMPACT_TOKENS:
            for buffer in buffers.values():
                buffer.compact()

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
        self._dup_title.append(title_key)
        self._dup_body.append(body_key)
        self._cards += card(fields)
        self._card_ends.append(len(self._cards))
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

        table = TermTable(segment.create_file(self.storage, W3Codec.TERMS_EXT))
        fieldmap: dict[str, int] = {}
        table.extras["fieldmap"] = fieldmap
        postfile = segment.create_file(self.storage, W3Codec.POSTS_EXT)
        out = arrays.ArrayWriter(self.storage, segment.make_filename(arrays.EXTENSION))
        header: dict[str, Any] = {"count": self.count, "fields": {}}
        other = self._other_by_field()
        for name in sorted({*self._buffers, *other}):
            if name in self._buffers:
                vocabulary = self.inverter.stems if name in STEM_FIELDS else self.inverter.exact
                postings = self._buffers[name].postings(vocabulary)
            else:
                postings = other[name]
            if not postings.terms:
                continue
            fieldmap[name] = len(fieldmap)
            lenbytes = self._length_bytes(name)
            write_field(
                table,
                postfile,
                pack_ushort(fieldmap[name]),
                postings,
                self.schema[name].format.fixed_value_size(),
                lenbytes,
            )
            if name in ARRAY_FIELDS:
                for key, values in _field_arrays(name, postings, lenbytes).items():
                    out.add(key, values)
                header["fields"][name] = {"terms": len(postings.terms)}
            del postings
        table.close()
        postfile.close()

        out.add("published", np.frombuffer(self._published, dtype=np.int64))
        out.add("feed", np.frombuffer(self._feeds, dtype=np.int32))
        out.add("author", np.frombuffer(self._authors, dtype=np.int32))
        header["feeds"] = [
            [url, self._feed_titles.get(url, "")] for url in _by_code(self._feed_codes)
        ]
        header["authors"] = _by_code(self._author_codes)
        out.add("tags", np.frombuffer(self._doc_tags, dtype=np.int32))
        out.add("tag_ends", np.frombuffer(self._doc_tag_ends, dtype=np.int64))
        header["tags"] = [[key, self._tag_labels[key]] for key in _by_code(self._tag_codes)]
        out.add("dup_title", np.frombuffer(self._dup_title, dtype=np.uint64))
        out.add("dup_body", np.frombuffer(self._dup_body, dtype=np.uint64))
        for key, values in pack_cards(bytes(self._cards), self._card_ends).items():
            out.add(key, values)
        header["lengths"] = {name: int(sum(col)) for name, col in self._lengths.items()}
        out.close(header)
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

    def _other_by_field(self) -> dict[str, FieldPostings]:
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

    def postings(self) -> FieldPostings:
        terms = sorted(self.terms)
        rank = np.empty(len(terms), dtype=np.int64)
        rank[[self.terms[t] for t in terms]] = np.arange(len(terms))
        ranked = rank[np.frombuffer(self.term_codes, dtype=np.int32)]
        docs = np.frombuffer(self.docs, dtype=np.int32)
        order = np.lexsort((docs, ranked))
        values = list(self.values)
        return FieldPostings(
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


def _field_arrays(
    name: str, postings: FieldPostings, lenbytes: np.ndarray | None
) -> dict[str, Any]:
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


#: The stored fields a near-duplicate is listed with (`search.hits.version`), in a card's
#: order: a card is read where the stored fields would cost a larger read and inflate.
CARD_FIELDS = ("id", "url", "title", "feed_title")
#: Bytes of sample cards that each card is compressed against (zlib's preset dictionary):
#: cards are too short to compress alone, and share most of their words and addresses.
CARD_DICTIONARY = 16384


def card(fields: dict[str, Any]) -> bytes:
    """A document's card: its `CARD_FIELDS`, UTF-8, separated by NUL bytes."""
    return "\0".join(fields.get(name) or "" for name in CARD_FIELDS).encode(
        "utf-8", "surrogatepass"
    )


def pack_cards(cards: bytes, ends: Sequence[int]) -> dict[str, np.ndarray]:
    """The arrays of a segment's cards (`cards`, one after the other, each ending at its
    entry of `ends`): each card deflated against a dictionary of cards sampled evenly
    through the segment, where each one ends, and the dictionary."""
    starts = [0, *ends[:-1]]
    spans = list(zip(starts, ends, strict=True))
    step = max(1, len(cards) // CARD_DICTIONARY)
    dictionary = b"".join(cards[a:b] for a, b in spans[::step])[-CARD_DICTIONARY:]
    preset = {"zdict": dictionary} if dictionary else {}
    # Each card starts from a copy of a compressor primed with the dictionary: priming
    # takes longer than compressing a card. Small hash tables (memory level 4) copy
    # faster and compress cards as well.
    primed = zlib.compressobj(6, zlib.DEFLATED, -15, 4, zlib.Z_DEFAULT_STRATEGY, **preset)
    packed = bytearray()
    packed_ends = array("I")
    for a, b in spans:
        packer = primed.copy()
        packed += packer.compress(cards[a:b]) + packer.flush()
        packed_ends.append(len(packed))
    return {
        "cards": np.frombuffer(bytes(packed), dtype=np.uint8),
        "card_ends": np.frombuffer(packed_ends, dtype=np.uint32),
        "card_dictionary": np.frombuffer(dictionary, dtype=np.uint8),
    }


def read_card(data: bytes, dictionary: bytes) -> dict[str, str] | None:
    """The fields of a card as `pack_cards` wrote it (None when one of them held a NUL:
    read the stored fields)."""
    preset = {"zdict": dictionary} if dictionary else {}
    raw = isal_zlib.decompressobj(-15, **preset).decompress(data)
    values = raw.decode("utf-8", "surrogatepass").split("\0")
    if len(values) != len(CARD_FIELDS):
        return None
    return dict(zip(CARD_FIELDS, values, strict=True))
