"""What a reindex reports: per feed (`FeedReport`) and over the whole run (`Report`), with
the JSON form of `fouille reindex --json`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: What writing an article did (`ArticleWriter.upsert`), counted per feed.
STATUSES = ("new", "updated", "unchanged")


@dataclass
class FeedReport:
    """What a reindex did with one feed.

    url: the feed's public address (no password, no key: see search.urls).
    status: "ok" (read), "not-modified" (304), "skipped" (the server asked us to wait),
    or "failed" (`reason` says why, in one line).
    """

    url: str
    name: str = ""
    status: str = "ok"
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Entries already taken from another feed during this run (same id).
    duplicates: int = 0
    entries: int = 0
    pages: int = 0
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: The page a `--backfill` resumed at, where the previous one stopped (0: it did not).
    resumed_at: int = 0
    #: The number of the last page read (the live feed is page 1; 0: none was read).
    last_page: int = 0

    @property
    def label(self) -> str:
        """The feed's name, or its URL/path."""
        return self.name or self.url

    @property
    def failed(self) -> bool:
        """True when the feed could not be read."""
        return self.status == "failed"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by `fouille reindex --json`."""
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass
class Report:
    """What a whole reindex did."""

    feeds: list[FeedReport] = field(default_factory=list)
    seconds: float = 0.0
    #: Articles re-analyzed by `--rebuild`, if it ran.
    rebuilt: int | None = None

    @property
    def failed(self) -> list[FeedReport]:
        """The feeds that could not be read."""
        return [f for f in self.feeds if f.failed]

    def totals(self) -> dict[str, int]:
        """Feed and article counts over the whole run."""
        out = {
            "feeds": len(self.feeds),
            "failed": len(self.failed),
            "entries": sum(f.entries for f in self.feeds),
        }
        for status in (*STATUSES, "duplicates"):
            out[status] = sum(getattr(f, status) for f in self.feeds)
        return out

    @property
    def exit_status(self) -> int:
        """0 when every feed was read (or rightly skipped), 1 when some failed."""
        return 1 if self.failed else 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by `fouille reindex --json`."""
        return {
            "feeds": [f.to_dict() for f in self.feeds],
            "totals": self.totals(),
            "rebuilt": self.rebuilt,
            "seconds": round(self.seconds, 3),
        }
