"""The article: what the indexer hands to the engine, and how it is stored.

`clean_article` bounds every field before anything is written; `article_fields` is the
Whoosh document of an article and `stored_article` reads one back (for hits and rebuilds).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .analysis import tag_key

MIN_DATE = datetime(1900, 1, 1, tzinfo=UTC)
MAX_DATE = datetime(2200, 1, 1, tzinfo=UTC)
#: Characters kept of each text field: an entry can be huge, the index must not be.
LIMITS = {
    "id": 2048,
    "url": 4096,
    "title": 2000,
    "author": 500,
    "summary": 20_000,
    "body": 1_000_000,
    "feed_url": 4096,
    "feed_title": 500,
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TAGS_PER_ARTICLE = 100
TAG_CHARS = 200


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
    #: The digest of the entry as the feed gave it (`compute_hash`). Always computed from
    #: the fields, so that `dataclasses.replace(article, body=…)` cannot keep a stale one;
    #: only `clean_article` and `stored_article` carry a digest over (`_Digest`).
    content_hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for name in ("published", "updated"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"Article.{name} must be timezone-aware")
        given = self.content_hash
        digest = str(given) if isinstance(given, _Digest) and given else self.compute_hash()
        object.__setattr__(self, "content_hash", digest)

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


class _Digest(str):
    """A content hash to carry over as is: the digest of an entry before `clean_article`
    clipped it (so that an unchanged entry still looks unchanged), or the one stored."""


def clean_article(article: Article) -> Article:
    """Bound every field (sizes, tag count, dates) so that no entry can hurt the index, and
    drop junk tags (`is_junk_tag`)."""
    tags = []
    seen = set()
    for tag in article.tags[: TAGS_PER_ARTICLE * 4]:
        label = " ".join(_clip(str(tag), TAG_CHARS).split())
        key = tag_key(label)
        if key and key not in seen and not is_junk_tag(label):
            seen.add(key)
            tags.append(label)
        if len(tags) >= TAGS_PER_ARTICLE:
            break
    values = {name: _clip(getattr(article, name), limit) for name, limit in LIMITS.items()}
    return Article(
        **values,
        tags=tuple(tags),
        published=_clamp(article.published),
        updated=_clamp(article.updated) if article.updated else None,
        content_hash=_Digest(article.content_hash),
    )


#: What a CMS leaves when a template fails: `[[item.keywords]]`, `{{ tag }}`, `${tag}`,
#: `<%= tag %>`, `{% tag %}`, `%TAG%`.
_TEMPLATE = re.compile(r"\[\[|\]\]|\{\{|\}\}|\{%|%\}|<%|%>|\$\{|^%\w+%$")
#: Values a broken script writes for "no tag".
_NO_TAG = frozenset({"null", "none", "undefined", "nan", "[object object]", "n/a"})


def is_junk_tag(label: str) -> bool:
    """True for a tag that says nothing: empty, punctuation only, a template placeholder
    left unfilled, or a script's null."""
    if not tag_key(label) or not any(ch.isalnum() for ch in label):
        return True
    return bool(_TEMPLATE.search(label)) or label.lower() in _NO_TAG


def indexed_body(article: Article) -> str:
    """The text searched as the body: the summary first when the body does not hold it."""
    body, summary = article.body, article.summary
    if summary and summary[:200] not in body:
        return f"{summary}\n\n{body}" if body else summary
    return body


def article_fields(article: Article) -> dict[str, Any]:
    """The stored values and small indexed fields of an article's Whoosh document.

    The four text fields (`text`, `title`, `title_exact`, `body_exact`) are fed by the
    segment writer from one analysis of the title, tags and `indexed_body`.
    """
    return {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "body": article.body,
        "summary": article.summary,
        "author": article.author,
        "tags": list(article.tags),
        "tag": ",".join(tag_key(t) for t in article.tags),
        "feed_url": article.feed_url,
        "feed_title": article.feed_title,
        "published": article.published.astimezone(UTC).replace(tzinfo=None),
        "updated": article.updated.astimezone(UTC).isoformat() if article.updated else None,
        "content_hash": article.content_hash,
    }


def stored_article(fields: dict[str, Any]) -> Article:
    """An Article from its stored fields."""
    return Article(
        id=fields["id"],
        url=fields.get("url") or "",
        title=fields.get("title") or "",
        published=aware(fields.get("published")) or MIN_DATE,
        body=fields.get("body") or "",
        summary=fields.get("summary") or "",
        author=fields.get("author") or "",
        tags=tuple(fields.get("tags") or ()),
        feed_url=fields.get("feed_url") or "",
        feed_title=fields.get("feed_title") or "",
        updated=aware(fields.get("updated")),
        content_hash=_Digest(fields.get("content_hash") or ""),
    )


def microseconds(moment: datetime) -> int:
    """Microseconds since 1970 (UTC) of an aware or UTC-naive datetime, exactly."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


def aware(value: Any) -> datetime | None:
    """A stored date as an aware datetime (UTC when it carries no zone), or None."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            return aware(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _clip(text: str, limit: int) -> str:
    text = text[:limit] if len(text) > limit else text
    if "\x00" in text:
        text = text.replace("\x00", "")
    text = text.encode("utf-8", "replace").decode("utf-8")
    return unicodedata.normalize("NFC", text)


def _clamp(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return min(max(moment, MIN_DATE), MAX_DATE)
