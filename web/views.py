"""The HTML pages: the home page with the search box, and the results page."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from urllib.parse import quote

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from search import Engine, Hit, SearchPage, Settings
from search.formatting import french_date, french_month
from search.results import Version

from . import EXTENSION, EngineHolder
from .caching import conditional
from .filters import is_iso_day
from .params import SORTS, SearchParams

bp = Blueprint("views", __name__)

# (label, relative `since` the engine understands, label of the active filter)
DATE_PRESETS = (
    ("24 h", "24h", "dernières 24 h"),
    ("7 jours", "7d", "7 derniers jours"),
    ("30 jours", "30d", "30 derniers jours"),
    ("1 an", "1y", "12 derniers mois"),
)

SYNTAX_EXAMPLES = (
    ("cnil amende", "les deux mots, accents, pluriels et élisions compris"),
    ('"données personnelles"', "l’expression exacte"),
    ("fibre OU 5G", "l’un ou l’autre"),
    ("linux SAUF windows", "le premier mot sans le second (ou : linux -windows)"),
    ("titre:windows", "le mot dans le titre (aussi : auteur:, tag:, flux:)"),
    ("numéri*", "les mots qui commencent ainsi"),
    (
        "cnil depuis:lundi",
        'publié depuis lundi (aussi : avant:2023, date:"mars 2023", il y a 3 jours)',
    ),
)


def engine() -> Engine:
    """The app's engine; raises `IndexNotFoundError` (a 503) while there is no index."""
    return _holder().get()


def settings() -> Settings:
    """The app's Fouille settings."""
    return _holder().settings


def _holder() -> EngineHolder:
    holder: EngineHolder = current_app.extensions[EXTENSION]
    return holder


def search_url(params: SearchParams, endpoint: str = "views.search", **kw: Any) -> str:
    """The URL of `params` on a search endpoint (HTML page, API or Atom).

    A results page links to itself a few dozen times (facets, pages, tags): the endpoint's
    path is built once per request and the query string by `SearchParams.query_string`,
    which is several times cheaper than `url_for` each time.
    """
    if kw:
        return url_for(endpoint, **params.url_args(), **kw)
    paths: dict[str, str] = g.setdefault("search_paths", {})
    path = paths.get(endpoint)
    if path is None:
        path = paths[endpoint] = url_for(endpoint)
    return f"{path}?{params.query_string()}"


def date_presets(params: SearchParams) -> list[dict[str, Any]]:
    """The 24 h / 7 jours / 30 jours / 1 an links (relative, so a bookmark stays current)."""
    out = []
    for label, since, _ in DATE_PRESETS:
        active = params.since == since and not params.until
        target = params.with_(since="", until="") if active else params.with_(since=since, until="")
        out.append({"label": label, "url": search_url(target), "active": active})
    return out


def date_filter_label(params: SearchParams) -> str:
    """The active date filter in words: `7 derniers jours`, `en mars 2024`, `depuis le 1er mai…`."""
    for _, since, label in DATE_PRESETS:
        if params.since == since and not params.until:
            return label
    if params.since and params.since == params.until:
        return _date_words(params.since, single=True)
    parts = []
    if params.since:
        parts.append(f"depuis {_date_words(params.since)}")
    if params.until:
        parts.append(f"jusqu’{_date_words(params.until, until=True)}")  # jusqu’au, jusqu’en
    return " ".join(parts)


def _date_words(value: str, *, single: bool = False, until: bool = False) -> str:
    """`2024-03-01` → `le 1er mars 2024`, `2024-03` → `mars 2024`, `2024` → `2024`."""
    if is_iso_day(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
        return ("au " if until else "le ") + french_date(datetime.combine(day, time()))
    if re.fullmatch(r"\d{4}-\d{2}", value):
        words = french_month(value)
        return f"en {words}" if single or until else words
    if until:
        return f"en {value}" if re.fullmatch(r"\d{4}", value) else f"à {value}"
    return value


def article_url(hit: Hit | Version, query: str = "", sort: str = "relevance") -> str:
    """The archived copy of a hit (`/article/<key>`), the words of `query` marked there
    (and explained as the results sorted by `sort` ranked it)."""
    path = url_for("articles.article", key=hit.key)
    if not query.strip():
        return path
    url = f"{path}?q={quote(query, safe='')}"
    return f"{url}&sort={sort}" if sort != "relevance" else url


@bp.app_context_processor
def template_helpers() -> dict[str, Any]:
    """Helpers every template may call."""
    return {
        "search_url": search_url,
        "article_url": article_url,
        "sorts": SORTS,
        "date_filter_label": date_filter_label,
    }


@bp.get("/")
def home() -> str:
    """The search box, what the archive holds, and a few query examples."""
    stats = engine().stats()
    return render_template(
        "home.html", stats=stats, examples=SYNTAX_EXAMPLES, params=SearchParams()
    )


@bp.get("/search")
@conditional
def search() -> str | Response:
    """The results page; every state of it (filters, sort, page) is in the URL."""
    params = SearchParams.from_args(request.args, settings())
    if not params.q and not params.has_filters:
        return redirect(url_for(".home"))
    # "Pourquoi ?" on each result links to (and, with the script, shows) the explanation
    # on the article's page: explaining ten hits here would cost more than the search.
    page: SearchPage = engine().search(params.q, **params.engine_kwargs())
    return render_template(
        "search.html",
        params=params,
        page=page,
        presets=date_presets(params),
        examples=SYNTAX_EXAMPLES[:4],
        pagination=pagination(page),
    )


def pagination(page: SearchPage, *, around: int = 2) -> list[int | None]:
    """Page numbers to link, with None for a gap: `[1, None, 4, 5, 6, 7, 8, None, 20]`."""
    if page.pages <= 1:
        return []
    wanted = {1, page.pages, *range(page.page - around, page.page + around + 1)}
    numbers = sorted(n for n in wanted if 1 <= n <= page.pages)
    out: list[int | None] = []
    for n in numbers:
        if out and out[-1] is not None and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out
