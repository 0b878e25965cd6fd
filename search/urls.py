"""Public and clean forms of URLs: what may be shown of a feed's address, and article links
without tracking parameters (issue 13).

A subscriber feed is reached through a secret address: a password in its user info
(`https://abonne:motdepasse@…`) or a personal key in its query string (`…/feed?cle=…`, `?t=…`,
`?auth=…` — every publisher names it differently). What Fouille shows of it is its *public*
address: scheme, host, port and path. Every query parameter of a feed URL is treated as
secret, not only names that look like keys: the names vary with every publisher, and what a
non-secret query (`?feed=rss2`, `?format=atom`) would add to a display is small next to what
a missed key gives away (the subscription). Two feeds that differ only by their query show
the same address; their titles tell them apart.

Pure functions: no I/O, no settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import unquote, urlsplit, urlunsplit

from .i18n import Message

#: Secrets shorter than this are not searched for in text: replacing every "ab" or "1" of a
#: message would make it unreadable, and so short a value protects nothing anyway.
MIN_SECRET_LENGTH = 4
MASK = "***"

#: Query parameters that only tell a publisher where a reader came from (the default of the
#: `tracking_params` setting). A trailing `*` matches any name with that start.
TRACKING_PARAMS: tuple[str, ...] = (
    "utm_*",
    "xtor",
    "at_*",
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "igshid",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "ncid",
    "sr_share",
)


def _parts(url: str) -> tuple[str, str, str, str, str] | None:
    """urlsplit's five parts, or None for text that is not a URL with a host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    if not parts.netloc:
        return None
    return parts.scheme, parts.netloc, parts.path, parts.query, parts.fragment


def _host_port(netloc: str) -> str:
    """`user:pass@host:port` → `host:port`."""
    return netloc.rpartition("@")[2]


@lru_cache(maxsize=4096)  # a few feeds, asked for on every hit
def public_feed_url(url: str) -> str:
    """The address of a feed as it may be shown: no user info, no query, no fragment.

    Text that is not a URL with a host (a path, `javascript:…`) comes back unchanged; so
    does a URL that holds nothing secret, character for character.
    """
    parts = _parts(url)
    if parts is None:
        return url
    scheme, netloc, path, query, fragment = parts
    if "@" not in netloc and not query and not fragment and "?" not in url and "#" not in url:
        return url
    return urlunsplit((scheme, _host_port(netloc), path, "", ""))


@lru_cache(maxsize=4096)
def url_secrets(url: str) -> frozenset[str]:
    """What must never be shown of `url`: its user name and password, its query values
    (raw and decoded), each at least MIN_SECRET_LENGTH characters long."""
    parts = _parts(url)
    if parts is None:
        return frozenset()
    _, netloc, _, query, _ = parts
    found: set[str] = set()
    userinfo, at, _ = netloc.rpartition("@")
    if at:
        user, _, password = userinfo.partition(":")
        found.update((user, password, unquote(user), unquote(password)))
    for piece in query.split("&"):
        _, _, raw = piece.partition("=")
        found.update((raw, unquote(raw.replace("+", " "))))
    return frozenset(s for s in found if len(s) >= MIN_SECRET_LENGTH)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each secret replaced by `***` (longest first, so that
    a secret containing another goes whole). A `Message` stays one, its parameters
    scrubbed, so that it can still be translated."""
    if not secrets:
        return text
    hidden = set(secrets)
    if isinstance(text, Message):
        scrubbed = text.map(lambda part: scrub(part, hidden))
        if not any(len(s) >= MIN_SECRET_LENGTH and s in scrubbed for s in hidden):
            return scrubbed
        text = str.__str__(text)
    for secret in sorted(hidden, key=len, reverse=True):
        if len(secret) >= MIN_SECRET_LENGTH and secret in text:
            text = text.replace(secret, MASK)
    return text


def public_link(url: str, secrets: Iterable[str] = ()) -> str:
    """An article's link as it may be shown: no user info, and no query parameter whose
    value is one of `secrets` (a subscriber feed may put the reader's key in every link)."""
    if not secrets and "@" not in url:
        return url
    parts = _parts(url)
    if parts is None:
        return url
    scheme, netloc, path, query, fragment = parts
    hidden = set(secrets)
    pieces = query.split("&") if query else []
    kept = [p for p in pieces if not _holds(p.partition("=")[2], hidden)]
    if "@" not in netloc and len(kept) == len(pieces):
        return url
    return urlunsplit((scheme, _host_port(netloc), path, "&".join(kept), fragment))


def _holds(raw: str, hidden: set[str]) -> bool:
    return bool(raw) and (raw in hidden or unquote(raw.replace("+", " ")) in hidden)


def _is_tracking(name: str, patterns: Iterable[str]) -> bool:
    name = name.lower()
    for pattern in patterns:
        pattern = pattern.strip().lower()
        if not pattern:
            continue
        if pattern.endswith("*"):
            if name.startswith(pattern[:-1]):
                return True
        elif name == pattern:
            return True
    return False


def without_tracking(url: str, patterns: Iterable[str] = TRACKING_PARAMS) -> str:
    """`url` without the query parameters named by `patterns` (`utm_*`, `xtor`, …); the
    others keep their order and spelling. A URL without any comes back unchanged."""
    patterns = tuple(patterns)
    parts = _parts(url)
    if parts is None or not parts[3] or not patterns:
        return url
    scheme, netloc, path, query, fragment = parts
    pieces = query.split("&")
    kept = [p for p in pieces if not _is_tracking(unquote(p.partition("=")[0]), patterns)]
    if len(kept) == len(pieces):
        return url
    return urlunsplit((scheme, netloc, path, "&".join(kept), fragment))


_USERINFO_HOST = re.compile(r"^[^\s/@:]*:[^\s/@]*@([^\s/@]+)$")


def public_host(text: str) -> str:
    """`user:password@host:port` (an untitled feed's name before issue 13) → `host:port`;
    any other text unchanged."""
    match = _USERINFO_HOST.match(text)
    return match.group(1) if match else text


def public_label(title: str, feed_url: str) -> str:
    """How a feed is named on screen: its title without its feed URL's secrets (a feed
    without a title was once named after its host, user info included), else its public
    address."""
    if not title:
        return public_feed_url(feed_url)
    secrets = url_secrets(feed_url)
    if not secrets and "@" not in title:
        return title
    parts = _parts(feed_url)
    if parts is not None and "@" in title and title == parts[1]:
        title = _host_port(title)
    return scrub(title, secrets)
