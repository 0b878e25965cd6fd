"""Jinja filters: French dates, safe links."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def french_date(value: datetime | None) -> str:
    """`12 mars 2024` (and `1er mars 2024`), independent of the process locale."""
    if value is None:
        return ""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def french_month(value: str) -> str:
    """`2024-03` → `mars 2024`; anything else unchanged."""
    try:
        year, month = value.split("-")
        return f"{MONTHS[int(month) - 1]} {int(year)}"
    except (ValueError, IndexError):
        return value


def safe_url(value: str | None) -> str | None:
    """The URL when it is http(s) with a host, else None (then the page shows text, not a link)."""
    if not value:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return value.strip()
    return None


def french_number(value: int) -> str:
    """`12345` → `12 345` (narrow no-break space as thousands separator)."""
    return f"{value:,}".replace(",", "\u202f")


def is_iso_day(value: object) -> bool:
    """Whether `value` is a `YYYY-MM-DD` string (what an `<input type="date">` accepts)."""
    return isinstance(value, str) and bool(_ISO_DAY.fullmatch(value))


def register_filters(app: Flask) -> None:
    """Make the filters available to every template."""
    app.add_template_filter(french_date, "date_fr")
    app.add_template_filter(french_month, "month_fr")
    app.add_template_filter(safe_url, "safe_url")
    app.add_template_filter(french_number, "number_fr")
    app.add_template_test(is_iso_day, "iso_day")
