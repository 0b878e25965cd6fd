"""URL parameters ↔ `Engine.search` arguments, shared by the HTML page, the API and Atom."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from werkzeug.datastructures import MultiDict

from search import Settings

from .errors import ParamError

SORTS = {
    "relevance": "Pertinence",
    "date": "Plus récents",
    "fresh": "Pertinence + fraîcheur",
}
MAX_TAG_FILTERS = 20
MAX_FILTER_LENGTH = 200


@dataclass(frozen=True)
class SearchParams:
    """One search as the URL states it: `q`, `tag` (repeatable), `since`, `until`, `author`,
    `feed`, `sort`, `page`, `page_size`, and `as_typed=1` (no spelling correction)."""

    q: str = ""
    tags: tuple[str, ...] = ()
    since: str = ""
    until: str = ""
    author: str = ""
    feed: str = ""
    sort: str = "relevance"
    page: int = 1
    page_size: int | None = None
    as_typed: bool = False

    @classmethod
    def from_args(cls, args: MultiDict[str, str], settings: Settings) -> SearchParams:
        """Read and check the URL parameters; the engine checks dates, sort and ranges.

        Raises:
            ParamError: a parameter is too long or not a number.
        """
        q = args.get("q", "").strip()
        if len(q) > settings.max_query_length:
            raise ParamError(
                f"La requête fait {len(q)} caractères ; la limite est "
                f"{settings.max_query_length} (paramètre q)"
            )
        tags: list[str] = []
        for raw in args.getlist("tag"):
            tag = raw.strip()
            if tag and tag not in tags:
                tags.append(_capped("tag", tag))
        if len(tags) > MAX_TAG_FILTERS:
            raise ParamError(f"Au plus {MAX_TAG_FILTERS} filtres tag")
        return cls(
            q=q,
            tags=tuple(tags),
            since=_capped("since", args.get("since", "").strip()),
            until=_capped("until", args.get("until", "").strip()),
            author=_capped("author", args.get("author", "").strip()),
            feed=_capped("feed", args.get("feed", "").strip()),
            sort=_capped("sort", args.get("sort", "").strip()) or "relevance",
            page=_default(_integer(args, "page"), 1),
            page_size=_integer(args, "page_size"),
            as_typed=args.get("as_typed", "").strip() in ("1", "true", "oui"),
        )

    @property
    def has_filters(self) -> bool:
        """Whether anything narrows the search besides the query text."""
        return bool(self.tags or self.since or self.until or self.author or self.feed)

    def engine_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `Engine.search` (after the text)."""
        return {
            "tags": self.tags,
            "since": self.since or None,
            "until": self.until or None,
            "author": self.author or None,
            "feed": self.feed or None,
            "sort": self.sort,
            "page": self.page,
            "page_size": self.page_size,
            "correct": not self.as_typed,
        }

    def with_(self, **changes: Any) -> SearchParams:
        """A copy with some fields changed; the page goes back to 1 unless given."""
        changes.setdefault("page", 1)
        return replace(self, **changes)

    def toggle_tag(self, tag: str) -> SearchParams:
        """A copy with `tag` added to the filters, or removed when already there."""
        tags = tuple(t for t in self.tags if t != tag) if tag in self.tags else (*self.tags, tag)
        return self.with_(tags=tags)

    def query_string(self) -> str:
        """The URL query of these parameters (what `url_args` gives, encoded)."""
        pairs = []
        for name, value in self.url_args().items():
            for item in value if isinstance(value, list) else (value,):
                pairs.append(f"{name}={_quoted(str(item))}")
        return "&".join(pairs)

    def url_args(self) -> dict[str, Any]:
        """URL parameters for `url_for`, leaving out defaults so URLs stay short."""
        out: dict[str, Any] = {"q": self.q}
        if self.tags:
            out["tag"] = list(self.tags)
        for name in ("since", "until", "author", "feed"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.sort != "relevance":
            out["sort"] = self.sort
        if self.page != 1:
            out["page"] = self.page
        if self.page_size is not None:
            out["page_size"] = self.page_size
        if self.as_typed:
            out["as_typed"] = 1
        return out


@lru_cache(maxsize=4096)
def _quoted(value: str) -> str:
    return quote(value, safe="")


def _capped(name: str, value: str) -> str:
    """`value` when it fits MAX_FILTER_LENGTH, else a 400 naming the parameter."""
    if len(value) > MAX_FILTER_LENGTH:
        raise ParamError(f"Le paramètre {name} dépasse {MAX_FILTER_LENGTH} caractères")
    return value


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


def _integer(args: MultiDict[str, str], name: str) -> int | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ParamError(f"Le paramètre {name} doit être un nombre entier, pas {raw!r}") from None
