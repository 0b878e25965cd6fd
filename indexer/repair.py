"""Byte-level repairs of a feed document before feedparser reads it (issue 6): hostile or
broken documents that would make it crash or take minutes lose only what is wrong."""

from __future__ import annotations

import itertools
import re

#: Most category elements kept per entry. feedparser de-duplicates tags in quadratic time: an
#: entry with 100,000 of them took 200 s to parse (issue 6). The engine keeps 100 tags anyway.
MAX_ENTRY_CATEGORIES = 200
_ENTRY_START = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s>/]", re.I)
_CATEGORY_START = re.compile(rb"<(?:[\w.-]+:)?(?:category|subject|keywords)\b", re.I)
#: Numeric character references: feedparser's lenient parser crashes on a surrogate
#: (`&#xD800;`) or a number past Unicode (`&#99999999999;`), losing the whole feed.
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_CATEGORY = re.compile(
    rb"<((?:[\w.-]+:)?(?:category|subject|keywords))\b[^>]*?(?:/>|>.*?</\1\s*>)", re.I | re.S
)


def fix_char_refs(data: bytes) -> bytes:
    """Character references to no character (surrogates, past U+10FFFF) become U+FFFD."""
    if b"&#" not in data:
        return data

    def fix(match: re.Match[bytes]) -> bytes:
        hexa, decimal = match.groups()
        digits = (hexa or decimal).lstrip(b"0")
        if len(digits) > 8:
            return b"&#xFFFD;"
        code = int(hexa, 16) if hexa else int(decimal)
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            return b"&#xFFFD;"
        return match.group(0)

    return _CHAR_REF.sub(fix, data)


def cap_categories(data: bytes, limit: int = MAX_ENTRY_CATEGORIES) -> bytes:
    """The document with at most `limit` category elements in each entry (bytes level, before
    feedparser; a document that has fewer in all is returned as it is)."""
    if sum(1 for _ in _CATEGORY_START.finditer(data)) <= limit:
        return data
    bounds = [0, *(m.start() for m in _ENTRY_START.finditer(data)), len(data)]
    out = []
    for start, end in itertools.pairwise(bounds):
        seen = 0

        def keep(match: re.Match[bytes]) -> bytes:
            nonlocal seen
            seen += 1
            return match.group(0) if seen <= limit else b""

        out.append(_CATEGORY.sub(keep, data[start:end]))
    return b"".join(out)
