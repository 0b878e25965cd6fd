"""Feed bytes → `Article`s, with feedparser (RSS, Atom) or `indexer.jsonfeed` (JSON Feed).

feedparser only ever sees bytes we fetched or read ourselves, wrapped in a stream: given a
string it would open URLs and *local files* on its own.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from search import Article, FeedError
from search.i18n import N_, Message
from search.urls import TRACKING_PARAMS, public_feed_url

from .dates import FirstSeen, parse_feed_date, struct_date, undated
from .dates import feed_date as own_date
from .discover import decode_html, discover
from .entries import (
    MAX_TITLE_CHARS,
    clean_link,
    distinct_tags,
    fallback_id,
    first_words,
    host_of,
    one_line,
    read_entries,
    web_id,
)
from .html import html_to_text, looks_like_html, normalize_whitespace, unescape_entities
from .repair import MAX_ENTRY_CATEGORIES, cap_categories, fix_char_refs

__all__ = [
    "MAX_ENTRY_CATEGORIES",
    "MAX_TITLE_CHARS",
    "FirstSeen",
    "ParsedFeed",
    "clean_link",
    "entry_to_article",
    "first_words",
    "host_of",
    "one_line",
    "parse_feed",
    "parse_feed_date",
    "undated",
]

logger = logging.getLogger(__name__)

_BENIGN = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)


@dataclass(frozen=True)
class ParsedFeed:
    """What a feed document holds, cleaned."""

    url: str
    title: str
    articles: list[Article]
    #: Problems that did not stop the feed (malformed XML, unreadable entries).
    warnings: list[str] = field(default_factory=list)
    #: Feed-level links by relation (RFC 5005 `next`, `prev-archive`, …), absolute URLs.
    links: Mapping[str, str] = field(default_factory=dict)
    generator: str = ""
    #: The feed format, as feedparser names it (`rss20`, `atom10`, …; `json11` for JSON Feed).
    version: str = ""
    #: The site the feed belongs to (its `<link>`, `home_page_url`), when it says.
    site: str = ""


def parse_feed(
    data: bytes,
    *,
    url: str,
    name: str = "",
    tags: Iterable[str] = (),
    content_type: str = "",
    base_url: str = "",
    now: datetime | None = None,
    first_seen: FirstSeen | None = None,
    tracking_params: Iterable[str] = TRACKING_PARAMS,
) -> ParsedFeed:
    """Parse a feed document into articles.

    Args:
        data: the document's bytes, as fetched or read.
        url: where it came from (base for relative links, and each article's `feed_url`).
        name: the configured feed name; replaces the feed's own title when given.
        tags: added to every article.
        content_type: the HTTP Content-Type, when fetched (helps with the encoding).
        base_url: where the document was finally found (after redirects), if not `url`.
        now: the time used as `published` for entries without any date, first time seen
            (unless the feed's own date is older: see `undated`).
        first_seen: looks up the `published` time already given to an entry id, if any
            (so that undated entries keep their first-seen time from run to run).
        tracking_params: query parameters removed from article links (`utm_*`…).

    Returns:
        The feed; a malformed feed that still yields entries comes with a warning. Its
        articles carry the feed's public address (`search.urls.public_feed_url`).

    Raises:
        FeedError: an empty body, an HTML page, or nothing that reads as a feed (naming the
            feed by its public address).
    """
    shown = public_feed_url(url)
    if not data.strip():
        raise FeedError(shown, Message(N_("empty response: no feed there")))
    from .jsonfeed import looks_like_json, parse_json_feed  # it imports this module

    if looks_like_json(data):
        return parse_json_feed(
            data,
            url=url,
            name=name,
            tags=tags,
            now=now,
            first_seen=first_seen,
            tracking_params=tracking_params,
        )
    # Without a Content-Type feedparser flags every document; local files are XML documents.
    headers = {
        "content-location": base_url or url,
        "content-type": content_type or "application/xml",
    }
    try:
        clean = fix_char_refs(cap_categories(data))
        parsed = feedparser.parse(io.BytesIO(clean), response_headers=headers)
    except Exception as exc:  # feedparser on hostile bytes: any failure is this feed's problem
        logger.debug("feedparser failed on %s", shown, exc_info=True)
        raise FeedError(
            shown, Message(N_("cannot parse the feed: {error}"), error=one_line(exc))
        ) from exc

    version = parsed.get("version", "") or ""
    entries = parsed.get("entries", []) or []
    bozo = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if isinstance(bozo, _BENIGN):
        # Served as text/plain or text/html, or a wrong charset: the document itself is fine.
        bozo = None
    if not entries and not version:
        raise FeedError(shown, _not_a_feed_reason(data, content_type, bozo, base_url or url))

    feed = parsed.get("feed", {}) or {}
    own_title = _title_text(feed.get("title", ""), feed.get("title_detail"))
    feed_title = name or own_title or host_of(url)
    warnings: list[str] = []
    if bozo is not None:
        if not entries:
            raise FeedError(
                shown,
                Message(
                    N_("malformed feed, no entries could be read: {error}"), error=one_line(bozo)
                ),
            )
        warnings.append(
            Message(
                N_("malformed feed ({error}); read {count} entries anyway"),
                error=one_line(bozo),
                count=len(entries),
            )
        )

    now = now or datetime.now(UTC)
    feed_date = own_date(feed)
    extra_tags = tuple(t.strip() for t in tags if t and t.strip())
    source_url = url if _is_web(url) else _published_address(feed) or url
    articles = read_entries(
        entries,
        lambda entry: entry_to_article(
            entry,
            feed_url=source_url,
            feed_title=feed_title,
            tags=extra_tags,
            now=now,
            first_seen=first_seen,
            tracking_params=tracking_params,
            feed_date=feed_date,
        ),
        shown=shown,
        warnings=warnings,
    )

    links = {}
    for link in feed.get("links", []) or []:
        rel, href = link.get("rel"), link.get("href")
        if rel and href and rel not in links:
            links[rel] = href
    generator = str(feed.get("generator", "") or "")
    site = str(feed.get("link", "") or "")
    site = site if _is_web(site) else ""
    return ParsedFeed(url, feed_title, articles, warnings, links, generator, version, site)


def entry_to_article(
    entry: dict[str, Any],
    *,
    feed_url: str,
    feed_title: str = "",
    tags: tuple[str, ...] = (),
    now: datetime | None = None,
    first_seen: FirstSeen | None = None,
    tracking_params: Iterable[str] = TRACKING_PARAMS,
    feed_date: datetime | None = None,
) -> Article | None:
    """One feedparser entry → an `Article`; None for an entry with nothing to show.

    id: guid, else link, else a hash of the feed, title and date — computed from the link
    and the feed URL as they are, so that it never changes. url: the link without tracking
    parameters nor the feed's secrets (a subscriber key repeated in every link); feed_url:
    the feed's public address. published: the entry's published date, else updated, else
    as `undated` says (`feed_date` is the feed's own date); always timezone-aware. body:
    `content:encoded`/`content` in preference to the summary.
    """
    title = _title_text(entry.get("title", ""), entry.get("title_detail"))
    link = str(entry.get("link", "") or "").strip()
    summary = _detail_text(entry.get("summary", ""), entry.get("summary_detail"))
    contents = [_detail_text(c.get("value", ""), c) for c in entry.get("content", []) or [] if c]
    content = max(contents, key=len, default="")
    body = content or summary
    if (content and (summary == content or summary in content)) or not content:
        summary = ""
    if not (title or body or link):
        return None

    # dict.get: feedparser's own get() maps a missing `updated` to `published` (and warns).
    published = (
        struct_date(dict.get(entry, "published_parsed"))
        or struct_date(entry.get("created_parsed"))
        or parse_feed_date(dict.get(entry, "published", ""))
    )
    updated = struct_date(dict.get(entry, "updated_parsed")) or parse_feed_date(
        dict.get(entry, "updated", "")
    )
    raw_date = str(dict.get(entry, "published") or dict.get(entry, "updated") or "")
    article_id = str(entry.get("id", "") or "").strip() or link
    article_id = article_id or fallback_id(feed_url, title, raw_date)
    if published is None:
        published = updated
    if published is None:
        published = undated(
            article_id, feed_date, now=now or datetime.now(UTC), first_seen=first_seen
        )
    if not title:
        title = first_words(body) or link
    url = clean_link(link or web_id(article_id), feed_url, tracking_params)
    if link and title == link:
        title = url

    return Article(
        id=article_id,
        url=url,
        title=title,
        published=published,
        body=body,
        summary=summary,
        author=_authors(entry),
        tags=_tags(entry, tags),
        feed_url=public_feed_url(feed_url),
        feed_title=feed_title,
        updated=updated,
    )


def _title_text(value: Any, detail: Mapping[str, Any] | None) -> str:
    text = _detail_text(value, detail)
    return " ".join(text.split())[:MAX_TITLE_CHARS]


def _detail_text(value: Any, detail: Mapping[str, Any] | None) -> str:
    """The text of a feedparser text construct, HTML or not, entities decoded even if doubled."""
    text = str(value or "")
    if not text:
        return ""
    kind = str((detail or {}).get("type", "") or "")
    # feedparser labels RSS text holding markup text/html; text/plain is a promise (Atom
    # type="text") that `<` is a character. Without a label, look.
    if "html" in kind or "xml" in kind or (not kind and looks_like_html(text)):
        return html_to_text(text)
    return normalize_whitespace(unescape_entities(text))


def _authors(entry: Mapping[str, Any]) -> str:
    names: list[str] = []
    for author in entry.get("authors", []) or []:
        if isinstance(author, Mapping):
            name = author.get("name") or author.get("email") or ""
            name = _title_text(name, None)
            if name and name not in names:
                names.append(name)
    if not names:
        detail = entry.get("author_detail") or {}
        name = detail.get("name") or entry.get("author") or ""
        name = _title_text(name, None)
        if name:
            names.append(name)
    return ", ".join(names)


def _tags(entry: Mapping[str, Any], extra: tuple[str, ...]) -> tuple[str, ...]:
    terms = [
        _title_text(tag.get("term") or tag.get("label") or "", None)
        for tag in entry.get("tags", []) or []
        if isinstance(tag, Mapping)
    ]
    return distinct_tags([*terms, *extra])


#: The template of a page that names its feed; `Message.params["page"]` is what the page is.
NAMES_ITS_FEED = N_("{page}; it names its feed: {url} (`fouille feeds add` finds it)")


def _not_a_feed_reason(data: bytes, content_type: str, bozo: Any, base_url: str) -> Message:
    head = data[:4096].lstrip().lower()
    html_start = re.match(rb"(<!--.*?-->\s*)*<!doctype html|<html", head, re.S)
    if "html" in content_type.lower() or html_start:
        reason = Message(N_("an HTML page, not a feed"))
        title = re.search(rb"<title[^>]*>(.*?)</title", data[:65536], re.I | re.S)
        if title:
            text = title.group(1).decode("utf-8", "replace")
            text = " ".join(unescape_entities(text).split())[:80]
            if text:
                reason = Message(N_("an HTML page (“{title}”), not a feed"), title=text)
        links = discover(decode_html(data, content_type), base_url) if _is_web(base_url) else []
        if links:
            named = public_feed_url(links[0].url)
            reason = Message(NAMES_ITS_FEED, page=reason, url=named)
        return reason
    if head.startswith(b"["):
        return Message(N_("JSON, but not a JSON Feed"))
    if bozo is not None:
        return Message(N_("not a feed: {error}"), error=one_line(bozo))
    return Message(N_("not an RSS or Atom feed"))


def _is_web(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def _published_address(feed: Any) -> str:
    """For a feed read from a file: the address it is published at (its rel="self" link,
    else its site), so articles do not carry a path of this machine."""
    for link in feed.get("links", []) or []:
        if link.get("rel") == "self" and _is_web(link.get("href", "")):
            return str(link["href"])
    site = feed.get("link", "")
    return str(site) if _is_web(site) else ""
