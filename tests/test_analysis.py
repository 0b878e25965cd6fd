"""The French analysis chain: what users type must meet what articles say."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from articles import build_index

from search import Article, Engine
from search.analysis import STOP_WORDS, fold, snowball_stem, terms

MEETS = [
    # accents and case
    ("ecole", "École"),
    ("ÉCOLE", "une école"),
    ("ecole", "ÉCOLE"),
    ("securite", "la sécurité"),
    ("sécurité", "securite informatique"),
    ("privee", "vie privée"),
    ("donnees", "des données"),
    ("evenement", "l’événement"),
    ("numerique", "le numérique"),
    # elisions, with both apostrophes
    ("école", "l’école"),
    ("école", "l'école"),
    ("état", "d’État"),
    ("Orange", "qu’Orange"),
    ("arrivée", "jusqu’à l’arrivée"),
    ("Europe", "lorsqu’Europe"),
    ("aujourd’hui", "aujourd'hui"),
    ("aujourd'hui", "aujourd’hui"),
    ("aujourdhui", "aujourd’hui"),
    ("enquête", "quoiqu’enquête"),
    ("ordinateur", "puisqu’ordinateur"),
    # ligatures
    ("oeuvre", "œuvre"),
    ("œuvre", "oeuvre"),
    ("coeur", "cœur"),
    ("caecum", "cæcum"),
    # compounds: by the whole and by the parts
    ("wifi", "Wi-Fi"),
    ("Wi-Fi", "wifi"),
    ("fi", "Wi-Fi"),
    ("peut-être", "peut-être"),
    ("peutetre", "peut-être"),
    ("France", "Île-de-France"),
    ("ile-de-france", "Île-de-France"),
    ("opensource", "open-source"),
    ("source", "open-source"),
    # numbers and acronyms
    ("5G", "la 5G"),
    ("5g", "5G"),
    ("RGPD", "le rgpd"),
    ("x86", "processeurs x86"),
    ("Windows 11", "sous Windows 11"),
    ("11", "Windows 11"),
    ("C++", "le langage C++"),
    ("ARM64", "arm64"),
    # content words that are not stop words
    ("été", "cet été"),
    ("ete", "cet été"),
    ("est", "l’Est"),
    # plurals and verb forms (as far as Snowball goes)
    ("élection", "élections"),
    ("elections", "élection"),
    ("réseau", "réseaux"),
    ("hôpital", "hôpitaux"),
    ("publication", "publications"),
    ("publié", "publier"),
    ("annonce", "annoncera"),
    ("chevaux", "cheval"),
]


@pytest.mark.parametrize(("query", "text"), MEETS)
def test_query_finds_text(index: Engine, query: str, text: str) -> None:
    assert text in found(index, query), (terms(query), terms(text))


DIFFERENT = [
    ("école", "écologie"),
    ("aujourd", "aujourd’hui"),
    ("wifi", "wiki"),
    ("été", "état"),
    ("5G", "4G"),
    ("C++", "C#"),
]


@pytest.mark.parametrize(("query", "text"), DIFFERENT)
def test_different_words_stay_apart(index: Engine, query: str, text: str) -> None:
    assert text not in found(index, query)


def found(engine: Engine, query: str) -> set[str]:
    """The texts (stored as titles) that a query finds."""
    return {hit.title for hit in engine.search(query, page_size=100).hits}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    """One real index holding every text of the tables above as the title of an article."""
    texts = sorted({text for _, text in MEETS + DIFFERENT})
    articles = [
        Article(id=str(n), url="", title=text, published=NOW) for n, text in enumerate(texts)
    ]
    settings = build_index(tmp_path_factory.mktemp("analysis") / "index", articles)
    with Engine.open(settings) as engine:
        yield engine


NOW = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("word", ["les", "des", "du", "au", "aux", "le", "la", "de", "et"])
def test_function_words_are_stop_words(word: str) -> None:
    assert terms(word) == []
    assert word in STOP_WORDS


@pytest.mark.parametrize("word", ["été", "est", "plus", "France", "vie"])
def test_content_words_are_kept(word: str) -> None:
    assert terms(word)


def test_exact_flavour_keeps_every_word_folded() -> None:
    assert terms("Le Conseil d’État et les élections", stemming=False) == [
        "le",
        "conseil",
        "etat",
        "et",
        "les",
        "elections",
    ]


def test_offsets_point_into_the_original_text() -> None:
    from search.analysis import analyze

    text = "L’École d'été : Wi-Fi"
    spans = {term: text[s:e] for _, term, s, e in analyze(text)}
    assert spans["ecol"] == "École"
    assert spans["ete"] == "été"
    assert spans["wif"] == "Wi-Fi"


def test_fold_keeps_display_text_untouched() -> None:
    assert fold("Œuvre ÉCOLE") == "oeuvreecole"
    assert fold("plain") == "plain"


@pytest.mark.parametrize(
    ("text", "stemmed", "exact"),
    [
        ("", [], []),
        ("\x00\x01", [], []),
        ("x\x00y", ["x"], ["x", "y"]),  # `y` is a stop word
        ("’’’", [], []),
        ("l’’école", ["ecol"], ["l", "ecole"]),
        ("-" * 1000, [], []),
        ("--wi--fi--", ["wi", "fi"], ["wi", "fi"]),
        ("a" * 10_000, [], []),  # over the 64-character cap
        ("🙂 日本語 ﷺ", ["ribenyu"], ["ribenyu"]),  # transliterated, symbols dropped
        ("\ud800", [], []),
        ("\u200bmot", ["mot"], ["mot"]),
        ("ß", ["ss"], ["ss"]),
    ],
)
def test_garbage_never_breaks_the_analyzer(text: str, stemmed: list, exact: list) -> None:
    from search.analysis import MAX_TOKEN_LENGTH, analyze, normalize

    assert terms(text) == stemmed
    assert terms(text, stemming=False) == exact
    for stemming in (True, False):
        last = 0
        for pos, term, start, end in analyze(text, stemming=stemming):
            assert 0 < len(term) <= MAX_TOKEN_LENGTH
            assert 0 <= start < end <= len(normalize(text))
            assert pos >= last
            last = pos


@pytest.mark.corpus
def test_stemmer_agrees_with_the_snowball_reference(corpus) -> None:
    """PyStemmer against the current Snowball French reference vocabulary: 100%."""
    folder = corpus / "snowball-french"
    words = (folder / "voc.txt").read_text(encoding="utf-8").split()
    expected = (folder / "output.txt").read_text(encoding="utf-8").split()
    assert len(words) == len(expected) > 20_000
    wrong = [
        (w, e, snowball_stem(w))
        for w, e in zip(words, expected, strict=True)
        if snowball_stem(w) != e
    ]
    assert wrong == [], f"{len(wrong)} of {len(words)} disagree, e.g. {wrong[:5]}"
