"""Snippets and highlights: fragments of the original text (accents kept) with the words
that matched, in any inflection, marked.

Rather than re-analysing every body, the flattened text is searched (in C) for the first
letters of the query's stems, and only the words starting there are analysed.
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_left, bisect_right
from functools import lru_cache

from unidecode import unidecode

from .analysis import SOFT_HYPHEN, _analyze_run, fold, normalize
from .results import Snippet

SNIPPET_CHARS = 200
#: A line or paragraph break of the text, in a snippet: the pilcrow says "new paragraph"
#: and, unlike a middle dot (salarié·es), French text does not use it inside words.
BREAK = " ¶ "
_BREAKS = re.compile(r"[^\S\n]*\n\s*")
MAX_FRAGMENTS = 2
SCAN_LIMIT = 200_000
MAX_MATCHES = 400
MAX_VERDICTS = 10_000


class Highlighter:
    """Finds, in stored text, the words a query matched, in any inflection.

    The text is flattened to one lower-case ASCII byte per character (`flatten`); the first
    letters of each query stem are looked for with `bytes.find` (in C, no pattern to compile
    per query); each word starting there is kept only if the analyzer gives it one of the
    query's stems or words (a stem too short to tell words apart counts only in words that
    begin like the query's: `Stems.narrow`). The verdict on a word is remembered: the same
    words come back in every hit.
    """

    def __init__(
        self,
        stems: frozenset[str],
        words: frozenset[str],
        narrow: frozenset[tuple[str, str]] = frozenset(),
    ) -> None:
        self.stems = stems
        #: stem → the beginnings a word with that stem must have to count (`Stems.narrow`).
        self.narrow: dict[str, tuple[str, ...]] = {}
        for stem, head in sorted(narrow):
            self.narrow[stem] = (*self.narrow.get(stem, ()), head)
        self.words = frozenset(w for w in words if not w.endswith("*"))
        self.prefixes = tuple(w[:-1] for w in words if w.endswith("*") and len(w) > 1)
        heads = {_head(st) for st in stems if st}
        heads |= {w for w in self.words if w}
        heads |= set(self.prefixes)
        self.probes = _probes(heads)
        self._soft_probes: tuple[bytes, ...] | None = None
        #: Each word seen: its folded form when it counts, None when it does not.
        self._verdicts: dict[str, str | None] = {}

    def spans(self, text: str, limit: int = MAX_MATCHES) -> list[tuple[int, int, str]]:
        """(start, end, folded word) of each matched word in `text`, in order."""
        if not self.probes or not text:
            return []
        flat = flatten(text[:SCAN_LIMIT])
        starts: set[int] = set()
        probes = self.probes
        if SOFT_BYTE in flat:
            # An invisible soft hyphen may split a word's first letters (`in&shy;formatique`).
            if self._soft_probes is None:
                self._soft_probes = _soft_probes(self.probes)
            probes = self._soft_probes
        for probe in probes:
            at = flat.find(probe)
            while at != -1:
                if not at or flat[at - 1] not in WORD_BYTES:
                    starts.add(at)
                at = flat.find(probe, at + 1)
        out: list[tuple[int, int, str]] = []
        verdicts = self._verdicts
        end = 0
        for start in sorted(starts):
            if start < end:
                continue  # inside the word just read (after its hyphen or apostrophe)
            run = WORD_RUN.match(flat, start)
            assert run is not None
            end = run.end()
            word = text[start:end]
            if word in verdicts:
                key = verdicts[word]
            else:
                if len(verdicts) >= MAX_VERDICTS:
                    verdicts.clear()
                key = verdicts[word] = fold(normalize(word)) if self._accepts(word) else None
            if key is not None:
                out.append((start, end, key))
                if len(out) >= limit:
                    break
        return out

    def _accepts(self, word: str) -> bool:
        word = normalize(word)
        folded = fold(word)
        if folded in self.words or any(folded.startswith(p) for p in self.prefixes):
            return True
        if self.stems and any(
            self._stem_counts(t, folded) for _, t, _, _ in _analyze_run(word, True)
        ):
            return True
        return bool(self.words) and any(t in self.words for _, t, _, _ in _analyze_run(word, False))

    def _stem_counts(self, stem: str, folded: str) -> bool:
        if stem not in self.stems:
            return False
        heads = self.narrow.get(stem)
        return heads is None or any(folded.startswith(h) for h in heads)


#: A soft hyphen, flattened (Latin-1 has it: it keeps its byte).
SOFT_BYTE = SOFT_HYPHEN.encode("latin-1")
#: Flattened bytes a word is made of (letters, digits, the œ and æ stand-ins, and the
#: soft hyphen, invisible inside a word).
WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789\x01\x02" + SOFT_BYTE)
WORD_RUN = re.compile(
    rb"[a-z0-9\x01\x02]+(?:\xad(?=[a-z0-9\x01\x02])[a-z0-9\x01\x02]+)*"
    rb"(?:[-'][a-z0-9\x01\x02]+(?:\xad(?=[a-z0-9\x01\x02])[a-z0-9\x01\x02]+)*)*"
)
PROBE_LENGTH = 3


def _probes(heads: set[str]) -> tuple[bytes, ...]:
    """The flattened first letters of each head (ligatures both ways): a word that starts
    like a query stem starts with one of them."""
    probes = set()
    for head in heads:
        if not head.isascii():
            continue
        for form in {head, head.replace("oe", "\x01"), head.replace("ae", "\x02")}:
            probe = form[:PROBE_LENGTH].encode("ascii")
            if probe:
                probes.add(probe)
            if len(form) > 3 and "-" not in form[:3]:
                # A compound the query writes solid may be hyphenated in the text (email,
                # e-mail; wifi, Wi-Fi).
                probes.add(f"{form[0]}-{form[1]}".encode("ascii"))
                probes.add(f"{form[:2]}-".encode("ascii"))
    return tuple(sorted(probes))


def _soft_probes(probes: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """The probes, and each with a soft hyphen after its first or second letter."""
    out = set(probes)
    for probe in probes:
        if len(probe) == PROBE_LENGTH and SOFT_BYTE not in probe:
            out.add(probe[:1] + SOFT_BYTE + probe[1:])
            out.add(probe[:2] + SOFT_BYTE + probe[2:])
    return tuple(sorted(out))


def _head(stem: str) -> str:
    """The part of a stem that inflected forms share (Snowball: hôpital → hôpitaux)."""
    return stem[: max(3, len(stem) - 2)] if stem.isalpha() and len(stem) > 3 else stem


def _flatten_error(exc: UnicodeError) -> tuple[str, int]:
    """Stand-ins, one byte each, for the characters Latin-1 lacks (offsets must not move)."""
    assert isinstance(exc, UnicodeEncodeError)
    chunk = exc.object[exc.start : exc.end]
    return "".join(SPECIAL.get(ch, "\x03") for ch in chunk), exc.end


SPECIAL = {
    "œ": "\x01", "Œ": "\x01", "’": "'", "ʼ": "'", "‘": "'", "＇": "'", "′": "'",
    "‐": "-", "‑": "-",
}  # fmt: skip
codecs.register_error("fouille-flatten", _flatten_error)


def _flatten_table() -> bytes:
    """Latin-1 byte → lower-case ASCII letter (accents dropped); æ marked like œ."""
    table = bytearray(range(256))
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = code + 32
    for code in range(0xC0, 0x100):
        folded = unidecode(chr(code)).lower()
        if len(folded) == 1 and folded.isalnum():
            table[code] = ord(folded)
    table[0xE6] = table[0xC6] = 0x02
    table[ord("`")] = table[0xB4] = ord("'")  # ` and ´ typed for an apostrophe
    return bytes(table)


FLATTEN = _flatten_table()


#: Characters outside Latin-1 that French text is full of (typographic apostrophes and
#: quotes, dashes, the ellipsis, the narrow space before `:;!?`), each replaced by its one
#: byte (what `_flatten_error` gives it) before encoding: `str.replace` runs in C, where the
#: encoder calls the error handler, in Python, for each of them (an article's forty
#: apostrophes made flattening eight times slower).
COMMON = tuple(
    (char, SPECIAL.get(char, "\x03"))
    for char in ("’", "œ", "‘", "…", "\u202f", "—", "–", "“", "”", "€", "•")
)


def flatten(text: str) -> bytes:
    """The text as lower-case ASCII bytes, one byte per character, all in C."""
    if not text.isascii():
        for char, same_size in COMMON:
            if char in text:
                text = text.replace(char, same_size)
    return text.encode("latin-1", "fouille-flatten").translate(FLATTEN)


def _flat_pattern(head: str) -> bytes:
    """A pattern for a folded head over flattened text: ligatures and hyphens tolerated."""
    out: list[bytes] = []
    i = 0
    while i < len(head):
        if head[i : i + 2] in ("oe", "ae"):
            out.append(b"(?:oe|\x01)" if head[i] == "o" else b"(?:ae|\x02)")
            i += 2
        else:
            out.append(re.escape(head[i].encode("ascii", "ignore")))
            i += 1
    return b"[-\xad]?'?".join(out) if len(out) > 2 else b"".join(out)


@lru_cache(maxsize=256)
def highlighter(
    stems: frozenset[str],
    words: frozenset[str],
    narrow: frozenset[tuple[str, str]] = frozenset(),
) -> Highlighter:
    """A (cached) highlighter for a query's stems, exact words and narrowed stems."""
    return Highlighter(stems, words, narrow)


def highlight(text: str, marker: Highlighter | None) -> Snippet:
    """The whole text with every match marked (for titles)."""
    if marker is None or not text:
        return Snippet(text)
    return Snippet(text, tuple((s, e) for s, e, _ in marker.spans(text)))


def make_snippet(text: str, marker: Highlighter | None, *, size: int = SNIPPET_CHARS) -> Snippet:
    """One or two fragments of about `size` characters around the best clusters of matches,
    or the opening of the text when nothing matches."""
    if not text:
        return Snippet("")
    matches = marker.spans(text) if marker is not None else []
    if len(text) <= size:
        return _assemble(text, [(0, len(text))], matches)  # short: whole
    if not matches:
        start, end = 0, _word_end(text, size)
        return _assemble(text, [(start, end)], [])
    windows = _best_windows(matches, size, len(text))
    windows = [(_word_start(text, s, matches), _word_end(text, e)) for s, e in windows]
    return _assemble(text, windows, matches)


def _best_windows(
    matches: list[tuple[int, int, str]], size: int, length: int
) -> list[tuple[int, int]]:
    """Greedy: the window covering the most distinct matched words, then a second one
    elsewhere if it adds something."""
    # Matches are in order and do not overlap: those inside [lo, hi] are a slice.
    starts = [m[0] for m in matches]
    ends = [m[1] for m in matches]
    words = [m[2] for m in matches]
    lead = size // 5
    candidates = []
    for start in starts[:100]:
        lo = start - lead if start > lead else 0
        hi = lo + size if lo + size < length else length
        lo = hi - size if hi > size else 0  # near the end: the room left goes before the match
        a, b = bisect_left(starts, lo), bisect_right(ends, hi)
        keys = set(words[a:b])
        candidates.append((len(keys) * 10 + (b - a if b > a else 0), -lo, lo, hi, keys))
    candidates.sort(reverse=True)
    best = candidates[0]
    chosen = [(best[2], best[3])]
    seen_keys = set(best[4])
    half = size // 2 + size // 4
    for _, _, lo, hi, keys in candidates[1:]:
        if len(chosen) >= MAX_FRAGMENTS:
            break
        if all(hi <= a or lo >= b for a, b in chosen) and (keys - seen_keys or len(keys) > 1):
            chosen.append((lo, min(hi, lo + half)))
            seen_keys |= keys
    if len(chosen) > 1:
        first = chosen[0]
        chosen[0] = (first[0], min(first[1], first[0] + half))
    return sorted(chosen)


def _word_start(text: str, pos: int, matches: list[tuple[int, int, str]]) -> int:
    if pos <= 0:
        return 0
    sentence = max(
        text.rfind(". ", max(0, pos - 60), pos + 1), text.rfind("\n", max(0, pos - 60), pos + 1)
    )
    if sentence != -1:
        return sentence + 1 + (text[sentence] == ".")
    space = text.find(" ", pos)
    first_match = next((m[0] for m in matches if m[0] >= pos), pos)
    return space + 1 if 0 <= space < first_match else pos


def _word_end(text: str, pos: int) -> int:
    if pos >= len(text):
        return len(text)
    space = text.rfind(" ", max(0, pos - 30), pos)
    return space if space > 0 else pos


def _assemble(
    text: str, windows: list[tuple[int, int]], matches: list[tuple[int, int, str]]
) -> Snippet:
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    for n, (start, end) in enumerate(windows):
        lead = "…" if start > 0 and n == 0 else (" … " if n else "")
        pieces.append(lead)
        length += len(lead)
        fragment, where = _fragment(text, start, end)
        for s, e, _ in matches:
            if s >= start and e <= end:
                i = bisect_right(where, (s, len(fragment))) - 1
                at, out = where[i]
                spans.append((length + out + s - at, length + out + e - at))
        pieces.append(fragment)
        length += len(fragment)
    if windows and windows[-1][1] < len(text):
        pieces.append("…")
    return Snippet("".join(pieces), tuple(spans))


def _fragment(text: str, start: int, end: int) -> tuple[str, list[tuple[int, int]]]:
    """`text[start:end]` with each line or paragraph break shown as `BREAK` (none at its
    ends) and tabs as spaces; and where each stretch of text between breaks begins, as
    (offset in `text`, offset in the fragment)."""
    out: list[str] = []
    where: list[tuple[int, int]] = []
    size = 0
    pos = start
    for m in _BREAKS.finditer(text, start, end):
        if m.start() > pos:
            where.append((pos, size))
            piece = text[pos : m.start()].replace("\t", " ")
            out.append(piece)
            size += len(piece)
            if m.end() < end:
                out.append(BREAK)
                size += len(BREAK)
        pos = m.end()
    where.append((pos, size))
    out.append(text[pos:end].replace("\t", " "))
    return "".join(out), where
