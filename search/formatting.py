"""Human formats shared by the front ends."""

from __future__ import annotations

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


def french_date(moment: datetime) -> str:
    """`12 mars 2024` (`1er` for the first of the month)."""
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{day} {FRENCH_MONTHS[moment.month - 1]} {moment.year}"


def french_month(key: str) -> str:
    """`2024-03` → `mars 2024`."""
    year, _, month = key.partition("-")
    try:
        return f"{FRENCH_MONTHS[int(month) - 1]} {year}"
    except (ValueError, IndexError):
        return key
