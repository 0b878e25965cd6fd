"""Why an article matched: the parts of its score, from the very evaluation that ranks it.

`Recorder` is the matcher itself (`search.matching.Matcher`) with hooks, used for the
search being explained: it keeps what each plan node matched, every term or phrase scored
inside a word's node (`_scored`, `_phrase`: the only places a score is made), the name of
the pseudo-term of a word's exact forms (`_union_term`), and where a short stem counts
(`_narrowed`). Once the hits are ranked, each hit's parts are read off that record as the
matcher combined them:

- AND and OR add their clauses, alternatives (`Best`) keep the best one, an exclusion keeps
  its positive side;
- inside one word, the terms of one stem (its text and title parts) add up and the best
  stem counts — only where the stem counts, for a stem too short to tell words apart —
  and the parts of the word's exact forms add to it; a quoted word or a phrase adds its
  parts in the exact fields; a prefix counts its best word, as `search.scoring` says.

Each node's parts are checked against the score the matcher gave that node for that
document; should they ever differ (a scoring rule this module does not know yet), the
node is shown as one part of exactly its score, so the parts always add up to the hit's
score (`tests/test_explain.py` holds that the fallback is never needed today).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any as AnyType

import numpy as np

from . import scoring
from .analysis import RUN_RE, analyze, normalize
from .matching import Matcher
from .plan import (
    All,
    Any,
    Best,
    Exact,
    FieldTerms,
    PlanNode,
    Prefix,
    Stems,
    Without,
    compile_query,
)
from .postings import IndexArrays, Postings
from .query import And, Node, Not, Or, Phrase, Word
from .results import Explanation, ScorePart
from .sets import EMPTY, Matches
from .vocabulary import Vocabulary

#: Relative difference under which two float32 sums are the same score.
TOLERANCE = 1e-4
FIELD_NAMES = {"title": "titre", "author": "auteur", "tag": "tag", "feed": "flux"}


@dataclass
class _Frame:
    """What one plan node matched, with what it is made of."""

    node: PlanNode
    found: Matches = EMPTY
    children: list[_Frame] = field(default_factory=list)
    #: For word nodes: (field, term, weight, postings, matches) of each term scored.
    terms: list[tuple[str, str, float, Postings | None, Matches]] = field(default_factory=list)
    #: For a word whose stems count only in some documents (`Stems.narrow`): those.
    narrowed: np.ndarray | None = None
    #: The scores of the documents explained (`Recorder.explain` fills it).
    scores: dict[int, float] = field(default_factory=dict)
    #: Of the documents explained, those where the stems count (None: all of them).
    counted: set[int] | None = None
    #: (field, term, weight, {doc: (tf or None, score)}) for the documents explained.
    parts: list[tuple[str, str, float, dict[int, tuple[int | None, float]]]] = field(
        default_factory=list
    )


class Recorder(Matcher):
    """The matcher, keeping what each node of the plans it runs matched, and every term it
    scored: the ranking and its explanation come from one evaluation."""

    def __init__(self, arrays: IndexArrays, *rest: AnyType) -> None:
        """`rest`: what `Matcher` takes after the arrays (expander, word lister, cache)."""
        super().__init__(arrays, *rest)
        #: The evaluation of each plan run, by plan.
        self.runs: dict[PlanNode, _Frame] = {}
        self._stack = [_Frame(All(()))]
        #: The forms of the pseudo-term being scored (`_union_term`): its parts' name.
        self._naming: tuple[str, ...] | None = None

    def run(self, plan: PlanNode, allowed: np.ndarray | None = None) -> Matches:
        top = _Frame(plan)
        self._stack = [top]
        try:
            found = super().run(plan, allowed)
        finally:
            self._stack = [_Frame(All(()))]  # filters evaluated outside a run land there
        if top.children:
            self.runs[plan] = top.children[-1]
        return found

    def evaluate(self, node: PlanNode, within: np.ndarray | None = None) -> Matches:
        frame = _Frame(node)
        self._stack[-1].children.append(frame)
        self._stack.append(frame)
        try:
            frame.found = super().evaluate(node, within)
        finally:
            self._stack.pop()
        return frame.found

    def _scored(
        self, postings: Postings, field: str, weight: float, *rest: AnyType, **named: AnyType
    ) -> Matches:
        found = super()._scored(postings, field, weight, *rest, **named)
        if len(found):
            if self._naming is not None:
                term = "/".join(self._naming)
            else:
                # The term the postings were read for (a union of terms has none).
                term = next((t for (_, t), p in self._read.items() if p is postings), "")
            self._stack[-1].terms.append((field, term, weight, postings, found))
        return found

    def _union_term(
        self, terms: tuple[str, ...], field: str, weight: float, within: np.ndarray | None = None
    ) -> Matches:
        self._naming = terms
        try:
            return super()._union_term(terms, field, weight, within)
        finally:
            self._naming = None

    def _narrowed(self, node: Stems) -> np.ndarray | None:
        found = super()._narrowed(node)
        self._stack[-1].narrowed = found
        return found

    def _phrase(self, words: tuple[str, ...], field: str, weight: float, *args: AnyType) -> Matches:
        found = super()._phrase(words, field, weight, *args)
        if len(found):
            self._stack[-1].terms.append((field, " ".join(words), weight, None, found))
        return found

    def explain(
        self, plan: PlanNode, docs: Iterable[int], labels: dict[PlanNode, str]
    ) -> dict[int, list[ScorePart]]:
        """The parts of the score of each of `docs` in the run of `plan`: one per field and
        term that counted."""
        wanted = np.unique(np.fromiter(docs, dtype=np.int64)).astype(np.int32)
        frame = self.runs.get(plan)
        if frame is None:
            return {int(doc): [] for doc in wanted}
        _fill(frame, wanted)
        return {int(doc): _parts(frame, int(doc), labels) for doc in wanted}


def _pick(wanted: np.ndarray, docs: np.ndarray, values: np.ndarray) -> dict[int, float]:
    """{doc: value} for the documents of `wanted` that are among `docs`."""
    if not len(docs) or not len(wanted):
        return {}
    at = np.searchsorted(docs, wanted)
    at[at >= len(docs)] = 0
    hit = docs[at] == wanted
    return dict(zip(wanted[hit].tolist(), values[at[hit]].astype(np.float64).tolist(), strict=True))


def _fill(frame: _Frame, wanted: np.ndarray) -> None:
    """The scores and term parts of the documents `wanted`, through the whole evaluation."""
    frame.scores = _pick(wanted, frame.found.docs, frame.found.scores)
    if not frame.scores:
        return  # none of them here, nor below
    if frame.narrowed is not None:
        frame.counted = set(_pick(wanted, frame.narrowed, frame.narrowed))
    for fieldname, term, weight, postings, found in frame.terms:
        scores = _pick(wanted, found.docs, found.scores)
        tf = _pick(wanted, postings.docs, postings.tf) if postings is not None else {}
        parts = {d: (int(tf[d]) if d in tf else None, s) for d, s in scores.items()}
        frame.parts.append((fieldname, term, weight, parts))
    for child in frame.children:
        _fill(child, wanted)


def _parts(frame: _Frame, doc: int, labels: dict[PlanNode, str]) -> list[ScorePart]:
    score = frame.scores.get(doc)
    if score is None:
        return []
    node = frame.node
    out: list[ScorePart] = []
    if isinstance(node, Stems | Exact | Prefix):
        out = _word_parts(frame, doc, labels.get(node) or _label(node), isinstance(node, Prefix))
    elif isinstance(node, FieldTerms):
        label = labels.get(node) or _label(node)
        return [ScorePart(label, " ".join(node.terms), node.field, 0.0, None, 0.0)]
    elif isinstance(node, All | Any):
        for child in frame.children:
            out += _parts(child, doc, labels)
    elif isinstance(node, Best):
        present = [c for c in frame.children if doc in c.scores]
        if present:
            best = max(present, key=lambda c: c.scores[doc])  # the first one on a tie
            out = _parts(best, doc, labels)
    elif isinstance(node, Without) and frame.children:
        out = _parts(frame.children[0], doc, labels)
    if not _same(sum(p.score for p in out), score):
        # A rule this module does not know: the node as one part, of exactly its score.
        return [ScorePart(labels.get(node) or _label(node), "", "", 1.0, None, score)]
    return out


def _word_parts(frame: _Frame, doc: int, label: str, prefix: bool) -> list[ScorePart]:
    """Inside one word: the parts of each stem add up and the best stem counts (where it
    counts), plus the parts of the exact fields (the word's forms, a quoted word, a
    phrase); of a prefix's words, the best one counts."""
    stems: dict[str, list[ScorePart]] = {}
    exact: dict[str, list[ScorePart]] = {}
    for fieldname, term, weight, found in frame.parts:
        if doc in found:
            tf, score = found[doc]
            part = ScorePart(label, term, fieldname, weight, tf, score)
            if fieldname not in scoring.STEMMED:
                exact.setdefault(term, []).append(part)
            elif frame.counted is None or doc in frame.counted:
                stems.setdefault(term, []).append(part)
    if prefix:
        return _best_term(exact)
    return _best_term(stems) + [p for parts in exact.values() for p in parts]


def _best_term(by_term: dict[str, list[ScorePart]]) -> list[ScorePart]:
    if not by_term:
        return []
    return max(by_term.values(), key=lambda parts: sum(p.score for p in parts))


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE * max(abs(a), abs(b), 1e-9)


def _label(node: PlanNode) -> str:
    if isinstance(node, Stems):
        return "/".join(node.stems)
    if isinstance(node, Exact):
        return f'"{" ".join(node.words)}"'
    if isinstance(node, Prefix):
        return f"{node.prefix}*"
    if isinstance(node, FieldTerms):
        return f"{node.field}:{' '.join(node.terms)}"
    return ""


# --- what the user typed, as the engine reads it ------------------------------------------------


def labels(tree: Node | None, vocabulary: Vocabulary | None = None) -> dict[PlanNode, str]:
    """Each word node of the plan of `tree` → the clause of the query it comes from."""
    out: dict[PlanNode, str] = {}
    for clause in _clauses(tree):
        text = _typed(clause)
        for leaf in _leaves(compile_query(clause, vocabulary).plan):
            out.setdefault(leaf, text)
    return out


def _clauses(node: Node | None) -> Iterable[Word | Phrase]:
    if node is None:
        return
    if isinstance(node, Word | Phrase):
        yield node
    elif isinstance(node, Not):
        yield from _clauses(node.child)
    else:
        for child in node.children:
            yield from _clauses(child)


def _typed(clause: Word | Phrase) -> str:
    prefix = f"{FIELD_NAMES.get(clause.field, clause.field)}:" if clause.field else ""
    if isinstance(clause, Phrase):
        return f'{prefix}"{clause.text}"'
    return f"{prefix}{clause.text}{'*' if clause.prefix else ''}"


def _leaves(node: PlanNode) -> Iterable[PlanNode]:
    if isinstance(node, All | Any | Best):
        for child in node.children:
            yield from _leaves(child)
    elif isinstance(node, Without):
        yield from _leaves(node.positive)
        yield from _leaves(node.negative)
    else:
        yield node


def normalized(tree: Node | None) -> str:
    """The query as the engine searches it: words folded, elisions and function words gone
    (`l’Avion` → `avion`), operators in capitals."""
    return _render(tree, top=True) if tree is not None else ""


def _render(node: Node, top: bool = False) -> str:
    if isinstance(node, Word):
        if compile_query(node).plan == compile_query(None).plan:
            return ""  # a function word: nothing is searched for it
        words = " ".join(_folded(run) for run in RUN_RE.findall(normalize(node.text)))
        prefix = f"{FIELD_NAMES.get(node.field, node.field)}:" if node.field else ""
        return f"{prefix}{words}{'*' if node.prefix else ''}"
    if isinstance(node, Phrase):
        prefix = f"{FIELD_NAMES.get(node.field, node.field)}:" if node.field else ""
        words = " ".join(t for _, t, _, _ in analyze(node.text, stemming=False))
        return f'{prefix}"{words}"' if words else ""
    if isinstance(node, Not):
        inner = _render(node.child)
        return f"-{inner}" if inner else ""
    parts = [p for p in (_render(c) for c in node.children) if p]
    if isinstance(node, Or):
        joined = " OU ".join(parts)
        return joined if top or len(parts) < 2 else f"({joined})"
    assert isinstance(node, And)
    joined = " ".join(parts)
    return joined if top or len(parts) < 2 else f"({joined})"


def _folded(run: str) -> str:
    """A word run folded as the exact fields hold it (a compound: its joined form)."""
    terms = [t for _, t, _, _ in analyze(run, stemming=False)]
    return terms[-1] if terms else ""


# --- explanations -------------------------------------------------------------------------------


def explanations(
    recorder: Recorder,
    plan: PlanNode,
    tree: Node | None,
    ranked: Sequence[tuple[int, float]],
    relevance: dict[int, float],
    fresh: bool,
    vocabulary: Vocabulary | None = None,
) -> dict[int, Explanation]:
    """The explanation of each ranked (document, score) in the run of `plan`: its parts,
    which add up to its relevance (`relevance`: the matcher's score of each document), and,
    when the "fresh" sort ranked them, the factor that turned the relevance into the score."""
    found = recorder.explain(plan, [doc for doc, _ in ranked], labels(tree, vocabulary))
    out = {}
    for doc, score in ranked:
        base = relevance.get(doc, 0.0)
        out[doc] = Explanation(
            parts=tuple(found.get(doc, ())),
            relevance=base,
            freshness=score / base if fresh and base > 0 else None,
            score=score,
        )
    return out
