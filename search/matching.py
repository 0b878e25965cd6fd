"""Runs a query plan over the index arrays: one walk over the plan gives both the matching
documents and their scores (`search.scoring` defines what a score is).

Every node evaluates to `Matches`: ascending document numbers with a float32 score each.
AND intersects sorted arrays (binary search from the shorter one), OR and alternatives merge
them (by sorting when small, through a dense accumulator when large), exclusions subtract.
Deleted documents are dropped once, at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from . import scoring
from .analysis import analyze
from .documents import microseconds
from .filters import Filters
from .narrowing import Lister, NarrowCache, narrowed_docs
from .plan import (
    All,
    Any,
    Best,
    Everything,
    Exact,
    FieldTerms,
    Nothing,
    PlanNode,
    Prefix,
    Stems,
    Without,
    exact_terms,
    feed_plan,
)
from .postings import IndexArrays, Postings
from .sets import (
    EMPTY,
    Matches,
    add_into,
    common,
    intersect,
    mark,
    merge_postings,
    restrict,
    restrict_postings,
    subtract,
    union,
    union_size,
)

#: Expansions of one prefix at most (the most frequent words first).
MAX_PREFIX_TERMS = 200
#: Narrowed document sets kept per index state.
NARROW_CACHE = 512
#: Once an AND has fewer documents than this share of the index, its other words are
#: scored in those documents only.
WITHIN_SHARE = 1 / 4

#: Given a field and a prefix, the words of the index that start so (most frequent first).
Expander = Callable[[str, str], Sequence[str]]


class Matcher:
    """Evaluates plans against one committed state of the index."""

    def __init__(
        self,
        arrays: IndexArrays,
        expand: Expander | None = None,
        words: Lister | None = None,
        cache: NarrowCache | None = None,
    ) -> None:
        self.arrays = arrays
        self.expand = expand
        self.words = words or expand
        #: Narrowed document sets (`_narrowed`), kept with the index state they belong to.
        self.cache: NarrowCache = {} if cache is None else cache
        #: The postings this matcher has read, by field and term (a matcher serves one
        #: request: a word is looked up once however often the plan names it).
        self._read: dict[tuple[str, str], Postings] = {}
        self._mark: tuple[np.ndarray, np.ndarray] | None = None

    def run(self, plan: PlanNode, allowed: np.ndarray | None = None) -> Matches:
        """The live documents matching `plan` (and among `allowed`, the documents passing
        the filters, when given), with their scores."""
        found = self.evaluate(plan)
        if allowed is not None:
            found = restrict(found, allowed)
        if len(found) and self.arrays.live is not None:
            keep = self.arrays.alive(found.docs)
            found = Matches(found.docs[keep], found.scores[keep])
        return found

    # -- postings --------------------------------------------------------------------------

    def postings(self, field: str, term: str) -> Postings:
        """`term`'s postings in `field`, read once per matcher."""
        key = (field, term)
        found = self._read.get(key)
        if found is None:
            found = self._read[key] = self.arrays.postings(field, term)
        return found

    def _marked(self, within: np.ndarray) -> np.ndarray:
        """`within` marked on a mask of the index (`sets.mark`), made once for the words
        an AND restricts to the same documents."""
        if self._mark is None or self._mark[0] is not within:
            self._mark = (within, mark(within, self.arrays.count))
        return self._mark[1]

    def _doc_frequency(self, field: str, term: str) -> int:
        found = self._read.get((field, term))
        if found is not None:
            return len(found)
        return self.arrays.doc_frequency(field, term)

    # -- the walk --------------------------------------------------------------------------

    def evaluate(self, node: PlanNode, within: np.ndarray | None = None) -> Matches:
        """The documents matching `node` (deleted ones included) with their scores; when
        `within` (ascending documents) is given, the words' documents may be limited to
        those (the others, as the caller intersects with `within`, do not matter)."""
        if isinstance(node, Stems):
            title_only = node.title_only
            found = self._best(self._stem(s, title_only, within) for s in node.stems)
            if node.narrow and len(found):
                narrowed = self._narrowed(node)
                if narrowed is not None:
                    found = restrict(found, narrowed)
            if node.forms:
                # The forms match on their own too: Snowball keeps `euros` apart from `euro`.
                # Mostly among the stems' documents: added in place, no merge.
                for part in self._form_parts(node.forms, title_only, within):
                    found = add_into(found, part)
            return found
        if isinstance(node, Best):
            return self._best(self.evaluate(c, within) for c in node.children)
        if isinstance(node, All):
            return self._all(node.children, within)
        if isinstance(node, Exact):
            return self._exact(node.words, node.title_only)
        if isinstance(node, Prefix):
            return self._prefix(node)
        if isinstance(node, FieldTerms):
            docs = self._field_docs(node)
            return Matches(docs, np.zeros(len(docs), dtype=np.float32))
        if isinstance(node, Any):
            return self._union([self.evaluate(c) for c in node.children], np.add)
        if isinstance(node, Without):
            positive = self.evaluate(node.positive)
            if not len(positive):
                return positive
            return subtract(positive, self.evaluate(node.negative).docs)
        if isinstance(node, Everything):
            docs = self.arrays.live_docs()
            return Matches(docs, np.zeros(len(docs), dtype=np.float32))
        if isinstance(node, Nothing):
            return EMPTY
        raise TypeError(f"not a plan node: {node!r}")

    def _all(self, children: Sequence[PlanNode], within: np.ndarray | None = None) -> Matches:
        # The rarest word first; then each other word only needs scoring in the documents
        # found so far (`within`), which saves scoring the common words' long postings.
        # Exclusions are cheaper after the others: the positive clauses come first.
        order = sorted(range(len(children)), key=lambda i: self._estimate(children[i]))
        result: Matches | None = None
        for i in order:
            found = self.evaluate(children[i], within)
            result = found if result is None else intersect(result, found)
            if not len(result):
                return EMPTY
            if len(result) < self.arrays.count * WITHIN_SHARE:
                within = result.docs
        return result if result is not None else EMPTY

    def _estimate(self, node: PlanNode) -> int:
        """How many documents a clause may match, roughly, to evaluate rare ones first
        (words by their stems' document frequency; other clauses keep their order)."""
        if isinstance(node, Stems) and node.stems and not node.title_only:
            return max(self._doc_frequency(scoring.STEMMED[0], s) for s in node.stems)
        if isinstance(node, Without):
            return self.arrays.count + 2  # exclusions last
        return self.arrays.count + 1

    def _best(self, parts: Iterable[Matches]) -> Matches:
        return self._union(list(parts), np.maximum)

    def _union(self, parts: list[Matches], combine: np.ufunc) -> Matches:
        return union(parts, combine, self.arrays.count)

    # -- words -----------------------------------------------------------------------------

    def _scored(
        self,
        postings: Postings,
        field: str,
        weight: float,
        within: np.ndarray | None = None,
        df: int | None = None,
    ) -> Matches:
        """BM25 of a term's postings (`df`: its document frequency, when the postings
        are a union); only in the documents `within`, when given."""
        if not len(postings):
            return EMPTY
        w = weight * scoring.idf(len(postings) if df is None else df, self.arrays.count)
        if within is not None:
            postings = restrict_postings(postings, within, self._marked(within))
            if not len(postings):
                return EMPTY
        norms = self.arrays.norms(field, scoring.K1, scoring.B)[postings.docs]
        return Matches(postings.docs, scoring.bm25(postings.tf, norms, w))

    def _stem(self, stem: str, title_only: bool, within: np.ndarray | None = None) -> Matches:
        body_field, title_field = scoring.STEMMED
        title = self.postings(title_field, stem)
        if title_only:
            return self._scored(title, title_field, 1.0, within)
        found = self._scored(self.postings(body_field, stem), body_field, 1.0, within)
        in_title = self._scored(title, title_field, scoring.TITLE_WEIGHT, within)
        return add_into(found, in_title)

    def _narrowed(self, node: Stems) -> np.ndarray | None:
        """The documents where the stems of `node` count (`search.narrowing`), cached with
        the index state; None: everywhere."""
        key = (node.narrow, node.stems, node.title_only)
        if key in self.cache:
            return self.cache[key]
        found = narrowed_docs(self.arrays, self.words, node) if self.words else None
        self.cache[key] = found
        while len(self.cache) > NARROW_CACHE:
            del self.cache[next(iter(self.cache))]
        return found

    def _forms(self, forms: tuple[str, ...], title_only: bool) -> Matches:
        """The exact forms of a word as one pseudo-term of the exact fields (its frequency
        the sum of theirs, its documents the union), weighted `scoring.EXACT_WEIGHT`."""
        return self._union(self._form_parts(forms, title_only), np.add)

    def _form_parts(
        self, forms: tuple[str, ...], title_only: bool, within: np.ndarray | None = None
    ) -> list[Matches]:
        """`_forms`, field by field (body, then title), for the caller to add up."""
        body_field, title_field = scoring.EXACT
        weight = scoring.EXACT_WEIGHT
        if title_only:
            return [self._union_term(forms, title_field, weight, within)]
        return [
            self._union_term(forms, body_field, weight, within),
            self._union_term(forms, title_field, weight * scoring.EXACT_TITLE_WEIGHT, within),
        ]

    def _union_term(
        self, terms: tuple[str, ...], field: str, weight: float, within: np.ndarray | None = None
    ) -> Matches:
        found = [p for p in (self.postings(field, t) for t in terms) if len(p)]
        if not found:
            return EMPTY
        if len(found) == 1:
            return self._scored(found[0], field, weight, within)
        if within is not None:
            # The pseudo-term's document frequency is that of the whole union.
            df = union_size([p.docs for p in found], self.arrays.count)
            inside = self._marked(within)
            found = [restrict_postings(p, within, inside) for p in found]
            postings = merge_postings(found, self.arrays.count)
            return self._scored(postings, field, weight, df=df) if len(postings) else EMPTY
        return self._scored(merge_postings(found, self.arrays.count), field, weight)

    def _exact(self, words: tuple[str, ...], title_only: bool) -> Matches:
        if len(words) == 1:
            return self._forms(words, title_only)
        body_field, title_field = scoring.EXACT
        weight = scoring.EXACT_WEIGHT
        if title_only:
            return self._phrase(words, title_field, weight)
        return self._union(
            [
                self._phrase(words, body_field, weight),
                self._phrase(words, title_field, weight * scoring.EXACT_TITLE_WEIGHT),
            ],
            np.add,
        )

    def phrase(self, words: tuple[str, ...], field: str, within: np.ndarray) -> np.ndarray:
        """Which of the documents `within` (ascending) hold the exact `words` one after the
        other in `field`."""
        return self._phrase(words, field, 1.0, within).docs

    def _phrase(
        self, words: tuple[str, ...], field: str, weight: float, within: np.ndarray | None = None
    ) -> Matches:
        """Documents where `words` follow each other in `field`, scored as one term whose
        frequency is the number of times they do."""
        arrays = self.arrays
        candidates: np.ndarray | None = within
        for word in sorted(set(words), key=lambda w: len(self.postings(field, w))):
            docs = self.postings(field, word).docs
            candidates = docs if candidates is None else common(candidates, docs)
            if not len(candidates):
                return EMPTY
        assert candidates is not None
        # A phrase occurrence starts at p when word i is at p + i for every i.
        starts: np.ndarray | None = None
        for i, word in enumerate(words):
            docs, positions = arrays.positions(field, word, candidates)
            keys = (docs.astype(np.int64) << 32) | (positions - i + (1 << 20))
            starts = keys if starts is None else np.intersect1d(starts, keys, assume_unique=True)
            if not len(starts):
                return EMPTY
        assert starts is not None
        docs, tf = np.unique(starts >> 32, return_counts=True)
        docs = docs.astype(np.int32)
        norms = arrays.norms(field, scoring.K1, scoring.B)[docs]
        w = weight * scoring.idf(len(docs), arrays.count)
        return Matches(docs, scoring.bm25(tf, norms, w))

    def _prefix(self, node: Prefix) -> Matches:
        if self.expand is None:
            return EMPTY
        fields = (scoring.EXACT[1],) if node.title_only else scoring.EXACT
        words: list[str] = []
        for field in fields:
            for word in self.expand(field, node.prefix):
                if word not in words:
                    words.append(word)
        words = words[:MAX_PREFIX_TERMS]
        return self._best(self._exact((w,), node.title_only) for w in words)

    # -- metadata and filters --------------------------------------------------------------

    def _field_docs(self, node: FieldTerms) -> np.ndarray:
        docs: np.ndarray | None = None
        for term in node.terms:
            found = self.postings(node.field, term).docs
            docs = found if docs is None else common(docs, found)
        if docs is None or not len(docs):
            return EMPTY.docs
        if node.phrase and len(node.terms) > 1:
            docs = docs[self._phrase_in_value(node, docs)]
        return docs

    def _phrase_in_value(self, node: FieldTerms, docs: np.ndarray) -> np.ndarray:
        """Which of `docs` hold the terms one after the other in their stored author or
        feed title (short values, checked once per distinct value)."""
        arrays = self.arrays
        if node.field == "author":
            codes, values = arrays.author_of, arrays.authors
        else:
            codes, values = arrays.feed_of, [title for _, title in arrays.feeds]
        wanted = list(node.terms)
        good = [
            code
            for code in np.unique(codes[docs]).tolist()
            if _contains_run([t for _, t, _, _ in analyze(values[code], stemming=False)], wanted)
        ]
        return np.isin(codes[docs], good)

    def allowed(self, filters: Filters) -> np.ndarray:
        """The documents passing `filters` (ascending)."""
        arrays = self.arrays
        docs: np.ndarray | None = None
        for key in filters.tags:
            found = self.postings("tag", key).docs
            docs = found if docs is None else common(docs, found)
        if filters.since or filters.until:
            published = arrays.published
            mask = np.ones(arrays.count, dtype=bool)
            if filters.since:
                mask &= published >= microseconds(filters.since)
            if filters.until:
                mask &= published <= microseconds(filters.until)
            found = np.flatnonzero(mask).astype(np.int32)
            docs = found if docs is None else common(docs, found)
        if filters.author:
            words = tuple(exact_terms(filters.author))
            if words:
                found = self._field_docs(FieldTerms("author", words))
                docs = found if docs is None else common(docs, found)
        if filters.feed:
            found = self.evaluate(feed_plan(filters.feed)).docs
            docs = found if docs is None else common(docs, found)
        return docs if docs is not None else arrays.live_docs()


def _contains_run(terms: list[str], wanted: list[str]) -> bool:
    n = len(wanted)
    return any(terms[i : i + n] == wanted for i in range(len(terms) - n + 1))
