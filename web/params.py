"""URL parameters ↔ `Engine.search` arguments, shared by the HTML page, the API and Atom."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from werkzeug.datastructures import MultiDict

from search import Settings
from search.i18n import N_

from .errors import ParamError

#: Each sort and its label (a msgid: templates say it in the page's language).
SORTS = {
    "relevance": N_("Relevance"),
    "date": N_("Newest"),
    "fresh": N_("Relevance + freshness"),
}
MAX_TAG_FILTERS = 20
MAX_FILTER_LENGTH = 200


@dataclass(frozen=True)
class SearchParams:
    """One search as the URL states it: `q`, `tag` (repeatable), `since`, `until`, `author`,
    `feed`, `sort`, `page`, `page_size`, `as_typed=1` (no spelling correction) and
    `explain=1` (why each article matched)."""

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
    explain: bool = False

    @classmethod
    def from_args(cls, args: MultiDict[str, str], settings: Settings) -> SearchParams:
        """Read and check the URL parameters; the engine checks dates, sort and ranges.

        Raises:
            ParamError: a parameter is too long or not a number.
        """
        # A plain dict: a MultiDict's get() of an absent name raises and catches an HTTP
        # exception, and most of these names are absent from most searches.
        first = args.to_dict()
        q = first.get("q", "").strip()
        if len(q) > settings.max_query_length:
            raise query_too_long(len(q), settings.max_query_length)
        tags: list[str] = []
        for raw in args.getlist("tag"):
            tag = raw.strip()
            if tag and tag not in tags:
                tags.append(_capped("tag", tag))
        if len(tags) > MAX_TAG_FILTERS:
            raise ParamError(N_("At most {limit} tag filters"), limit=MAX_TAG_FILTERS)
        return cls(
            q=q,
            tags=tuple(tags),
            since=_capped("since", first.get("since", "").strip()),
            until=_capped("until", first.get("until", "").strip()),
            author=_capped("author", first.get("author", "").strip()),
            feed=_capped("feed", first.get("feed", "").strip()),
            sort=_capped("sort", first.get("sort", "").strip()) or "relevance",
            page=_default(_integer(first, "page"), 1),
            page_size=_integer(first, "page_size"),
            as_typed=first.get("as_typed", "").strip() in ("1", "true", "oui"),
            explain=first.get("explain", "").strip() in ("1", "true", "oui"),
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
            "explain": self.explain,
        }

    def with_(self, **changes: Any) -> SearchParams:
        """A copy with some fields changed; the page goes back to 1 unless given."""
        changes.setdefault("page", 1)
        unknown = changes.keys() - _FIELD_NAMES
        if unknown:
            raise TypeError(f"no such search parameter: {', '.join(sorted(unknown))}")
        # A results page makes some forty of these (one per link): filling the copy's
        # fields directly takes a third of the time of `dataclasses.replace`, which calls
        # the frozen `__init__` and its checks; the fields are the same, so is the object.
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(changes)
        return copy

    def toggle_tag(self, tag: str) -> SearchParams:
        """A copy with `tag` added to the filters, or removed when already there."""
        tags = tuple(t for t in self.tags if t != tag) if tag in self.tags else (*self.tags, tag)
        return self.with_(tags=tags)

    def query_string(self) -> str:
        """The URL query of these parameters (what `url_args` gives, encoded, in its order)."""
        return "&".join(f"{name}={_quoted(str(value))}" for name, value in self._pairs())

    def url_args(self) -> dict[str, Any]:
        """URL parameters for `url_for`, leaving out defaults so URLs stay short."""
        out: dict[str, Any] = {}
        for name, value in self._pairs():
            if name == "tag":
                out.setdefault("tag", []).append(value)
            else:
                out[name] = value
        return out

    def _pairs(self) -> Iterator[tuple[str, str | int]]:
        """(name, value) of each URL parameter, defaults left out, in URL order."""
        yield "q", self.q
        for tag in self.tags:
            yield "tag", tag
        for name in ("since", "until", "author", "feed"):
            value = getattr(self, name)
            if value:
                yield name, value
        if self.sort != "relevance":
            yield "sort", self.sort
        if self.page != 1:
            yield "page", self.page
        if self.page_size is not None:
            yield "page_size", self.page_size
        if self.as_typed:
            yield "as_typed", 1
        if self.explain:
            yield "explain", 1


_FIELD_NAMES = frozenset(item.name for item in fields(SearchParams))


def query_too_long(length: int, limit: int) -> ParamError:
    """The error of a query text over `max_query_length`."""
    return ParamError(
        N_("The query is {length} characters long; the limit is {limit} (parameter q)"),
        length=length,
        limit=limit,
    )


@lru_cache(maxsize=4096)
def _quoted(value: str) -> str:
    return quote(value, safe="")


def _capped(name: str, value: str) -> str:
    """`value` when it fits MAX_FILTER_LENGTH, else a 400 naming the parameter."""
    if len(value) > MAX_FILTER_LENGTH:
        raise too_long(name, MAX_FILTER_LENGTH)
    return value


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


def _integer(args: Mapping[str, str], name: str) -> int | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ParamError(
            N_("The parameter {name} must be a whole number, not {value!r}"), name=name, value=raw
        ) from None


def too_long(name: str, limit: int) -> ParamError:
    """The error of a parameter longer than `limit` characters."""
    return ParamError(N_("The parameter {name} is over {limit} characters"), name=name, limit=limit)
