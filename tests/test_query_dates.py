"""Dates typed in French in the query box (issue 14): `depuis:lundi`, `avant:2023`,
`date:"mars 2023"`, `date:2024-01..2024-03`, `il y a 3 jours`… become the search's date range,
narrowed further by `--since`/`--until`; a date that is none is searched as words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from search import Engine
from search.dates import period
from search.query import split_dates
from tests.corpora import article, ids, open_index

#: A Wednesday.
NOW = datetime(2024, 5, 15, 10, 30, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def end_of(day: str) -> datetime:
    return at(day) + timedelta(days=1) - timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("typed", "rest", "since", "until"),
    [
        ("depuis:lundi fibre", "fibre", at("2024-05-13"), None),
        ("depuis:mercredi", "", at("2024-05-15"), None),  # today is a Wednesday
        ("avant:2023", "", None, end_of("2022-12-31")),
        ("après:2024-01 réseau", "réseau", at("2024-02-01"), None),
        ("apres:2024-01", "", at("2024-02-01"), None),
        ("APRÈS:15/03/2024", "", at("2024-03-16"), None),
        ('date:"mars 2023" vote', "vote", at("2023-03-01"), end_of("2023-03-31")),
        ('date:"1er mai 2024"', "", at("2024-05-01"), end_of("2024-05-01")),
        ("date:mars", "", at("2024-03-01"), end_of("2024-03-31")),  # the last March
        ("date:juin", "", at("2023-06-01"), end_of("2023-06-30")),  # June 2024 is to come
        ("date:2024-01..2024-03", "", at("2024-01-01"), end_of("2024-03-31")),
        ("entre:2023..2024-02", "", at("2023-01-01"), end_of("2024-02-29")),
        ("date:hier", "", at("2024-05-14"), end_of("2024-05-14")),
        ("date:aujourd’hui", "", at("2024-05-15"), end_of("2024-05-15")),
        ("depuis:7j", "", NOW - timedelta(days=7), None),
        ("il y a 3 jours", "", NOW - timedelta(days=3), NOW),
        ("vote il y a 2 semaines", "vote", NOW - timedelta(days=14), NOW),
        ("depuis 1 an", "", NOW - timedelta(days=365), NOW),
        ("cette semaine", "", at("2024-05-13"), NOW),
        ("ce mois-ci", "", at("2024-05-01"), NOW),
        ("cette année", "", at("2024-01-01"), NOW),
        ("depuis:2024 avant:2024-03", "", at("2024-01-01"), end_of("2024-02-29")),
    ],
)
def test_date_clauses_become_a_range(
    typed: str, rest: str, since: datetime | None, until: datetime | None
) -> None:
    found = split_dates(typed, NOW)
    assert (found.text, found.since, found.until) == (rest, since, until)
    assert found.dates and all(words in typed for words in found.dates)


@pytest.mark.parametrize(
    "typed",
    [
        "depuis:nimporte fibre",  # not a date: searched as words
        "date:2024-03..2024-01",  # an empty range
        "date:31/02/2024",  # no such day
        "date:2024-13",
        'avant:""',
        '"il y a 3 jours"',  # a phrase is a phrase
        '"cette semaine"',
        "titre:hier",
        "hier",  # a word like any other (date:hier is the date)
        "aujourd'hui",
        "date:",
        "il y a jours",
        "depuis:99999999",
        "date:" + "9" * 5000,
    ],
)
def test_anything_else_stays_words(typed: str) -> None:
    found = split_dates(typed, NOW)
    assert found.dates == () and found.since is None and found.until is None
    assert found.text == typed[:2000]


def test_garbage_never_raises() -> None:
    for text in ("depuis:" * 500, "date:..", "date:a..b..c", "il y a 99999 ans", "\x00date:\ud800"):
        split_dates(text, NOW)


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [
        ("lundi", "2024-05-13", "2024-05-13"),
        ("dimanche", "2024-05-12", "2024-05-12"),
        ("avant-hier", "2024-05-13", "2024-05-13"),
        ("Août 2023", "2023-08-01", "2023-08-31"),
        ("aout", "2023-08-01", "2023-08-31"),
        ("15 mars", "2024-03-15", "2024-03-15"),
        ("1er janv. 2020", "2020-01-01", "2020-01-01"),
        ("29/02/24", "2024-02-29", "2024-02-29"),
        ("2024", "2024-01-01", "2024-12-31"),
    ],
)
def test_french_dates_name_periods(value: str, first: str, last: str) -> None:
    found = period(value, NOW)
    assert found == (at(first), end_of(last))


# --- through the engine ------------------------------------------------------------------------

TODAY = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    articles = [
        article("new", "Le vote au conseil", "Un vote.", published=TODAY - timedelta(days=1)),
        article("week", "Le vote reporté", "Un vote.", published=TODAY - timedelta(days=10)),
        article("old", "Le vote de 2020", "Un vote.", published=datetime(2020, 3, 10, tzinfo=UTC)),
        article(
            "older", "Le vote de 2019", "Un vote.", published=datetime(2019, 3, 10, tzinfo=UTC)
        ),
    ]
    with open_index(tmp_path_factory.mktemp("dates"), articles) as engine:
        yield engine


def test_a_date_clause_filters_like_since(dated: Engine) -> None:
    page = dated.search("vote il y a 3 jours")
    assert ids(page) == ["new"]
    assert page.date_words == ("il y a 3 jours",) and page.since is not None
    assert page.query == "vote il y a 3 jours"  # as typed
    assert set(ids(dated.search('vote date:"mars 2020"'))) == {"old"}
    assert set(ids(dated.search("vote avant:2021"))) == {"old", "older"}
    assert set(ids(dated.search("vote date:2019..2020"))) == {"old", "older"}


def test_query_dates_and_filters_narrow_each_other(dated: Engine) -> None:
    assert set(ids(dated.search("vote avant:2021", since="2020"))) == {"old"}
    page = dated.search("vote depuis:2020", until="2020-12-31")
    assert ids(page) == ["old"]
    assert page.since == at("2020-01-01") and page.until == end_of("2020-12-31")


def test_a_range_left_empty_finds_nothing_without_an_error(dated: Engine) -> None:
    page = dated.search("vote avant:2019", since="2024")
    assert page.total == 0 and page.hits == ()


def test_dates_alone_list_that_period_newest_first(dated: Engine) -> None:
    page = dated.search("depuis:2020")
    assert ids(page) == ["new", "week", "old"]
    assert page.sort == "date"


def test_a_bad_date_is_searched_as_words(dated: Engine) -> None:
    page = dated.search("vote depuis:hiver")  # no article has "depuis" and "hiver"
    assert page.date_words == () and page.fallback
    assert dated.search("vote date:2020-13").date_words == ()


def test_a_phrase_before_a_date_clause_stays_words_and_the_clause_still_counts() -> None:
    found = split_dates('"vélo électrique" depuis:2023', NOW)
    assert found.text == '"vélo électrique"' and found.dates == ("depuis:2023",)
    assert found.since == datetime(2023, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("typed", ["vélo avant:2024 avant:2023", "vélo avant:2023 avant:2024"])
def test_several_ends_keep_the_earliest(typed: str) -> None:
    found = split_dates(typed, NOW)
    assert found.until == datetime(2022, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert found.text == "vélo"
