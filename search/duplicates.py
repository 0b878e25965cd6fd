"""Near-duplicates: the same story from two feeds, or published again under a new link.

At indexing time each article gets two 64-bit keys, written as per-document columns beside
its segment (`search.segments`); two articles are near-duplicates when one of their keys is
equal and not 0:

- the *body key*: the `BOTTOM` smallest hashes of the body's word 3-shingles (a bottom-k
  MinHash sketch, one hash function). Two bodies share it with a probability of about J⁴,
  J being the Jaccard similarity of their shingle sets: always for a copy, most of the
  time for a copy with a few words edited, and almost never for two stories that only
  share a paragraph (news agencies repeat one: with a single MinHash value they would).
- the *title key*: a hash of the title's content words, stemmed and folded (case, accents,
  punctuation and plurals aside). It is given only to a title of `SPECIFIC_TITLE` distinct
  content words or more: the same story from a feed giving a summary and one giving the
  full text, or updated days later with its text cut. It links articles published within
  `TITLE_SPAN_DAYS` of each other only: the editions of a series share a title, not a
  story (most series titles are shorter anyway: `Coronavirus : le point sur la pandémie
  dans le monde`, four content words, is no key).

Per committed state, articles linked by equal keys are gathered into clusters (`clusters`),
once; a search then collapses the clusters among its ranked hits (`collapse`): cheap, since
all it does per search is read the cluster of each matching article.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .arrays import term_hash

if TYPE_CHECKING:
    from .inverter import Vocabulary

#: Distinct content words from which a title identifies a story.
SPECIFIC_TITLE = 5
#: Days from the first article of a title within which the same title is the same story.
TITLE_SPAN_DAYS = 2
#: Smallest shingle hashes making the body key.
BOTTOM = 4
#: Shingles a body needs to have a body key (shorter ones tell little).
MIN_SHINGLES = 20
#: Words of a body read for its key (the start of a long text says enough).
MAX_WORDS = 20_000

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
GOLDEN = 0x9E3779B97F4A7C15
_GOLDEN = np.uint64(GOLDEN)
_SEED = np.uint64(0x243F6A8885A308D3)
TITLE_SEED = 0xA4093822299F31D0
MASK = (1 << 64) - 1


class TermHashes:
    """Stable 64-bit hashes of a vocabulary's ids (ids are per process, hashes are not),
    computed once per term as the vocabulary grows."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.values = np.zeros(0, dtype=np.uint64)

    def of(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The hashes of `ids`."""
        known = len(self.values)
        if known < len(self.vocabulary):
            new = [term_hash(t) for t in self.vocabulary.terms[known:]]
            self.values = np.concatenate([self.values, np.array(new, dtype=np.uint64)])
        return self.values[np.asarray(ids, dtype=np.int64)]


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer, on every value (uint64 arithmetic wraps around)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    mixed: np.ndarray = x ^ (x >> np.uint64(31))
    return mixed


def _rotated(x: np.ndarray, bits: int) -> np.ndarray:
    return (x << np.uint64(bits)) | (x >> np.uint64(64 - bits))


def _mix_int(x: int) -> int:
    """`_mix` of one value, in Python integers (cheaper than numpy for one)."""
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def keys(title_words: np.ndarray, body_words: np.ndarray) -> tuple[int, int]:
    """(title key, body key) of an article from the stable hashes of its title's content
    words (a stem each) and of its body's exact words; 0 stands for no key."""
    body_words = body_words[:MAX_WORDS]
    body = 0
    if len(body_words) >= MIN_SHINGLES + 2:
        shingles = (
            body_words[:-2] * _GOLDEN
            + _rotated(body_words[1:-1], 21)
            + _rotated(body_words[2:], 42)
        )
        hashed = _mix(shingles ^ _SEED)
        if len(hashed) > 4 * BOTTOM:  # the smallest distinct ones are among the smallest few
            smallest = np.unique(np.partition(hashed, 4 * BOTTOM - 1)[: 4 * BOTTOM])
        if len(hashed) <= 4 * BOTTOM or len(smallest) < BOTTOM:
            smallest = np.unique(hashed)
        for n, value in enumerate(smallest[:BOTTOM].tolist(), 1):
            body ^= _mix_int(value ^ (n * GOLDEN & MASK))
        body = body or 1
    title = 0
    words = title_words.tolist()
    if len(set(words)) >= SPECIFIC_TITLE:
        for n, value in enumerate(words, 1):
            title ^= _mix_int(value ^ (n * GOLDEN & MASK))
        title = _mix_int(title ^ TITLE_SEED) or 1
    return title, body


def clusters(title: np.ndarray, body: np.ndarray, published: np.ndarray) -> np.ndarray:
    """For every document, the smallest document number it is linked to (directly or through
    others) by an equal body key, or by an equal title key within `TITLE_SPAN_DAYS` of the
    first article of that title (`published`: µs); documents with the same value are one
    cluster."""
    count = len(title)
    label = np.arange(count, dtype=np.int64)
    groups = [g for g in (_by_title(title, published), _groups(body)) if g is not None]
    if not groups:
        return label
    while True:
        before = label.copy()
        for order, starts in groups:
            # The smallest label of each group of equal keys, given to all of its members.
            least = np.minimum.reduceat(label[order], starts)
            label[order] = np.repeat(least, np.diff(np.append(starts, len(order))))
        label = label[label]  # follow links to their root: converges in a few rounds
        if np.array_equal(label, before):
            return label


def _by_title(title: np.ndarray, published: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The groups of equal title keys, each cut where an article comes more than
    `TITLE_SPAN_DAYS` after the first of its group: the editions of a weekly series share
    a title, not a story."""
    found = _groups(title)
    if found is None:
        return None
    order, starts = found
    run = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(order))))
    by_time = np.lexsort((published[order], run))
    order, run = order[by_time], run[by_time]
    span = TITLE_SPAN_DAYS * 86_400_000_000
    cut = []
    first = 0
    for i, (key, moment) in enumerate(zip(run.tolist(), published[order].tolist(), strict=True)):
        if not i or key != run[i - 1] or moment - first > span:
            cut.append(i)
            first = moment
    return order, np.array(cut, dtype=np.int64)


def _groups(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(documents with a key shared by others, sorted by key; where each key's run
    starts), or None when no key is shared."""
    docs = np.flatnonzero(values)
    if len(docs) < 2:
        return None
    order = docs[np.argsort(values[docs], kind="stable")]
    sorted_values = values[order]
    same = sorted_values[1:] == sorted_values[:-1]
    shared = np.zeros(len(order), dtype=bool)
    shared[1:] |= same
    shared[:-1] |= same
    if not shared.any():
        return None
    order = order[shared]
    sorted_values = sorted_values[shared]
    starts = np.flatnonzero(np.concatenate(([True], sorted_values[1:] != sorted_values[:-1])))
    return order, starts


#: Versions of one story listed with it at most (all are counted).
MAX_VERSIONS = 50

Ranker = Callable[[int], list[tuple[int, float]]]


@dataclass(frozen=True)
class Clusters:
    """The near-duplicate clusters of one committed state of the index."""

    #: Each document's cluster (the smallest document number in it).
    label: np.ndarray
    #: Whether a document's cluster holds other documents.
    shared: np.ndarray
    #: The documents of clusters of two or more, cluster by cluster, ascending.
    members: np.ndarray
    #: Where each cluster's documents start in `members` (by cluster), and how many.
    first: np.ndarray
    size: np.ndarray

    @classmethod
    def build(cls, title: np.ndarray, body: np.ndarray, published: np.ndarray) -> Clusters:
        """The clusters the keys of an index make (`clusters`)."""
        label = clusters(title, body, published)
        size = np.bincount(label, minlength=len(label))
        shared = size[label] > 1
        members = np.flatnonzero(shared)
        members = members[np.argsort(label[members], kind="stable")]
        first = np.zeros(len(label), dtype=np.int64)
        heads = np.concatenate(([True], label[members][1:] != label[members][:-1]))
        starts = np.flatnonzero(heads) if len(members) else np.zeros(0, dtype=np.int64)
        first[label[members][starts]] = starts
        return cls(label, shared, members, first, size)

    def of(self, doc: int) -> np.ndarray:
        """The documents of `doc`'s cluster, ascending."""
        if not self.shared[doc]:
            return np.array([doc], dtype=self.members.dtype)
        cluster = self.label[doc]
        start = self.first[cluster]
        return self.members[start : start + self.size[cluster]]


def collapse(
    found: Clusters | None,
    docs: np.ndarray,
    rank: Ranker,
    page: int,
    page_size: int,
) -> tuple[list[tuple[int, float]], dict[int, tuple[list[int], int]], int]:
    """One page of results with near-duplicates gathered under the best ranked of them.

    Args:
        found: the clusters of the index (`IndexArrays.clusters`); None to show every
            article on its own.
        docs: every matching document (ascending).
        rank: the first `n` (document, score) of `docs` in the order of the search.

    Returns:
        The page's (document, score) pairs, one per story; for each story shown that has
        other matching documents, those (up to `MAX_VERSIONS`, ascending) and how many
        there are; and the number of stories.
    """
    start, stop = (page - 1) * page_size, page * page_size
    if found is None:
        return rank(stop)[start:stop], {}, len(docs)
    label, shared = found.label, found.shared
    twins = docs[shared[docs]]
    if not len(twins):
        return rank(stop)[start:stop], {}, len(docs)
    seen = np.zeros(len(label), dtype=bool)  # cheaper than sorting when twins are many
    seen[label[twins]] = True
    stories = len(docs) - len(twins) + int(np.count_nonzero(seen))
    # Ranking costs the same for few documents as for many: ask at once for as many as
    # the page's stories likely take (documents per story on average), not `stop` twice.
    limit = stop if stories == len(docs) else -(-stop * len(docs) // stories) + 1
    while True:
        ranked = rank(limit)
        leaders: dict[int, tuple[int, float]] = {}
        for doc, score in ranked:
            leaders.setdefault(int(label[doc]), (doc, score))
            if len(leaders) >= stop:
                break
        if len(leaders) >= stop or len(ranked) < limit:
            break
        limit *= 2
    window = list(leaders.values())[start:stop]
    return window, _versions(found, docs, [d for d, _ in window if shared[d]]), stories


def _versions(
    found: Clusters, docs: np.ndarray, shown: list[int]
) -> dict[int, tuple[list[int], int]]:
    """For each document of `shown`, the other matching documents of its cluster (up to
    `MAX_VERSIONS`) and how many there are: all the page's clusters in one pass."""
    if not shown:
        return {}
    clusters = found.label[shown]
    sizes = found.size[clusters]
    ends = np.cumsum(sizes)
    members = found.members[
        np.repeat(found.first[clusters] - (ends - sizes), sizes) + np.arange(int(ends[-1]))
    ]
    at = np.searchsorted(docs, members)
    at[at >= len(docs)] = 0
    matching = (docs[at] == members).tolist()
    listed = members.tolist()
    versions: dict[int, tuple[list[int], int]] = {}
    begin = 0
    for doc, end in zip(shown, ends.tolist(), strict=True):
        others = [
            d for d, m in zip(listed[begin:end], matching[begin:end], strict=True) if m and d != doc
        ]
        begin = end
        if others:
            versions[doc] = (others[:MAX_VERSIONS], len(others))
    return versions
