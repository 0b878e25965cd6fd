"""Dates as people type them in French: `lundi`, `hier`, `mars 2023`, `1er mai`, `15/03/2024`,
and the ISO forms of `--since` (`2024`, `2024-03`, `2024-03-15`, `7j`).

`period` gives the first and last moment (inclusive, UTC, as `search.filters` bounds are) of
what a value names; `search.query` uses it for the date clauses of the query box. Pure
functions of the text and of `now`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from unidecode import unidecode

from .errors import InvalidFilterError
from .filters import RELATIVE_RE, parse_date
from .formatting import FRENCH_MONTHS

Period = tuple[datetime, datetime]

MONTHS = {unidecode(name): n for n, name in enumerate(FRENCH_MONTHS, 1)}
MONTHS.update({"janv": 1, "fev": 2, "fevr": 2, "avr": 4, "juil": 7, "sept": 9, "oct": 10})
MONTHS.update({"nov": 11, "dec": 12})
WEEKDAYS = {
    name: n for n, name in enumerate(("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"))
}
WEEKDAYS["dimanche"] = 6
DAYS_BACK = {"aujourdhui": 0, "hier": 1, "avant-hier": 2}
#: Units of `il y a N …`, in days.
UNITS = {
    "heure": 1 / 24,
    "jour": 1,
    "semaine": 7,
    "mois": 30,
    "an": 365,
    "annee": 365,
}

_DAY_MONTH = re.compile(r"(\d{1,2})(?:er)?\s+([a-z]+)\.?(?:\s+(\d{4}))?")
_MONTH_YEAR = re.compile(r"([a-z]+)\.?(?:\s+(\d{4}))?")
_NUMERIC = re.compile(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}|\d{2}))?")


def _key(value: str) -> str:
    """Lower case, no accents, one space between words, one kind of apostrophe removed."""
    value = value.encode("utf-8", "replace").decode("utf-8")  # no lone surrogate
    text = unidecode(value).lower().replace("'", "").replace("`", "")
    return " ".join(text.split())


def day(moment: date) -> Period:
    """The first and last moment of a day (UTC)."""
    return (
        datetime.combine(moment, time.min, tzinfo=UTC),
        datetime.combine(moment, time.max, tzinfo=UTC),
    )


def month(year: int, number: int) -> Period:
    """The first and last moment of a month."""
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return day(first)[0], day(following - timedelta(days=1))[1]


def period(value: str, now: datetime) -> Period | None:
    """The period a date value names (None when it names none, or an impossible date):

    - `aujourd'hui`, `hier`, `avant-hier`, a weekday (`lundi`: the last one, today included);
    - `2024`, `2024-03`, `2024-03-15` (ISO), `15/03/2024`, `15/03` (this year's or last);
    - `mars 2023`, `mars` (the last March), `1er mai 2024`, `15 mars`;
    - `7j`, `24h`, `2w`, `6m`, `1y`: from that long ago until now.
    """
    text = _key(value)
    today = now.astimezone(UTC).date()
    if not text or len(text) > 40:
        return None
    try:
        if text in DAYS_BACK:
            return day(today - timedelta(days=DAYS_BACK[text]))
        if text in WEEKDAYS:
            return day(today - timedelta(days=(today.weekday() - WEEKDAYS[text]) % 7))
        if RELATIVE_RE.match(text):
            start = parse_date(text, end=False, now=now)
            return (start, now) if start is not None else None
        if re.fullmatch(r"\d{4}(-\d{1,2}){0,2}", text):
            start, end = parse_date(text, end=False), parse_date(text, end=True)
            return (start, end) if start is not None and end is not None else None
        if m := _NUMERIC.fullmatch(text):
            year = _year(m[3]) if m[3] else _latest_year(today, int(m[2]), int(m[1]))
            return day(date(year, int(m[2]), int(m[1])))
        if (m := _DAY_MONTH.fullmatch(text)) and m[2] in MONTHS:
            number = MONTHS[m[2]]
            year = int(m[3]) if m[3] else _latest_year(today, number, int(m[1]))
            return day(date(year, number, int(m[1])))
        if (m := _MONTH_YEAR.fullmatch(text)) and m[1] in MONTHS:
            number = MONTHS[m[1]]
            year = int(m[2]) if m[2] else _latest_year(today, number, 1)
            return month(year, number)
    except (ValueError, OverflowError, InvalidFilterError):
        return None
    return None


def ago(count: int, unit: str, now: datetime) -> Period | None:
    """`il y a 3 jours` → (three days ago, now); None for a unit that is not one."""
    key = _key(unit)
    key = key[:-1] if key.endswith("s") and key != "mois" else key
    if key not in UNITS:
        return None
    try:
        return now - timedelta(days=count * UNITS[key]), now
    except OverflowError:
        return None


def this(unit: str, now: datetime) -> Period | None:
    """`cette semaine` (since Monday), `ce mois-ci`, `cette année`: from its start to now."""
    today = now.astimezone(UTC).date()
    key = _key(unit)
    if key == "semaine":
        start = today - timedelta(days=today.weekday())
    elif key.startswith("mois"):
        start = today.replace(day=1)
    elif key == "annee":
        start = date(today.year, 1, 1)
    else:
        return None
    return day(start)[0], now


def _year(text: str) -> int:
    return int(text) + (2000 if len(text) == 2 else 0)


def _latest_year(today: date, month_number: int, day_number: int) -> int:
    """The year of the last such day (this year's, unless it is still to come)."""
    return today.year if (month_number, day_number) <= (today.month, today.day) else today.year - 1
