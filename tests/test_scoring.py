"""Ranking order on small literal corpora: what a user sees first, pinned before the rewrite.

Orders and ratio bounds, not exact scores: any BM25-like model that keeps these properties
keeps the user's view of the results. The last section checks the scores themselves against a
brute-force computation of `search.scoring`'s model over the articles' text.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from search import Article, Engine, scoring
from tests.corpora import DAY, article, filler, ids, open_index, scores

# Ten words that no other article of the corpus uses, to pad texts to equal lengths.
PAD = "alpha bravo charlie delta echo foxtrot golf hotel india juliet".split()


def padded(words: list[str], length: int) -> str:
    return " ".join(words + PAD[: length - len(words)])


RANKING = [
    # Title weight: the word once in the title, against three times in the body. The two
    # articles have titles and bodies of the same lengths.
    article("title-once", "Fibre kilo lima", "Mike november oscar papa quebec romeo."),
    article("body-thrice", "Kilo lima mike", "Fibre november fibre papa fibre romeo."),
    # BM25 saturation: ten occurrences against one, in bodies of equal length.
    article("ten-times", "Note", " ".join(["antenne"] * 10)),
    article("one-time", "Note", padded(["antenne"], 10)),
    # Length normalisation: one occurrence in a short body, one in a long one.
    article("short", "Note", "Le pylône rouge."),
    article("long", "Note", "Le pylône " + " ".join(PAD * 4)),
    # Spellings of one word. `sécurité` indexes two stems (secur, securit), porte-avions three
    # terms (wi, fi, wif): a query matching several of them must not count the article twice.
    article("accented", "Note", "La sécurité du réseau."),
    article("compound", "Note", "Le porte-avions du salon."),
    # Two different words, for OR.
    article("both-words", "Note", "Orange et satellite."),
    article("orange-only", "Note", "Orange seulement ici."),
    article("satellite-only", "Note", "Satellite seulement ici."),
    *filler(),
]


@pytest.fixture(scope="module")
def ranked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with open_index(tmp_path_factory.mktemp("ranking"), RANKING) as engine:
        yield engine


def test_a_word_in_the_title_outranks_it_three_times_in_the_body(ranked: Engine) -> None:
    assert ids(ranked.search("fibre")) == ["title-once", "body-thrice"]
    found = scores(ranked, "fibre")
    # The title counts for much more than its repetition in the text: well over twice.
    assert found["title-once"] > 2 * found["body-thrice"]


def test_title_field_alone_ranks_the_same_way(ranked: Engine) -> None:
    assert ids(ranked.search("titre:fibre")) == ["title-once"]


def test_ten_occurrences_do_not_score_ten_times_one(ranked: Engine) -> None:
    found = scores(ranked, "antenne")
    assert ids(ranked.search("antenne")) == ["ten-times", "one-time"]
    ratio = found["ten-times"] / found["one-time"]
    # BM25 saturates: the ratio stays under k1 + 1 (2.2), far from 10.
    assert 1.5 < ratio < 2.5


def test_the_same_occurrence_weighs_more_in_a_short_text(ranked: Engine) -> None:
    assert ids(ranked.search("pylône")) == ["short", "long"]
    found = scores(ranked, "pylone")
    assert found["short"] > 2 * found["long"]


def test_spellings_of_one_word_count_once(ranked: Engine) -> None:
    """`sécurité` searches both its stems (secur, securit); the article scores for the best
    one, not both: as much as `securite` (one stem, the same forms), not that plus `secur`."""
    both = scores(ranked, "sécurité")["accented"]
    first = scores(ranked, "secur")["accented"]
    second = scores(ranked, "securite")["accented"]
    assert both == pytest.approx(second, rel=0.05)
    assert both < second + 0.5 * first


def test_a_compound_scores_its_best_spelling_not_the_sum(ranked: Engine) -> None:
    """`porte-avions` matches as `porteavions` or as `porte` + `avions`: the best of the
    two, not their sum."""
    compound = scores(ranked, "porte-avions")["compound"]
    joined = scores(ranked, "porteavions")["compound"]
    parts = scores(ranked, "porte avions")["compound"]
    assert compound == pytest.approx(max(joined, parts), rel=0.05)
    assert compound < 0.85 * (joined + parts)


@pytest.mark.parametrize("operator", ["OU", "OR", "|"])
def test_or_sums_the_words_an_article_has(ranked: Engine, operator: str) -> None:
    found = scores(ranked, f"orange {operator} satellite")
    assert set(found) == {"both-words", "orange-only", "satellite-only"}
    assert ids(ranked.search(f"orange {operator} satellite"))[0] == "both-words"
    alone = scores(ranked, "orange")["both-words"] + scores(ranked, "satellite")["both-words"]
    assert found["both-words"] == pytest.approx(alone, rel=0.05)


def test_and_sums_the_words_too(ranked: Engine) -> None:
    together = scores(ranked, "orange satellite")
    assert set(together) == {"both-words"}
    alone = scores(ranked, "orange")["both-words"] + scores(ranked, "satellite")["both-words"]
    assert together["both-words"] == pytest.approx(alone, rel=0.05)


# --- sorts -----------------------------------------------------------------------------------

NOW = datetime.now(UTC)
SORTS = [
    # Equally relevant twins: same title, same body, years apart.
    article("twin-old", "Le télescope", "Le télescope observe.", published=DAY),
    article(
        "twin-new", "Le télescope", "Le télescope observe.", published=NOW - timedelta(hours=1)
    ),
    article(
        "twin-month",
        "Le télescope",
        "Le télescope observe.",
        published=NOW - timedelta(days=30),
    ),
    # For the date sort: the most relevant article is the oldest.
    article("relevant-old", "Comète comète", "La comète, la comète.", published=DAY),
    article(
        "weak-new",
        "Le ciel",
        "Une comète " + " ".join(PAD * 3),
        published=NOW - timedelta(days=3),
    ),
    article(
        "weak-middle",
        "Le ciel",
        # Not the same text as weak-new: two identical texts are one story (two versions).
        "Une comète " + " ".join(reversed(PAD * 3)),
        published=DAY + timedelta(days=100),
    ),
    *filler(),
]


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with open_index(tmp_path_factory.mktemp("sorts"), SORTS) as engine:
        yield engine


def test_relevance_ties_equally_relevant_twins(dated: Engine) -> None:
    found = scores(dated, "télescope")
    assert found["twin-old"] == pytest.approx(found["twin-new"])


def test_fresh_puts_the_recent_twin_first(dated: Engine) -> None:
    assert ids(dated.search("télescope", sort="fresh")) == ["twin-new", "twin-month", "twin-old"]


def test_fresh_multiplies_by_one_plus_two_to_the_minus_age_over_half_life(dated: Engine) -> None:
    """README: relevance × (1 + 2^(−age/half-life)), half-life 30 days."""
    fresh = scores(dated, "télescope", sort="fresh")
    plain = scores(dated, "télescope")
    assert fresh["twin-new"] / plain["twin-new"] == pytest.approx(2.0, abs=0.01)
    assert fresh["twin-month"] / plain["twin-month"] == pytest.approx(1.5, abs=0.01)
    assert fresh["twin-old"] / plain["twin-old"] == pytest.approx(1.0, abs=0.01)


def test_relevance_ignores_dates(dated: Engine) -> None:
    assert ids(dated.search("comète"))[0] == "relevant-old"


def test_date_sort_is_newest_first_whatever_the_relevance(dated: Engine) -> None:
    assert ids(dated.search("comète", sort="date")) == ["weak-new", "weak-middle", "relevant-old"]


def test_fresh_does_not_bury_a_far_more_relevant_old_article(dated: Engine) -> None:
    """Freshness at most doubles a score: an article five times as relevant stays first."""
    found = scores(dated, "comète")
    assert found["relevant-old"] > 2 * found["weak-new"]
    assert ids(dated.search("comète", sort="fresh"))[0] == "relevant-old"


# --- fallback to partial matches -------------------------------------------------------------

PARTIAL = [
    article("two-of-three", "Le radar et la balise", "Un radar neuf et une balise."),
    article("one-of-three", "Le radar", "Un radar seul."),
    article("other-one", "La sirène", "Une sirène seule."),
    article("tagged-one", "La balise", "Une balise.", tags=("Mer",)),
    *filler(),
]


@pytest.fixture(scope="module")
def partial(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with open_index(tmp_path_factory.mktemp("fallback"), PARTIAL) as engine:
        yield engine


def test_no_article_with_every_word_falls_back_to_any_word(partial: Engine) -> None:
    page = partial.search("radar balise sirène")
    assert page.fallback
    assert page.total == 4
    assert ids(page)[0] == "two-of-three"
    assert set(ids(page)) == {"two-of-three", "one-of-three", "other-one", "tagged-one"}


def test_an_article_with_every_word_means_no_fallback(partial: Engine) -> None:
    page = partial.search("radar balise")
    assert not page.fallback
    assert ids(page) == ["two-of-three"]


@pytest.mark.parametrize(
    "query",
    [
        "radar",  # one word: nothing to fall back to
        "licorne",
        "radar licorne -balise",  # an operator: the user asked for exactly this
        "titre:radar licorne",  # a field
        '"radar licorne"',  # a phrase
        "radar* licorne",  # a prefix
        "radar balise licorne*",
        "radar OU licorne",
    ],
)
def test_no_fallback_for_one_word_or_any_syntax(partial: Engine, query: str) -> None:
    assert not partial.search(query).fallback


def test_fallback_respects_the_filters(partial: Engine) -> None:
    page = partial.search("radar balise sirène", tags=["Mer"])
    assert page.fallback
    assert ids(page) == ["tagged-one"]


def test_fallback_with_no_word_anywhere_finds_nothing(partial: Engine) -> None:
    page = partial.search("licorne dragon")
    assert page.total == 0 and not page.fallback


def test_date_sort_applies_to_the_fallback_too(tmp_path) -> None:
    articles: list[Article] = [
        article("a-old", "Le radar", "Un radar.", published=DAY),
        article("b-new", "La balise", "Une balise.", published=DAY + timedelta(days=9)),
        article("c-mid", "Radar et balise", "Radar, balise.", published=DAY + timedelta(days=3)),
        *filler(),
    ]
    with open_index(tmp_path, articles) as engine:
        page = engine.search("radar balise licorne", sort="date")
        assert page.fallback
        assert ids(page) == ["b-new", "c-mid", "a-old"]
        assert ids(engine.search("radar balise licorne"))[0] == "c-mid"


# --- the model itself, against a brute-force computation ---------------------------------------

COLLISIONS = [
    article("donnees-title", "Fuite de données", "Les données de clients ont fui."),
    article("donnee-body", "Une fuite", "Une donnée perdue, " + " ".join(PAD[:6]) + "."),
    article("donner-title", "Donnez du style", "Donner, donner et donner encore."),
    article("don-body", "Un geste", "Le don du sang, un don précieux."),
    article("parti-title", "Le parti vote", "Le parti et les partis.", tags=("Politique",)),
    article("partie-body", "Échecs", "Une partie d'échecs, en partie gagnée."),
    article("journaux", "Les journaux", "Un journal, deux journaux."),
    article("base", "La base", "Une base solide."),
    article("bas", "Au plus bas", "Le bas de la page, tout en bas."),
    article("baser", "Se baser", "Basé sur des faits, il faut se baser sur eux."),
    *filler(),
]


def reference(articles: list[Article], word: str) -> dict[str, float]:
    """Each article's score for a plain word, computed from the text as scoring.py says."""
    from whoosh.util.numeric import byte_to_length, length_to_byte

    from search import scoring
    from search.analysis import (
        compound_terms,
        inflections,
        narrowing,
        tag_key,
        terms,
        word_stems,
    )
    from search.documents import indexed_body
    from search.schema import TITLE_REPEAT

    def field_terms(item: Article) -> dict[str, list[str]]:
        title, body = terms(item.title), indexed_body(item)
        return {
            "text": title * TITLE_REPEAT + terms(" ; ".join(item.tags)) + terms(body),
            "title": title,
            "body_exact": terms(body, stemming=False),
            "title_exact": terms(item.title, stemming=False),
            "tags": [w for tag in item.tags for w in tag_key(tag).split()],
        }

    docs = {item.id: field_terms(item) for item in articles}
    count = len(docs)

    def bm25(field: str, wanted: set[str]) -> dict[str, float]:
        average = max(sum(len(d[field]) for d in docs.values()) / count, 1.0)
        found = {i: sum(t in wanted for t in d[field]) for i, d in docs.items()}
        df = sum(1 for tf in found.values() if tf)
        out = {}
        for i, tf in found.items():
            if tf:
                length = byte_to_length(length_to_byte(len(docs[i][field])))
                norm = scoring.K1 * (1 - scoring.B + scoring.B * length / average)
                out[i] = scoring.idf(df, count) * (scoring.K1 + 1) * tf / (tf + norm)
        return out

    stems, _ = compound_terms(word)
    forms = set(inflections(word))
    narrow = narrowing(word, stems)
    allowed = {
        i
        for i, d in docs.items()
        if not narrow
        or any(
            t.startswith(narrow) and set(word_stems(t)) & set(stems)
            for t in d["body_exact"] + d["title_exact"] + d["tags"]
        )
    }
    result: dict[str, float] = {}
    for stem in stems:
        text, title = bm25("text", {stem}), bm25("title", {stem})
        for i in (text.keys() | title.keys()) & allowed:
            value = text.get(i, 0.0) + scoring.TITLE_WEIGHT * title.get(i, 0.0)
            result[i] = max(result.get(i, 0.0), value)
    body, title = bm25("body_exact", forms), bm25("title_exact", forms)
    for i in body.keys() | title.keys():
        extra = body.get(i, 0.0) + scoring.EXACT_TITLE_WEIGHT * title.get(i, 0.0)
        result[i] = result.get(i, 0.0) + scoring.EXACT_WEIGHT * extra
    return result


@pytest.fixture(scope="module")
def collisions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with open_index(tmp_path_factory.mktemp("collisions"), COLLISIONS) as engine:
        yield engine


@pytest.mark.parametrize("word", ["données", "donnees", "donner", "don", "parti", "partie",
                                  "journal", "journaux", "fuite", "base", "bas"])  # fmt: skip
def test_a_word_scores_as_the_model_says(collisions: Engine, word: str) -> None:
    expected = reference(COLLISIONS, word)
    assert scores(collisions, word) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize(
    ("word", "first"),
    [
        ("données", {"donnees-title", "donnee-body"}),
        ("donnée", {"donnees-title", "donnee-body"}),
        ("parti", {"parti-title"}),
        ("partie", {"partie-body"}),
        ("journal", {"journaux"}),
        ("base", {"base"}),
    ],
)
def test_the_word_itself_ranks_above_words_that_share_its_stem(
    collisions: Engine, word: str, first: set[str]
) -> None:
    """`données` before `Donnez du style`, although Snowball gives both the stem `don`."""
    found = ids(collisions.search(word))
    assert set(found[: len(first)]) == first


@pytest.mark.parametrize(
    ("word", "matched"),
    [
        # Stems of three letters: only words that also begin like the query word.
        ("données", {"donnees-title", "donnee-body"}),
        ("base", {"base", "baser"}),
        # Longer stems match every word that has them.
        ("parti", {"parti-title", "partie-body"}),
    ],
)
def test_a_stem_too_short_to_tell_words_apart_matches_only_words_that_begin_alike(
    collisions: Engine, word: str, matched: set[str]
) -> None:
    """`données` (stem `don`) does not match `Donnez` or `don`; `base` (stem `bas`) matches
    `basé` and `baser` but not `bas`."""
    assert set(ids(collisions.search(word, page_size=50))) == matched


def test_the_models_constants_are_the_documented_ones() -> None:
    # search/scoring.py's docstring and BENCHMARKS.md (EXACT_WEIGHT was tuned) name them.
    assert (scoring.K1, scoring.B) == (1.2, 0.75)
    assert scoring.TITLE_WEIGHT == 2.0
    assert scoring.EXACT_WEIGHT == 8.0 and scoring.EXACT_TITLE_WEIGHT == 4.0


def test_freshness_halves_with_each_half_life_down_to_a_hundredth_of_a_day() -> None:
    day_us = 86_400 * 10**6
    now = 100 * day_us
    published = np.array([now, now - day_us // 2, now - day_us, now + day_us], dtype=np.int64)
    scores = np.ones(4, dtype=np.float32)
    one = scoring.freshness(scores, published, now, 1.0).tolist()
    assert one == pytest.approx([2.0, 1 + 2**-0.5, 1.5, 2.0])
    half = scoring.freshness(scores, published, now, 0.5).tolist()
    assert half == pytest.approx([2.0, 1.5, 1.25, 2.0])
    tiny = scoring.freshness(scores, published, now, 0.0).tolist()  # 0.01 day at least
    assert tiny == pytest.approx([2.0, 1.0, 1.0, 2.0])
