"""User query text → a syntax tree (`search.plan` turns it into what the matcher runs).

The language (README, "Query syntax"): words are ANDed; "a phrase"; -word and SAUF word
exclude; OR/OU and AND/ET; parentheses; title:/titre:, author:/auteur:, tag:, feed:/flux:
fields; prefix*. Parsing is lenient: any text gives a tree (maybe one matching nothing),
never an exception.

Dates in French (`depuis:lundi`, `avant:2023`, `date:"mars 2023"`, `il y a 3 jours`, `date:hier`)
are taken out of the text first (`split_dates`): they become the search's date filters, and
one that names no date stays in the text as words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from . import dates
from .analysis import normalize

MAX_QUERY_CHARS = 2000
MAX_CLAUSES = 64
MAX_DEPTH = 16
MAX_PREFIXES = 8

FIELD_ALIASES = {
    "title": "title",
    "titre": "title",
    "author": "author",
    "auteur": "author",
    "tag": "tag",
    "tags": "tag",
    "feed": "feed",
    "flux": "feed",
    "source": "feed",
}
OR_WORDS = {"OR", "OU", "|", "||"}
AND_WORDS = {"AND", "ET", "&", "&&"}
NOT_WORDS = {"NOT", "SAUF"}

TOKEN_RE = re.compile(
    r"""
    (?P<lparen>\()
    | (?P<rparen>\))
    | (?P<minus>-(?=[\w"(]))
    | (?P<field>[A-Za-z]+):(?=[\w"(*])
    | (?P<phrase>"[^"]*("|$))
    | (?P<word>[^\s()"]+)
    """,
    re.VERBOSE,
)


# --- the syntax tree -------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    text: str
    field: str | None = None
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    text: str
    field: str | None = None


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Word | Phrase | Not | And | Or


def parse(text: str) -> Node | None:
    """Parse user text into a syntax tree; None when nothing searchable is left."""
    return _Parser(_tokens(normalize(text[:MAX_QUERY_CHARS]))).parse()


def _tokens(text: str) -> list[tuple[str, str]]:
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return [(m.lastgroup or "word", m.group()) for m in TOKEN_RE.finditer(text)][: MAX_CLAUSES * 3]


class _Parser:
    """Recursive descent over or → and → unary → primary; never raises on user text."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0
        self.clauses = 0
        self.prefixes = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse(self) -> Node | None:
        nodes = []
        while self.peek() is not None:
            node = self.or_expr(0)
            if node is not None:
                nodes.append(node)
            elif self.peek() is not None:
                self.i += 1  # a stray ")" or operator: skip it
        return _simplify(And(tuple(nodes)))

    def or_expr(self, depth: int) -> Node | None:
        children = [self.and_expr(depth)]
        while (tok := self.peek()) and tok[0] == "word" and tok[1] in OR_WORDS:
            self.i += 1
            children.append(self.and_expr(depth))
        return _simplify(Or(tuple(c for c in children if c is not None)))

    def and_expr(self, depth: int) -> Node | None:
        children: list[Node] = []
        while (tok := self.peek()) is not None:
            kind, value = tok
            if kind == "rparen" or (kind == "word" and value in OR_WORDS):
                break
            if kind == "word" and value in AND_WORDS:
                self.i += 1
                continue
            node = self.unary(depth)
            if node is not None:
                children.append(node)
        return _simplify(And(tuple(children)))

    def unary(self, depth: int) -> Node | None:
        kind, value = self.tokens[self.i]
        if kind == "minus" or (kind == "word" and value in NOT_WORDS):
            self.i += 1
            if self.peek() is None:
                return None
            child = self.unary(depth)
            return Not(child) if child is not None else None
        return self.primary(depth, None)

    def primary(self, depth: int, fieldname: str | None) -> Node | None:
        kind, value = self.tokens[self.i]
        self.i += 1
        if kind == "lparen":
            node = self.or_expr(depth + 1) if depth < MAX_DEPTH else None
            if (tok := self.peek()) and tok[0] == "rparen":
                self.i += 1
            # `titre:(a OU b)`: the field applies to every word of the group.
            return _in_field(node, fieldname) if node is not None and fieldname else node
        if kind == "rparen":
            return None
        if kind == "field":
            name = FIELD_ALIASES.get(value[:-1].lower())
            if self.peek() is None:
                return None
            if name is None:  # not a field we know: search the word itself
                self.i -= 1
                self.tokens[self.i] = ("word", value[:-1])
                return self.primary(depth, fieldname)
            return self.primary(depth, name)
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            return None
        if kind == "phrase":
            inner = value.strip('"')
            return Phrase(inner, fieldname) if inner.strip() else None
        if kind == "minus":
            return None
        prefix = value.endswith("*")
        if prefix:
            self.prefixes += 1
            prefix = self.prefixes <= MAX_PREFIXES  # past that, the word is searched as is
        text = value.rstrip("*")
        if not any(ch.isalnum() for ch in text):
            return None
        return Word(text, fieldname, prefix=prefix)


def _in_field(node: Node, fieldname: str) -> Node:
    """`node` with its words and phrases searched in `fieldname` (those naming their own
    field keep it)."""
    if isinstance(node, Word | Phrase):
        return node if node.field else replace(node, field=fieldname)
    if isinstance(node, Not):
        return Not(_in_field(node.child, fieldname))
    if isinstance(node, And | Or):
        return type(node)(tuple(_in_field(c, fieldname) for c in node.children))
    return node


def _simplify(node: And | Or) -> Node | None:
    children = node.children
    if not children:
        return None
    if len(children) == 1:
        return children[0]
    return node


# --- dates in the query box ------------------------------------------------------------------

DATE_RE = re.compile(
    r"""
    (?P<phrase>"[^"]*(?:"|$))
    | (?<![\w:])(?P<key>depuis|apr[eè]s|avant|date|entre):(?P<value>"[^"]*"|[^\s()"]+)
    | (?<![\w'’:])(?:il\s+y\s+a|depuis)\s+(?P<count>\d{1,4})\s+
      (?P<unit>heures?|jours?|semaines?|mois|ans|an|ann[ée]es?)(?![\w'’-])
    | (?<![\w'’:-])(?:cette|ce)\s+(?P<this>semaine|mois-ci|mois|ann[ée]e)(?![\w'’-])
    """,
    re.IGNORECASE | re.VERBOSE,
)
MAX_DATE_CLAUSES = 8
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class DatedQuery:
    """A query's text without its dates, and the date range they name (inclusive)."""

    text: str
    since: datetime | None = None
    until: datetime | None = None
    #: The date clauses as typed, in order.
    dates: tuple[str, ...] = ()


def split_dates(text: str, now: datetime | None = None) -> DatedQuery:
    """Take the French date clauses out of a query: several narrow each other down (the
    range is their intersection). Never raises: a clause that names no date is left in
    the text, to be searched as words."""
    now = now or datetime.now(UTC)
    text = normalize(text[:MAX_QUERY_CHARS])
    kept: list[str] = []
    found: list[str] = []
    since: datetime | None = None
    until: datetime | None = None
    at = 0
    for m in DATE_RE.finditer(text):
        if m["phrase"] is not None or len(found) >= MAX_DATE_CLAUSES:
            continue
        try:
            bounds = _bounds(m, now)
        except OverflowError:  # before year 1 or after 9999: no date a calendar has
            bounds = None
        if bounds is None:
            continue
        start, end = bounds
        if start is not None:
            since = start if since is None else max(since, start)
        if end is not None:
            until = end if until is None else min(until, end)
        kept.append(text[at : m.start()])
        found.append(m.group())
        at = m.end()
    if not found:
        return DatedQuery(text)
    kept.append(text[at:])
    return DatedQuery(" ".join(" ".join(kept).split()), since, until, tuple(found))


def _bounds(m: re.Match[str], now: datetime) -> tuple[datetime | None, datetime | None] | None:
    """(since, until) of one date clause, or None when it names no date."""
    if m["count"] is not None:
        return dates.ago(int(m["count"]), m["unit"], now)
    if m["this"] is not None:
        return dates.this(m["this"], now)
    key = m["key"].lower().replace("è", "e")
    value = m["value"].strip('"').strip()
    if key in ("date", "entre") and ".." in value:
        first, _, last = value.partition("..")
        start, end = dates.period(first, now), dates.period(last, now)
        if start is None or end is None or start[0] > end[1]:
            return None
        return start[0], end[1]
    named = dates.period(value, now)
    if named is None:
        return None
    if key == "depuis":
        return named[0], None
    if key == "apres":
        return named[1] + _MICROSECOND, None
    if key == "avant":
        return None, named[0] - _MICROSECOND
    return named
