"""Jinja filters: French dates (from `search.formatting`), safe links, French numbers."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for
from markupsafe import Markup

from search import Snippet
from search.formatting import french_date, french_month

URL_CACHE = "fouille.urls"
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


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


def french_decimal(value: float, digits: int = 2) -> str:
    """`4.8437` → `4,84`: a score as French writes it."""
    return f"{value:.{digits}f}".replace(".", ",")


FIELD_LABELS = {
    "text": "texte (titre, tags et corps)",
    "title": "titre",
    "body_exact": "corps, mot exact",
    "title_exact": "titre, mot exact",
    "tag": "tag",
    "author": "auteur",
    "feed_title": "flux",
    "feed_url": "flux",
}


def field_label(name: str) -> str:
    """A field of the index as the "Pourquoi ?" box names it."""
    return FIELD_LABELS.get(name, name or "autre")


def replace_tag(tags: tuple[str, ...], old: str, new: str) -> tuple[str, ...]:
    """The tag filters with `old` replaced by `new` (for "Tags proches" links)."""
    return tuple(dict.fromkeys(new if tag == old else tag for tag in tags))


def is_iso_day(value: object) -> bool:
    """Whether `value` is a `YYYY-MM-DD` string (what an `<input type="date">` accepts)."""
    return isinstance(value, str) and bool(_ISO_DAY.fullmatch(value))


def marked(snippet: Snippet) -> Markup:
    """A snippet as HTML: its text escaped, its highlights in <mark> (`Snippet.html`, in
    Python: the same loop in the template cost more than the search)."""
    return Markup(snippet.html())


def constant_url_for(endpoint: str, **values: Any) -> str:
    """`url_for`, remembered for the links that are the same on every page (static files,
    the routes without parameters): a page names a dozen of them, each a route build."""
    if values.keys() - {"filename"}:
        return url_for(endpoint, **values)
    key = (request.script_root, request.host_url, endpoint, values.get("filename"))
    cache: dict[tuple[Any, ...], str] = current_app.extensions.setdefault(URL_CACHE, {})
    found = cache.get(key)
    if found is None:
        if len(cache) >= 256:
            cache.clear()
        found = cache[key] = url_for(endpoint, **values)
    return found


def register_filters(app: Flask) -> None:
    """Make the filters (and the remembering `url_for`) available to every template."""
    app.jinja_env.globals["url_for"] = constant_url_for
    app.add_template_filter(french_date, "date_fr")
    app.add_template_filter(french_month, "month_fr")
    app.add_template_filter(safe_url, "safe_url")
    app.add_template_filter(french_number, "number_fr")
    app.add_template_filter(marked, "marked")
    app.add_template_filter(french_decimal, "decimal_fr")
    app.add_template_filter(field_label, "field_fr")
    app.add_template_filter(replace_tag, "replace_tag")
    app.add_template_test(is_iso_day, "iso_day")
