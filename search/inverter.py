"""One analysis per article: each text is tokenized, folded and stemmed once, and every
indexed text field is fed from that one pass.

A word run (`l’Assemblée`, `Wi-Fi`, `C++`) is analysed the first time it is seen and
remembered as vocabulary ids: its exact terms with their offsets within the run, its stems,
and how many positions it takes. The long tail of repeated words then costs a dictionary
lookup. The terms, positions and frequencies are exactly those `FrenchTokenizer` gives for
the same text (`search.analysis` does the work; `tests/test_segment_writer.py` compares our
segments with those of Whoosh's own writer).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import chain
from operator import itemgetter

import numpy as np

from .analysis import RUN_RE, _analyze_run, normalize
from .duplicates import TermHashes

#: Remembered runs past this many are forgotten: a memory bound for very long imports.
MAX_RUNS = 100_000

# (exact ids, their offsets within the run, stem ids, width in positions, number of exact ids)
RunInfo = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], int, int]
# The fields of a RunInfo, for flattening many of them in C (map, chain).
_EXACT, _OFFSETS, _STEMS, _WIDTH, _COUNT = (itemgetter(i) for i in range(5))
_flat = chain.from_iterable


class Vocabulary:
    """Terms ↔ dense integer ids, for one writer process."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []

    def id(self, term: str) -> int:
        """The id of `term`, given a new one the first time."""
        found = self.ids.get(term)
        if found is None:
            found = self.ids[term] = len(self.terms)
            self.terms.append(term)
        return found

    def __len__(self) -> int:
        return len(self.terms)


class StemStream:
    """Stem ids of many documents, flat, with where each document ends."""

    def __init__(self) -> None:
        self.ids: array[int] = array("i")
        self.ends: array[int] = array("q")

    def add(self, *parts: Sequence[int]) -> int:
        """One document's stems (the concatenation of `parts`); returns its length."""
        before = len(self.ids)
        for part in parts:
            self.ids.extend(part)
        self.ends.append(len(self.ids))
        return len(self.ids) - before


class ExactStream:
    """Exact term ids of many documents with what their positions are computed from."""

    def __init__(self) -> None:
        self.ids: array[int] = array("i")
        self.offsets: array[int] = array("i")
        self.counts: array[int] = array("i")  # exact terms of each run
        self.widths: array[int] = array("i")  # positions each run takes
        self.doc_runs: array[int] = array("q")  # where each document's runs end
        self.ends: array[int] = array("q")  # where each document's terms end

    def add(self, infos: Sequence[RunInfo]) -> int:
        """One document's exact terms; returns their number."""
        before = len(self.ids)
        self.ids.extend(_flat(map(_EXACT, infos)))
        self.offsets.extend(_flat(map(_OFFSETS, infos)))
        self.counts.extend(map(_COUNT, infos))
        self.widths.extend(map(_WIDTH, infos))
        self.doc_runs.append(len(self.widths))
        self.ends.append(len(self.ids))
        return len(self.ids) - before

    def positions(self) -> np.ndarray:
        """The position of every term within its document, as the tokenizer numbers them."""
        widths = np.frombuffer(self.widths, dtype=np.int32)
        starts = np.cumsum(widths, dtype=np.int32)
        starts -= widths
        doc_runs = np.frombuffer(self.doc_runs, dtype=np.int64)
        first = np.concatenate(([0], doc_runs[:-1]))
        runs_per_doc = doc_runs - first
        some = runs_per_doc > 0
        starts -= np.repeat(starts[first[some]], runs_per_doc[some])
        counts = np.frombuffer(self.counts, dtype=np.int32)
        positions = np.repeat(starts, counts)
        positions += np.frombuffer(self.offsets, dtype=np.int32)
        return positions


class Inverter:
    """Turns texts into exact and stemmed token streams, one analysis per word run."""

    def __init__(self) -> None:
        self.exact = Vocabulary()
        self.stems = Vocabulary()
        self._runs: dict[str, RunInfo] = {}
        # Stable hashes of the ids, for the near-duplicate keys (`search.duplicates`).
        self.exact_hashes = TermHashes(self.exact)
        self.stem_hashes = TermHashes(self.stems)

    def _learn(self, run: str) -> RunInfo:
        # Not through `_analyze_run`'s own cache: this one holds the same in less memory.
        exact = _analyze_run.__wrapped__(run, False)
        stemmed = _analyze_run.__wrapped__(run, True)
        width = max((offset for offset, _, _, _ in exact), default=0) + 1
        eid = self.exact.id
        sid = self.stems.id
        info = (
            tuple(eid(term) for _, term, _, _ in exact),
            tuple(offset for offset, _, _, _ in exact),
            tuple(sid(term) for _, term, _, _ in stemmed),
            width,
            len(exact),
        )
        if len(self._runs) >= MAX_RUNS:
            self._runs.clear()
        self._runs[run] = info
        return info

    def runs(self, text: str) -> list[RunInfo]:
        """The analysis of each word run of `text`, in order."""
        if not text:
            return []
        runs = RUN_RE.findall(normalize(text))
        infos = list(map(self._runs.get, runs))
        if None in infos:  # words not seen yet (the others cost a lookup, in C)
            learn = self._learn
            infos = [info or learn(run) for info, run in zip(infos, runs, strict=True)]
        return infos  # type: ignore[return-value]

    @staticmethod
    def stem_ids(infos: Sequence[RunInfo]) -> list[int]:
        """The stem ids of one text, in order."""
        return list(_flat(map(_STEMS, infos)))
