"""Why an article matched (search.explain): its score's parts add up to the score the ranking
gave it, each part is the scoring model's term for that word and field (checked against the
brute-force reference of test_scoring_reference), and the query is shown as it is searched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from search import Engine
from search.analysis import inflections
from search.explain import _label, normalized
from search.plan import Exact, FieldTerms, Prefix, Stems
from search.query import parse
from search.scoring import EXACT, EXACT_TITLE_WEIGHT, EXACT_WEIGHT, STEMMED, TITLE_WEIGHT
from tests.test_scoring_reference import Reference, indexed  # noqa: F401 - the fixture

QUERIES = [
    "fibre",
    "fibres optiques",
    "réseau",
    "reseaux sécurité",
    "Wi-Fi",
    "wifi",
    "sécurité",
    '"fibre optique"',
    '"la fibre"',
    "cyber*",
    "opti*",
    "titre:fibre",
    'titre:"fibre optique"',
    "fibre OU cuivre",
    "(fibre OU cuivre) optique",
    "fibre -optique",
    "fibre SAUF cuivre",
    "tag:politique élections",
    "tag:politique",
    "élections européennes juin",
    "l’optique",
    "zzz OU fibre",
    # Issue 12: exact forms, short stems, protected words and synonyms.
    "données",
    "donner",
    "titre:données",
    "données fibre",
    "données OU avis",  # `avis` finds k, where `don` is not `données`: no part for it
    "IA",
    "Wi-Fi 7",
    "intelligence artificielle",
]


def explained(engine: Engine, query: str, **options: object) -> Iterator[tuple[str, float, object]]:
    page = engine.search(query, page_size=100, explain=True, **options)  # type: ignore[arg-type]
    for hit in page.hits:
        assert hit.explanation is not None
        yield hit.id, hit.score, hit.explanation


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("sort", ["relevance", "fresh", "date"])
def test_the_parts_add_up_to_the_score(
    indexed: tuple[Engine, Reference],  # noqa: F811
    query: str,
    sort: str,
) -> None:
    engine, _ = indexed
    found = list(explained(engine, query, sort=sort))
    assert found or query == "zzz", query
    for doc, score, why in found:
        assert why.score == score  # type: ignore[attr-defined]
        total = sum(part.score for part in why.parts)  # type: ignore[attr-defined]
        assert total == pytest.approx(why.relevance, rel=1e-5, abs=1e-6), doc  # type: ignore[attr-defined]
        if why.freshness is None:  # type: ignore[attr-defined]
            assert total == pytest.approx(score, rel=1e-5, abs=1e-6), doc
        else:
            assert sort == "fresh"
            assert total * why.freshness == pytest.approx(score, rel=1e-5), doc  # type: ignore[attr-defined]
        # Every part was read off a clause the explainer knows: no catch-all part.
        assert all(part.field for part in why.parts), why  # type: ignore[attr-defined]


def test_explaining_changes_nothing_else(indexed: tuple[Engine, Reference]) -> None:  # noqa: F811
    engine, _ = indexed
    for query in QUERIES:
        plain = engine.search(query, page_size=100)
        explained_page = engine.search(query, page_size=100, explain=True)
        assert [(h.id, h.score) for h in plain.hits] == [
            (h.id, h.score) for h in explained_page.hits
        ]
        assert all(h.explanation is None for h in plain.hits)
        assert plain.normalized is None and explained_page.normalized is not None


def parts(engine: Engine, query: str) -> dict[str, dict[tuple[str, str], float]]:
    """id → {(field, term): score} of every hit."""
    return {
        doc: {(p.field, p.term): p.score for p in why.parts}  # type: ignore[attr-defined]
        for doc, _, why in explained(engine, query)
    }


def test_a_word_is_its_text_part_plus_its_weighted_title_part(
    indexed: tuple[Engine, Reference],  # noqa: F811
) -> None:
    engine, ref = indexed
    text, title = ref.term("text", "fibr"), ref.term("title", "fibr", TITLE_WEIGHT)
    found = parts(engine, "fibre")
    assert set(found) == set(text) | set(title)
    for doc, got in found.items():
        assert got.get(("text", "fibr"), 0.0) == pytest.approx(text.get(doc, 0.0), rel=1e-5)
        assert got.get(("title", "fibr"), 0.0) == pytest.approx(title.get(doc, 0.0), rel=1e-5)
    (a,) = [
        p
        for _, _, why in explained(engine, "fibre")
        for p in why.parts
        if p.field == "title" and p.term == "fibr"
    ][:1]  # type: ignore[attr-defined]
    assert a.weight == TITLE_WEIGHT and a.tf == 1 and a.clause == "fibre"


def test_a_phrase_is_one_part_per_exact_field(indexed: tuple[Engine, Reference]) -> None:  # noqa: F811
    engine, ref = indexed
    body = ref.phrase(["fibre", "optique"], "body_exact", EXACT_WEIGHT)
    title = ref.phrase(["fibre", "optique"], "title_exact", EXACT_WEIGHT * EXACT_TITLE_WEIGHT)
    for doc, got in parts(engine, '"fibre optique"').items():
        assert set(got) <= {("body_exact", "fibre optique"), ("title_exact", "fibre optique")}
        assert got.get(("body_exact", "fibre optique"), 0.0) == pytest.approx(
            body.get(doc, 0.0), rel=1e-5
        )
        assert got.get(("title_exact", "fibre optique"), 0.0) == pytest.approx(
            title.get(doc, 0.0), rel=1e-5
        )
    for _, _, why in explained(engine, 'titre:"fibre optique"'):
        # Each part names the clause as it was typed.
        assert {p.clause for p in why.parts} == {'titre:"fibre optique"'}  # type: ignore[attr-defined]


def test_spellings_and_prefixes_show_the_one_that_counted(
    indexed: tuple[Engine, Reference],  # noqa: F811
) -> None:
    engine, ref = indexed
    best = ref.prefix("cyber")
    for doc, got in parts(engine, "cyber*").items():
        (word,) = {term for _, term in got}  # one word of the prefix counted
        assert word.startswith("cyber")
        assert sum(got.values()) == pytest.approx(best[doc], rel=1e-5)
    # `sécurité` has two stems (secur, securit): one of them, never both.
    for got in parts(engine, "sécurité").values():
        assert len({term for field, term in got if field in STEMMED}) == 1


def test_a_word_adds_its_exact_forms_to_its_stem(
    indexed: tuple[Engine, Reference],  # noqa: F811
) -> None:
    """`données`: its best stem where it counts, plus one pseudo-term of its forms in each
    exact field; `donner` shares the stem `don` but not the beginning (k has no part)."""
    engine, ref = indexed
    forms = set(inflections("données"))
    exact = ref.exact(forms)
    found = parts(engine, "données")
    assert set(found) == {"j", "l"}
    for doc, got in found.items():
        assert {term for field, term in got if field in EXACT} == {"/".join(inflections("données"))}
        in_exact = sum(score for (field, _), score in got.items() if field in EXACT)
        assert in_exact == pytest.approx(exact[doc], rel=1e-5)
        stem = sum(score for (field, _), score in got.items() if field in STEMMED)
        assert stem + in_exact == pytest.approx(ref.word("données")[doc], rel=1e-5)


def test_protected_words_and_synonyms_are_explained(
    indexed: tuple[Engine, Reference],  # noqa: F811
) -> None:
    """`IA` is searched as written (no stem part) or as its synonym, a phrase."""
    engine, _ = indexed
    (why,) = [why for _, _, why in explained(engine, "IA")]
    assert why.parts and all(p.field in EXACT for p in why.parts)  # type: ignore[attr-defined]
    assert {p.clause for p in why.parts} == {"IA"}  # type: ignore[attr-defined]


def test_clauses_are_named_as_typed(indexed: tuple[Engine, Reference]) -> None:  # noqa: F811
    engine, _ = indexed
    clauses = {
        p.clause
        for _, _, why in explained(engine, "Fibres titre:optique tag:politique OU cyber*")
        for p in why.parts
    }  # type: ignore[attr-defined]
    assert clauses <= {"Fibres", "titre:optique", "tag:politique", "cyber*"}
    (tag,) = [
        p
        for _, _, why in explained(engine, "tag:politique élections")
        for p in why.parts
        if p.field == "tag"
    ]  # type: ignore[attr-defined]
    assert tag.score == 0 and tag.clause == "tag:politique"


def test_the_fallback_and_the_correction_are_explained(
    indexed: tuple[Engine, Reference],  # noqa: F811
) -> None:
    engine, _ = indexed
    page = engine.search("fibre élections", explain=True)  # no article has both
    assert page.fallback and page.hits
    for hit in page.hits:
        assert hit.explanation is not None and hit.explanation.parts
        assert sum(p.score for p in hit.explanation.parts) == pytest.approx(hit.score, rel=1e-5)
    corrected = engine.search("fibbre", explain=True)
    if corrected.corrected_from:
        assert corrected.hits[0].explanation.parts[0].clause == corrected.query  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("typed", "searched"),
    [
        ("l’avion", "avion"),
        ("L'Avion", "avion"),
        ("les élections", "elections"),
        ("Wi-Fi", "wifi"),
        ('"la Fibre"', '"la fibre"'),
        ("titre:Réseaux", "titre:reseaux"),
        ("auteur:Dupont", "auteur:dupont"),
        ("fibre OU cuivre -optique", "fibre OU (cuivre -optique)"),  # as it binds
        ("(vélo OU tram) lyon", "(velo OU tram) lyon"),
        ("numéri*", "numeri*"),
        ("le la les", ""),
        ("aujourd’hui", "aujourdhui"),
    ],
)
def test_the_query_as_searched(typed: str, searched: str) -> None:
    assert normalized(parse(typed)) == searched


def test_a_clause_without_typed_text_is_labelled_from_its_plan() -> None:
    assert _label(Stems(("secur", "securit"))) == "secur/securit"
    assert _label(Exact(("fibre", "optique"))) == '"fibre optique"'
    assert _label(Prefix("cyber")) == "cyber*"
    assert _label(FieldTerms("tags", ("politique",))) == "tags:politique"


def test_an_article_page_explains_it_as_the_result_list_did(
    indexed: tuple[Engine, Reference],  # noqa: F811
) -> None:
    engine, _ = indexed
    for query in ("fibre élections", "fibre optique"):  # through the fallback, then not
        listed = engine.search(query, explain=True)
        assert listed.fallback == (query == "fibre élections") and listed.hits
        for hit in listed.hits[:3]:
            page = engine.article(hit.id, query=query, explain=True)
            assert page is not None and page.explanation is not None
            assert page.explanation == hit.explanation, (query, hit.id)
