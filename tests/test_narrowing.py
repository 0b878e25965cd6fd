"""Where a stem too short to tell words apart counts (`search.narrowing`): `données` has the
stems `don` and `donne`, shared with donner and don, so they only count in articles holding
a word that begins like `donnee` and has one of those stems — in the title, the body or a
tag — unless too many words begin so to list them."""

from __future__ import annotations

from itertools import product
from pathlib import Path

import pytest

from search.narrowing import MAX_NARROW_WORDS
from tests.corpora import article, filler, ids, open_index

DATA = article("data", "Les données", "Des données ouvertes.")
DONNER = article("donner", "Donner son avis", "Il faut donner.")


def fake_words(count: int) -> str:
    """`count` words that begin with `donnee` and are not relatives of données."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return " ".join("donnee" + "".join(t) for t in product(letters, repeat=2))[: count * 9 - 1]


@pytest.mark.parametrize(("listed", "donner_found"), [(MAX_NARROW_WORDS, False), (301, True)])
def test_past_300_words_beginning_alike_the_stems_count_everywhere(
    tmp_path: Path, listed: int, donner_found: bool
) -> None:
    # `donnees` itself is one of the words listed; the others come from one article.
    many = article("many", "Liste", fake_words(listed - 1))
    assert len(many.body.split()) == listed - 1
    with open_index(tmp_path, [DATA, DONNER, many, *filler()]) as engine:
        found = ids(engine.search("données"))
    assert found[0] == "data"
    assert ("donner" in found) is donner_found


def test_a_tag_word_beginning_like_the_word_counts(tmp_path: Path) -> None:
    tagged = article("tagged", "Matériel", "Un don de matériel.", tags=("Données publiques",))
    with open_index(tmp_path, [DATA, DONNER, tagged, *filler()]) as engine:
        assert set(ids(engine.search("données"))) == {"data", "tagged"}
        # The title alone: no tag counts there.
        assert ids(engine.search("titre:données")) == ["data"]


def test_a_tag_must_hold_a_relative_word_not_just_the_letters(tmp_path: Path) -> None:
    # `abandonnée` holds the letters `donnee` but does not begin so; `dons` has the stem
    # `don` but does not begin like données either.
    tagged = article("tagged", "Matériel", "Un don de matériel.", tags=("Dons abandonnée",))
    with open_index(tmp_path, [DATA, DONNER, tagged, *filler()]) as engine:
        assert ids(engine.search("données")) == ["data"]


def test_in_the_title_only_the_titles_words_narrow(tmp_path: Path) -> None:
    # Its title has the stem `don` (donner) and its body the word données: `titre:données`
    # counts the title's stem only where the title holds a relative of données.
    mixed = article("mixed", "Donner au club", "Les données du club.")
    with open_index(tmp_path, [DATA, DONNER, mixed, *filler()]) as engine:
        assert ids(engine.search("titre:données")) == ["data"]
        assert set(ids(engine.search("données"))) == {"data", "mixed"}
