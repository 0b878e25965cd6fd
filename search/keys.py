"""Article keys: an article's id as one URL path segment (`/article/<key>`), and back.

Ids are whatever a feed put in its `<guid>` or `<id>`: often a URL, sometimes any text. The
key is the id's UTF-8 bytes in unpadded base64url (RFC 4648 §5): only `A-Z a-z 0-9 - _`,
which no server, proxy or browser rewrites. Percent-encoding would have kept ids readable,
but a `%2F` in a path is decoded before routing by WSGI servers and refused or merged by
some proxies, so an id holding a slash would not survive the trip. A key read back is only
trusted when it is the canonical encoding of valid UTF-8 text of a bounded size.
"""

from __future__ import annotations

import base64
import binascii
import re

from .documents import LIMITS

#: Bytes of an id at most (`search.documents` keeps 2,048 characters of it).
MAX_ID_BYTES = LIMITS["id"] * 4
MAX_KEY_CHARS = (MAX_ID_BYTES * 4 + 2) // 3
_KEY = re.compile(r"[A-Za-z0-9_-]+")


def article_key(article_id: str) -> str:
    """The URL-safe key of an article id."""
    raw = article_id.encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def article_id(key: str) -> str | None:
    """The article id a key stands for, or None when `key` is not a key `article_key`
    gives (wrong characters, too long, not canonical, not UTF-8)."""
    if not key or len(key) > MAX_KEY_CHARS or len(key) % 4 == 1 or not _KEY.fullmatch(key):
        return None
    try:
        raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    # Trailing bits that are not zero decode too: only the canonical form is a key.
    if article_key(text) != key or "\x00" in text:
        return None
    return text
