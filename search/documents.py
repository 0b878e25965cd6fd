"""The article: what the indexer hands to the engine and what the engine stores."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Article:
    """One feed entry, cleaned. Everything needed to re-index it without its feed.

    `published` and `updated` must be timezone-aware; they are stored in UTC.
    """

    id: str
    url: str
    title: str
    published: datetime
    body: str = ""
    summary: str = ""
    author: str = ""
    tags: tuple[str, ...] = ()
    feed_url: str = ""
    feed_title: str = ""
    updated: datetime | None = None
    content_hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for name in ("published", "updated"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"Article.{name} must be timezone-aware")
        if not self.content_hash:
            object.__setattr__(self, "content_hash", self.compute_hash())

    def compute_hash(self) -> str:
        """A digest of everything a reader sees, to detect changed entries."""
        parts = [
            self.url,
            self.title,
            self.author,
            "\x1f".join(self.tags),
            self.summary,
            self.body,
            self.published.astimezone(UTC).isoformat(),
            self.feed_title,
        ]
        return hashlib.sha256("\x1e".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]
