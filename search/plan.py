"""A parsed query → the plan the matcher runs (`search.matching`), and what highlights,
suggestions and the partial-match fallback need to know about it.

The plan is a small tree of the node types below, defined here and nowhere else: the
matcher walks it once, and how each node scores is `search.scoring`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .analysis import (
    RUN_RE,
    STOP_WORDS,
    _analyze_run,
    analyze,
    compound_pieces,
    inflections,
    narrowing,
    normalize,
    tag_key,
)
from .query import And, Node, Not, Or, Phrase, Word
from .vocabulary import EMPTY as EMPTY_VOCABULARY
from .vocabulary import Vocabulary, run_key, term_key

MIN_PREFIX = 2
MAX_PHRASE_WORDS = 16
TITLE_FIELDS = frozenset({"title"})


# --- plan nodes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stems:
    """One word as the stemmed fields know it: any of its spellings, scored by the best.

    `forms` are the word as written and its true inflections (folded): a document holding
    one of them in the exact fields scores for it too, above a document that only shares
    the stem (`search.scoring`).
    """

    stems: tuple[str, ...]
    title_only: bool = False
    forms: tuple[str, ...] = ()
    #: When the stems are too short to tell words apart (`analysis.MIN_STEM`): the stems
    #: count only in documents holding a word that starts so and has one of them.
    narrow: str = ""


@dataclass(frozen=True)
class Exact:
    """Words as written (folded), consecutive: a phrase, or one exact word."""

    words: tuple[str, ...]
    title_only: bool = False


@dataclass(frozen=True)
class Prefix:
    """Any word starting with `prefix` (folded), scored by the best of them."""

    prefix: str
    title_only: bool = False


@dataclass(frozen=True)
class FieldTerms:
    """Every one of `terms` in a metadata field (tag, author, feed): matches, never scores."""

    field: str
    terms: tuple[str, ...]
    #: For author and feed titles: the words must follow each other in the stored value.
    phrase: bool = False


@dataclass(frozen=True)
class All:
    children: tuple[PlanNode, ...]


@dataclass(frozen=True)
class Any:
    children: tuple[PlanNode, ...]


@dataclass(frozen=True)
class Best:
    """Alternatives for one word: a document scores for the best, not for each."""

    children: tuple[PlanNode, ...]


@dataclass(frozen=True)
class Without:
    positive: PlanNode
    negative: PlanNode


@dataclass(frozen=True)
class Everything:
    pass


@dataclass(frozen=True)
class Nothing:
    pass


PlanNode = Stems | Exact | Prefix | FieldTerms | All | Any | Best | Without | Everything | Nothing
EVERYTHING = Everything()
NOTHING = Nothing()


# --- compiling -----------------------------------------------------------------------------------


@dataclass
class Compiled:
    """A plan, and what the snippets, suggestions and fallback need to know about it."""

    plan: PlanNode
    #: Stems and exact words to highlight (an exact word ending in `*` is a prefix).
    stems: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    #: (stem, beginning): a word has this stem for the query only if it begins so
    #: (`Stems.narrow`).
    narrow: set[tuple[str, str]] = field(default_factory=set)
    #: Plain words as typed, in order (for the fallback and "did you mean").
    plain_words: list[str] = field(default_factory=list)
    #: Only plain words: the fallback and suggestions apply.
    simple: bool = True
    #: Protected words and synonyms (`search.vocabulary`).
    vocabulary: Vocabulary = EMPTY_VOCABULARY

    @property
    def has_fallback(self) -> bool:
        """Whether a query finding nothing falls back on any of its words (`any_words`)."""
        return self.simple and len(self.plain_words) > 1


@dataclass(frozen=True)
class _Term:
    """Consecutive plain words of a query that make a term of the vocabulary."""

    words: tuple[str, ...]


def compile_query(node: Node | None, vocabulary: Vocabulary | None = None) -> Compiled:
    """Turn a syntax tree into a plan (`NOTHING` when nothing is searchable).

    With a vocabulary, protected words are searched as written and a term of a synonym
    group also finds the other terms of its group.
    """
    compiled = Compiled(NOTHING, vocabulary=vocabulary or EMPTY_VOCABULARY)
    if node is None:
        return compiled
    compiled.simple = _is_simple(node)
    plan = _compile(node, compiled, positive=True)
    compiled.plan = plan if plan is not None else NOTHING
    return compiled


def any_words(compiled: Compiled) -> PlanNode:
    """The fallback: articles matching any of the plain words, best first."""
    vocabulary = compiled.vocabulary
    clauses = [_word(w, None, Compiled(NOTHING), vocabulary) for w in compiled.plain_words]
    kept = tuple(c for c in clauses if c is not None)
    return Any(kept) if kept else NOTHING


def _is_simple(node: Node) -> bool:
    if isinstance(node, Word):
        return node.field is None and not node.prefix
    if isinstance(node, And):
        return all(_is_simple(c) for c in node.children)
    return False


def _compile(node: Node | _Term, compiled: Compiled, positive: bool) -> PlanNode | None:
    target = compiled if positive else None
    vocabulary = compiled.vocabulary
    if isinstance(node, Word) and _is_plain(node) and vocabulary.find([node.text]):
        node = _Term((node.text,))
    if isinstance(node, _Term):
        if positive:
            compiled.plain_words.extend(node.words)
        return _term(node.words, vocabulary, target)
    if isinstance(node, Word):
        if positive and node.field is None and not node.prefix:
            compiled.plain_words.append(node.text)
        if node.prefix:
            return _prefix(node.text, node.field, target)
        return _word(node.text, node.field, target, vocabulary)
    if isinstance(node, Phrase):
        return _phrase(node.text, node.field, target)
    if isinstance(node, Not):
        inner = _compile(node.child, compiled, not positive)
        return Without(EVERYTHING, inner) if inner is not None else None
    parts = _terms(node.children, vocabulary) if isinstance(node, And) else node.children
    children = [c for c in (_compile(c, compiled, positive) for c in parts) if c]
    if not children:
        return None
    if isinstance(node, Or):
        return Any(tuple(children)) if len(children) > 1 else children[0]
    plus = [c for c in children if not _is_exclusion(c)]
    minus = [c.negative for c in children if isinstance(c, Without) and _is_exclusion(c)]
    base = (All(tuple(plus)) if len(plus) > 1 else plus[0]) if plus else EVERYTHING
    if minus:
        return Without(base, Any(tuple(minus)) if len(minus) > 1 else minus[0])
    return base


def _is_plain(node: Node) -> bool:
    return isinstance(node, Word) and node.field is None and not node.prefix


def _terms(children: tuple[Node, ...], vocabulary: Vocabulary) -> list[Node | _Term]:
    """The children of an AND, with runs of plain words that make a vocabulary term
    (the longest first) gathered into one `_Term`."""
    if not vocabulary.longest:
        return list(children)
    out: list[Node | _Term] = []
    i = 0
    while i < len(children):
        run = []
        for child in children[i : i + vocabulary.longest]:
            if not isinstance(child, Word) or not _is_plain(child):
                break
            run.append(child.text)
        n = vocabulary.find(run) if run else 0
        if n:
            out.append(_Term(tuple(run[:n])))
            i += n
        else:
            out.append(children[i])
            i += 1
    return out


def _term(
    words: tuple[str, ...], vocabulary: Vocabulary, compiled: Compiled | None
) -> PlanNode | None:
    """A vocabulary term as typed, or any of its synonyms (each scored on its own, the
    best counts)."""
    text = " ".join(words)
    typed = _as_term(text, vocabulary, compiled, typed=True)
    others = [_as_term(t, vocabulary, compiled) for t in vocabulary.synonyms(term_key(text))]
    clauses = tuple(c for c in (typed, *others) if c is not None)
    if len(clauses) > 1:
        return Best(clauses)
    return clauses[0] if clauses else None


def _as_term(
    text: str, vocabulary: Vocabulary, compiled: Compiled | None, typed: bool = False
) -> PlanNode | None:
    """One term: protected (each word as written), the words as typed, or a synonym (a
    word, or a phrase: a protected one too)."""
    runs = RUN_RE.findall(normalize(text))
    if vocabulary.is_protected(text) and (typed or len(runs) == 1):
        # As typed, the words of a protected term are all needed, each as written.
        clauses = [c for c in (_protected(r, False, compiled) for r in runs) if c]
        return (All(tuple(clauses)) if len(clauses) > 1 else clauses[0]) if clauses else None
    if not typed:
        if len(runs) == 1:
            return _word(text, None, compiled, vocabulary)
        plan = _phrase(text, None, None)
        if compiled is not None and plan is not None:
            # Highlight its words, but not the function words a phrase holds (la, des).
            compiled.words.update(w for w in exact_terms(text) if w not in STOP_WORDS)
        return plan
    return _word(text, None, compiled, vocabulary)


def _protected(run: str, title_only: bool, compiled: Compiled | None) -> PlanNode | None:
    """A protected word: its exact form only, never its stem (a compound: joined, or its
    parts)."""
    whole = run_key(run)
    if not whole:
        return None
    items = _analyze_run(run, False)
    parts = tuple(t for _, t, _, e in items if t != whole or e != len(run))
    if compiled is not None:
        compiled.words.add(whole)
        compiled.words.update(parts)
    joined = Stems((), title_only, (whole,))
    if len(parts) < 2:
        return joined
    return Best((joined, All(tuple(Stems((), title_only, (p,)) for p in parts))))


def _is_exclusion(node: PlanNode) -> bool:
    return isinstance(node, Without) and isinstance(node.positive, Everything)


def _word(
    text: str,
    fieldname: str | None,
    compiled: Compiled | None,
    vocabulary: Vocabulary = EMPTY_VOCABULARY,
) -> PlanNode | None:
    if fieldname in ("tag", "feed", "author"):
        return _metadata(text, fieldname)
    title_only = fieldname in TITLE_FIELDS
    if vocabulary.is_protected(text):
        runs = RUN_RE.findall(normalize(text))
        if len(runs) == 1:
            return _protected(runs[0], title_only, compiled)
    clauses: list[PlanNode] = []
    for run in RUN_RE.findall(normalize(text)):
        joined, parts, word, part_words = compound_pieces(run)
        if compiled is not None:
            compiled.stems.update(joined)
            compiled.stems.update(t for p in parts for t in p)
        if not parts:
            if joined:
                clauses.append(_stems_node(joined, word, title_only, compiled))
            continue
        # A compound like Wi-Fi: the joined word, or all of its parts.
        both = All(
            tuple(
                _stems_node(p, w, title_only, compiled)
                for p, w in zip(parts, part_words, strict=True)
            )
        )
        whole = _stems_node(joined, word, title_only, compiled)
        clauses.append(Best((whole, both)) if joined else both)
    if not clauses:
        return None
    if compiled is not None:
        compiled.words.update(exact_terms(text))
    return clauses[0] if len(clauses) == 1 else All(tuple(clauses))


def _stems_node(stems: list[str], word: str, title_only: bool, compiled: Compiled | None) -> Stems:
    node = Stems(tuple(stems), title_only, inflections(word), narrowing(word, stems))
    if compiled is not None:
        compiled.words.update(node.forms)
        if node.narrow:
            compiled.narrow.update((stem, node.narrow) for stem in stems)
    return node


def _phrase(text: str, fieldname: str | None, compiled: Compiled | None) -> PlanNode | None:
    if fieldname in ("tag", "feed", "author"):
        return _metadata(text, fieldname)
    # Compounds give their joined form at the last part's position: a phrase on the parts.
    words = tuple(group[0] for group in _grouped_positions(text))[:MAX_PHRASE_WORDS]
    if not words:
        return None
    if compiled is not None:
        compiled.words.update(words)
    return Exact(words, fieldname in TITLE_FIELDS)


def _prefix(text: str, fieldname: str | None, compiled: Compiled | None) -> PlanNode | None:
    words = exact_terms(text)
    if not words or len(words[-1]) < MIN_PREFIX:
        return None
    if compiled is not None:
        compiled.words.add(words[-1] + "*")
    return Prefix(words[-1], fieldname in TITLE_FIELDS)


def _metadata(text: str, fieldname: str | None) -> PlanNode | None:
    if fieldname == "tag":
        key = tag_key(text)
        return FieldTerms("tag", (key,)) if key else None
    if fieldname == "author":
        words = exact_terms(text)
        return FieldTerms("author", tuple(words), phrase=True) if words else None
    return feed_plan(text)


def feed_plan(text: str) -> PlanNode:
    """A feed by its URL, or by the words of its title."""
    by_url = FieldTerms("feed_url", (text.strip(),))
    words = exact_terms(text)
    if not words:
        return by_url
    return Any((by_url, FieldTerms("feed_title", tuple(words), phrase=True)))


def exact_terms(text: str) -> list[str]:
    """The folded, unstemmed terms of `text`, in order."""
    return [t for _, t, _, _ in analyze(text, stemming=False)]


def _grouped_positions(text: str) -> list[list[str]]:
    groups: dict[int, list[str]] = {}
    for pos, term, _, _ in analyze(text, stemming=False):
        groups.setdefault(pos, []).append(term)
    return list(groups.values())
