"""Edges of the French analysis: the token length cap, every apostrophe and hyphen Unicode
has, compound positions (what phrases rely on), stop words, `aujourd’hui`, ligatures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from search import Engine
from search.analysis import (
    MAX_TOKEN_LENGTH,
    STOP_WORDS,
    FrenchTokenizer,
    analyze,
    inflections,
    normalize,
    terms,
)
from search.vocabulary import run_key, term_key
from tests.corpora import article, ids, open_index

# --- the 64-character cap ---------------------------------------------------------------------


def test_the_cap_is_sixty_four_characters() -> None:
    assert MAX_TOKEN_LENGTH == 64


def test_a_sixty_four_character_word_is_kept_and_a_longer_one_dropped() -> None:
    assert terms("a" * 64, stemming=False) == ["a" * 64]
    assert terms("a" * 65, stemming=False) == []
    assert terms("a" * 65) == []
    assert terms("é" * 64, stemming=False) == ["e" * 64]  # characters, not bytes
    assert terms("é" * 65, stemming=False) == []


def test_the_cap_applies_to_each_part_and_to_the_joined_compound() -> None:
    # Parts of 30 + 34: the joined word is 64 characters, kept.
    assert terms("a" * 30 + "-" + "b" * 34, stemming=False) == [
        "a" * 30,
        "b" * 34,
        "a" * 30 + "b" * 34,
    ]
    # 30 + 35: the joined word is 65, dropped; the parts stay.
    assert terms("a" * 30 + "-" + "b" * 35, stemming=False) == ["a" * 30, "b" * 35]
    # A part over the cap is dropped alone.
    assert terms("a" * 65 + "-court", stemming=False) == ["court"]


def test_a_dropped_word_still_takes_its_position() -> None:
    assert [(p, t) for p, t, _, _ in analyze("un " + "x" * 65 + " deux", stemming=False)] == [
        (0, "un"),
        (2, "deux"),
    ]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    articles = [
        article("cap-64", "Mot long", "Le mot " + "z" * 64 + " est là."),
        article("cap-65", "Mot trop long", "Le mot " + "y" * 65 + " est là."),
        article("wifi-7", "Routeurs", "Le Wi-Fi 7 arrive."),
        article("wifi-far", "Routeurs", "Le Wi-Fi arrive. Il y a 7 modèles."),
        article("idf", "Région", "En Île-de-France, les trains."),
        article("dash", "Trajet", "Le train Paris–Lyon est en retard."),
        article("today", "Jour", "Aujourd’hui il pleut."),
        article("coeur", "Cœur", "Le cœur de l’œuvre."),
    ]
    with open_index(tmp_path_factory.mktemp("analysis-edges"), articles) as opened:
        yield opened


def found(engine: Engine, query: str) -> set[str]:
    return set(ids(engine.search(query, page_size=50)))


def test_the_cap_through_the_index(engine: Engine) -> None:
    assert found(engine, "z" * 64) == {"cap-64"}
    assert found(engine, '"mot ' + "z" * 64 + '"') == {"cap-64"}
    assert found(engine, "y" * 65) == set()
    assert found(engine, "y" * 64) == set()  # not a prefix match either


# --- apostrophes ----------------------------------------------------------------------------

APOSTROPHES = ["’", "'", "ʼ", "‘", "`", "´"]


@pytest.mark.parametrize("mark", APOSTROPHES)
def test_every_apostrophe_marks_an_elision(mark: str) -> None:
    assert terms(f"l{mark}école") == ["ecol"]
    assert terms(f"d{mark}État") == ["etat"]
    assert terms(f"qu{mark}Orange") == ["orang"]
    assert terms(f"jusqu{mark}ici") == ["ici"]
    assert terms(f"presqu{mark}île") == ["ile"]
    assert terms(f"L{mark}ÉCOLE", stemming=False) == ["ecole"]


@pytest.mark.parametrize("mark", APOSTROPHES)
def test_every_apostrophe_joins_aujourdhui(mark: str) -> None:
    assert terms(f"aujourd{mark}hui") == ["aujourdhui"]
    assert terms(f"jusqu{mark}aujourd{mark}hui") == ["aujourdhui"]
    assert terms(f"aujourd{mark}hui", stemming=False) == ["aujourdhui"]


@pytest.mark.parametrize("mark", APOSTROPHES)
def test_an_apostrophe_keeps_the_offsets_of_the_word(mark: str) -> None:
    text = f"Dans l{mark}école"
    assert [(t, text[s:e]) for _, t, s, e in analyze(text)] == [("ecol", "école")]
    text = f"Dès aujourd{mark}hui"
    assert [(t, text[s:e]) for _, t, s, e in analyze(text)][-1] == (
        "aujourdhui",
        f"aujourd{mark}hui",
    )


@pytest.mark.parametrize("mark", ["＇", "′"])
def test_rare_apostrophes_still_separate_an_elided_article(mark: str) -> None:
    """U+FF07 and U+2032 are not word characters: `l` is cut off, and is a stop word."""
    assert terms(f"l{mark}école") == ["ecol"]


@pytest.mark.parametrize("mark", ["＇", "′"])
def test_rare_apostrophes_join_aujourdhui(mark: str) -> None:
    assert terms(f"aujourd{mark}hui") == ["aujourdhui"]
    assert terms(f"jusqu{mark}ici") == ["ici"]


def test_aujourdhui_is_one_word_whatever_is_typed(engine: Engine) -> None:
    for query in ["aujourd’hui", "aujourd'hui", "aujourdhui", "AUJOURD’HUI", "aujourdʼhui"]:
        assert found(engine, query) == {"today"}, query
    assert found(engine, "aujourd") == set()
    assert found(engine, "hui") == set()


def test_an_elided_article_alone_is_nothing() -> None:
    assert terms("l’") == []
    assert terms("qu’") == []
    assert terms("’école") == ["ecol"]
    assert terms("entr’ouvert") == ["ouvert"]


# --- hyphens ----------------------------------------------------------------------------------

JOINING = ["-", "\u2010", "\u2011"]  # hyphen-minus, hyphen, non-breaking hyphen
# Dashes and other hyphen-like signs separate words: no joined compound is made.
SEPARATING = ["\u2012", "\u2013", "\u2014", "\u2212", "\ufe63", "\uff0d"]


@pytest.mark.parametrize("mark", JOINING)
def test_hyphens_make_compounds(mark: str) -> None:
    assert terms(f"Wi{mark}Fi") == ["wi", "fi", "wif"]
    assert terms(f"Île{mark}de{mark}France", stemming=False) == [
        "ile",
        "de",
        "france",
        "iledefrance",
    ]
    text = f"le Wi{mark}Fi"
    assert [(t, text[s:e]) for _, t, s, e in analyze(text)] == [
        ("wi", "Wi"),
        ("fi", "Fi"),
        ("wif", f"Wi{mark}Fi"),
    ]


@pytest.mark.parametrize("mark", SEPARATING)
def test_dashes_separate_words(mark: str) -> None:
    assert terms(f"Paris{mark}Lyon", stemming=False) == ["paris", "lyon"]
    assert [p for p, _, _, _ in analyze(f"Paris{mark}Lyon")] == [0, 1]


def test_a_soft_hyphen_is_invisible() -> None:
    assert terms("infor\u00admatique") == terms("informatique")


def test_a_dash_between_words_makes_no_compound(engine: Engine) -> None:
    assert found(engine, "paris lyon") == {"dash"}
    assert found(engine, "parislyon") == set()
    assert found(engine, '"paris lyon"') == {"dash"}


# --- compound positions --------------------------------------------------------------------


def test_a_compound_gives_its_parts_then_the_joined_word_at_the_last_part() -> None:
    assert list(analyze("Wi-Fi 7", stemming=False)) == [
        (0, "wi", 0, 2),
        (1, "fi", 3, 5),
        (1, "wifi", 0, 5),
        (2, "7", 6, 7),
    ]
    assert list(analyze("Le Wi-Fi 7")) == [
        (1, "wi", 3, 5),
        (2, "fi", 6, 8),
        (2, "wif", 3, 8),
        (3, "7", 9, 10),
    ]


def test_the_word_after_a_compound_follows_its_last_part() -> None:
    positions = {t: p for p, t, _, _ in analyze("l’Île-de-France et Paris", stemming=False)}
    assert positions == {
        "ile": 0,
        "de": 1,
        "france": 2,
        "iledefrance": 2,
        "et": 3,
        "paris": 4,
    }


def test_a_stop_word_keeps_its_position_in_the_stemmed_flavour() -> None:
    assert [(p, t) for p, t, _, _ in analyze("réseau de la fibre")] == [(0, "reseau"), (3, "fibr")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"Wi-Fi 7"', {"wifi-7"}),
        ('"wifi 7"', {"wifi-7"}),
        ('"wi fi 7"', {"wifi-7"}),
        ('"le wi-fi 7"', {"wifi-7"}),
        ('"Wi-Fi arrive"', {"wifi-far"}),
        ('"wifi arrive"', {"wifi-far"}),
        ('"fi 7"', {"wifi-7"}),
        ('"wi 7"', set()),
        ("wifi 7", {"wifi-7", "wifi-far"}),
        ('"Île-de-France, les trains"', {"idf"}),
        ('"ile de france les trains"', {"idf"}),
        ('"iledefrance les trains"', {"idf"}),
        ('"en france"', set()),  # `en` is next to `Île`, not to `France`
        ('"en île"', {"idf"}),
    ],
)
def test_phrases_over_compounds(engine: Engine, query: str, expected: set[str]) -> None:
    assert found(engine, query) == expected


# --- stop words, ligatures, normalisation ----------------------------------------------------


@pytest.mark.parametrize(
    "word",
    ["le", "la", "les", "l", "d", "de", "des", "du", "au", "aux", "un", "une", "et", "ou", "où",
     "à", "en", "dans", "par", "pour", "sur", "qui", "que", "ne", "pas", "y", "sont", "ont"],
)  # fmt: skip
def test_stop_words_are_dropped_from_recall_but_kept_exact(word: str) -> None:
    assert word in STOP_WORDS
    assert terms(word) == []
    assert terms(word, stemming=False) != []


@pytest.mark.parametrize("word", ["été", "est", "être", "avoir", "fait", "non", "plus", "tout"])
def test_content_words_are_not_stop_words(word: str) -> None:
    assert word not in STOP_WORDS
    assert terms(word) != []


def test_a_query_of_stop_words_only_finds_nothing(engine: Engine) -> None:
    assert engine.search("le la les de").total == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("œuvre", ["oeuvr"]),
        ("ŒUVRE", ["oeuvr"]),
        ("cœur", ["coeur"]),
        ("Œdipe", ["oedip"]),
        ("cæcum", ["caecum"]),
        ("ﬁnance", ["financ"]),
        ("ﬂeur", ["fleur"]),
        ("e\u0301cole", ["ecol"]),  # a combining accent, composed first
    ],
)
def test_ligatures_and_combining_accents(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


def test_ligatures_through_the_index(engine: Engine) -> None:
    assert found(engine, "coeur") == found(engine, "cœur") == {"coeur"}
    assert found(engine, "oeuvre") == {"coeur"}
    assert found(engine, '"le coeur de l’oeuvre"') == {"coeur"}


def test_offsets_index_the_normalized_text() -> None:
    text = "une e\u0301cole"
    assert normalize(text) == "une école"
    assert [(t, normalize(text)[s:e]) for _, t, s, e in analyze(text)] == [("ecol", "école")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C++ et C#", ["c++", "c#"]),
        ("x86-64", ["x86", "64", "x8664"]),
        ("la 5G", ["5g"]),
        ("2024", ["2024"]),
        ("1er", ["1er"]),
        ("snake_case", ["snak", "cas"]),
    ],
)
def test_codes_and_numbers(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


def test_the_tokenizer_is_the_same_analysis() -> None:
    """The Whoosh tokenizer emits exactly what `analyze` gives, with positions and offsets."""
    text = "L’Île-de-France et le Wi-Fi 7, aujourd’hui."
    for stemming in (True, False):
        tokens = [
            (t.pos, t.text, t.startchar, t.endchar)
            for t in FrenchTokenizer(stemming)(text, positions=True, chars=True)
        ]
        assert tokens == list(analyze(text, stemming=stemming))
    # A second value of a multi-valued field continues after the first.
    shifted = FrenchTokenizer(True)(
        "le Wi-Fi", positions=True, chars=True, start_pos=5, start_char=100
    )
    assert [(t.pos, t.text, t.startchar, t.endchar) for t in shifted] == [
        (6, "wi", 103, 105),
        (7, "fi", 106, 108),
        (7, "wif", 103, 108),
    ]
    assert FrenchTokenizer(True) == FrenchTokenizer(True) != FrenchTokenizer(False)
    assert hash(FrenchTokenizer(False)) == hash(FrenchTokenizer(False))


# --- inflections: what a plain word matches exactly --------------------------------------------


@pytest.mark.parametrize(
    ("word", "forms"),
    [
        ("journal", ("journal", "journals", "journaux")),
        ("journaux", ("journaux", "journal", "journals")),
        ("châteaux", ("chateaux", "chateau", "chateaus")),
        ("utilisateur", ("utilisateur", "utilisateurs", "utilisatrice", "utilisatrices")),
        ("utilisatrice", ("utilisatrice", "utilisateur", "utilisateurs", "utilisatrices")),
        ("sportive", ("sportive", "sportif", "sportifs", "sportives")),
        ("actrices", ("actrices", "acteur", "acteurs", "actrice")),
        # -euse is the feminine of -eux as well as of -eur, and another -teur than -ateur and
        # -cteur may take -teuse as well as -trice: each guess is kept (a non-word matches
        # nothing).
        ("heureuse", ("heureuse", "heureur", "heureurs", "heureuses", "heureux")),
        ("heureux", ("heureux", "heureu", "heureus", "heureuse", "heureuses")),
        (
            "chanteur",
            ("chanteur", "chanteurs", "chanteuse", "chanteuses", "chantrice", "chantrices"),
        ),
        ("autrice", ("autrice", "auteur", "auteurs", "autrices")),
        ("parisiennes", ("parisiennes", "parisien", "parisienne", "parisiens")),
        ("données", ("donnees", "donnee")),
        # Too short, or not a word of letters: no inflection is guessed.
        ("vols", ("vols", "vol")),  # four letters: inflected
        ("pas", ("pas",)),
        ("bus", ("bus",)),
        ("covid19", ("covid19",)),
        ("mp3s", ("mp3s",)),
        ("", ()),
    ],
)
def test_inflections_of_a_word(word: str, forms: tuple[str, ...]) -> None:
    assert inflections(word) == forms


@pytest.mark.parametrize(
    ("run", "key"),
    [("Wi-Fi", "wifi"), ("l'IA", "ia"), ("L’Élysée", "elysee"), ("l'", ""), ("---", "")],
)
def test_the_vocabulary_key_of_a_word_run(run: str, key: str) -> None:
    assert run_key(run) == key


def test_a_terms_key_skips_runs_with_no_word() -> None:
    assert term_key("le Wi-Fi --- de l'IA") == ("le", "wifi", "de", "ia")


def test_the_tokenizer_keeps_each_word_as_written_when_whoosh_asks() -> None:
    """Whoosh's `keeporiginal`: each token carries the text it came from, as written."""
    text = "Les Données publiques de l’État"
    tokens = [
        (t.text, t.original) for t in FrenchTokenizer(True)(text, keeporiginal=True, chars=True)
    ]
    # données is indexed under its Snowball stem and its light stem, both from one word.
    assert tokens == [
        ("don", "Données"),
        ("donne", "Données"),
        ("publiqu", "publiques"),
        ("etat", "État"),
    ]
    # Not asked: not kept.
    assert not any(hasattr(t, "original") for t in FrenchTokenizer(True)(text))
