"""JSON Feed (https://www.jsonfeed.org/version/1.1/, and 1.0) → `Article`s.

feedparser 6 reads no JSON Feed, so this module reads it with `json` and builds the same
`ParsedFeed` as an RSS or Atom feed: `indexer.feeds.parse_feed` hands JSON documents here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from search import Article, FeedError
from search.i18n import N_, Message
from search.urls import TRACKING_PARAMS, public_feed_url

from . import entries
from .dates import FirstSeen, parse_feed_date, undated
from .feeds import ParsedFeed
from .html import html_to_text, looks_like_html, normalize_whitespace, unescape_entities
from .repair import MAX_ENTRY_CATEGORIES

VERSION_PREFIX = "https://jsonfeed.org/version/"


def looks_like_json(data: bytes) -> bool:
    """True for a document that can only be a JSON object (whatever it was served as: the
    bytes decide, as servers label JSON Feeds `application/feed+json`, `application/json`
    or `text/plain`)."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def parse_json_feed(
    data: bytes,
    *,
    url: str,
    name: str = "",
    tags: Iterable[str] = (),
    now: datetime | None = None,
    first_seen: FirstSeen | None = None,
    tracking_params: Iterable[str] = TRACKING_PARAMS,
) -> ParsedFeed:
    """Parse a JSON Feed document into articles (the arguments are `parse_feed`'s; articles
    carry the feed's public address and clean links, as there).

    Raises:
        FeedError: not JSON, or JSON that is not a JSON Feed (naming the feed by its public
            address).
    """
    shown = public_feed_url(url)
    try:
        document = json.loads(data)  # bytes: json detects UTF-8 (with or without BOM)
    except (ValueError, RecursionError) as exc:
        raise FeedError(
            shown, Message(N_("JSON, but unreadable: {error}"), error=entries.one_line(exc))
        ) from exc
    if not _is_json_feed(document):
        raise FeedError(shown, Message(N_("JSON, but not a JSON Feed (no “version” nor “items”)")))

    now = now or datetime.now(UTC)
    feed_title = name or _text(document.get("title")) or entries.host_of(url)
    site = _web_url(document.get("home_page_url"))
    feed_authors = _authors(document)
    extra_tags = tuple(t.strip() for t in tags if t and t.strip())
    params = tuple(tracking_params)
    items = document.get("items")
    warnings: list[str] = []
    articles = entries.read_entries(
        items if isinstance(items, list) else [],
        lambda item: _item_to_article(
            item,
            feed_url=url,
            feed_title=feed_title,
            feed_authors=feed_authors,
            tags=extra_tags,
            now=now,
            first_seen=first_seen,
            tracking_params=params,
        ),
        shown=shown,
        warnings=warnings,
        what="JSON Feed item",
    )

    links = {}
    for rel, key in (("next", "next_url"), ("self", "feed_url"), ("alternate", "home_page_url")):
        href = _web_url(document.get(key))
        if href:
            links[rel] = href
    version = str(document.get("version") or "").removeprefix(VERSION_PREFIX)
    return ParsedFeed(
        url,
        feed_title,
        articles,
        warnings,
        links,
        generator="",
        version=f"json{version.replace('.', '')}" if version else "json",
        site=site,
    )


def _is_json_feed(document: Any) -> bool:
    if not isinstance(document, dict):
        return False
    version = document.get("version")
    if isinstance(version, str) and version.startswith(VERSION_PREFIX):
        return True
    # A feed that forgot its version but has the shape of one.
    return isinstance(document.get("items"), list) and isinstance(document.get("title"), str)


def _item_to_article(
    item: Any,
    *,
    feed_url: str,
    feed_title: str,
    feed_authors: str,
    tags: tuple[str, ...],
    now: datetime,
    first_seen: FirstSeen | None,
    tracking_params: tuple[str, ...],
) -> Article | None:
    if not isinstance(item, Mapping):
        raise TypeError("a JSON Feed item is an object")
    link = _web_url(item.get("url")) or _web_url(item.get("external_url"))
    content_html = _string(item.get("content_html"))
    body = html_to_text(content_html) if content_html else ""
    if not body:
        body = normalize_whitespace(unescape_entities(_string(item.get("content_text"))))
    summary = _rich_text(item.get("summary"))
    if summary and summary in body:
        summary = ""
    if not body and summary:
        body, summary = summary, ""
    title = _text(item.get("title"))
    if not (title or body or link):
        return None

    published = parse_feed_date(_string(item.get("date_published")))
    updated = parse_feed_date(_string(item.get("date_modified")))
    raw_id = item.get("id")
    # The spec asks for a string; numbers are common and are coerced, as it advises.
    coercible = isinstance(raw_id, str | int) and not isinstance(raw_id, bool)
    # The id comes from the link and the feed URL as they are, so that it never changes.
    article_id = (str(raw_id).strip() if coercible else "") or link
    if not article_id:
        raw_date = _string(item.get("date_published")) or _string(item.get("date_modified"))
        article_id = entries.fallback_id(feed_url, title, raw_date)
    if published is None:
        published = updated
    if published is None:
        # JSON Feed has no feed-level date to fall back on.
        published = undated(article_id, None, now=now, first_seen=first_seen)
    url = entries.clean_link(link or entries.web_id(article_id), feed_url, tracking_params)
    return Article(
        id=article_id,
        url=url,
        title=title or entries.first_words(body) or url,
        published=published,
        body=body,
        summary=summary,
        author=_authors(item) or feed_authors,
        tags=_tags(item.get("tags"), tags),
        feed_url=public_feed_url(feed_url),
        feed_title=feed_title,
        updated=updated,
    )


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _text(value: Any) -> str:
    """A plain-text field (a title, a name), one line, entities decoded."""
    text = _rich_text(value)
    return " ".join(text.split())[: entries.MAX_TITLE_CHARS]


def _rich_text(value: Any) -> str:
    """A field the spec says is plain text, that feeds fill with HTML now and then."""
    text = _string(value)
    if not text:
        return ""
    if looks_like_html(text):
        return html_to_text(text)
    return normalize_whitespace(unescape_entities(text))


def _web_url(value: Any) -> str:
    text = _string(value).strip()
    return text if text.lower().startswith(("http://", "https://")) else ""


def _authors(holder: Mapping[str, Any]) -> str:
    """`authors` (1.1), else `author` (1.0), as "Name, Name"."""
    people = holder.get("authors")
    if not isinstance(people, list):
        people = [holder.get("author")]
    names: list[str] = []
    for person in people:
        if isinstance(person, Mapping):
            name = _text(person.get("name"))
            if name and name not in names:
                names.append(name)
    return ", ".join(names)


def _tags(value: Any, extra: tuple[str, ...]) -> tuple[str, ...]:
    terms = value[:MAX_ENTRY_CATEGORIES] if isinstance(value, list) else []
    return entries.distinct_tags([*(_text(t) for t in terms), *extra])
