"""The feeds' health: for each feed followed (and each feed the archive still holds), what
the archive holds of it and how its last fetch went — what `fouille feeds` and the /feeds
page show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from search import FeedStats, Settings
from search.i18n import Message
from search.urls import public_feed_url, public_link, scrub

from .feedlist import FeedList
from .fetch import FeedState, FeedStateStore
from .sources import Source, followed


@dataclass(frozen=True)
class FeedHealth:
    """One row of the health table. `url` is the feed's public address, and no field holds
    a secret of the feed (see search.urls)."""

    url: str
    name: str
    #: "config", "managed", "default", or "archive" (no longer followed: only in the index).
    origin: str
    tags: tuple[str, ...]
    site: str
    articles: int
    oldest: datetime | None
    newest: datetime | None
    #: When it was last read (tried), its HTTP status then (0: no answer), and the outcome:
    #: "ok", "not-modified", "skipped", "failed", or "" (never tried).
    last_fetch: datetime | None
    last_status: int
    result: str
    error: str
    #: `--backfill`: the deepest page read, whether a walk reached the oldest page, and the
    #: page the next one resumes at (0: none).
    backfill_pages: int
    backfill_complete: bool
    backfill_resume: int

    @property
    def followed(self) -> bool:
        """False for a feed that is only in the archive."""
        return self.origin != "archive"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of `fouille feeds --json` and `/api/feeds`."""
        return {
            "url": self.url,
            "name": self.name,
            "origin": self.origin,
            "followed": self.followed,
            "tags": list(self.tags),
            "site": self.site,
            "articles": self.articles,
            "oldest": _iso(self.oldest),
            "newest": _iso(self.newest),
            "last_fetch": _iso(self.last_fetch),
            "last_status": self.last_status or None,
            "result": self.result or None,
            "error": self.error or None,
            "backfill": {
                "pages": self.backfill_pages,
                "complete": self.backfill_complete,
                "resume_at": self.backfill_resume or None,
            }
            if self.backfill_pages or self.backfill_resume
            else None,
        }


def feed_health(settings: Settings, stats: Sequence[FeedStats]) -> list[FeedHealth]:
    """The health table: followed feeds in the order they are read, then the feeds only the
    archive holds, by URL.

    Args:
        settings: where the index, the followed feeds and their states are.
        stats: `Engine.feeds()` ([] when there is no index yet), by public address.

    Raises:
        ConfigError: the list of managed feeds is damaged.
    """
    store = FeedStateStore.in_index(settings.index_dir)
    by_url = {s.feed_url: s for s in stats}
    sites = {f.url: f.site for f in FeedList.in_index(settings.index_dir).load() if f.site}
    sources = followed(settings)
    rows = []
    shown: set[str] = set()
    for source in sources:
        state = store.known(source.url) or FeedState()
        # Articles carry their feed's public address (a local file's: the one it publishes).
        found = by_url.get(source.public_url) or by_url.get(public_feed_url(state.articles_url))
        if found is not None:
            shown.add(found.feed_url)
        rows.append(_row(source, state, found, sites.get(source.url, "")))
    for left in stats:
        if left.feed_url not in shown:
            state = store.known(left.feed_url) or FeedState()
            rows.append(_row(Source(left.feed_url, origin="archive"), state, left, ""))
    return rows


def _error(state: FeedState, source: Source) -> str:
    """Why the last fetch failed: the saved message (to be translated) when there is one
    that says the saved text. Saved scrubbed; scrubbed again for a state written by an older
    version."""

    def public(text: str) -> str:
        return scrub(text.replace(source.url, source.public_url), source.secrets)

    message = Message.from_json(state.last_error_message)
    if message is not None and message == state.last_error:
        return message.map(public)
    return public(state.last_error)


def _row(source: Source, state: FeedState, stats: FeedStats | None, site: str) -> FeedHealth:
    secrets = source.secrets
    return FeedHealth(
        url=source.display or source.public_url,
        name=source.name or (stats.title if stats else "") or _short(source.url),
        origin=source.origin or "archive",
        tags=source.tags,
        site=public_link(site or state.site, secrets),
        articles=stats.articles if stats else 0,
        oldest=stats.oldest if stats else None,
        newest=stats.newest if stats else None,
        last_fetch=_parse_time(state.last_attempt or state.last_fetched),
        last_status=state.last_status,
        result=state.last_result,
        error=_error(state, source),
        backfill_pages=state.backfill_page,
        backfill_complete=state.backfill_end,
        backfill_resume=state.backfill_resume if state.backfill_next else 0,
    )


def _short(url: str) -> str:
    parts = urlsplit(url)
    return parts.hostname or url.rsplit("/", 1)[-1]


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
