"""The document-set primitives every query goes through (`search.sets`), checked against
plain Python sets and dicts on seeded random sets, on both their sparse and dense paths."""

from __future__ import annotations

import random

import numpy as np
import pytest

from search.postings import Postings
from search.sets import (
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
    top,
    union,
    union_size,
)

COUNT = 40


def docs(rng: random.Random, size: int) -> list[int]:
    return sorted(rng.sample(range(COUNT), size))


def matches(rng: random.Random, size: int) -> Matches:
    found = docs(rng, size)
    scores = [float(rng.randint(1, 8)) / 4 for _ in found]
    return Matches(np.array(found, dtype=np.int32), np.array(scores, dtype=np.float32))


def as_dict(found: Matches) -> dict[int, float]:
    assert found.docs.tolist() == sorted(set(found.docs.tolist()))  # ascending, unique
    return dict(zip(found.docs.tolist(), found.scores.tolist(), strict=True))


SIZES = [0, 1, 2, 5, 20, 39, 40]


@pytest.mark.parametrize("seed", range(40))
def test_set_operations_agree_with_python_sets(seed: int) -> None:
    rng = random.Random(seed)
    a, b, c = (matches(rng, rng.choice(SIZES)) for _ in range(3))
    da, db, dc = as_dict(a), as_dict(b), as_dict(c)
    for combine, merge in ((np.add, lambda x, y: x + y), (np.maximum, max)):
        want: dict[int, float] = {}
        for part in (da, db, dc):
            for doc, score in part.items():
                want[doc] = merge(want[doc], score) if doc in want else score
        assert as_dict(union([a, b, c], combine, COUNT)) == want
    assert as_dict(intersect(a, b)) == {d: da[d] + db[d] for d in da.keys() & db.keys()}
    assert as_dict(restrict(a, b.docs)) == {d: s for d, s in da.items() if d in db}
    assert as_dict(subtract(a, b.docs)) == {d: s for d, s in da.items() if d not in db}
    assert common(a.docs, b.docs).tolist() == sorted(da.keys() & db.keys())
    for count in (COUNT, 1_000_000):  # counted on a mask, and by search or sorting
        assert union_size([a.docs, b.docs], count) == len(da.keys() | db.keys())
        both = union_size([a.docs, b.docs, c.docs], count)
        assert both == len(da.keys() | db.keys() | dc.keys())
    added = {**da}
    for doc, score in db.items():
        added[doc] = added.get(doc, 0.0) + score
    assert as_dict(add_into(a, b)) == added


@pytest.mark.parametrize("seed", range(20))
def test_merged_postings_add_their_frequencies(seed: int) -> None:
    rng = random.Random(seed)
    lists = []
    want: dict[int, float] = {}
    for _ in range(rng.randint(1, 4)):
        found = docs(rng, rng.choice([0, 1, 3, 15, 40]))
        tf = [rng.randint(1, 5) for _ in found]
        lists.append(Postings(np.array(found, dtype=np.int32), np.array(tf, dtype=np.float32)))
        for doc, n in zip(found, tf, strict=True):
            want[doc] = want.get(doc, 0) + n
    merged = merge_postings(lists, COUNT)
    assert dict(zip(merged.docs.tolist(), merged.tf.tolist(), strict=True)) == want
    for size in (3, 10, 30):  # a short list in a long one, and the other way round
        within = np.array(docs(rng, size), dtype=np.int32)
        expected = [d for d in sorted(want) if d in set(within.tolist())]
        kept = restrict_postings(merged, within)
        assert kept.docs.tolist() == expected
        marked = restrict_postings(merged, within, mark(within, COUNT))
        assert marked.docs.tolist() == expected
        assert marked.tf.tolist() == [want[d] for d in expected]


def test_document_zero_and_the_last_document_count() -> None:
    zero = Postings(np.array([0, 39], dtype=np.int32), np.array([2, 1], dtype=np.float32))
    other = Postings(np.array([0, 5], dtype=np.int32), np.array([1, 1], dtype=np.float32))
    merged = merge_postings([zero, other], 1000)  # the sparse path
    assert merged.docs.tolist() == [0, 5, 39] and merged.tf.tolist() == [3, 1, 1]
    one = Matches(np.array([5], dtype=np.int32), np.array([1.0], dtype=np.float32))
    far = Matches(np.array([3], dtype=np.int32), np.array([1.0], dtype=np.float32))
    assert len(intersect(one, far)) == 0  # past the only document of the other set
    assert as_dict(add_into(EMPTY, one)) == {5: 1.0}


@pytest.mark.parametrize("limit", [0, 1, 3, 7, 50])
def test_top_is_the_highest_scores_then_the_lowest_documents(limit: int) -> None:
    scores = [1.0, 3.0, 2.0, 3.0, 0.5, 2.0, 3.0, 1.0]
    found = Matches(np.arange(10, 18, dtype=np.int32), np.array(scores, dtype=np.float32))
    want = sorted(zip(range(10, 18), scores, strict=True), key=lambda p: (-p[1], p[0]))
    assert top(found, limit) == want[:limit]
    by_key = top(found, 2, key=np.arange(8, dtype=np.float32))  # the last documents first
    assert by_key == [(17, 1.0), (16, 3.0)]
    assert top(EMPTY, 5) == []


def test_document_one_first_is_kept() -> None:
    # The first document of a union is found by comparing it with the one "before" it.
    one = Matches(np.array([1, 4], dtype=np.int32), np.array([1.0, 2.0], dtype=np.float32))
    two = Matches(np.array([1, 3], dtype=np.int32), np.array([0.5, 1.0], dtype=np.float32))
    assert as_dict(union([one, two], np.add, 1000)) == {1: 1.5, 3: 1.0, 4: 2.0}
    a = Postings(np.array([1, 4], dtype=np.int32), np.array([1, 2], dtype=np.float32))
    b = Postings(np.array([1, 3], dtype=np.int32), np.array([1, 1], dtype=np.float32))
    merged = merge_postings([a, b], 1000)  # the sparse path
    assert merged.docs.tolist() == [1, 3, 4] and merged.tf.tolist() == [2, 1, 2]


def test_a_mark_holds_exactly_its_documents() -> None:
    assert mark(np.array([0, 3, 4], dtype=np.int32), 6).tolist() == [
        True,
        False,
        False,
        True,
        True,
        False,
    ]
