"""Snippets and highlights: fragments of the original text (accents kept) with the words
that matched, in any inflection, marked.

Rather than re-analysing every body, a query's terms are turned into the surface forms
the index knows (its unstemmed, folded vocabulary), and those into one accent-tolerant
regular expression that runs in C over the stored text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from unidecode import unidecode

from .analysis import _stems, fold
from .results import Snippet

SNIPPET_CHARS = 200
MAX_FRAGMENTS = 2
SCAN_LIMIT = 200_000
MAX_MATCHES = 400
MAX_FORMS = 200
MAX_EXPANSION = 400


def _fold_classes() -> dict[str, str]:
    """For each ASCII letter, a regex class of the characters that fold to it (é è ê → e)."""
    classes: dict[str, set[str]] = {}
    for code in range(0xC0, 0x250):
        ch = chr(code)
        folded = unidecode(ch).lower()
        if len(folded) == 1 and folded.isalnum():
            classes.setdefault(folded, set()).update({ch, ch.lower(), ch.upper()})
    return {k: "[" + k + "".join(sorted(v)) + "]" for k, v in classes.items()}


FOLD_CLASSES = _fold_classes()
LIGATURES = {"oe": "(?:oe|œ|Œ)", "ae": "(?:ae|æ|Æ)"}
JOINER = "[-‐‑'’]?"


def form_pattern(form: str) -> str:
    """An accent-, case- and hyphen-tolerant pattern for one folded word."""
    prefix = form.endswith("*")
    form = form.rstrip("*")
    out: list[str] = []
    i = 0
    while i < len(form):
        pair = form[i : i + 2]
        if pair in LIGATURES:
            out.append(LIGATURES[pair])
            i += 2
        else:
            ch = form[i]
            out.append(FOLD_CLASSES.get(ch, re.escape(ch)))
            i += 1
    body = JOINER.join(out) if len(out) > 2 else "".join(out)
    return body + (r"\w*" if prefix else "")


@lru_cache(maxsize=512)
def compile_forms(forms: frozenset[str]) -> re.Pattern[str] | None:
    """One regex matching any of the folded forms as a whole word."""
    if not forms:
        return None
    ordered = sorted(forms, key=len, reverse=True)[:MAX_FORMS]
    alternatives = "|".join(form_pattern(f) for f in ordered)
    return re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", re.IGNORECASE)


def surface_forms(stems: Iterable[str], vocabulary: object, fields: tuple[str, ...]) -> set[str]:
    """Folded words of the index vocabulary whose stem is one of `stems`.

    `vocabulary` is a Whoosh reader; its exact fields hold every folded word as written.
    """
    wanted = set(stems)
    forms: set[str] = set()
    for st in wanted:
        forms.update(_expand_stem(st, wanted, vocabulary, fields))
    return forms


def _expand_stem(st: str, wanted: set[str], reader: object, fields: tuple[str, ...]) -> set[str]:
    forms = {st}
    if not st.isalpha():
        return forms
    head = st[: max(3, len(st) - 2)] if len(st) > 3 else st
    for fieldname in fields:
        for n, raw in enumerate(reader.expand_prefix(fieldname, head)):  # type: ignore[attr-defined]
            if n >= MAX_EXPANSION:
                break
            word = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            if wanted.intersection(_stems(word)):
                forms.add(word)
    return forms


def highlight(text: str, pattern: re.Pattern[str] | None) -> Snippet:
    """The whole text with every match marked (for titles)."""
    if pattern is None or not text:
        return Snippet(text)
    spans = tuple(m.span() for m in pattern.finditer(text[:SCAN_LIMIT]))
    return Snippet(text, spans)


def make_snippet(
    text: str, pattern: re.Pattern[str] | None, *, size: int = SNIPPET_CHARS
) -> Snippet:
    """One or two fragments of about `size` characters around the best clusters of matches,
    or the opening of the text when nothing matches."""
    if not text:
        return Snippet("")
    matches: list[tuple[int, int, str]] = []
    if pattern is not None:
        for m in pattern.finditer(text, 0, min(len(text), SCAN_LIMIT)):
            matches.append((m.start(), m.end(), fold(m.group())))
            if len(matches) >= MAX_MATCHES:
                break
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
    candidates = []
    for i, (start, _, _) in enumerate(matches[:100]):
        lo = max(0, start - size // 5)
        hi = min(length, lo + size)
        inside = [m for m in matches[i:] if m[1] <= hi] + [m for m in matches[:i] if m[0] >= lo]
        keys = {m[2] for m in inside}
        candidates.append((len(keys) * 10 + len(inside), -lo, lo, hi, keys))
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
        fragment = text[start:end].replace("\n", " ").replace("\t", " ")
        for s, e, _ in matches:
            if s >= start and e <= end:
                spans.append((length + s - start, length + e - start))
        pieces.append(fragment)
        length += len(fragment)
    if windows and windows[-1][1] < len(text):
        pieces.append("…")
    return Snippet("".join(pieces), tuple(spans))
