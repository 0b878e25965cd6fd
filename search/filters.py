"""Search filters (tags, dates, author, feed): parameters, not syntax, validated here."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from .analysis import tag_key
from .config import Settings
from .errors import InvalidFilterError
from .i18n import N_

RELATIVE_RE = re.compile(r"^(\d{1,5})\s*([hdjwsmya])$", re.IGNORECASE)
RELATIVE_UNITS = {"h": 1 / 24, "d": 1, "j": 1, "w": 7, "s": 7, "m": 30, "y": 365, "a": 365}


def parse_date(
    value: str | date | datetime | None, *, end: bool, now: datetime | None = None
) -> datetime | None:
    """A filter bound: ISO `2024`, `2024-03`, `2024-03-15` (or a full timestamp), or a
    relative `24h`, `7d`/`7j`, `4w`, `6m`, `1y`. `end=True` gives the end of that period
    (bounds are inclusive).

    Raises:
        InvalidFilterError: the value is not a date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return _day_bound(value, end)
    text = str(value).strip()
    now = now or datetime.now(UTC)
    if m := RELATIVE_RE.match(text):
        try:
            return now - timedelta(days=int(m.group(1)) * RELATIVE_UNITS[m.group(2).lower()])
        except OverflowError:
            return datetime.min.replace(tzinfo=UTC)  # before year 1: since the beginning
    try:
        if re.fullmatch(r"\d{4}", text):
            year = int(text)
            return _day_bound(date(year, 12, 31) if end else date(year, 1, 1), end)
        if re.fullmatch(r"\d{4}-\d{1,2}", text):
            year, month = map(int, text.split("-"))
            first = date(year, month, 1)
            if not end:
                return _day_bound(first, False)
            nxt = date(year + month // 12, month % 12 + 1, 1)
            return _day_bound(nxt - timedelta(days=1), True)
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
            return _day_bound(date(*map(int, text.split("-"))), end)
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError as exc:
        raise InvalidFilterError(
            N_("invalid date {date!r}: use YYYY, YYYY-MM or YYYY-MM-DD (or 7d, 1y)"),
            date=text[:40],
        ) from exc


def _day_bound(day: date, end: bool) -> datetime:
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


@dataclass(frozen=True)
class Filters:
    """What an article must pass, whatever the query: every tag, the date range (inclusive),
    the author's words, the feed (its URL or title words)."""

    tags: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    author: str = ""
    feed: str = ""

    @classmethod
    def build(
        cls,
        *,
        tags: tuple[str, ...] | list[str] | str = (),
        since: str | date | datetime | None = None,
        until: str | date | datetime | None = None,
        author: str | None = None,
        feed: str | None = None,
        now: datetime | None = None,
    ) -> Filters:
        """Filters from the values a front end passes.

        Raises:
            InvalidFilterError: a date is invalid, or the range is empty.
        """
        if isinstance(tags, str):
            tags = (tags,)
        start = parse_date(since, end=False, now=now)
        stop = parse_date(until, end=True, now=now)
        if start and stop and start > stop:
            raise InvalidFilterError(N_("the start date is after the end date"))
        return cls(
            tags=tuple(k for k in (tag_key(t) for t in tags if t) if k),
            since=start,
            until=stop,
            author=(author or "").strip(),
            feed=(feed or "").strip(),
        )

    def __bool__(self) -> bool:
        return bool(self.tags or self.since or self.until or self.author or self.feed)

    def within(self, since: datetime | None, until: datetime | None) -> Filters:
        """These filters with the date range narrowed to [since, until] too (a range
        left empty finds nothing; it is not an error)."""
        if since is None and until is None:
            return self
        start = (
            max(d for d in (self.since, since) if d is not None) if since or self.since else None
        )
        stop = min(d for d in (self.until, until) if d is not None) if until or self.until else None
        return replace(self, since=start, until=stop)


#: The sorts a search may ask for, and the deepest page it may ask for.
SORTS = ("relevance", "date", "fresh")
MAX_PAGE = 10_000


def check_sort(sort: str) -> None:
    """Raises InvalidFilterError when `sort` is not one of `SORTS`."""
    if sort not in SORTS:
        raise InvalidFilterError(
            N_("unknown sort {sort!r}: use one of {sorts}"),
            sort=str(sort)[:20],
            sorts=", ".join(SORTS),
        )


def check_paging(sort: str, page: int, page_size: int | None, settings: Settings) -> int:
    """The page size a search gets (the setting's when None).

    Raises:
        InvalidFilterError: the sort is unknown, or the page or page size out of range.
    """
    check_sort(sort)
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= MAX_PAGE:
        raise InvalidFilterError(
            N_("page must be a whole number from 1 to {limit}"), limit=MAX_PAGE
        )
    size = settings.page_size if page_size is None else page_size
    if not isinstance(size, int) or not 1 <= size <= settings.max_page_size:
        raise InvalidFilterError(
            N_("page size must be a whole number from 1 to {limit}"),
            limit=settings.max_page_size,
        )
    return size
