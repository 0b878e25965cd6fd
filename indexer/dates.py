"""Dates in feeds: what feedparser parsed, what it could not (RFC 822 without a zone, ISO
8601, the French `dim, 05/03/2020 - 11:30` of some CMSs), and the date of an entry that
carries none (issue 14: never "today" for a 2020 archive)."""

from __future__ import annotations

import contextlib
import email.utils
import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Looks up the `published` time already given to an entry id, if any.
FirstSeen = Callable[[str], "datetime | None"]

_SLASHED_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})(?:\D{1,4}(\d{1,2})[:h](\d{2}))?")
_WEEKDAYS = {
    **{day: n for n, day in enumerate(("lun", "mar", "mer", "jeu", "ven", "sam", "dim"))},
    **{day: n for n, day in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
}
try:
    _PARIS: tzinfo = ZoneInfo("Europe/Paris")
except ZoneInfoNotFoundError:  # no time zone database: UTC is the least surprising guess
    _PARIS = UTC


def struct_date(value: Any) -> datetime | None:
    """A date feedparser parsed (a `time.struct_time`-like tuple, UTC), or None."""
    if not isinstance(value, tuple) or len(value) < 6:
        return None
    try:
        year, month, day, hour, minute, second = (int(v) for v in value[:6])
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def parse_feed_date(text: Any) -> datetime | None:
    """A date feedparser could not read: RFC 822 without a zone, ISO 8601, or the French
    `dim, 05/03/2020 - 11:30` some CMSs write. A time without a zone is taken as Paris time.
    """
    text = " ".join(str(text or "").split())
    if not text:
        return None
    moment: datetime | None = None
    with contextlib.suppress(TypeError, ValueError, IndexError):
        moment = email.utils.parsedate_to_datetime(text)
    if moment is None:
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment is None:
        moment = _slashed_date(text)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_PARIS)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-14:00 is past the last datetime once in UTC
        return None


def _slashed_date(text: str) -> datetime | None:
    """`05/03/2020 - 11:30`: day first as in French, unless the weekday says month first
    (Drupal's default `D, m/d/Y - H:i` writes `dim, 05/03/2020` for Sunday 3 May 2020)."""
    match = _SLASHED_DATE.search(text)
    if not match:
        return None
    first, second, year, hour, minute = (int(g) if g else 0 for g in match.groups())
    weekday = _WEEKDAYS.get(text[: match.start()].strip(" ,.").lower()[:3])
    candidates = []
    for day, month in ((first, second), (second, first)):
        with contextlib.suppress(ValueError):
            candidates.append(datetime(year, month, day, hour, minute))
    if weekday is not None:
        matching = [c for c in candidates if c.weekday() == weekday]
        candidates = matching or candidates
    return candidates[0] if candidates else None


def undated(
    article_id: str,
    feed_date: datetime | None,
    *,
    now: datetime,
    first_seen: FirstSeen | None = None,
) -> datetime:
    """The date of an entry that carries none.

    The date it was given when first seen (so that it never looks changed), else the feed's
    own date (channel `lastBuildDate`/`pubDate`, Atom `updated`) when that is older than
    this fetch — an entry of a feed last built in 2020 is not news of today — else `now`.
    """
    known = first_seen(article_id) if first_seen else None
    if known is not None:
        return known
    if feed_date is not None and feed_date < now:
        return feed_date
    return now


def feed_date(feed: dict[str, Any]) -> datetime | None:
    """The feed's own date: when it was last updated, else published."""
    # dict.get: feedparser's own get() maps a missing `updated` to `published` (and warns).
    for key in ("updated", "published"):
        moment = struct_date(dict.get(feed, f"{key}_parsed")) or parse_feed_date(
            dict.get(feed, key, "")
        )
        if moment is not None:
            return moment
    return None
