"""Jinja filters: dates and numbers in the page's language (from `search.formatting`),
safe links, snippets."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request, url_for
from markupsafe import Markup

from search import Snippet
from search.formatting import format_date, format_decimal, format_month, format_number
from search.i18n import N_

from .language import _, current

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


def number(value: int) -> str:
    """`12345` → `12 345` in French (narrow no-break space), `12,345` in English."""
    return format_number(value, current())


def decimal(value: float, digits: int = 2) -> str:
    """`4.8437` → `4,84` in French, `4.84` in English: a score."""
    return format_decimal(value, current(), digits)


def date(moment: datetime | None) -> str:
    """A date in the page's language: `12 mars 2024`, `12 March 2024`."""
    return format_date(moment, current())


def month(key: str) -> str:
    """`2024-03` in the page's language: `mars 2024`, `March 2024`."""
    return format_month(key, current())


FIELD_LABELS = {
    "text": N_("text (title, tags and body)"),
    "title": N_("title"),
    "body_exact": N_("body, exact word"),
    "title_exact": N_("title, exact word"),
    "tag": N_("tag"),
    "author": N_("author"),
    "feed_title": N_("feed"),
    "feed_url": N_("feed"),
}


def field_label(name: str) -> str:
    """A field of the index as the "Pourquoi ?" box names it."""
    label = FIELD_LABELS.get(name)
    return _(label) if label else name or _("other")


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
    if values and (len(values) > 1 or "filename" not in values):
        return url_for(endpoint, **values)
    site = g.get("url_site")
    if site is None:  # the request's part of the key, once per request
        site = g.url_site = (request.script_root, request.host_url)
    key = (site, endpoint, values.get("filename"))
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
    app.add_template_filter(date, "date")
    app.add_template_filter(month, "month")
    app.add_template_filter(safe_url, "safe_url")
    app.add_template_filter(number, "number")
    app.add_template_filter(marked, "marked")
    app.add_template_filter(decimal, "decimal")
    app.add_template_filter(field_label, "field_name")
    app.add_template_filter(replace_tag, "replace_tag")
    app.add_template_test(is_iso_day, "iso_day")
