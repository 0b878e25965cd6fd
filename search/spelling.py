"""Spelling: "did you mean" for queries, and completions for what a user is typing.

Both read the archive's own vocabulary (the exact fields' terms) through Whoosh's term
tables: a suggestion is a word the archive knows, spelled as its articles spell it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from .analysis import STOP_WORDS, fold
from .postings import IndexArrays
from .schema import SPELLING_FIELDS
from .snippets import compile_forms

#: Stored articles read to learn how a word is spelled.
SURFACE_DOCS = 8
COMPLETION_SCAN = 2000


class Speller:
    """Suggestions and completions over one committed state of the index.

    Args:
        reader: the Whoosh reader of that state (term tables).
        stored: a document's stored fields.
        arrays: the state's arrays (tags).
    """

    def __init__(
        self, reader: Any, stored: Callable[[int], dict[str, Any]], arrays: IndexArrays
    ) -> None:
        self.reader = reader
        self.stored = stored
        self.arrays = arrays

    def frequency(self, term: str) -> int:
        """Documents holding the folded word `term` (title or body)."""
        return sum(self.reader.doc_frequency(f, term) for f in SPELLING_FIELDS)

    def suggestion(self, words: list[str], total: int, count: Callable[[str], int]) -> str | None:
        """ "Vouliez-vous dire": accents restored and unknown words replaced by the closest
        frequent word of the archive; offered only when it finds more than the query did
        (`count` gives the hits of a query text)."""
        better = [self.better_word(word) for word in words]
        if better == words:
            return None
        suggestion = " ".join(better)
        if [fold(w) for w in better] != [fold(w) for w in words] and count(suggestion) <= total:
            return None
        return suggestion

    def better_word(self, word: str) -> str:
        """The word as the archive spells it: accents restored, or a typo fixed (only for
        a word the archive does not know)."""
        folded = fold(word)
        if not folded.isalpha() or len(folded) < 3:
            return word
        best = folded
        if self.frequency(folded) == 0:
            best_key = (0, 0)
            for maxdist in (1, 2) if len(folded) >= 6 else (1,):
                for field in SPELLING_FIELDS:
                    for candidate in self.reader.terms_within(field, folded, maxdist, prefix=1):
                        if candidate in STOP_WORDS or not candidate.isalpha():
                            continue
                        # Closest first, then most frequent; ties go to the longer word
                        # (`windos` → `windows`, not `window`).
                        key = (self.frequency(candidate), len(candidate))
                        if key > best_key:
                            best, best_key = candidate, key
                if best != folded:
                    break
            if best == folded:
                return word
        elif not word.isascii() or word.isupper():
            return word  # typed with its accents, or an acronym: nothing to restore
        surface = self.surface(best)
        return surface if surface is not None else word

    def surface(self, folded: str) -> str | None:
        """The most common spelling, accents included, of a folded vocabulary word."""
        pattern = compile_forms(frozenset({folded}))
        assert pattern is not None
        seen: Counter[str] = Counter()
        docnums: set[int] = set()
        for field in SPELLING_FIELDS:
            docs = self.arrays.postings(field, folded).docs
            docnums.update(docs[:5].tolist())
        for docnum in sorted(docnums)[:SURFACE_DOCS]:
            stored = self.stored(docnum)
            for value in (
                stored.get("title") or "",
                stored.get("body") or stored.get("summary") or "",
            ):
                for m in pattern.finditer(value[:50_000]):
                    if "-" not in m.group():
                        seen[m.group().lower()] += 1
        return seen.most_common(1)[0][0] if seen else None

    def completions(self, prefix: str, *, limit: int) -> list[str]:
        """Completions of the last word of `prefix`, from tags and the titles' vocabulary."""
        head, _, last = prefix.rpartition(" ")
        folded = fold(last)
        if len(folded) < 2 or not folded.isalnum():
            return []
        arrays = self.arrays
        found: list[tuple[int, str]] = []
        tag_counts = np.bincount(arrays.tag_codes, minlength=len(arrays.tag_keys))
        for code, key in enumerate(arrays.tag_keys):
            if key.startswith(folded):
                found.append((int(tag_counts[code]) * 2, arrays.tag_labels[code]))
        candidates = []
        for n, raw in enumerate(self.reader.expand_prefix("title_exact", folded)):
            if n >= COMPLETION_SCAN:
                break
            word = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            candidates.append((self.reader.doc_frequency("title_exact", word), word))
        candidates.sort(reverse=True)
        for freq, word in candidates[:limit]:
            found.append((freq, self._title_spelling(word) or word))
        found.sort(key=lambda pair: -pair[0])
        out: list[str] = []
        for _, completion in found:
            full = f"{head} {completion}".strip() if head else completion
            if full.lower() not in (o.lower() for o in out):
                out.append(full)
            if len(out) >= limit:
                break
        return out

    def _title_spelling(self, folded: str) -> str | None:
        pattern = compile_forms(frozenset({folded}))
        assert pattern is not None
        docs = self.arrays.postings("title_exact", folded).docs
        if not len(docs):
            return None
        m = pattern.search(self.stored(int(docs[0])).get("title") or "")
        return m.group().lower() if m else None
