"""The values of the settings that are more than a number or a word: the feeds (with a
subscriber's credentials and headers), word lists and the site's base URL — each checked
and converted from what a config file or the environment says (`search.config`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError
from .i18n import N_, Message
from .urls import public_feed_url

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
FEED_KEYS = ("url", "name", "tags", "username", "password", "headers")


@dataclass(frozen=True)
class FeedConfig:
    """A feed to follow: its URL (or a local path), an optional name, tags for every article,
    and what a subscriber feed needs: a user name and password (HTTP Basic), or request
    headers (a Cookie, an Authorization…). The secrets never show in its repr."""

    url: str
    name: str = ""
    tags: tuple[str, ...] = ()
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    #: Extra request headers as (name, value) pairs; the values are secrets.
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def __repr__(self) -> str:
        return (
            f"FeedConfig(url={public_feed_url(self.url)!r}, name={self.name!r}, tags={self.tags!r})"
        )


def base_url(value: Any) -> str:
    """`https://host[:port][/path]`, without a trailing slash ("" for none)."""
    text = str(value).strip().rstrip("/")
    if not text:
        return ""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or parts.query
        or parts.fragment
    ):
        # Not quoted: it may hold user info.
        raise ConfigError(
            N_(
                "invalid value for base_url: expected an http(s) address like "
                "https://fouille.example.org/archive (no user, query or fragment)"
            )
        )
    return text


def feed(item: Any, number: int = 1) -> FeedConfig:
    """One feed from the config: a URL string, or a table (url, name, tags, username,
    password, headers). No error message quotes a value that could be a secret."""
    if isinstance(item, FeedConfig):
        return item
    if isinstance(item, str):
        return FeedConfig(item)
    if not (isinstance(item, Mapping) and isinstance(item.get("url"), str)):
        raise ConfigError(N_("a feed needs a url (feed #{number})"), number=number)
    where = Message(N_("feed {url!r}"), url=public_feed_url(item["url"]))
    unknown = sorted(set(item) - set(FEED_KEYS))
    if unknown:
        raise ConfigError(
            N_("{where}: unknown key {key!r} (known: {known})"),
            where=where,
            key=unknown[0],
            known=", ".join(FEED_KEYS),
        )
    tags = item.get("tags", ())
    if isinstance(tags, str):
        tags = (tags,)
    if not isinstance(tags, list | tuple) or not all(isinstance(t, str) for t in tags):
        raise ConfigError(N_("{where}: tags must be a string or a list of strings"), where=where)
    for key in ("name", "username", "password"):
        if not isinstance(item.get(key, ""), str):
            raise ConfigError(N_("{where}: {key} must be a string"), where=where, key=key)
    username, password = item.get("username", ""), item.get("password", "")
    if password and not username:
        raise ConfigError(N_("{where}: a password needs a username"), where=where)
    if ":" in username:
        raise ConfigError(N_("{where}: a username cannot hold ':' (HTTP Basic)"), where=where)
    return FeedConfig(
        str(item["url"]),
        str(item.get("name", "")),
        tuple(map(str, tags)),
        username=username,
        password=password,
        headers=_headers(item.get("headers", {}), where),
    )


def _headers(value: Any, where: Message) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        raise ConfigError(
            N_('{where}: headers must be a table, like headers = {{ Cookie = "…" }}'), where=where
        )
    out = []
    for name, text in value.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise ConfigError(
                N_("{where}: {name!r} is not a header name"), where=where, name=str(name)[:40]
            )
        if not isinstance(text, str) or any(c in text for c in "\r\n\0"):
            # The value is a secret: the message names the header only.
            raise ConfigError(
                N_("{where}: the value of header {name} must be one line of text"),
                where=where,
                name=name,
            )
        out.append((name, text))
    return tuple(out)


#: Bounds on the vocabulary a config file or the environment adds.
MAX_TERMS = 5000
MAX_TERM_CHARS = 200


def word_list(values: Any, key: str) -> tuple[str, ...]:
    """A list of words or phrases (protected words, a synonym group), spaces collapsed."""
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise ConfigError(N_("{key} must be a list of words"), key=key)
    terms = tuple(" ".join(str(v).split()) for v in values if str(v).strip())
    if len(terms) > MAX_TERMS or any(len(t) > MAX_TERM_CHARS for t in terms):
        raise ConfigError(
            N_("{key}: at most {count} terms of {chars} characters"),
            key=key,
            count=MAX_TERMS,
            chars=MAX_TERM_CHARS,
        )
    return terms


def synonym_group(group: Any) -> tuple[str, ...]:
    """One group of synonyms: a list of terms (or, from the environment, `a, b, c`)."""
    terms = word_list(group.split(",") if isinstance(group, str) else group, "synonyms")
    if len(terms) < 2:
        raise ConfigError(
            N_("a synonym group needs two terms or more: {group}"), group=repr(group)[:200]
        )
    return terms
