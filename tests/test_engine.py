"""The search engine through its facade, on a real index on disk."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from articles import ARTICLES, when
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from search import (
    Article,
    Engine,
    IndexNotFoundError,
    IndexOutdatedError,
    InvalidFilterError,
    Settings,
)


@pytest.fixture
def full(engine: Engine) -> Engine:
    with engine.writer() as writer:
        for article in ARTICLES:
            writer.upsert(article)
    return engine


def ids(page) -> list[str]:
    return [hit.id for hit in page.hits]


# --- the query language --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("vie privee", {"rgpd-cnil", "elections-vote", "conseil-etat"}),
        ("élection", {"elections-vote"}),
        ("hopital", {"hopitaux"}),
        ("reseaux", {"reseau-5g", "fresh-5g"}),
        ("wifi", {"reseau-5g"}),
        ("oeuvre", {"windows-11"}),
        ("c++ arm64", {"windows-11"}),
        ("evenement", {"hopitaux"}),
        ('"Conseil d’État"', {"rgpd-cnil", "conseil-etat"}),
        ('"conseil d\'etat"', {"rgpd-cnil", "conseil-etat"}),
        ('"ministère de la Santé"', {"hopitaux"}),
        ("5G -campagnes", {"reseau-5g"}),
        ("5G SAUF campagnes", {"reseau-5g"}),
        ("hôpitaux OR passeports", {"hopitaux", "conseil-etat"}),
        ("hôpitaux OU passeports", {"hopitaux", "conseil-etat"}),
        ("(hôpitaux OU passeports) ET rançongiciel", {"hopitaux"}),
        ("titre:windows", {"windows-11"}),
        ("titre:état", {"conseil-etat", "conseil-separe"}),
        ("auteur:Petit", {"hopitaux", "conseil-etat"}),
        ('author:"inès petit"', {"hopitaux", "conseil-etat"}),
        ("tag:RGPD", {"rgpd-cnil"}),
        ('tag:"vie privee"', {"rgpd-cnil", "elections-vote", "conseil-etat"}),
        ("feed:autre", {"windows-11"}),
        ("cyber*", {"hopitaux"}),
        ("biométri*", {"conseil-etat"}),
    ],
)
def test_query_language(full: Engine, query: str, expected: set[str]) -> None:
    assert set(ids(full.search(query, page_size=20))) == expected


def test_words_are_anded(full: Engine) -> None:
    assert ids(full.search("5G campagnes")) == ["fresh-5g"]


def test_a_phrase_does_not_match_scattered_words(full: Engine) -> None:
    found = ids(full.search('"conseil d’état"'))
    assert "conseil-separe" not in found
    assert "conseil-separe" in ids(full.search("conseil état"))


def test_title_matches_rank_first(full: Engine) -> None:
    assert ids(full.search("passeports"))[0] == "conseil-etat"
    assert ids(full.search("données"))[0] == "rgpd-cnil"


EVERYTHING = {a.id for a in ARTICLES}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", EVERYTHING),  # no query: every article
        (" ", EVERYTHING),
        ("(((", set()),
        (")))", set()),
        ('"', set()),
        ('"unbalanced', set()),
        ("OR", set()),
        ("AND OR SAUF", set()),
        ("-", set()),
        ("- -x", EVERYTHING),  # an exclusion alone: everything without the word
        ("*", set()),
        ("a*", set()),  # one letter is too short a prefix
        ("titre:", set()),
        ("tag:", set()),
        ("x" * 10_000, set()),
        ("\x00\x01\x1b[31m", set()),
        ("🙂", set()),
        ("日本語", set()),
        ("'; DROP TABLE", set()),
        ("((a OR b) AND (c", set()),
        ("title:(windows OR linux)", {"windows-11"}),
        ("-(5G)", EVERYTHING - {"reseau-5g", "fresh-5g"}),
        ("NOT NOT NOT", set()),
        ("\ud800", set()),
    ],
)
def test_any_query_text_answers(full: Engine, query: str, expected: set[str]) -> None:
    page = full.search(query, page_size=20)
    assert set(ids(page)) == expected
    assert page.total == len(expected)
    assert not page.fallback


@hsettings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_fuzzed_query_text_never_raises(full_module: Engine, text: str) -> None:
    page = full_module.search(text)
    assert page.total == 0 or page.hits


@pytest.fixture(scope="module")
def full_module(articles_index: Settings):
    """An engine on the shared index of ARTICLES (for tests that only read)."""
    with Engine.open(articles_index) as engine:
        yield engine


def test_empty_query_lists_newest_first(full: Engine) -> None:
    page = full.search("", page_size=3)
    assert page.total == len(ARTICLES)
    assert ids(page)[0] == "fresh-5g"


# --- filters, sorts, pages -----------------------------------------------------------------


def test_tags_filter_requires_all_tags(full: Engine) -> None:
    assert set(ids(full.search("", tags=["Vie privée"]))) == {
        "rgpd-cnil",
        "elections-vote",
        "conseil-etat",
    }
    assert ids(full.search("", tags=["vie privee", "rgpd"])) == ["rgpd-cnil"]


def test_dates_are_inclusive(full: Engine) -> None:
    assert ids(full.search("", since="2024-03-15", until="2024-03-15")) == ["rgpd-cnil"]
    assert set(ids(full.search("", since="2024-03", until="2024-03"))) == {
        "rgpd-cnil",
        "elections-vote",
    }
    assert set(ids(full.search("", until="2021"))) == {"hopitaux", "conseil-separe"}
    assert ids(full.search("", since="7d")) == ["fresh-5g"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"since": "2024-13-45"},
        {"until": "hier"},
        {"since": "2024-05", "until": "2024-01"},
        {"sort": "popularity"},
        {"page": 0},
        {"page": -1},
        {"page_size": 10_000},
        {"page_size": 0},
    ],
)
def test_bad_filters_are_clear_errors(full: Engine, kwargs: dict) -> None:
    with pytest.raises(InvalidFilterError) as info:
        full.search("5G", **kwargs)
    assert "\n" not in str(info.value)


def test_author_and_feed_filters(full: Engine) -> None:
    assert set(ids(full.search("", author="Camille Martin"))) == {"rgpd-cnil", "reseau-5g"}
    assert ids(full.search("", feed="https://autre.example/atom.xml")) == ["windows-11"]


def test_sort_by_date_and_freshness(full: Engine) -> None:
    assert ids(full.search("5G", sort="date")) == ["fresh-5g", "reseau-5g"]
    relevance = full.search("5G", sort="relevance")
    fresh = full.search("5G", sort="fresh")
    assert ids(fresh)[0] == "fresh-5g"
    assert fresh.hits[0].score > relevance.hits[ids(relevance).index("fresh-5g")].score


def test_pages_cover_all_hits_once(full: Engine) -> None:
    first = full.search("", page_size=3, page=1)
    assert first.pages == 3
    seen = [i for p in (1, 2, 3) for i in ids(full.search("", page_size=3, page=p))]
    assert sorted(seen) == sorted(a.id for a in ARTICLES)
    assert full.search("", page_size=3, page=9).hits == ()


def test_no_hits_is_still_one_page(full_module: Engine) -> None:
    page = full_module.search("xylophonesque")
    assert page.total == 0 and page.hits == ()
    assert page.pages == 1 and page.page == 1


def test_facets_count_all_matches_not_just_the_page(full: Engine) -> None:
    page = full.search("", tags=["Vie privée"], page_size=1)
    tags = dict(page.facets.tags)
    assert tags["Vie privée"] == 3
    assert tags["RGPD"] == 1
    assert dict(page.facets.months) == {"2023-11": 1, "2024-03": 2}


# --- fallback and suggestions ----------------------------------------------------------------


def test_falls_back_to_partial_matches_and_says_so(full: Engine) -> None:
    page = full.search("passeports licornes")
    assert page.fallback
    assert ids(page) == ["conseil-etat"]
    assert not full.search("passeports").fallback


@pytest.mark.parametrize(
    ("typed", "corrected"),
    [("evenemnt", "événement"), ("passeprots", "passeports"), ("hopitoux", "hôpitaux")],
)
def test_a_typo_shows_the_corrected_results(full: Engine, typed: str, corrected: str) -> None:
    page = full.search(typed)
    assert (page.query, page.corrected_from, page.suggestion) == (corrected, typed, None)
    assert page.total > 0 and page.total == full.search(corrected).total
    literal = full.search(typed, correct=False)
    assert (literal.total, literal.suggestion, literal.corrected_from) == (0, corrected, None)


def test_a_plural_typed_with_an_s_finds_the_x_plural(full: Engine) -> None:
    """`hopitaus` is `hôpitaux` with the -s plural: the plural forms find it, no correction."""
    page = full.search("hopitaus")
    assert page.total == full.search("hôpitaux").total > 0
    assert page.corrected_from is None and page.suggestion is None


@pytest.mark.parametrize("typed", ["evenement", "rancongiciel", "ministere sante", "HOPITAUX"])
def test_no_suggestion_that_the_analyzer_reads_as_the_query(full: Engine, typed: str) -> None:
    page = full.search(typed)
    assert page.total > 0
    assert (page.suggestion, page.corrected_from) == (None, None)


def test_no_suggestion_when_hits_are_plenty(full: Engine) -> None:
    assert full.search("vie privée").suggestion is None


@pytest.mark.parametrize("query", ["santé", "routes", "amende cnil"])
def test_no_suggestion_for_words_the_archive_knows(full: Engine, query: str) -> None:
    assert full.search(query).suggestion is None


def test_no_suggestion_that_finds_nothing_more(full: Engine) -> None:
    assert full.search("licornz", tags=["Santé"]).suggestion is None


# --- snippets ------------------------------------------------------------------------------


def test_snippet_marks_every_inflection_with_accents(full: Engine) -> None:
    hit = full.search("election").hits[0]
    assert "<mark>élections</mark>" in hit.snippet.html()
    assert hit.title_snippet.html().count("<mark>") == 1
    assert "<mark>élections</mark>" in hit.title_snippet.html()


def test_snippet_marks_compounds_and_ligatures(full: Engine) -> None:
    assert "<mark>Wi-Fi</mark>" in full.search("wifi").hits[0].snippet.html()
    assert "<mark>œuvres</mark>" in full.search("oeuvre").hits[0].snippet.html()


def test_snippets_are_short_and_escaped(engine: Engine) -> None:
    body = (
        "Intro. " + "Du texte sans rapport. " * 200 + "<script>alert(1)</script> la fibre optique."
    )
    with engine.writer() as writer:
        writer.upsert(
            Article(id="x", url="", title="<b>Titre</b>", body=body, published=when("2024-01-01"))
        )
    hit = engine.search("fibre").hits[0]
    assert len(hit.snippet.text) < 450
    assert "<mark>fibre</mark>" in hit.snippet.html()
    assert "<script>" not in hit.snippet.html() and "&lt;script&gt;" in hit.snippet.html()
    assert hit.title_snippet.html() == "&lt;b&gt;Titre&lt;/b&gt;"


# --- writing ---------------------------------------------------------------------------------


def test_upsert_adds_skips_and_replaces(engine: Engine) -> None:
    article = ARTICLES[0]
    with engine.writer() as writer:
        assert writer.upsert(article) == "new"
        assert writer.upsert(article) == "unchanged"
    changed = replace(article, body="Nouveau texte sur la fibre.", content_hash="")
    with engine.writer() as writer:
        assert writer.upsert(article) == "unchanged"
        assert writer.upsert(changed) == "updated"
    assert engine.stats().articles == 1
    assert ids(engine.search("fibre")) == [article.id]
    # The old body is gone from the index; the unchanged title still finds the article.
    assert engine.search("amende").total == 0
    assert engine.search('"Commission nationale"').total == 0
    assert ids(engine.search("courtier")) == [article.id]
    assert engine.get(article.id) == changed


def test_an_article_changed_with_replace_is_updated(engine: Engine) -> None:
    """`dataclasses.replace` copies every field, the content hash too: the hash is made
    again from the new fields, so that the change is written, not skipped as unchanged."""
    article = ARTICLES[0]
    with engine.writer() as writer:
        assert writer.upsert(article) == "new"
    stored = engine.get(article.id)
    assert stored is not None and stored.content_hash == article.content_hash
    changed = replace(stored, title="Un titre tout neuf")
    assert changed.content_hash != article.content_hash
    with engine.writer() as writer:
        assert writer.upsert(changed) == "updated"
        assert writer.upsert(stored) == "updated"  # and back
        assert writer.upsert(replace(stored)) == "unchanged"


def test_a_failed_batch_keeps_what_was_committed(engine: Engine) -> None:
    with pytest.raises(RuntimeError), engine.writer(batch_size=2) as writer:
        for article in ARTICLES[:3]:
            writer.upsert(article)
        raise RuntimeError("crash")
    assert engine.stats().articles == 2


def test_commits_are_visible_to_an_open_engine(full: Engine, settings: Settings) -> None:
    assert full.search("fibre").total == 0
    with Engine.open(settings) as other, other.writer() as writer:
        writer.upsert(Article(id="new", url="", title="La fibre", published=when("2024-05-01")))
    assert ids(full.search("fibre")) == ["new"]


def test_rebuild_switches_generations_while_searching(full: Engine, settings: Settings) -> None:
    """A thread searches before, during and after two rebuilds: every answer is complete.

    The rebuilds start only once the thread has searched, and the thread stops only once it
    has searched the last generation, so the loop provably runs across the switches.
    """
    before = full.stats().generation
    errors: list[BaseException] = []
    totals: list[int] = []
    seen = threading.Condition()
    stop = threading.Event()

    def search_loop() -> None:
        try:
            while not stop.is_set():
                total = full.search("5G").total
                with seen:
                    totals.append(total)
                    seen.notify_all()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            with seen:
                seen.notify_all()

    thread = threading.Thread(target=search_loop, daemon=True)
    thread.start()
    with seen:
        assert seen.wait_for(lambda: totals or errors, timeout=60)
    with Engine.open(settings) as other:
        assert other.rebuild() == len(ARTICLES)
        assert other.rebuild() == len(ARTICLES)
    with seen:
        searched_before_the_end = len(totals)
        assert seen.wait_for(
            lambda: len(totals) > searched_before_the_end + 1 or errors, timeout=60
        )
    stop.set()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert errors == []
    assert len(totals) >= 3 and set(totals) == {2}
    assert full.stats().generation == before + 2
    assert full.search("5G").total == 2
    gens = sorted(p.name for p in settings.index_dir.iterdir() if p.name.startswith("gen-"))
    assert len(gens) == 2


def test_get_more_like_stats_and_suggest(full: Engine) -> None:
    article = full.get("rgpd-cnil")
    assert article is not None and article.tags == ("RGPD", "Vie privée")
    assert article.published == when("2024-03-15T09:30:00")
    assert full.get("nope") is None
    related = [hit.id for hit in full.more_like("reseau-5g")]
    assert related and related[0] == "fresh-5g"
    stats = full.stats()
    assert (stats.articles, stats.feeds) == (len(ARTICLES), 2)
    assert stats.oldest == when("2020-05-04T12:00:00")
    assert "réseaux" in full.suggest("rés")
    assert "Vie privée" in full.suggest("vie")
    assert full.suggest("la cyb") == ["la cyberattaque"]


def test_an_outdated_index_says_to_rebuild_and_rebuild_fixes_it(settings: Settings) -> None:
    from whoosh import index as whoosh_index
    from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema

    old = settings.index_dir / "gen-000001"
    old.mkdir(parents=True)
    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(stored=True),
        body=STORED(),
        published=DATETIME(stored=True),
        url=STORED(),
    )
    ix = whoosh_index.create_in(str(old), schema)
    with ix.writer() as writer:
        writer.add_document(
            id="a",
            title="La fibre optique",
            body="Du texte.",
            url="",
            published=when("2024-01-01").replace(tzinfo=None),
        )
    (settings.index_dir / "CURRENT").write_text("gen-000001\n")
    with Engine.open(settings) as engine:
        with pytest.raises(IndexOutdatedError, match="fouille reindex --rebuild"):
            engine.search("fibre")
        assert engine.rebuild() == 1
        assert ids(engine.search("fibre")) == ["a"]


def test_missing_index_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(IndexNotFoundError, match="fouille reindex"):
        Engine.open(Settings(index_dir=tmp_path / "nothing"))


def test_expensive_queries_stay_bounded(full: Engine) -> None:
    """Many prefixes and very long phrases are cut to a size that answers fast."""
    from search.plan import MAX_PHRASE_WORDS, compile_query
    from search.query import parse

    many = " OR ".join(["co*", "de*", "pr*", "re*", "ma*", "pa*", "ca*", "mi*"] * 8)
    assert full.search(many).total > 0
    phrase = compile_query(parse('"' + " ".join(["de la"] * 150) + '"')).plan
    assert len(phrase.words) == MAX_PHRASE_WORDS
    assert ids(full.search("cyber*")) == ["hopitaux"]
