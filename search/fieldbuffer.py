"""The postings of one big text field while a segment is being built.

Tokens arrive as flat streams of vocabulary ids (`search.inverter`), about 4 to 16 bytes a
token. Every few million tokens the stream is compacted into a sorted run of postings (term,
document, frequency, and for exact fields the positions, 2 bytes each), about a third of the
memory; when the segment is written the runs are merged into the postings of each term in
byte order. A segment can so hold tens of thousands of articles in a bounded memory, and an
index has fewer segments, so fewer term tables to store and to look terms up in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .inverter import ExactStream, RunInfo, StemStream, Vocabulary
from .w3 import FieldPostings

#: Occurrences of a word in one field that are counted in the arrays (and have positions).
MAX_TF = 255
#: Postings whose positions are gathered at a time when a segment is written.
GATHER_CHUNK = 1 << 20


@dataclass
class _Run:
    """Postings of a stretch of documents, sorted by vocabulary id then document."""

    ids: np.ndarray  # int32 vocabulary ids
    docs: np.ndarray  # uint16 documents (in the segment: fewer than 65,536)
    freqs: np.ndarray  # occurrences, uint16 unless one is over 65,535
    positions: np.ndarray | None  # the first MAX_TF positions of each posting, in order


class FieldBuffer:
    """One field's tokens for the segment being built: a stream, then compacted runs."""

    def __init__(self, *, positions: bool) -> None:
        self.has_positions = positions
        self._stems = StemStream()
        self._exact = ExactStream()
        self._docs = 0  # documents already compacted into runs
        self._runs: list[_Run] = []

    @property
    def pending(self) -> int:
        """Tokens in the stream, not compacted yet."""
        return len(self._exact.ids) if self.has_positions else len(self._stems.ids)

    def add_stems(self, *parts: Sequence[int]) -> int:
        """One document's stems (the concatenation of `parts`); returns its length."""
        return self._stems.add(*parts)

    def add_exact(self, infos: Sequence[RunInfo]) -> int:
        """One document's exact terms, with positions; returns their number."""
        return self._exact.add(infos)

    def last_ids(self) -> np.ndarray:
        """The exact term ids of the document added last (call it before any compaction)."""
        stream = self._exact
        ends = stream.ends
        start = ends[-2] if len(ends) > 1 else 0
        return np.array(stream.ids[start : ends[-1]], dtype=np.int64)

    def compact(self) -> None:
        """Turn the stream into a run of postings and start a new stream."""
        stream = self._exact if self.has_positions else self._stems
        ends = np.frombuffer(stream.ends, dtype=np.int64)
        if not len(ends):
            return
        ids = np.frombuffer(stream.ids, dtype=np.int32)
        # Tokens are in document order: a stable sort by id keeps each posting's in order.
        order = np.argsort(ids, kind="stable")
        ids = ids[order]
        per_doc = np.diff(ends, prepend=0)
        docs = np.repeat(np.arange(len(ends), dtype=np.int32) + self._docs, per_doc)[order]
        change = np.empty(len(ids), dtype=bool)
        change[:1] = True
        np.not_equal(ids[1:], ids[:-1], out=change[1:])
        change[1:] |= docs[1:] != docs[:-1]
        first = np.flatnonzero(change).astype(np.int32)
        del change
        freqs = np.diff(first, append=np.int32(len(ids)))
        positions = None
        if self.has_positions:
            sorted_positions = self._exact.positions()[order]
            within = np.arange(len(sorted_positions), dtype=np.int32)
            within -= np.repeat(first, freqs)
            positions = sorted_positions[within < MAX_TF]
            del within, sorted_positions
            narrow = not len(positions) or positions.max() < 1 << 16
            positions = positions.astype(np.uint16 if narrow else np.uint32)
        self._runs.append(
            _Run(ids[first], docs[first].astype(np.uint16), _narrow(freqs), positions)
        )
        self._docs += len(ends)
        if self.has_positions:
            self._exact = ExactStream()
        else:
            self._stems = StemStream()

    def postings(self, vocabulary: Vocabulary) -> FieldPostings:
        """Every posting of the segment, grouped by term (terms in UTF-8 byte order)."""
        self.compact()
        runs, self._runs = self._runs, []
        if not runs:
            return FieldPostings([], np.zeros(1, dtype=np.int64), _none(), _none(), None)
        ids = _concat([r.ids for r in runs])
        used = np.unique(ids)
        encoded = [vocabulary.terms[i].encode("utf-8") for i in used.tolist()]
        by_bytes = sorted(range(len(used)), key=encoded.__getitem__)
        rank = np.zeros(len(vocabulary), dtype=np.int32)
        rank[used[by_bytes]] = np.arange(len(used), dtype=np.int32)
        ranked = rank[ids]
        del rank, ids, used
        # Runs follow each other in document order, and each is sorted by (id, document):
        # a stable sort by rank gives (term, document) order.
        order = np.argsort(ranked, kind="stable").astype(np.int32)
        ranked = ranked[order]
        starts = np.searchsorted(ranked, np.arange(len(encoded) + 1))
        del ranked
        freqs = _concat([r.freqs for r in runs])
        postings = FieldPostings(
            [encoded[i] for i in by_bytes],
            starts,
            _concat([r.docs for r in runs])[order],
            freqs[order],
            None,
        )
        if self.has_positions:
            counts = np.minimum(freqs, MAX_TF).astype(np.int16)
            del freqs
            positions = _concat([r.positions for r in runs if r.positions is not None])
            del runs
            postings.positions = _reordered(positions, counts, order)
            before = np.concatenate(([0], np.cumsum(counts[order], dtype=np.int64)))
            postings.position_starts = before[starts]
        return postings


def _reordered(positions: np.ndarray, counts: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Each posting's positions, postings taken in `order` (they are stored one after the
    other, `counts` of each, in their original order); gathered a chunk of postings at a
    time, so that the index arrays stay small."""
    starts = np.cumsum(counts, dtype=np.int64) - counts
    out = np.empty_like(positions)
    written = 0
    for lo in range(0, len(order), GATHER_CHUNK):
        chunk = order[lo : lo + GATHER_CHUNK]
        taken = counts[chunk]
        shift = starts[chunk] - (np.cumsum(taken, dtype=np.int64) - taken)
        indexes = np.repeat(shift, taken)
        indexes += np.arange(len(indexes), dtype=np.int64)
        out[written : written + len(indexes)] = positions[indexes]
        written += len(indexes)
    return out


def _narrow(freqs: np.ndarray) -> np.ndarray:
    return freqs.astype(np.uint16) if not len(freqs) or freqs.max() < 1 << 16 else freqs


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _none() -> np.ndarray:
    return np.zeros(0, dtype=np.int32)
