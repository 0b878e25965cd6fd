"""Whoosh's W3 codec, written in bulk: the `.trm` term table and the `.pst` posting blocks of
one field, from postings grouped with numpy (`whoosh.codec.whoosh3` writes the same format one
posting at a time).

A block is what Whoosh's `W3PostingsWriter._write_block` writes: a length (negative for a
term's last block), a pickled info tuple, and a pickled (ids delta-coded, weights, values)
tuple, zlib-compressed from 80 bytes. Whoosh reads everything written here as it reads its
own; where we differ, it is to make the index smaller: whole frequencies are pickled as ints
rather than floats, a term with one posting is inlined in the term table (Whoosh can read
that, its writer just never does it by default), the term table's hash tables have 1.5 slots
a key rather than 2, and zlib runs at level 1.
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
POINTER_STRUCT = struct.Struct("!Iq")  # a hash table slot: key hash, record position

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

    def _write_hashes(self) -> None:
        # Whoosh's writer gives each of the 256 hash tables twice as many slots as keys;
        # 1.5 times keeps lookups short (linear probing stops at an empty slot) for a
        # quarter less of the table's bytes.
        dbfile = self.dbfile
        for entries in self.buckets:
            numslots = len(entries) + (len(entries) + 1) // 2 if entries else 0
            self.directory.append((dbfile.tell(), numslots))
            table = [(0, 0)] * numslots
            for hashval, position in entries:
                slot = (hashval >> 8) % numslots
                while table[slot][1]:
                    slot = (slot + 1) % numslots
                table[slot] = (hashval, position)
            dbfile.write(b"".join(POINTER_STRUCT.pack(h, p) for h, p in table))


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
        #: Documents as uint16 or int32 (a segment has fewer than 65,536).
        self.docs = docs if docs.dtype in (np.uint16, np.int32) else docs.astype(np.int32)
        #: Whole frequencies as integers (the big fields); weights as float64 otherwise.
        self.freqs = freqs if np.issubdtype(freqs.dtype, np.integer) else freqs.astype(np.float64)
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
    deltas = np.diff(docs.astype(np.int32), prepend=np.int32(0))
    deltas[bstart] = docs[bstart]
    wmax = np.maximum.reduceat(freqs, bstart).astype(np.float64)
    wmin = np.minimum.reduceat(freqs, bstart).astype(np.float64)
    wsum = np.add.reduceat(freqs, bstart).astype(np.float64)
    if lenbytes is not None:
        doc_lengths = lenbytes[docs]
        lmin = np.minimum.reduceat(doc_lengths, bstart)
        lmax = np.maximum.reduceat(doc_lengths, bstart)
        del doc_lengths
    else:
        lmin = lmax = np.zeros(len(bstart), dtype=np.uint8)
    # Whole frequencies are pickled as ints (2 bytes each where Whoosh's floats take 9).
    whole = np.issubdtype(freqs.dtype, np.integer) or _whole(freqs)
    weights = freqs.astype(np.int32) if whole and freqs.dtype != np.int32 else freqs
    values = postings.values
    terms = postings.terms
    written = postfile.tell()
    t = 0
    while t < len(terms):
        # The next chunk of terms: about CHUNK postings (at least one term), turned into the
        # Python lists the pickles are made of.
        t_end = max(int(np.searchsorted(starts, starts[t] + CHUNK, side="right")) - 1, t + 1)
        t_end = min(t_end, len(terms))
        a0, a1 = int(starts[t]), int(starts[t_end])
        b0, b1 = int(block_end[t] - nblocks[t]), int(block_end[t_end - 1])
        delta_list = deltas[a0:a1].tolist()
        doc_list = docs[a0:a1].tolist()
        weight_list = weights[a0:a1].tolist()
        starts_l = (starts[t : t_end + 1] - a0).tolist()
        nblocks_l = nblocks[t:t_end].tolist()
        bstart_l = (bstart[b0:b1] - a0).tolist()
        bend_l = (bend[b0:b1] - a0).tolist()
        wmax_l, wmin_l, wsum_l = wmax[b0:b1].tolist(), wmin[b0:b1].tolist(), wsum[b0:b1].tolist()
        lmin_l, lmax_l = lmin[b0:b1].tolist(), lmax[b0:b1].tolist()
        b = 0
        out = bytearray()
        for k, term in enumerate(range(t, t_end)):
            a, e = starts_l[k], starts_l[k + 1]
            if e - a == 1:
                # One posting: inlined in the term table (as Whoosh's `inlinelimit` does),
                # where a block would cost three times the bytes.
                inlined = (
                    (doc_list[a],),
                    (weight_list[a],),
                    (values[a0 + a],) if values is not None and fixed != 0 else (),
                )
                head = TERMINFO_STRUCT.pack(
                    1,
                    wsum_l[b],
                    1,
                    lmin_l[b] if lenbytes is not None else 0,
                    lmax_l[b],
                    wmax_l[b],
                    doc_list[a],
                    doc_list[a],
                )
                table.add(prefix + terms[term], head + dumps(inlined, 2))
                b += 1
                continue
            first = len(out)
            out += HEADER_MAGIC
            weight = 0.0
            maxweight = 0.0
            minlen = 255
            maxlen = 0
            last = b + nblocks_l[k] - 1
            while b <= last:
                ba, be = bstart_l[b], bend_l[b]
                hi, lo = wmax_l[b], wmin_l[b]
                if lo == hi == 1.0:
                    mini: Any = None
                elif lo == hi:
                    mini = hi
                else:
                    mini = tuple(weight_list[ba:be])
                if fixed is None or fixed < 0:
                    vs: Any = tuple(values[a0 + ba : a0 + be]) if values is not None else ()
                elif fixed == 0:
                    vs = None
                else:
                    assert values is not None
                    vs = b"".join(values[a0 + ba : a0 + be])
                data = dumps((tuple(delta_list[ba:be]), mini, vs), 2)
                comp = COMPRESSION if len(data) >= COMPRESSION_MIN_SIZE else 0
                if comp:
                    data = zlib.compress(data, comp)
                info = dumps((be - ba, doc_list[be - 1], hi, comp, lmin_l[b], lmax_l[b]), 2)
                size = len(info) + len(data)
                out += BLOCKLEN_STRUCT.pack(-size if b == last else size)
                out += info
                out += data
                weight += wsum_l[b]
                maxweight = max(maxweight, hi)
                minlen = min(minlen, lmin_l[b])
                maxlen = max(maxlen, lmax_l[b])
                b += 1
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
