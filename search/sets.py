"""Sorted document arrays and their scores: `Matches`, the set operations matching combines
them with (intersect, union, restrict, subtract), and the top of a ranking.

Every array of documents here is ascending (document numbers of one committed state).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .postings import NO_POSTINGS, Postings

#: Past this share of the index, a merge goes through a dense accumulator.
DENSE_SHARE = 1 / 8
#: Past one document in this many of the index, a union is counted on a mask of them all.
DENSE_MARK = 32


@dataclass(frozen=True)
class Matches:
    """Ascending document numbers and their scores."""

    docs: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)


EMPTY = Matches(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))


def union(parts: list[Matches], combine: np.ufunc, count: int) -> Matches:
    """The documents of any of `parts`, their scores combined by `combine` (`np.add`,
    `np.maximum`); `count`: the documents of the index."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return EMPTY
    if len(parts) == 1:
        return parts[0]
    total = sum(len(p) for p in parts)
    if total > count * DENSE_SHARE:
        acc = np.zeros(count, dtype=np.float32)
        seen = np.zeros(count, dtype=bool)
        for p in parts:
            acc[p.docs] = combine(acc[p.docs], p.scores)
            seen[p.docs] = True
        docs = np.flatnonzero(seen).astype(np.int32)
        return Matches(docs, acc[docs])
    docs = np.concatenate([p.docs for p in parts])
    scores = np.concatenate([p.scores for p in parts])
    order = np.argsort(docs, kind="stable")
    docs = docs[order]
    scores = scores[order]
    first = np.flatnonzero(np.diff(docs, prepend=-1))
    return Matches(docs[first], combine.reduceat(scores, first).astype(np.float32))


def merge_postings(found: list[Postings], count: int) -> Postings:
    """Several terms' postings as one pseudo-term's: the union of their documents, each
    with the sum of its frequencies (a document has at most one posting per term)."""
    found = [p for p in found if len(p)]
    if len(found) == 1:
        return found[0]
    if not found:
        return NO_POSTINGS
    if sum(len(p) for p in found) > count * DENSE_SHARE:
        tf = np.zeros(count, dtype=np.float32)
        for p in found:
            tf[p.docs] += p.tf
        docs = np.flatnonzero(tf).astype(np.int32)
        return Postings(docs, tf[docs])
    docs = np.concatenate([p.docs for p in found])
    tf = np.concatenate([p.tf for p in found])
    order = np.argsort(docs, kind="stable")
    docs, tf = docs[order], tf[order]
    first = np.flatnonzero(np.diff(docs, prepend=-1))
    return Postings(docs[first], np.add.reduceat(tf, first))


def union_size(docs: list[np.ndarray], count: int) -> int:
    """How many documents are in any of these ascending arrays (of an index of `count`)."""
    if sum(len(d) for d in docs) * DENSE_MARK > count:
        # Marking them costs a pass over the index's documents, less than searching
        # or sorting many documents.
        seen = mark(docs[0], count)
        for found in docs[1:]:
            seen[found] = True
        return int(np.count_nonzero(seen))
    if len(docs) == 2:
        return len(docs[0]) + len(docs[1]) - len(common(docs[0], docs[1]))
    return len(np.unique(np.concatenate(docs)))


def mark(docs: np.ndarray, count: int) -> np.ndarray:
    """A mask of the documents of an index of `count` that are in `docs`."""
    inside = np.zeros(count, dtype=bool)
    inside[docs] = True
    return inside


def restrict_postings(
    postings: Postings, within: np.ndarray, inside: np.ndarray | None = None
) -> Postings:
    """The postings of the documents `within` (both ascending); `inside`, when given, is
    `within` marked (`mark`), which makes a long list cheaper to restrict."""
    if not len(within) or not len(postings):
        return NO_POSTINGS
    if len(within) * 4 < len(postings):
        # Few documents in a long list: look each of them up in the list.
        at = np.searchsorted(postings.docs, within)
        at[at == len(postings)] = 0
        at = at[postings.docs[at] == within]
        return Postings(postings.docs[at], postings.tf[at])
    if inside is not None:
        hit = inside[postings.docs]
        return Postings(postings.docs[hit], postings.tf[hit])
    idx = np.searchsorted(within, postings.docs)
    idx[idx == len(within)] = 0
    hit = within[idx] == postings.docs
    return Postings(postings.docs[hit], postings.tf[hit])


def common(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The documents in both ascending arrays."""
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return a
    idx = np.searchsorted(b, a)
    idx[idx == len(b)] = 0
    common: np.ndarray = a[b[idx] == a]
    return common


def intersect(a: Matches, b: Matches) -> Matches:
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return EMPTY
    idx = np.searchsorted(b.docs, a.docs)
    idx[idx == len(b.docs)] = 0
    hit = b.docs[idx] == a.docs
    return Matches(a.docs[hit], a.scores[hit] + b.scores[idx[hit]])


def restrict(found: Matches, allowed: np.ndarray) -> Matches:
    if not len(found) or not len(allowed):
        return EMPTY
    idx = np.searchsorted(allowed, found.docs)
    idx[idx == len(allowed)] = 0
    hit = allowed[idx] == found.docs
    return Matches(found.docs[hit], found.scores[hit])


def subtract(found: Matches, docs: np.ndarray) -> Matches:
    if not len(docs):
        return found
    idx = np.searchsorted(docs, found.docs)
    idx[idx == len(docs)] = 0
    keep = docs[idx] != found.docs
    return Matches(found.docs[keep], found.scores[keep])


def add_into(found: Matches, extra: Matches) -> Matches:
    """`found` with the scores of `extra` (whose documents are among found's) added."""
    if not len(extra):
        return found
    if not len(found):
        return extra
    idx = np.searchsorted(found.docs, extra.docs)
    idx[idx == len(found.docs)] = 0
    hit = found.docs[idx] == extra.docs
    scores = found.scores.copy()
    scores[idx[hit]] += extra.scores[hit]
    if hit.all():
        return Matches(found.docs, scores)
    rest = Matches(extra.docs[~hit], extra.scores[~hit])
    docs = np.concatenate([found.docs, rest.docs])
    order = np.argsort(docs, kind="stable")
    return Matches(docs[order], np.concatenate([scores, rest.scores])[order])


def top(found: Matches, limit: int, key: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The first `limit` (document, score) pairs: by `key` (default: the score), highest
    first, ties by document number."""
    if not len(found) or limit <= 0:
        return []
    values = found.scores if key is None else key
    if len(found) > limit:
        part = np.argpartition(-values, limit - 1)[:limit]
        kth = values[part].min()
        chosen = np.flatnonzero(values >= kth)
    else:
        chosen = np.arange(len(found))
    order = chosen[np.lexsort((found.docs[chosen], -values[chosen]))][:limit]
    return list(zip(found.docs[order].tolist(), found.scores[order].tolist(), strict=True))
