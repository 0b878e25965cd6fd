"""What Fouille remembers of each feed between runs (`FeedState`: validators, redirects,
delays, health, backfill progress), kept in `feeds-state.json` beside the index, and when
the server lets a feed be fetched again (`Retry-After`, RFC 9110 §10.2.3; `Cache-Control:
max-age` and `Expires`, RFC 9111 §5.2/§5.3).

The file is keyed by the feeds' addresses as configured, keys and all: it is replaced
atomically and readable by its owner only (issue 13).
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from search.files import write_private

logger = logging.getLogger(__name__)

STATE_FILE_NAME = "feeds-state.json"
#: A server asking us to wait longer than this is only obeyed up to this long.
MAX_DELAY = timedelta(days=1)


@dataclass
class FeedState:
    """What we remember about one feed between runs."""

    etag: str = ""
    last_modified: str = ""
    #: Where a permanent redirect sent us; fetched instead of the configured URL.
    permanent_url: str = ""
    #: ISO 8601 UTC time before which the server asked us not to come back.
    not_before: str = ""
    last_fetched: str = ""
    last_status: int = 0
    # Health (`fouille feeds`, /feeds): the last attempt, whatever came of it.
    #: ISO 8601 UTC time of the last attempt to read the feed.
    last_attempt: str = ""
    #: Its outcome: "ok", "not-modified", "skipped" or "failed" (a FeedReport status).
    last_result: str = ""
    #: Why it failed, in one line ("" unless it did)…
    last_error: str = ""
    #: …and the same as a message a front end can translate (`Message.to_json`; {}: none).
    last_error_message: dict[str, Any] = field(default_factory=dict)
    #: The feed's site (its `<link>`), as last read.
    site: str = ""
    #: The `feed_url` its articles carry when it is not the configured URL: its public
    #: address (search.urls), or a local file's published address.
    articles_url: str = ""
    # History (`--backfill`), so that a walk cut short resumes where it stopped.
    #: The deepest page read so far (the live feed is page 1).
    backfill_page: int = 0
    #: The page the next `--backfill` starts at ("" when there is none to resume)…
    backfill_next: str = ""
    #: …and its number.
    backfill_resume: int = 0
    #: True once a walk reached the oldest page: later walks stop at known articles.
    backfill_end: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeedState:
        """A state from its JSON form; unknown keys, and values of the wrong type, are
        ignored (a file written by another version stays readable both ways)."""
        defaults: dict[str, Any] = {
            f.name: f.default_factory() if callable(f.default_factory) else f.default
            for f in fields(cls)
        }
        # `type() is`, not isinstance: a bool is an int, and must not become a page number.
        return cls(
            **{k: v for k, v in data.items() if k in defaults and type(v) is type(defaults[k])}
        )

    def wait_until(self) -> datetime | None:
        """The time before which the feed should not be fetched, if any."""
        if not self.not_before:
            return None
        try:
            return datetime.fromisoformat(self.not_before)
        except ValueError:
            return None


class FeedStateStore:
    """Per-feed `FeedState`s in a JSON file, written atomically (temp file + os.replace)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._states: dict[str, FeedState] = {}
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            feeds = raw.get("feeds", {}) if isinstance(raw, dict) else {}
            for url, data in feeds.items():
                if isinstance(data, dict):
                    self._states[url] = FeedState.from_dict(data)
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError) as exc:
            # A damaged state only costs one unconditional fetch per feed.
            logger.warning("ignoring unreadable feed state %s: %s", path, exc)

    @classmethod
    def in_index(cls, index_dir: Path) -> FeedStateStore:
        """The store that lives in the root of `index_dir`."""
        return cls(Path(index_dir) / STATE_FILE_NAME)

    def get(self, url: str) -> FeedState:
        """The state of the feed configured as `url` (a fresh one if unknown)."""
        return self._states.setdefault(url, FeedState())

    def put(self, url: str, state: FeedState) -> None:
        """Replace the state of the feed configured as `url`."""
        self._states[url] = state

    def known(self, url: str) -> FeedState | None:
        """The state of the feed configured as `url`, if one was saved."""
        return self._states.get(url)

    def forget(self, url: str) -> bool:
        """Drop the state of the feed configured as `url` (a feed no longer followed)."""
        return self._states.pop(url, None) is not None

    def save(self) -> None:
        """Write every state; readers see the old file or the new one, never a mix."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": 1, "feeds": {url: asdict(s) for url, s in sorted(self._states.items())}}
        write_private(self.path, json.dumps(data, ensure_ascii=False, indent=1))


def retry_after(value: str, *, now: datetime) -> timedelta | None:
    """The delay a `Retry-After` header asks for (seconds or an HTTP date), capped at a day."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        when = http_date(value)
        if when is None:
            return None
        delay = when - now
    return max(timedelta(0), min(delay, MAX_DELAY))


def fresh_until(headers: Mapping[str, str], now: datetime) -> str:
    """When the response stops being fresh, per Cache-Control max-age or Expires ("" if now)."""
    cache_control = headers.get("cache-control", "").lower()
    if "no-cache" in cache_control or "no-store" in cache_control:
        return ""
    delay: timedelta | None = None
    match = re.search(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", cache_control)
    if match:
        delay = timedelta(seconds=int(match.group(1)))
        age = headers.get("age", "").strip()
        if age.isdigit():
            delay -= timedelta(seconds=int(age))
    elif headers.get("expires"):
        expires = http_date(headers["expires"])
        if expires is not None:
            delay = expires - now
    if delay is None or delay <= timedelta(0):
        return ""
    return (now + min(delay, MAX_DELAY)).isoformat()


def http_date(value: str) -> datetime | None:
    """An HTTP date (RFC 9110 §5.6.7), always timezone-aware; None if unreadable."""
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
