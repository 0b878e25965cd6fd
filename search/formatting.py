"""Human formats shared by the front ends: dates and months in French."""

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
