"""Matching as users see it: phrases only where the words follow each other, prefixes over
the 200 most frequent words they begin, `titre:` prefixes from the titles' words."""

from __future__ import annotations

from itertools import product
from pathlib import Path

import pytest

from search.matching import MAX_PREFIX_TERMS
from tests.corpora import article, filler, ids, open_index


def test_a_phrase_needs_its_words_in_order_even_at_the_start_of_a_text(tmp_path: Path) -> None:
    # Two articles begin with the phrase's second word and hold the first one later.
    articles = [
        article("match", "Un vélo électrique pour tous", "Le vélo électrique séduit."),
        article("reverse-1", "Électrique, le vélo gagne", "Électrique, le vélo plaît."),
        article("reverse-2", "Électrique aussi, ce vélo", "Électrique ou pas, un vélo."),
        article("other", "Autre chose", "Rien à voir."),
    ]
    with open_index(tmp_path, [*articles, *filler()]) as engine:
        assert ids(engine.search('"vélo électrique"')) == ["match"]
        assert ids(engine.search('"électrique vélo"')) == []


def test_a_prefix_stands_for_its_200_most_frequent_words(tmp_path: Path) -> None:
    # The rare word comes first in the term table: frequency, not order, chooses.
    assert MAX_PREFIX_TERMS == 200
    words = ["zorg" + "".join(t) for t in product("abcdefghijklmnopqrstuvwxyz", repeat=2)]
    rare, frequent = words[0], " ".join(words[1:201])
    articles = [
        article("one", "Liste un", frequent),
        article("two", "Liste deux", frequent),
        article("rare", "Rare", rare),  # one article: the 201st word by frequency
    ]
    with open_index(tmp_path, [*articles, *filler()]) as engine:
        assert sorted(ids(engine.search("zorg*", collapse=False))) == ["one", "two"]
        assert ids(engine.search(f'"{rare}"')) == ["rare"]


def test_a_title_prefix_expands_the_words_of_titles(tmp_path: Path) -> None:
    articles = [
        article("title", "Cyberattaque massive", "Rien de plus."),
        article("body", "Une panne", "Une cybersécurité défaillante."),
    ]
    with open_index(tmp_path, [*articles, *filler()]) as engine:
        assert ids(engine.search("titre:cyber*")) == ["title"]
        assert sorted(ids(engine.search("cyber*"))) == ["body", "title"]


def test_a_group_with_an_exclusion_beside_a_word(tmp_path: Path) -> None:
    articles = [
        article("velo-lyon", "Vélo à Lyon", "Le vélo progresse à Lyon."),
        article("velo-elec", "Vélo électrique à Lyon", "Le vélo électrique à Lyon."),
        article("velo-paris", "Vélo à Paris", "Le vélo progresse."),
    ]
    with open_index(tmp_path, [*articles, *filler()]) as engine:
        assert ids(engine.search("(vélo -électrique) lyon")) == ["velo-lyon"]
        assert ids(engine.search("lyon (vélo SAUF électrique)")) == ["velo-lyon"]


def test_a_prefix_lists_at_most_5000_words_in_the_term_tables_order(tmp_path: Path) -> None:
    # 5,001 words begin with `zq`; the last one is the most frequent but is not listed.
    words = ["zq" + "".join(t) for t in product("abcdefghijklmnopqrstuvwxyz", repeat=3)]
    words = words[:5001]
    articles = [
        article("all", "Toutes", " ".join(words)),
        article("last", "Dernier", words[-1]),
    ]
    with open_index(tmp_path, [*articles, *filler()]) as engine:
        assert ids(engine.search("zq*")) == ["all"]


def test_a_protected_word_is_not_stemmed_and_a_plain_word_is(tmp_path: Path) -> None:
    articles = [
        article("windows", "Windows 11 arrive", "Le système change."),
        article("window", "Une window s'ouvre", "Un mot anglais."),
        article("economique", "La crise économique", "Un recul."),
    ]
    with open_index(tmp_path, [*articles, *filler()]) as engine:
        assert ids(engine.search("Windows")) == ["windows"]  # search/data/vocabulary.toml
        assert ids(engine.search("économie")) == ["economique"]  # the stem econom


def test_a_hyphenated_prefix_stands_for_the_joined_word(tmp_path: Path) -> None:
    articles = [
        article("secu", "La cybersécurité", "Un plan de cybersécurité contre la cyberattaque."),
        article("attaque", "Une cyberattaque", "La cyberattaque."),
    ]
    with open_index(tmp_path, [*articles, *filler()]) as engine:
        (hit,) = engine.search("cyber-sécu*").hits
    assert hit.id == "secu"
    assert [hit.snippet.text[s:e] for s, e in hit.snippet.highlights] == ["cybersécurité"]


def test_the_snippet_marks_the_words_inflected_forms(tmp_path: Path) -> None:
    # actrices is an inflection of acteur, with another Snowball stem (actric, acteur).
    articles = [article("a", "Le festival", "Les actrices du festival.")]
    with open_index(tmp_path, [*articles, *filler()]) as engine:
        (hit,) = engine.search("acteur").hits
    assert [hit.snippet.text[s:e] for s, e in hit.snippet.highlights] == ["actrices"]


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("chanteur", "La chanteuse monte sur scène."),
        ("menteur", "La menteuse monte sur scène."),
        ("chanteuses", "Le chanteur monte sur scène."),
        ("heureuse", "Un gagnant heureux monte sur scène."),
    ],
)
def test_a_word_finds_its_other_gender_as_typed(tmp_path: Path, query: str, text: str) -> None:
    """Snowball stems chanteur and chanteuse apart (chanteur, chanteux): the other gender's
    form is matched as the word itself, not found by a spelling correction."""
    articles = [article("a", "Le concert", text)]
    with open_index(tmp_path, [*articles, *filler()]) as engine:
        page = engine.search(query)
    assert [hit.id for hit in page.hits] == ["a"]
    assert page.corrected_from is None
