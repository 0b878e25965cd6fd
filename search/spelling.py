"""Spelling: "did you mean" for queries, and completions for what a user is typing.

Both read the archive's own vocabulary. A word is only ever corrected when the archive
does not know it: a word with hits, an acronym or a word in capitals is left alone, and a
suggestion that the analyzer would read as the query itself (accents, case, ligatures) is
never made. A correction is spelled as the articles spell it, capitals of proper nouns kept.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from .analysis import ELISIONS, STOP_WORDS, compound_terms, fold, normalize, terms
from .postings import IndexArrays
from .schema import SPELLING_FIELDS
from .sets import common
from .snippets import _flat_pattern, flatten
from .vocabulary import EMPTY as EMPTY_VOCABULARY
from .vocabulary import Vocabulary

#: Stored articles read to learn how a word is spelled.
SURFACE_DOCS = 8
COMPLETION_SCAN = 2000
#: Words starting like the last one that are weighed against the words before it.
COMPLETION_CANDIDATES = 40
#: Of those, how many are checked for following the word before (phrase lookups).
COMPLETION_PHRASES = 8
_WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


class Speller:
    """Suggestions and completions over one committed state of the index.

    Args:
        reader: the Whoosh reader of that state (term tables, for words within an edit
            distance and completions).
        stored: a document's stored fields.
        arrays: the state's arrays.
        vocabulary: protected words, never corrected.
    """

    def __init__(
        self,
        reader: Any,
        stored: Callable[[int], dict[str, Any]],
        arrays: IndexArrays,
        vocabulary: Vocabulary = EMPTY_VOCABULARY,
    ) -> None:
        self.reader = reader
        self.stored = stored
        self.arrays = arrays
        self.vocabulary = vocabulary

    def frequency(self, term: str) -> int:
        """Documents holding the folded word `term` (title or body)."""
        return max(self.arrays.doc_frequency(f, term) for f in SPELLING_FIELDS)

    def known(self, word: str) -> bool:
        """True when the word finds something as typed (as a word or through its stem)."""
        folded = fold(word)
        if self.frequency(folded):
            return True
        for run in _WORD_RE.findall(normalize(word)):
            joined, parts = compound_terms(run)
            if any(self.arrays.doc_frequency("text", t) for t in joined):
                return True
            if parts and all(any(self.arrays.doc_frequency("text", t) for t in p) for p in parts):
                return True
        return False

    def suggestion(self, words: list[str]) -> str | None:
        """The query with its unknown words replaced by the closest words of the archive,
        or None when no word needs it (or none can be found)."""
        better = [self.better_word(word) for word in words]
        if better == words:
            return None
        if terms(" ".join(better), stemming=False) == terms(" ".join(words), stemming=False):
            return None
        return " ".join(better)

    def better_word(self, word: str) -> str:
        """The closest frequent word of the archive, for a word the archive does not know;
        otherwise the word itself."""
        folded = fold(word)
        if not folded.isalpha() or len(folded) < 3 or _is_acronym(word):
            return word
        if self.vocabulary.is_protected(word) or self.known(word):
            return word
        best, best_key = folded, (0, 0)
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
        return self.surface(best) or best

    def surface(self, folded: str) -> str | None:
        """How the articles spell a folded vocabulary word: accents restored, and capitals
        kept when they always write it so (a proper noun)."""
        pattern = _surface_pattern(folded)
        seen: Counter[str] = Counter()
        starts: Counter[str] = Counter()
        docnums: set[int] = set()
        for field in SPELLING_FIELDS:
            docnums.update(self.arrays.postings(field, folded).docs[:5].tolist())
        for docnum in sorted(docnums)[:SURFACE_DOCS]:
            stored = self.stored(docnum)
            for value in (
                stored.get("title") or "",
                stored.get("body") or stored.get("summary") or "",
            ):
                value = value[:50_000]
                for m in pattern.finditer(flatten(value)):
                    form = value[m.start() : m.end()]
                    if "-" in form or "'" in form or "’" in form:
                        continue
                    # A capital at the start of a sentence says nothing of the word.
                    (starts if _sentence_start(value, m.start()) else seen)[form] += 1
        if not seen:
            if not starts:
                return None
            for form, n in starts.items():
                seen[form.lower()] += n
        lower: Counter[str] = Counter()
        for form, n in seen.items():
            lower[form.lower()] += n
        form, _ = lower.most_common(1)[0]
        if form in seen:
            return form  # written in lower case somewhere: a common word
        return max((f for f in seen if f.lower() == form), key=lambda f: seen[f])

    def completions(self, prefix: str, *, limit: int, context: Context | None = None) -> list[str]:
        """Completions of the last word of `prefix`, from tags and the vocabulary.

        With words before the last one and a `context` (the documents those words find,
        and whether a word follows another in them), the completions are the words that
        come with them: `vie pri` → `vie privée`, the words that follow `vie` in the
        articles about it first, then the words found beside it.
        """
        head, _, last = prefix.rpartition(" ")
        elided, folded = _elision(last)
        if len(folded) < 2 or not folded.isalnum():
            return []
        found = self._tag_completions(folded)
        words = self._word_completions(folded, COMPLETION_CANDIDATES if head else limit)
        if head and context is not None:
            words = self._in_context(head, words, context)
        found.extend((n, "", word) for n, word in words[:limit])
        found.sort(key=lambda item: -item[0])
        out: list[str] = []
        for _, label, word in found:
            # A tag as the feeds write it, a word as the articles do.
            completion = label or self.surface(word) or word
            full = f"{head} {elided}{completion}".strip() if head or elided else completion
            if full.lower() not in (o.lower() for o in out):
                out.append(full)
            if len(out) >= limit:
                break
        return out

    def _tag_completions(self, folded: str) -> list[tuple[int, str, str]]:
        """Tags starting like the last word, as the feeds write them."""
        arrays = self.arrays
        counts = np.bincount(arrays.tag_codes, minlength=len(arrays.tag_keys))
        return [
            (int(counts[code]) * 2, arrays.tag_labels[code], "")
            for code, tag in enumerate(arrays.tag_keys)
            if tag.startswith(folded)
        ]

    def _word_completions(self, folded: str, limit: int) -> list[tuple[int, str]]:
        """Words of the titles starting with `folded` (folded), the most frequent first."""
        candidates = []
        for n, raw in enumerate(self.reader.expand_prefix("title_exact", folded)):
            if n >= COMPLETION_SCAN:
                break
            word = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            candidates.append((self.arrays.doc_frequency("title_exact", word), word))
        candidates.sort(reverse=True)
        return candidates[:limit]

    def _in_context(
        self, head: str, words: list[tuple[int, str]], context: Context
    ) -> list[tuple[int, str]]:
        """The candidate words ranked by how they go with `head`: how often they follow
        its last word, then how many of the articles `head` finds hold them."""
        docs = context.docs(head)
        if not len(docs):
            return words
        # The phrase a completion must continue: head's words from its last content word on
        # (`fuite de` + `don…`: "fuite de données", not any "de don…").
        tail = _from_last_content_word(terms(head, stemming=False))
        scored = []
        for freq, folded in words:
            parts = [common(self.arrays.postings(f, folded).docs, docs) for f in SPELLING_FIELDS]
            beside = np.union1d(*parts)
            if len(beside):
                scored.append((len(beside), freq, folded, beside))
        scored.sort(key=lambda item: (-item[0], -item[1]))
        ranked = []
        for n, freq, word, beside in scored[:COMPLETION_PHRASES]:
            ranked.append((context.follows((*tail, word), beside), n, freq, word))
        ranked.sort(key=lambda item: (-item[0], -item[1], -item[2]))
        rest = [(n, f, w) for n, f, w, _ in scored[COMPLETION_PHRASES:]]
        # Scores above any tag's, in this order: the words after head, then beside it.
        top = 10**9
        out = [(top - n, word) for n, (_, _, _, word) in enumerate(ranked)]
        out += [(top - len(out) - n, word) for n, (_, _, word) in enumerate(rest)]
        return out


class Context(Protocol):
    """What completions after other words need: the documents those words find, and how
    many documents hold one word right before another."""

    def docs(self, text: str) -> np.ndarray: ...

    def follows(self, words: tuple[str, ...], within: np.ndarray) -> int: ...


def _from_last_content_word(words: list[str]) -> tuple[str, ...]:
    """The end of a query's words from its last content word on: `fuite de` → (fuite, de)."""
    for i in range(len(words) - 1, -1, -1):
        if words[i] not in STOP_WORDS:
            return tuple(words[i:])
    return tuple(words[-1:])


def _elision(word: str) -> tuple[str, str]:
    """A word being typed split into its elided article, as typed, and the rest, folded:
    `l’éne` → ("l’", "ene")."""
    for mark in "'’":
        article, sep, rest = word.partition(mark)
        if sep and fold(article) in ELISIONS:
            return article + sep, fold(rest)
    return "", fold(word)


def _sentence_start(text: str, at: int) -> bool:
    before = text[max(0, at - 4) : at].rstrip(' \t\u00a0«"“(')
    return not before or before[-1] in ".!?:…\n"


def _is_acronym(word: str) -> bool:
    """RGPD, ANSSI, 5G, x86: capitals or digits say the word is written on purpose."""
    letters = [ch for ch in word if ch.isalpha()]
    return (len(letters) >= 2 and all(ch.isupper() for ch in letters)) or any(
        ch.isdigit() for ch in word
    )


@lru_cache(maxsize=1024)
def _surface_pattern(folded: str) -> re.Pattern[bytes]:
    """A folded word as a whole word of flattened text (`search.snippets.flatten`)."""
    word = rb"[a-z0-9\x01\x02]"
    return re.compile(rb"(?<!" + word + rb")" + _flat_pattern(folded) + rb"(?!" + word + rb")")
