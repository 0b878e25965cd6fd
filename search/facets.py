"""Facet counts over all the matches of a search, not only the page shown: months, tags,
feeds and authors, counted with `numpy.bincount` over per-document columns."""

from __future__ import annotations

import numpy as np

from .analysis import fold
from .postings import IndexArrays
from .results import Facets

MAX_TAGS = 50
MAX_FEEDS = 20
MAX_AUTHORS = 20


def count(arrays: IndexArrays, docs: np.ndarray) -> Facets:
    """The facets of the documents `docs`."""
    if not len(docs):
        return Facets()
    per_month = np.bincount(arrays.months[docs])
    months = tuple(
        (_month_label(arrays.month_base + int(m)), int(per_month[m]))
        for m in np.flatnonzero(per_month)
    )
    tags = _top(
        np.bincount(arrays.tags_of(docs), minlength=len(arrays.tag_labels)),
        arrays.tag_labels,
        MAX_TAGS,
    )
    feed_names = [title or url for url, title in arrays.feeds]
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


def _month_label(months_since_1970: int) -> str:
    year, month = divmod(months_since_1970, 12)
    return f"{1970 + year:04d}-{month + 1:02d}"
