"""Human formats shared by the front ends: dates, months and numbers, in French or English."""

from __future__ import annotations

import re
from datetime import datetime

FRENCH_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_MONTH_KEY = re.compile(r"(\d{4})-(\d{2})", re.ASCII)


def french_date(moment: datetime | None) -> str:
    """`12 mars 2024` (`1er` for the first of the month), whatever the process locale;
    "" for no date."""
    if moment is None:
        return ""
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{day} {FRENCH_MONTHS[moment.month - 1]} {moment.year}"


def french_month(key: str) -> str:
    """`2024-03` → `mars 2024`; anything else is returned unchanged."""
    match = _MONTH_KEY.fullmatch(key)
    if not match or not 1 <= int(match[2]) <= 12:
        return key
    return f"{FRENCH_MONTHS[int(match[2]) - 1]} {int(match[1])}"


ENGLISH_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(moment: datetime | None, lang: str) -> str:
    """A date as `lang` writes it: `12 mars 2024` (`1er`) or `12 March 2024`; "" for none."""
    if lang == "fr":
        return french_date(moment)
    if moment is None:
        return ""
    return f"{moment.day} {ENGLISH_MONTHS[moment.month - 1]} {moment.year}"


def format_month(key: str, lang: str) -> str:
    """`2024-03` → `mars 2024` or `March 2024`; anything else is returned unchanged."""
    if lang == "fr":
        return french_month(key)
    match = _MONTH_KEY.fullmatch(key)
    if not match or not 1 <= int(match[2]) <= 12:
        return key
    return f"{ENGLISH_MONTHS[int(match[2]) - 1]} {int(match[1])}"


def format_number(value: int, lang: str) -> str:
    """`12345` → `12 345` in French (narrow no-break space), `12,345` in English."""
    text = f"{value:,}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def format_decimal(value: float, lang: str, digits: int = 2) -> str:
    """`4.8437` → `4,84` in French, `4.84` in English."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text
