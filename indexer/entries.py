"""What every feed format's reader shares, from an entry to an `Article`: ids, titles,
links, tags, and the rule that one unreadable entry never costs its feed.

`indexer.feeds` (RSS, Atom) and `indexer.jsonfeed` (JSON Feed) build their articles with
these, so that a feed reads the same whatever its format.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from search import Article
from search.i18n import Message, plural_message
from search.urls import public_link, url_secrets, without_tracking

logger = logging.getLogger(__name__)

#: Longest title we keep (some feeds put the whole article there).
MAX_TITLE_CHARS = 500

#: An entry as a feed format's reader gives it (a feedparser dict, a JSON Feed item).
_Entry = TypeVar("_Entry")


def distinct_tags(terms: Iterable[str]) -> tuple[str, ...]:
    """`terms` without the empty ones and the repeats (ignoring case), first spelling kept."""
    out: list[str] = []
    seen: set[str] = set()
    for term in terms:
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            out.append(term)
    return tuple(out)


def read_entries(
    entries: Iterable[_Entry],
    convert: Callable[[_Entry], Article | None],
    *,
    shown: str,
    warnings: list[str],
    what: str = "entry",
) -> list[Article]:
    """The articles `convert` makes of `entries` (None: nothing to show), in order.

    One unreadable entry must not cost the feed: an entry `convert` fails on is logged and
    skipped, and a warning in `warnings` counts them.
    """
    articles: list[Article] = []
    failed = 0
    for entry in entries:
        try:
            article = convert(entry)
        except Exception:
            logger.debug("unreadable %s in %s", what, shown, exc_info=True)
            failed += 1
            continue
        if article is not None:
            articles.append(article)
    if failed:
        warnings.append(skipped_entries(failed))
    return articles


def fallback_id(feed_url: str, title: str, raw_date: str) -> str:
    """The id of an entry that has neither an id nor a link: a hash of the feed's address
    (as configured, so that it never changes), the title and the date as written."""
    digest = hashlib.sha256(f"{feed_url}\x1f{title}\x1f{raw_date}".encode()).hexdigest()
    return f"urn:fouille:{digest[:32]}"


def first_words(text: str, limit: int = 80) -> str:
    """The first line of `text`, cut at a word before `limit` characters (a missing title)."""
    line = text.strip().split("\n", 1)[0]
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0] + "…"


def skipped_entries(count: int) -> Message:
    """The warning of a feed some of whose entries could not be read."""
    return plural_message(
        "skipped {count} unreadable entry", "skipped {count} unreadable entries", count
    )


def one_line(exc: Any) -> str:
    """An exception's message on one line, at most 200 characters."""
    text = " ".join(str(exc).split())
    return (text or type(exc).__name__)[:200]


def host_of(url: str) -> str:
    """A feed's name of last resort: its host and port (never its user info), or a file name."""
    return urlsplit(url).netloc.rpartition("@")[2] or url.rsplit("/", 1)[-1]


def clean_link(link: str, feed_url: str, tracking_params: Iterable[str]) -> str:
    """An article's link as stored (issue 13): without tracking parameters nor the secrets of
    the feed at `feed_url` (a subscriber key repeated in every link)."""
    if not link:
        return ""
    return without_tracking(public_link(link, url_secrets(feed_url)), tracking_params)


def web_id(article_id: str) -> str:
    """An entry id that is a web address (an RSS guid often is), as the link of last resort."""
    return article_id if article_id.startswith(("http://", "https://")) else ""
