"""Whoosh's W3 codec, written in bulk: the `.trm` term table and the `.pst` posting blocks of
one field, from postings grouped with numpy (`whoosh.codec.whoosh3` writes the same format one
posting at a time).

A block is what Whoosh's `W3PostingsWriter._write_block` writes: a length (negative for a
term's last block), a pickled info tuple, and a pickled (ids delta-coded, weights, values)
tuple, zlib-compressed from 80 bytes. Two differences, both read by Whoosh as it reads its
own: whole frequencies are pickled as ints rather than floats, and zlib runs at level 1.
"""

from __future__ import annotations

import struct
import zlib
from pickle import dumps
from typing import Any

import numpy as np
from whoosh.filedb.filetables import OrderedHashWriter, md5_hash
from whoosh.system import pack_int, pack_long
from whoosh.util.numeric import length_to_byte

BLOCK = 128  # postings per block, as Whoosh's W3 codec writes them
#: Postings turned into Python objects at a time while a field is written.
CHUNK = 1 << 16
COMPRESSION = 1  # zlib level: Whoosh uses 3; 1 is twice as fast for a few % more bytes
COMPRESSION_MIN_SIZE = 80  # Whoosh never compresses a smaller block either
HEADER_MAGIC = b"W3Bl"
TERMINFO_STRUCT = struct.Struct("!BfIBBfII")
RECORD_STRUCT = struct.Struct("!ii")
BLOCKLEN_STRUCT = struct.Struct("!i")

_LENGTH_BYTES = np.array([length_to_byte(n) for n in range(1 << 16)], dtype=np.uint8)


def length_bytes(lengths: np.ndarray) -> np.ndarray:
    """Whoosh's one-byte encoding of field lengths (`length_to_byte`), vectorised."""
    lengths = np.asarray(lengths, dtype=np.int64)
    out: np.ndarray = _LENGTH_BYTES[np.minimum(lengths, len(_LENGTH_BYTES) - 1)]
    big = lengths >= len(_LENGTH_BYTES)
    if big.any():
        out[big] = [length_to_byte(int(n)) for n in lengths[big]]
    return out


class TermTable(OrderedHashWriter):  # type: ignore[misc]  # Whoosh is untyped
    """Whoosh's `.trm` table, with its records gathered in memory and written at once."""

    def __init__(self, dbfile: Any) -> None:
        super().__init__(dbfile)
        self._records = bytearray()
        self._base = dbfile.tell()

    def add(self, key: bytes, value: bytes) -> None:
        pos = self._base + len(self._records)
        self._records += RECORD_STRUCT.pack(len(key), len(value))
        self._records += key
        self._records += value
        h = md5_hash(key)
        self.buckets[h & 255].append((h, pos))
        self.index.append(pos)

    def close(self) -> int:
        self.dbfile.write(bytes(self._records))
        self._records = bytearray()
        return int(super().close())


class FieldPostings:
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


def write_field(
    table: TermTable,
    postfile: Any,
    prefix: bytes,
    postings: FieldPostings,
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
                out += BLOCKLEN_STRUCT.pack(-size if b == last else size)
                out += info
                out += data
                weight += wsum[b]
                maxweight = max(maxweight, hi)
                minlen = min(minlen, lmin[b])
                maxlen = max(maxlen, lmax[b])
                b += 1
            a, e = starts_l[term] - a0, starts_l[term + 1] - a0
            head = TERMINFO_STRUCT.pack(
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
