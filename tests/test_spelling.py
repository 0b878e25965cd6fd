"""Spelling correction as users meet it: a word the archive does not know is searched as the
closest word it knows (same first letter; one edit, two for long words), spelt as the
articles spell it; known words, compounds and words too far off stay as typed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from search import Engine
from tests.corpora import article, filler, open_index

ARTICLES = [
    article("w1", "Windows et Linux", "Le système Windows évolue. Une fenêtre s'ouvre."),
    article("w2", "Windows 11", "Windows encore."),
    article("o1", "Ordinateur portable", "Un ordinateur léger."),
    article("f1", "La fibre optique", "La fibre arrive."),
    article("e1", "Élections européennes", "Les élections européennes approchent."),
    article("p1", "Porte-monnaie", "Un porte-monnaie perdu."),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with open_index(tmp_path_factory.mktemp("spelling"), [*ARTICLES, *filler()]) as found:
        yield found


@pytest.mark.parametrize(
    ("typed", "searched"),
    [
        ("windos", "Windows"),  # capitals kept: the articles always write it so
        ("fibbre", "fibre"),  # one edit
        ("ordinatuer", "ordinateur"),  # two edits in a long word
        ("electoins", "élections"),  # accents restored
    ],
)
def test_an_unknown_word_is_searched_as_the_closest_known_one(
    engine: Engine, typed: str, searched: str
) -> None:
    page = engine.search(typed)
    assert page.corrected_from == typed and page.query == searched and page.total >= 1


@pytest.mark.parametrize(
    "typed",
    [
        "gibre",  # fibre is one edit away, but the first letter is kept
        "elections",  # known (accents aside)
        "portemonnaie",  # the compound porte-monnaie, written solid
        "fi",  # too short to correct
    ],
)
def test_known_words_and_words_too_far_off_stay_as_typed(engine: Engine, typed: str) -> None:
    page = engine.search(typed)
    assert page.corrected_from is None and page.query == typed


# --- what is never corrected, and completions --------------------------------------------------

COMPLETING = [
    article("s1", "Les sables du désert", "Des sables."),
    *(article(f"s{n}", f"Sablier {n}", "Le sablier tourne.") for n in (2, 3, 4)),
    article("z1", "Zorglub revient", "Zorglub est là."),
    article("m1", "Mobile", "Un mobile.", tags=("Mobilité",)),
    article("o1", "Ordinateur", "Un."),
    article("o2", "Ordinateur neuf", "Deux."),
    article("o3", "Ordre du jour", "Trois."),
    article("f1", "Fuite de données", "Une fuite de données."),
    article("f2", "Fuite de données bancaires", "Une fuite."),
    article("f3", "Fuite de documents", "Une fuite."),
]


@pytest.fixture(scope="module")
def completing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with open_index(tmp_path_factory.mktemp("completing"), [*COMPLETING, *filler()]) as found:
        yield found


def test_acronyms_and_words_with_digits_are_never_corrected(completing: Engine) -> None:
    assert completing.search("zorgluv").query == "zorglub"
    for typed in ("ZORGLUV", "zorgluv2"):
        page = completing.search(typed)
        assert page.corrected_from is None and page.query == typed


@pytest.mark.parametrize(
    ("typed", "proposed"),
    [
        ("mob", ["Mobilité", "mobile"]),  # a tag before a word of as many articles
        ("ord", ["ordinateur", "ordre"]),  # the word of more titles first
        ("sab", ["sablier", "sables"]),
        ("fuite de do", ["fuite de données", "fuite de documents"]),  # what follows most
    ],
)
def test_completions_come_most_frequent_first(
    completing: Engine, typed: str, proposed: list[str]
) -> None:
    assert completing.suggest(typed) == proposed


# --- the edges of the rules ----------------------------------------------------------------------

EDGE_ARTICLES = [
    article("r1", "Le réseau mobile", "Le réseau tient bon."),
    article("m1", "Un mouton", "Le mouton broute."),
]


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with open_index(tmp_path_factory.mktemp("spelling-edges"), [*EDGE_ARTICLES, *filler()]) as e:
        yield e


def test_a_six_letter_word_is_corrected_two_edits_away(edges: Engine) -> None:
    # `resaeu`: six letters, two edits from réseau (a transposition).
    page = edges.search("resaeu")
    assert page.corrected_from == "resaeu" and page.query == "réseau"


def test_a_five_letter_word_is_corrected_one_edit_away_only(edges: Engine) -> None:
    assert edges.search("mouotn").query == "mouton"  # six letters: two edits
    assert edges.search("mutn").corrected_from is None  # four letters, two edits: as typed


def test_a_word_found_as_typed_is_known(edges: Engine) -> None:
    speller = edges._snapshots.view().speller(edges.vocabulary)
    assert speller.known("réseau") is True
    assert speller.known("mouton") is True
    assert speller.known("zzqqx") is False


def test_completing_after_stop_words_only_continues_the_last_one() -> None:
    from search.spelling import _from_last_content_word

    assert _from_last_content_word(["de", "la"]) == ("la",)
    assert _from_last_content_word(["fuite", "de"]) == ("fuite", "de")
    assert _from_last_content_word([]) == ()
