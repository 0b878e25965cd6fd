"""User query text and filters → Whoosh queries.

The language (README, "Query syntax"): words are ANDed; "a phrase"; -word and SAUF word
exclude; OR/OU and AND/ET; parentheses; title:/titre:, author:/auteur:, tag:, feed:/flux:
fields; prefix*. Parsing is lenient: any text gives a query (maybe one matching nothing),
never an exception. Filters (tags, dates, author, feed) are parameters, validated here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from whoosh import query as wq

from .analysis import RUN_RE, analyze, compound_terms, fold, normalize
from .errors import InvalidFilterError
from .schema import EXACT_FIELDS, TEXT_FIELD

MAX_QUERY_CHARS = 2000
MAX_CLAUSES = 64
MAX_DEPTH = 16
MIN_PREFIX = 2
TITLE_WEIGHT = 2.0
MAX_PHRASE_WORDS = 16
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
            return node
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


def _simplify(node: And | Or) -> Node | None:
    children = node.children
    if not children:
        return None
    if len(children) == 1:
        return children[0]
    return node


# --- compiling to Whoosh ---------------------------------------------------------------------


@dataclass
class Compiled:
    """A Whoosh query plus what the snippets and the fallback need to know about it."""

    query: wq.Query
    stems: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    plain_words: list[str] = field(default_factory=list)
    simple: bool = True


def compile_query(node: Node | None) -> Compiled:
    """Turn a syntax tree into a Whoosh query (`NullQuery` when nothing is searchable)."""
    compiled = Compiled(wq.NullQuery)
    if node is None:
        return compiled
    compiled.simple = _is_simple(node)
    query = _compile(node, compiled, positive=True)
    compiled.query = query if query is not None else wq.NullQuery
    return compiled


def any_words_query(compiled: Compiled) -> wq.Query:
    """The fallback: articles matching any of the plain words, best first."""
    clauses = [_word_query(w, None, False, Compiled(wq.NullQuery)) for w in compiled.plain_words]
    clauses = [c for c in clauses if c is not None]
    return wq.Or(clauses) if clauses else wq.NullQuery


def _is_simple(node: Node) -> bool:
    if isinstance(node, Word):
        return node.field is None and not node.prefix
    if isinstance(node, And):
        return all(_is_simple(c) for c in node.children)
    return False


def _compile(node: Node, compiled: Compiled, positive: bool) -> wq.Query | None:
    if isinstance(node, Word):
        if positive and node.field is None and not node.prefix:
            compiled.plain_words.append(node.text)
        return _word_query(node.text, node.field, node.prefix, compiled if positive else None)
    if isinstance(node, Phrase):
        return _phrase_query(node.text, node.field, compiled if positive else None)
    if isinstance(node, Not):
        inner = _compile(node.child, compiled, not positive)
        return wq.Not(inner) if inner is not None else None
    children = [_compile(c, compiled, positive) for c in node.children]
    children = [c for c in children if c is not None]
    if not children:
        return None
    if isinstance(node, Or):
        return wq.Or(children) if len(children) > 1 else children[0]
    plus = [c for c in children if not isinstance(c, wq.Not)]
    minus = [c.query for c in children if isinstance(c, wq.Not)]
    base = (wq.And(plus) if len(plus) > 1 else plus[0]) if plus else wq.Every()
    if minus:
        return wq.AndNot(base, wq.Or(minus) if len(minus) > 1 else minus[0])
    return base


def _word_query(
    text: str, fieldname: str | None, prefix: bool, compiled: Compiled | None
) -> wq.Query | None:
    if fieldname == "tag":
        return wq.Term("tag", tag_key(text))
    if fieldname == "feed":
        return _feed_query(text)
    if fieldname == "author":
        return _phrase_query(text, "author", compiled)
    if prefix:
        return _prefix_query(text, fieldname, compiled)
    stem_fields = ["title"] if fieldname == "title" else [TEXT_FIELD]
    clauses = []
    for run in RUN_RE.findall(normalize(text)):
        joined, parts = compound_terms(run)
        if compiled is not None:
            compiled.stems.update(joined)
            compiled.stems.update(t for p in parts for t in p)
        if not parts:
            if joined:
                clauses.append(_any_field(joined, stem_fields))
            continue
        # A compound like Wi-Fi: the joined word, or all of its parts.
        both = wq.And([_any_field(p, stem_fields) for p in parts])
        either = wq.DisjunctionMax([_any_field(joined, stem_fields), both])
        clauses.append(either if joined else both)
    if not clauses:
        return None
    if compiled is not None:
        compiled.words.update(terms_exact(text))
    return clauses[0] if len(clauses) == 1 else wq.And(clauses)


def _any_field(alternatives: list[str], fields: list[str]) -> wq.Query:
    """Spellings of one word: an article scores for the best one, not for each. In the
    main field, a match in the title adds its own (boosted) title score."""
    terms = [_weighted(f, t) for f in fields for t in alternatives]
    return terms[0] if len(terms) == 1 else wq.DisjunctionMax(terms)


def _weighted(fieldname: str, term: str) -> wq.Query:
    if fieldname != TEXT_FIELD or not TITLE_WEIGHT:
        return wq.Term(fieldname, term)
    return wq.Or([wq.Term(fieldname, term), wq.Term("title", term, boost=TITLE_WEIGHT)])


def terms_exact(text: str) -> list[str]:
    return [t for _, t, _, _ in analyze(text, stemming=False)]


def _phrase_query(text: str, fieldname: str | None, compiled: Compiled | None) -> wq.Query | None:
    if fieldname == "tag":
        return wq.Term("tag", tag_key(text))
    if fieldname == "feed":
        return _feed_query(text)
    fields = {"title": ["title_exact"], "author": ["author"]}.get(
        fieldname or "", list(EXACT_FIELDS)
    )
    # Compounds give their joined form at the last part's position: phrase on the parts.
    words = [g[0] for g in _grouped_positions(text)][:MAX_PHRASE_WORDS]
    if not words:
        return None
    if compiled is not None and fieldname != "author":
        compiled.words.update(words)
    if len(words) == 1:
        return _any_field(words, fields)
    phrases = [wq.Phrase(f, words) for f in fields]
    return phrases[0] if len(phrases) == 1 else wq.Or(phrases)


def _grouped_positions(text: str) -> list[list[str]]:
    groups: dict[int, list[str]] = {}
    for pos, term, _, _ in analyze(text, stemming=False):
        groups.setdefault(pos, []).append(term)
    return list(groups.values())


def _prefix_query(text: str, fieldname: str | None, compiled: Compiled | None) -> wq.Query | None:
    words = terms_exact(text)
    if not words or len(words[-1]) < MIN_PREFIX:
        return None
    fields = ["title_exact"] if fieldname == "title" else list(EXACT_FIELDS)
    word = words[-1]
    if compiled is not None:
        compiled.words.add(word + "*")
    return wq.Or([wq.Prefix(f, word) for f in fields])


def _feed_query(text: str) -> wq.Query:
    words = terms_exact(text)
    by_title = wq.And([wq.Term("feed_title", w) for w in words]) if words else wq.NullQuery
    return wq.Or([wq.Term("feed_url", text.strip()), by_title])


def tag_key(label: str) -> str:
    """The folded form tags are matched by: `Vie privée` and `vie-privee` are one tag."""
    words = (fold(w) for w in re.split(r"[^\w+#]+", normalize(label)) if w)
    return " ".join(" ".join(re.sub(r"[^a-z0-9+#]+", " ", w).split()) for w in words).strip()


# --- filters ---------------------------------------------------------------------------------

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
        return now - timedelta(days=int(m.group(1)) * RELATIVE_UNITS[m.group(2).lower()])
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
            f"invalid date {text[:40]!r}: use YYYY, YYYY-MM or YYYY-MM-DD (or 7d, 1y)"
        ) from exc


def _day_bound(day: date, end: bool) -> datetime:
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


def filter_query(
    *,
    tags: tuple[str, ...] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    author: str | None = None,
    feed: str | None = None,
) -> wq.Query | None:
    """The filters as one Whoosh query (None when there are none): an article must pass all."""
    clauses: list[wq.Query] = [wq.Term("tag", tag_key(t)) for t in tags if tag_key(t)]
    if since or until:
        if since and until and since > until:
            raise InvalidFilterError("the start date is after the end date")
        start = since.astimezone(UTC).replace(tzinfo=None) if since else None
        stop = until.astimezone(UTC).replace(tzinfo=None) if until else None
        clauses.append(wq.DateRange("published", start, stop))
    if author and author.strip():
        words = terms_exact(author)
        if words:
            clauses.append(wq.And([wq.Term("author", w) for w in words]))
    if feed and feed.strip():
        clauses.append(_feed_query(feed))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else wq.And(clauses)
