"""Facets (tag and month counts beside the results), and totals after articles change: counts
over every match, whatever the page, in a fixed order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from search import Engine
from tests.corpora import article, ids, open_index

ARTICLES = [
    article(
        "a",
        "Fibre un",
        "La fibre.",
        tags=("Vie privée", "RGPD"),
        published=datetime(2024, 3, 31, 23, 0, tzinfo=UTC),
    ),
    # Another spelling of the same tag; 01:30 in Paris on 1 April is 31 March in UTC.
    article(
        "b",
        "Fibre deux",
        "La fibre.",
        tags=("vie privee", "Télécoms"),
        published=datetime(2024, 4, 1, 1, 30, tzinfo=timezone(timedelta(hours=2))),
    ),
    article(
        "c",
        "Fibre trois",
        "La fibre.",
        tags=("Télécoms", "Zèbre", "éthique"),
        published=datetime(2024, 5, 2, tzinfo=UTC),
    ),
    article(
        "d",
        "Cuivre",
        "Le cuivre.",
        tags=("Cuivre", "Télécoms"),
        published=datetime(2023, 5, 2, tzinfo=UTC),
    ),
]


@pytest.fixture
def engine(tmp_path: Path):
    with open_index(tmp_path, ARTICLES) as opened:
        yield opened


def test_facets_count_every_match_in_a_fixed_order(engine: Engine) -> None:
    facets = engine.search("fibre", page_size=1).facets
    # Most frequent first, then alphabetical without accents or case; tags as feeds spell them.
    assert facets.tags == (
        ("Télécoms", 2),
        ("Vie privée", 2),
        ("éthique", 1),
        ("RGPD", 1),
        ("Zèbre", 1),
    )
    # Chronological, by the UTC month.
    assert facets.months == (("2024-03", 2), ("2024-05", 1))


@pytest.mark.parametrize(
    "options",
    [
        {"page": 2, "page_size": 1},
        {"page": 3, "page_size": 1},
        {"page_size": 50},
        {"sort": "date"},
        {"sort": "fresh", "page_size": 2},
    ],
)
def test_facets_do_not_depend_on_the_page_or_the_sort(engine: Engine, options: dict) -> None:
    assert engine.search("fibre", **options).facets == engine.search("fibre").facets


def test_facets_follow_the_query_and_the_filters(engine: Engine) -> None:
    assert engine.search("fibre -télécoms").facets.tags == (("RGPD", 1), ("Vie privée", 1))
    assert engine.search("", tags=["Télécoms"]).facets.months == (
        ("2023-05", 1),
        ("2024-03", 1),
        ("2024-05", 1),
    )
    assert engine.search("", since="2024-04").facets.tags == (
        ("éthique", 1),
        ("Télécoms", 1),
        ("Zèbre", 1),
    )
    nothing = engine.search("licorne")
    assert nothing.facets.tags == () and nothing.facets.months == ()


def test_facets_of_a_fallback_count_the_partial_matches(engine: Engine) -> None:
    page = engine.search("fibre cuivre licorne")
    assert page.fallback and page.total == 4
    assert page.facets.tags[0] == ("Télécoms", 3)
    assert page.facets.months == (("2023-05", 1), ("2024-03", 2), ("2024-05", 1))


def test_at_most_fifty_tags(tmp_path: Path) -> None:
    many = article("many", "Fibre", "La fibre.", tags=tuple(f"T{n:02d}" for n in range(60)))
    with open_index(tmp_path, [many, *ARTICLES]) as engine:
        tags = engine.search("fibre").facets.tags
        assert len(tags) == 50
        assert tags[:4] == (("Télécoms", 2), ("Vie privée", 2), ("éthique", 1), ("RGPD", 1))
        assert tags[-1] == ("T45", 1)


def test_an_updated_article_counts_once_with_what_it_says_now(engine: Engine) -> None:
    with engine.writer() as writer:
        changed = replace(
            ARTICLES[2], title="Satellite", body="Le satellite.", tags=("Espace",), content_hash=""
        )
        assert writer.upsert(changed) == "updated"
    page = engine.search("fibre")
    assert (page.total, set(ids(page))) == (2, {"a", "b"})
    assert page.facets.tags == (("Vie privée", 2), ("RGPD", 1), ("Télécoms", 1))
    assert page.facets.months == (("2024-03", 2),)
    assert ids(engine.search("satellite")) == ["c"]
    assert engine.search("").total == 4
    assert dict(engine.search("").facets.tags)["Télécoms"] == 2
    assert "Zèbre" not in dict(engine.search("").facets.tags)
    for query in ("tag:Zèbre", "trois", '"fibre trois"', "titre:trois", "zèb*"):
        assert engine.search(query).total == 0, query
    assert engine.search("", tags=["Zèbre"]).total == 0


def test_a_replaced_article_is_ranked_once_by_its_new_text(engine: Engine) -> None:
    with engine.writer() as writer:
        changed = replace(ARTICLES[0], body="La fibre, encore la fibre.", content_hash="")
        assert writer.upsert(changed) == "updated"
    after = engine.search("fibre")
    assert after.total == 3
    assert sorted(ids(after)) == ["a", "b", "c"]
    assert ids(after)[0] == "a"  # now the article with the most occurrences


# --- tag hygiene -------------------------------------------------------------------------------


def test_case_and_accent_variants_are_one_tag_shown_as_most_often_written(tmp_path: Path) -> None:
    variants = [
        article("v1", "Fibre", "La fibre.", tags=("vie privée",)),
        article("v2", "Fibre", "La fibre.", tags=("Vie Privée",)),
        article("v3", "Fibre", "La fibre.", tags=("vie privée",)),
        article("v4", "Fibre", "La fibre.", tags=("VIE PRIVEE",)),
    ]
    with open_index(tmp_path, variants) as engine:
        assert engine.search("fibre").facets.tags == (("vie privée", 4),)
        assert engine.search("", tags=["Vie Privée"]).total == 4


JUNK = ["[[item.keywords]]", "", "   ", "—", "...", "#", "{{ tag }}", "${category}",
        "<%= tag %>", "{% tag %}", "%TAGS%", "null", "undefined", "[object Object]"]  # fmt: skip


@pytest.mark.parametrize("label", JUNK)
def test_junk_tags_are_recognised(label: str) -> None:
    from search.documents import is_junk_tag

    assert is_junk_tag(label)


@pytest.mark.parametrize("label", ["Vie privée", "C++", "C#", "5G", "R&D", "100%", "Wi-Fi 7"])
def test_real_tags_are_kept(label: str) -> None:
    from search.documents import is_junk_tag

    assert not is_junk_tag(label)


def test_junk_tags_are_dropped_when_indexed(tmp_path: Path) -> None:
    junk = article("junk", "Fibre", "La fibre.", tags=(*JUNK, "Réseau"))
    with open_index(tmp_path, [junk]) as engine:
        page = engine.search("fibre")
        assert page.facets.tags == (("Réseau", 1),)
        assert page.hits[0].tags == ("Réseau",)
        assert engine.search("tag:keywords").total == 0


# --- a tag the index does not have: the nearest ones it has -------------------------------------

NEAR = ["Politique", "Polis", "pali", "Tatre", "Tapee", "Pol", "Politiquesx", "Sport", "Tartes"]
NEAR += ["Marchés"]


@pytest.fixture(scope="module")
def near(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("near")
    articles = [
        article(f"t{n}", f"Article {n}", "Un texte.", tags=(t,)) for n, t in enumerate(NEAR)
    ]
    with open_index(path, articles) as engine:
        yield engine


def nearest(engine: Engine, tag: str) -> tuple[str, ...]:
    ((typed, found),) = engine.search("", tags=[tag]).unknown_tags
    assert typed == tag
    return found


def test_tags_that_begin_alike_come_before_tags_one_edit_away(near: Engine) -> None:
    # `poli` begins Polis and Politique (the closer length first), is one letter from pali:
    # three are shown.
    assert nearest(near, "poli") == ("Pol", "Polis", "Politique")
    assert nearest(near, "palo") == ("pali", "Pol")  # one edit, then two


def test_among_tags_it_begins_the_closest_length_comes_first(near: Engine) -> None:
    # Politiquesx is one letter longer than `politiques`, Pol seven shorter.
    assert nearest(near, "politiques")[:3] == ("Politique", "Politiquesx", "Pol")


def test_two_swapped_letters_are_one_edit(near: Engine) -> None:
    # tarte begins Tartes; → Tatre swaps r and t (one edit); Tapee is two substitutions away.
    assert nearest(near, "tarte") == ("Tartes", "Tatre", "Tapee")
    # Two letters more, two edits: still near.
    assert nearest(near, "mrche") == ("Marchés",)
    assert nearest(near, "zzzzz") == ()


def test_the_feed_facet_lists_the_biggest_feed_first(tmp_path: Path) -> None:
    small = "https://a.example/rss"
    big = "https://z.example/rss"
    articles = [article("a1", "Fibre", "La fibre.", feed_url=small, feed_title="A")]
    articles += [
        article(f"z{n}", "Fibre", "La fibre.", feed_url=big, feed_title="Z") for n in range(3)
    ]
    with open_index(tmp_path, articles) as engine:
        feeds = engine.search("fibre").facets.feeds
    assert [count for _, count in feeds] == [3, 1]


@pytest.mark.parametrize(
    ("first_title", "later_title"),
    [
        # A feed first indexed without a title (its feed had none yet) is named by the
        # title a later commit brings, not by its address.
        ("", "Next"),
        # Its facet name does not change with each commit that brings a new spelling.
        ("Next", "Next.ink"),
    ],
)
def test_a_feed_is_named_by_the_first_title_it_was_indexed_with(
    tmp_path: Path, first_title: str, later_title: str
) -> None:
    feed = "https://next.example/flux"
    first = article("a1", "Fibre", "La fibre.", feed_url=feed, feed_title=first_title)
    with open_index(tmp_path, [first]) as engine:
        with engine.writer() as writer:
            writer.upsert(
                article("a2", "Fibre", "La fibre.", feed_url=feed, feed_title=later_title)
            )
        assert engine.search("fibre").facets.feeds == (("Next", 2),)
