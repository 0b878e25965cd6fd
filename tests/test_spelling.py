"""Spelling correction as users meet it: a word the archive does not know is searched as the
closest word it knows (same first letter; one edit, two for long words), spelt as the
articles spell it; known words, compounds and words too far off stay as typed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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


def test_a_correction_is_spelt_as_most_articles_spell_it(tmp_path: Path) -> None:
    # The first article writes it without its accent, three others with it.
    spelt = [
        article("s0", "Une election", "Le vote."),
        *(article(f"s{n}", f"Une élection numéro {n}", "Le vote.") for n in range(1, 4)),
    ]
    with open_index(tmp_path, [*spelt, *filler()]) as engine:
        assert engine.search("electoin").query == "élection"


def test_a_word_only_seen_at_sentence_starts_takes_its_most_frequent_form(tmp_path: Path) -> None:
    starts = [
        article("c1", "Élection au conseil", ""),
        article("c2", "Élection au bureau", ""),
        article("c3", "Election au comité", ""),
    ]
    with open_index(tmp_path, [*starts, *filler()]) as engine:
        assert engine.search("electoin").query == "élection"


def test_completions_are_the_most_frequent_words_when_more_start_alike(tmp_path: Path) -> None:
    frequent = [
        *(article(f"a{n}", f"Programme {n}") for n in range(4)),
        *(article(f"b{n}", f"Projet {n}") for n in range(3)),
        *(article(f"c{n}", f"Produit {n}") for n in range(2)),
    ]
    with open_index(tmp_path, [*frequent, *filler()]) as engine:
        assert engine.suggest("pro", limit=2) == ["programme", "projet"]


def test_completions_scan_the_first_two_thousand_words_of_a_prefix(tmp_path: Path) -> None:
    # 2,000 title words zqa0000…zqa1999 (eight titles of 250) come first in the term list;
    # zqazzz, more frequent but the 2,001st, is past the scan.
    many = [
        article(f"many{k}", " ".join(f"zqa{n:04d}" for n in range(250 * k, 250 * (k + 1))))
        for k in range(8)
    ]
    late = [article(f"late{n}", f"zqazzz {n}") for n in range(3)]
    with open_index(tmp_path, [*many, *late, *filler()]) as engine:
        assert engine.suggest("zqa1999", limit=8) == ["zqa1999"]
        assert "zqazzz" not in engine.suggest("zqa", limit=8)


def test_after_other_words_a_completion_found_beside_them_comes_first(tmp_path: Path) -> None:
    # "privée" is in the three articles about "vie", "prison" in one of them but in more
    # articles overall: neither follows "vie", so the one found beside it more often wins.
    beside = [article(f"v{n}", f"Privée, la vie de château {n}") for n in range(3)]
    elsewhere = [article(f"p{n}", f"La prison {n}") for n in range(5)]
    both = article("vp", "Prison à vie", "")
    with open_index(tmp_path, [*beside, *elsewhere, both, *filler()]) as engine:
        proposed = engine.suggest("vie pri")
        assert proposed.index("vie privée") < proposed.index("vie prison")
