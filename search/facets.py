"""Facet counts over all the matches of a search, not only the page shown: months, tags,
feeds and authors, counted with `numpy.bincount` over per-document columns."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .analysis import fold, tag_key
from .postings import IndexArrays
from .results import Facets

MAX_TAGS = 50
MAX_FEEDS = 20
MAX_AUTHORS = 20
#: Tags named when a tag filter matches no tag of the index.
NEAREST_TAGS = 3


def count(arrays: IndexArrays, docs: np.ndarray) -> Facets:
    """The facets of the documents `docs`."""
    if not len(docs):
        return Facets()
    per_month = np.bincount(arrays.months[docs])
    present = np.flatnonzero(per_month)
    labels = _month_labels(arrays.month_base, arrays.month_count)
    counted = per_month[present].tolist()
    months = tuple(zip([labels[m] for m in present.tolist()], counted, strict=True))
    tags = _top(
        np.bincount(arrays.tags_of(docs), minlength=len(arrays.tag_labels)),
        arrays.tag_labels,
        MAX_TAGS,
    )
    feed_names = arrays.feed_names
    feeds = _top(
        np.bincount(arrays.feed_of[docs], minlength=len(feed_names)), feed_names, MAX_FEEDS
    )
    authors = _top(
        np.bincount(arrays.author_of[docs], minlength=len(arrays.authors)),
        arrays.authors,
        MAX_AUTHORS,
    )
    return Facets(tags=tags, months=months, feeds=feeds, authors=authors)


def _top(counts: np.ndarray, labels: list[str], limit: int) -> tuple[tuple[str, int], ...]:
    """The `limit` most frequent labels (ties in alphabetical order, accents aside); empty
    labels are not a facet value."""
    present = np.flatnonzero(counts)
    if len(present) > limit:
        kth = np.partition(counts[present], len(present) - limit)[len(present) - limit]
        present = present[counts[present] >= kth]
    pairs = [(labels[i], int(counts[i])) for i in present.tolist() if labels[i]]
    pairs.sort(key=lambda pair: (-pair[1], fold(pair[0]), pair[0]))
    return tuple(pairs[:limit])


@lru_cache(maxsize=16)
def _month_labels(base: int, count: int) -> tuple[str, ...]:
    """The labels of `count` months from `base` (months since 1970): a query's month facet
    names its months from these rather than formatting each."""
    return tuple(_month_label(base + m) for m in range(count))


def _month_label(months_since_1970: int) -> str:
    year, month = divmod(months_since_1970, 12)
    return f"{1970 + year:04d}-{month + 1:02d}"


def nearest_tags(arrays: IndexArrays, tag: str, limit: int = NEAREST_TAGS) -> list[str]:
    """The tags of the index closest to `tag`, a tag it does not have: those it starts or
    that start with it first, then those one or two edits away (folded, as tags match)."""
    key = tag_key(tag)
    if not key:
        return []
    scored = []
    for code, other in enumerate(arrays.tag_keys):
        if other.startswith(key) or key.startswith(other):
            rank = 0
        elif abs(len(other) - len(key)) <= 2 and (d := _distance(key, other, 2)) <= 2:
            rank = d
        else:
            continue
        scored.append((rank, abs(len(other) - len(key)), other, arrays.tag_labels[code]))
    scored.sort()
    return [label for *_, label in scored[:limit]]


def _distance(a: str, b: str, bound: int) -> int:
    """Levenshtein distance of `a` and `b` (adjacent swaps count one), or `bound` + 1 once
    it is past `bound`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            row.append(cost)
        if min(row) > bound:
            return bound + 1
        previous2, previous = previous, row
    return previous[-1]


def unknown_tags(
    arrays: IndexArrays, tags: tuple[str, ...] | list[str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The tags among `tags` (as typed) that no article of the index has, each with the
    nearest tags the index has."""
    out = []
    for tag in tags:
        key = tag_key(tag)
        if key and key not in arrays.tag_index:
            out.append((tag, tuple(nearest_tags(arrays, tag))))
    return tuple(out)
