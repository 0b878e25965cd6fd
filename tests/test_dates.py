"""Date filters: inclusive bounds at the edges of years, months and days (UTC), relative
periods in English and French units, and clear one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from search import Engine, InvalidFilterError, dates
from search.filters import parse_date
from search.query import split_dates
from tests.corpora import article, ids, open_index


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


EDGES = [
    article("2023-last", "Borne", "La borne.", published=at("2023-12-31T23:59:59")),
    article("2024-first", "Borne", "La borne.", published=at("2024-01-01T00:00:00")),
    article("feb-29", "Borne", "La borne.", published=at("2024-02-29T12:00:00")),
    article("mar-first", "Borne", "La borne.", published=at("2024-03-01T00:00:00")),
    article("mar-last", "Borne", "La borne.", published=at("2024-03-31T23:59:59")),
    article("apr-first", "Borne", "La borne.", published=at("2024-04-01T00:00:00")),
    # 01:30 in Paris on 1 April is still 31 March in UTC, the time zone of the bounds.
    article(
        "mar-paris",
        "Borne",
        "La borne.",
        published=datetime(2024, 4, 1, 1, 30, tzinfo=timezone(timedelta(hours=2))),
    ),
    article("dec-last", "Borne", "La borne.", published=at("2024-12-31T23:59:59")),
    article("2025-first", "Borne", "La borne.", published=at("2025-01-01T00:00:00")),
]


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with open_index(tmp_path_factory.mktemp("dates"), EDGES) as engine:
        yield engine


def found(engine: Engine, **filters: object) -> set[str]:
    return set(ids(engine.search("borne", page_size=50, **filters)))  # type: ignore[arg-type]


def test_until_a_month_includes_its_last_second_and_not_the_next_month(edges: Engine) -> None:
    got = found(edges, until="2024-03")
    assert {"mar-last", "mar-paris", "mar-first", "feb-29"} <= got
    assert "apr-first" not in got


def test_since_a_month_starts_at_its_first_second(edges: Engine) -> None:
    got = found(edges, since="2024-04")
    assert "apr-first" in got and "mar-last" not in got and "mar-paris" not in got


def test_a_month_is_exactly_that_month(edges: Engine) -> None:
    assert found(edges, since="2024-03", until="2024-03") == {"mar-first", "mar-last", "mar-paris"}
    assert found(edges, since="2024-02", until="2024-02") == {"feb-29"}


def test_december_ends_on_the_31st(edges: Engine) -> None:
    assert found(edges, since="2024-12", until="2024-12") == {"dec-last"}


def test_a_year_is_inclusive_at_both_ends(edges: Engine) -> None:
    got = found(edges, since="2024", until="2024")
    assert got == {e.id for e in EDGES} - {"2023-last", "2025-first"}
    assert found(edges, until="2023") == {"2023-last"}
    assert found(edges, since="2025") == {"2025-first"}


def test_a_day_is_inclusive_at_both_ends(edges: Engine) -> None:
    assert found(edges, since="2024-03-31", until="2024-03-31") == {"mar-last", "mar-paris"}
    assert found(edges, since="2024-04-01", until="2024-04-01") == {"apr-first"}
    assert found(edges, since="2024-1-1", until="2024-1-1") == {"2024-first"}


def test_dates_and_datetimes_are_accepted_as_well_as_text(edges: Engine) -> None:
    assert found(edges, since=date(2024, 3, 31), until=date(2024, 3, 31)) == {
        "mar-last",
        "mar-paris",
    }
    # A naive datetime is read as UTC.
    assert found(edges, since=datetime(2024, 12, 31, 23, 59, 59)) == {"dec-last", "2025-first"}
    assert found(edges, until=at("2023-12-31T23:59:59")) == {"2023-last"}


def test_a_full_timestamp_is_a_bound_to_the_second(edges: Engine) -> None:
    assert found(edges, since="2024-03-31T23:59:59", until="2024-04-01T00:00:00") == {
        "mar-last",
        "apr-first",
    }
    assert found(edges, until="2024-04-01T00:00:00+02:00") == found(
        edges, until="2024-03-31T22:00:00"
    )


# --- relative periods ------------------------------------------------------------------------

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "ago"),
    [
        ("24h", timedelta(hours=24)),
        ("36h", timedelta(hours=36)),
        ("7d", timedelta(days=7)),
        ("7j", timedelta(days=7)),  # jours
        ("7D", timedelta(days=7)),
        ("7 d", timedelta(days=7)),
        ("4w", timedelta(weeks=4)),
        ("4s", timedelta(weeks=4)),  # semaines
        ("6m", timedelta(days=180)),  # months of 30 days
        ("1y", timedelta(days=365)),
        ("2a", timedelta(days=730)),  # ans
        ("0d", timedelta(0)),
    ],
)
def test_relative_periods_count_back_from_now(text: str, ago: timedelta) -> None:
    assert parse_date(text, end=False, now=NOW) == NOW - ago
    assert parse_date(text, end=True, now=NOW) == NOW - ago


def test_relative_periods_through_the_engine(tmp_path) -> None:
    now = datetime.now(UTC)
    articles = [
        article("hour", "Relatif", "Le relatif.", published=now - timedelta(hours=1)),
        article("days", "Relatif", "Le relatif.", published=now - timedelta(days=3)),
        article("weeks", "Relatif", "Le relatif.", published=now - timedelta(days=20)),
        article("months", "Relatif", "Le relatif.", published=now - timedelta(days=200)),
        article("years", "Relatif", "Le relatif.", published=now - timedelta(days=1000)),
    ]
    with open_index(tmp_path, articles) as engine:

        def since(value: str) -> set[str]:
            return set(ids(engine.search("relatif", since=value)))

        assert since("24h") == {"hour"}
        assert since("7d") == since("7j") == since("1w") == since("1s") == {"hour", "days"}
        assert since("1m") == {"hour", "days", "weeks"}
        assert since("1y") == since("1a") == {"hour", "days", "weeks", "months"}
        assert set(ids(engine.search("relatif", until="1y"))) == {"years"}
        assert set(ids(engine.search("relatif", since="30d", until="2d"))) == {"days", "weeks"}


def test_bounds_are_parsed_at_both_ends() -> None:
    assert parse_date("2024", end=False) == at("2024-01-01T00:00:00")
    assert parse_date("2024", end=True) == datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_date("2024-02", end=True) == datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_date("2023-02", end=True) == datetime(2023, 2, 28, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_date("2024-12", end=True) == datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_date("2024-03-15", end=False) == at("2024-03-15T00:00:00")
    assert parse_date(" 2024-03-15 ", end=True) == datetime(
        2024, 3, 15, 23, 59, 59, 999999, tzinfo=UTC
    )
    assert parse_date(None, end=True) is None
    assert parse_date("", end=False) is None


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2024-13",
        "2024-00",
        "2024-02-30",
        "2024-13-45",
        "0000",
        "hier",
        "demain",
        "7 jours",
        "7x",
        "-7d",
        "999999d",
        "2024/03/15",
        "15-03-2024",
        "1e9",
        "x" * 500,
    ],
)
def test_an_invalid_date_is_a_one_line_error(edges: Engine, value: str) -> None:
    for bound in ("since", "until"):
        with pytest.raises(InvalidFilterError) as info:
            edges.search("borne", **{bound: value})
        message = str(info.value)
        assert "\n" not in message
        assert "YYYY-MM-DD" in message  # says what is accepted
        assert len(message) < 200  # the bad value is cut


@pytest.mark.parametrize(
    ("since", "until"),
    [
        ("2024-05", "2024-01"),
        ("2025", "2024"),
        ("2024-03-16", "2024-03-15"),
        ("2024-04-01T00:00:00", "2024-03-31T23:59:59"),
    ],
)
def test_since_after_until_is_a_clear_error(edges: Engine, since: str, until: str) -> None:
    with pytest.raises(InvalidFilterError, match="start date is after the end date") as info:
        edges.search("borne", since=since, until=until)
    assert "\n" not in str(info.value)


def test_since_equal_to_until_is_not_an_error(edges: Engine) -> None:
    assert found(edges, since="2024-04-01T00:00:00", until="2024-04-01T00:00:00") == {"apr-first"}


def test_an_empty_filter_is_no_filter(edges: Engine) -> None:
    assert found(edges, since="", until="") == {e.id for e in EDGES}


@pytest.mark.parametrize("value", ["3000y", "99999m", "9999a"])
def test_a_relative_period_too_far_back_is_an_error_or_the_oldest_date(
    edges: Engine, value: str
) -> None:
    try:
        got = found(edges, since=value)
    except InvalidFilterError as exc:
        assert "\n" not in str(exc)
    else:
        assert got == {e.id for e in EDGES}


@pytest.mark.parametrize("query", ["avant:0001 vélo", "après:9999 vélo", "avant:0001-01-01 vélo"])
def test_a_date_clause_beyond_the_calendar_is_searched_as_words(query: str) -> None:
    dated = split_dates(query)
    assert (dated.since, dated.until) == (None, None)
    assert dated.text == query


# --- the date words of the query box (search.dates) -------------------------------------------


@pytest.mark.parametrize(
    ("count", "unit", "back"),
    [
        (3, "heures", timedelta(hours=3)),
        (1, "heure", timedelta(hours=1)),
        (2, "jours", timedelta(days=2)),
        (2, "semaines", timedelta(days=14)),
        (2, "mois", timedelta(days=60)),
        (1, "an", timedelta(days=365)),
        (2, "années", timedelta(days=730)),
    ],
)
def test_il_y_a_counts_back_in_its_unit(count: int, unit: str, back: timedelta) -> None:
    assert dates.ago(count, unit, NOW) == (NOW - back, NOW)


def test_il_y_a_needs_a_unit() -> None:
    assert dates.ago(3, "lunes", NOW) is None


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("décembre 2024", "2024-12-01", "2024-12-31"),
        ("janvier 2024", "2024-01-01", "2024-01-31"),
        ("février 2024", "2024-02-01", "2024-02-29"),
        ("nov. 2023", "2023-11-01", "2023-11-30"),
    ],
)
def test_a_month_word_is_the_whole_month(text: str, first: str, last: str) -> None:
    start, end = dates.period(text, NOW)  # type: ignore[misc]
    assert start == at(first + "T00:00:00")
    assert end == at(last + "T23:59:59.999999")


def test_a_datetime_bound_keeps_its_time_zone_and_a_naive_one_is_utc() -> None:
    paris = timezone(timedelta(hours=2))
    aware = datetime(2024, 4, 1, 1, 30, tzinfo=paris)
    assert parse_date(aware, end=False) == aware
    assert parse_date(aware, end=False).utcoffset() == timedelta(hours=2)  # type: ignore[union-attr]
    naive = datetime(2024, 4, 1, 1, 30)
    assert parse_date(naive, end=True) == naive.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "day"),
    [("15/03", "2024-03-15"), ("15/07", "2023-07-15"), ("15/03/2022", "2022-03-15")],
)
def test_a_numeric_day_is_this_years_or_last_years(text: str, day: str) -> None:
    # NOW is 15 June 2024: 15 July has not come yet this year.
    start, end = dates.period(text, NOW)  # type: ignore[misc]
    assert (start, end) == (at(day + "T00:00:00"), at(day + "T23:59:59.999999"))
