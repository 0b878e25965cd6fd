"""Where a stem too short to tell words apart counts: `données` has the stems `don` and
`donne`, shared with donner and don, so its stems only count in documents holding a word
that begins like it (`donnee…`) and has one of them (`search.analysis.narrowing`,
`search.plan.Stems.narrow`, `search.scoring`).

The documents are found through the exact fields' vocabulary: the words starting so are
listed (from the term table, no frequencies), those with one of the stems kept, and their
postings, with the tags holding such a word, make the set. `search.matching.Matcher` keeps
the sets with the index state they belong to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from . import scoring
from .analysis import word_stems
from .plan import Stems
from .postings import IndexArrays

#: Words starting like a word with a short stem, listed at most.
MAX_NARROW_WORDS = 300

#: Given a field and a prefix, the words of the index that start so (any order).
Lister = Callable[[str, str], Iterable[str]]
#: (beginning, stems, title only) → the narrowed documents, or None (`narrowed_docs`).
NarrowCache = dict[tuple[str, tuple[str, ...], bool], np.ndarray | None]


def narrowed_docs(arrays: IndexArrays, words: Lister, node: Stems) -> np.ndarray | None:
    """The documents holding, in the title, the body or a tag, a word that starts with
    `node.narrow` and has one of the node's stems (ascending); None when more than
    `MAX_NARROW_WORDS` words start so (too many to tell: the stems count everywhere)."""
    stems = set(node.stems)
    fields = (scoring.EXACT[1],) if node.title_only else scoring.EXACT
    relatives = []
    # The body's vocabulary holds nearly every word of the titles: one listing.
    for n, word in enumerate(words(fields[0], node.narrow)):
        if n >= MAX_NARROW_WORDS:
            return None
        if stems.intersection(word_stems(word)):
            relatives.append(word)
    keep = np.zeros(arrays.count, dtype=bool)
    for field in fields:
        for word in relatives:
            keep[arrays.postings(field, word).docs] = True
    if not node.title_only:
        # `text` holds the tags too: a tag with such a word counts as well.
        for tag in arrays.tag_keys:
            if node.narrow in tag and any(
                w.startswith(node.narrow) and stems.intersection(word_stems(w)) for w in tag.split()
            ):
                keep[arrays.postings("tag", tag).docs] = True
    found: np.ndarray = np.flatnonzero(keep).astype(np.int32)
    return found
