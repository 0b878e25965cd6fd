"""Issue 12 as a user meets it: the word asked for before its cousins, protected tech words
and synonyms, suggestions that know the archive, completions in context, snippets and tags —
through the engine, `fouille search`, the JSON API and the result page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from faults import REPO, run_fouille
from flask import Flask
from flask.testing import FlaskClient

from search import Engine, Settings
from tests.articles import build_index
from tests.corpora import article, filler, ids
from tests.webserver import hit_ids, page_of
from web import create_app

ARTICLES = [
    article("donnees", "Fuite de données chez un hébergeur", "Des données de santé exposées."),
    article("donnez", "Donnez votre avis", "Donner son avis en ligne, c’est utile."),
    article("rgpd", "Le RGPD a cinq ans", "Le règlement protège les citoyens européens."),
    article("gdpr", "Une amende record", "The GDPR fine hits the social network in Dublin."),
    article("ia-mots", "Une jeune pousse", "Elle mise sur l’intelligence artificielle."),
    article("ia-sigle", "L’IA au bureau", "Des outils d’IA partout, selon une étude."),
    article(
        "ia-loin", "Un terrain rare", "Une intelligence de jeu rare sur une herbe artificielle."
    ),
    article("windows", "Windows 11 arrive", "Microsoft publie Windows 11 pour tous."),
    article("window", "Une fusée prête", "La fenêtre de tir, la launch window, est courte."),
    article("aussi", "Le ministre parle aussi", "Il parle aussi de budget et aussi d’impôts."),
    article("aequo", "Deux coureurs à égalité", "Ils finissent ex æquo au sprint."),
    article("melenchon", "Jean-Luc Mélenchon en meeting", "Mélenchon parle à Marseille."),
    article("evenement", "Un événement majeur", "L’événement attire la foule."),
    article("vie-privee", "La vie privée en ligne", "Protéger sa vie privée sur le web."),
    article("vie-privee-2", "Vie privée et cookies", "La vie privée des internautes."),
    article("vie-prix", "Le prix de la vie", "La vie chère : les prix montent, la vie aussi."),
    article("orange", "Orange baisse ses prix", "L’opérateur Orange revoit ses forfaits."),
    article("orange-couleur", "Au marché", "Des oranges pressées chaque matin."),
    article("france-telecom", "France Télécom change de nom", "L’ancien monopole public."),
    *filler(),
]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_index(tmp_path_factory.mktemp("precision") / "index", ARTICLES)


@pytest.fixture(scope="module")
def engine(settings: Settings) -> Iterator[Engine]:
    with Engine.open(settings) as opened:
        yield opened


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[Flask]:
    application = create_app(settings, config={"TESTING": True})
    yield application
    application.extensions["fouille"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def fouille(*args: str, **settings: object) -> tuple[int, str]:
    done = run_fouille(*args, cwd=REPO, **settings)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout


# --- the word asked for, before its cousins ----------------------------------------------------


def test_donnees_finds_the_word_not_donner(engine: Engine) -> None:
    assert ids(engine.search("données")) == ["donnees"]
    assert ids(engine.search("donner")) == ["donnez"]


def test_no_mark_on_donnez_for_donnees(engine: Engine, client: FlaskClient) -> None:
    hit = engine.search("données").hits[0]
    assert "<mark>données</mark>" in hit.title_snippet.html()
    doc = page_of(client, "/search?q=donn%C3%A9es")
    marks = [m.text_content() for m in doc.xpath("//mark")]
    assert marks and all(m.lower() == "données" for m in marks)


# --- protected words and synonyms --------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["RGPD", "rgpd", "GDPR", "règlement général sur la protection des données"]
)
def test_rgpd_and_gdpr_find_each_other(engine: Engine, query: str) -> None:
    assert set(ids(engine.search(query))) == {"rgpd", "gdpr"}


def test_a_synonym_is_highlighted_too(engine: Engine) -> None:
    page = engine.search("RGPD")
    gdpr = next(hit for hit in page.hits if hit.id == "gdpr")
    assert "<mark>GDPR</mark>" in gdpr.snippet.html()
    assert page.suggestion is None and page.corrected_from is None


@pytest.mark.parametrize("query", ["IA", "ia", "l’IA"])
def test_ia_finds_intelligence_artificielle_as_a_phrase(engine: Engine, query: str) -> None:
    """The synonym is a phrase: the two words apart (`ia-loin`) are not it."""
    assert set(ids(engine.search(query))) == {"ia-mots", "ia-sigle"}


def test_intelligence_artificielle_finds_ia(engine: Engine) -> None:
    """Typed as two words, they are still two words (`ia-loin`), and `IA` comes along."""
    found = ids(engine.search("intelligence artificielle"))
    assert set(found) == {"ia-mots", "ia-sigle", "ia-loin"}
    assert found[-1] == "ia-loin"


def test_a_protected_word_is_never_stemmed(engine: Engine) -> None:
    assert ids(engine.search("windows")) == ["windows"]
    assert ids(engine.search("Windows 11")) == ["windows"]
    assert "windows" in ids(engine.search("window"))  # the plain word keeps its stem


@pytest.mark.parametrize("query", ["ANSSI", "anssi", "RGPD", "ex aequo", "ex æquo", "Arcep"])
def test_nothing_is_proposed_for_protected_words_and_no_ops(engine: Engine, query: str) -> None:
    page = engine.search(query)
    assert page.suggestion is None and page.corrected_from is None, query
    assert page.query == query


@pytest.mark.parametrize(
    ("typed", "corrected"), [("evenemnt", "événement"), ("Melanchon", "Mélenchon")]
)
def test_a_typo_shows_the_corrected_results(engine: Engine, typed: str, corrected: str) -> None:
    page = engine.search(typed)
    assert (page.query, page.corrected_from) == (corrected, typed)
    assert page.total == engine.search(corrected).total > 0


def test_protected_words_and_synonyms_extend_from_the_settings(tmp_path: Path) -> None:
    plain = build_index(tmp_path / "plain", ARTICLES)
    with Engine.open(plain) as engine:
        assert set(ids(engine.search("orange"))) == {"orange", "orange-couleur"}
        assert ids(engine.search("france telecom")) == ["france-telecom"]
    extended = build_index(
        tmp_path / "extended",
        ARTICLES,
        protected_words=("Orange",),
        synonyms=(("Orange", "France Télécom"),),
    )
    with Engine.open(extended) as engine:
        # `Orange` as written, never `oranges`; and the operator's former name.
        assert set(ids(engine.search("Orange"))) == {"orange", "france-telecom"}
        assert set(ids(engine.search("france télécom"))) == {"france-telecom", "orange"}
        assert engine.search("orange").suggestion is None


# --- completions in context --------------------------------------------------------------------


def test_completion_follows_the_words_before(engine: Engine, client: FlaskClient) -> None:
    assert engine.suggest("vie pri")[0] == "vie privée"
    assert engine.suggest("pri")[0] != "vie privée"
    data = client.get("/api/suggest?q=vie%20pri").get_json()
    assert data[0] == "vie pri" and data[1][0] == "vie privée"


def test_completion_keeps_an_elided_article(engine: Engine) -> None:
    assert engine.suggest("fuite de don")[0] == "fuite de données"


# --- through the command line, the API and the page --------------------------------------------


@pytest.mark.parametrize("query", ["RGPD", "ANSSI", "ex aequo"])
def test_cli_proposes_nothing(settings: Settings, query: str) -> None:
    code, out = fouille("search", query, "--index", str(settings.index_dir))
    assert "Did you mean" not in out and "Showing results for" not in out
    data = json.loads(fouille("search", query, "--json", "--index", str(settings.index_dir))[1])
    assert (data["suggestion"], data.get("corrected_from")) == (None, None)
    assert code == (0 if data["total"] else 1)


def test_cli_finds_gdpr_for_rgpd_and_corrects_a_typo(settings: Settings) -> None:
    code, out = fouille("search", "RGPD", "--index", str(settings.index_dir))
    assert code == 0 and "Une amende record" in out and "Le RGPD a cinq ans" in out
    code, out = fouille("search", "evenemnt", "--index", str(settings.index_dir))
    assert code == 0 and out.startswith("Showing results for: événement")


def test_cli_reads_protected_words_and_synonyms_from_fouille_toml(
    settings: Settings, tmp_path: Path
) -> None:
    config = tmp_path / "fouille.toml"
    config.write_text(
        'protected_words = ["Orange"]\nsynonyms = [["Orange", "France Télécom"]]\n',
        encoding="utf-8",
    )
    args = ("search", "Orange", "--json", "--index", str(settings.index_dir))
    data = json.loads(fouille(*args, "--config", str(config))[1])
    assert {h["id"] for h in data["hits"]} == {"orange", "france-telecom"}
    plain = json.loads(fouille(*args)[1])
    assert {h["id"] for h in plain["hits"]} == {"orange", "orange-couleur"}


@pytest.mark.parametrize("query", ["RGPD", "ANSSI", "ex aequo", "anssi"])
def test_api_and_page_propose_nothing(client: FlaskClient, query: str) -> None:
    data = client.get(f"/api/search?q={query}").get_json()
    assert (data["suggestion"], data["corrected_from"]) == (None, None)
    doc = page_of(client, f"/search?q={query}")
    assert not doc.xpath("//p[@class='did-you-mean']") and not doc.xpath("//p[@class='corrected']")


def test_api_and_page_show_the_corrected_results(client: FlaskClient) -> None:
    data = client.get("/api/search?q=evenemnt").get_json()
    assert (data["query"], data["corrected_from"]) == ("événement", "evenemnt")
    assert [hit["id"] for hit in data["hits"]] == ["evenement"]
    doc = page_of(client, "/search?q=evenemnt")
    (note,) = doc.xpath("//p[@class='corrected']")
    assert " ".join(note.text_content().split()) == (
        "Résultats pour événement. Rechercher plutôt evenemnt ?"
    )
    assert hit_ids(doc) == ["evenement"]


def test_api_and_page_find_synonyms(client: FlaskClient) -> None:
    data = client.get("/api/search?q=IA").get_json()
    assert {hit["id"] for hit in data["hits"]} == {"ia-mots", "ia-sigle"}
    assert set(hit_ids(page_of(client, "/search?q=IA"))) == {"ia-mots", "ia-sigle"}
