"""The HTML pages: the home page with the search box, and the results page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from search import Engine, SearchPage, Settings
from search.formatting import format_date, format_month
from search.i18n import N_, gettext

from . import EXTENSION, EngineHolder, language, render
from .auth import atom_url, csrf_token, logged_in
from .caching import conditional
from .filters import is_iso_day
from .language import _
from .params import SearchParams

bp = Blueprint("views", __name__)

# (label, relative `since` the engine understands, label of the active filter); the labels
# are msgids, said in the page's language.
DATE_PRESETS = (
    (N_("24 h"), "24h", N_("last 24 hours")),
    (N_("7 days"), "7d", N_("last 7 days")),
    (N_("30 days"), "30d", N_("last 30 days")),
    (N_("1 year"), "1y", N_("last 12 months")),
)

# (query, what it finds): the queries are French, as the archive is; the meanings msgids.
SYNTAX_EXAMPLES = (
    ("cnil amende", N_("both words, accents, plurals and elisions included")),
    ('"données personnelles"', N_("the exact phrase")),
    ("fibre OU 5G", N_("either one")),
    ("linux SAUF windows", N_("the first word without the second (or: linux -windows)")),
    ("titre:windows", N_("the word in the title (also: auteur:, tag:, flux:)")),
    ("numéri*", N_("the words that start so")),
    (
        "cnil depuis:lundi",
        N_('published since Monday (also: avant:2023, date:"mars 2023", il y a 3 jours)'),
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
    """The URL of `params` on a search endpoint (HTML page, API or Atom)."""
    return request_links()(params, endpoint, **kw)


def request_links() -> Callable[..., str]:
    """`search_url` for this request, made once per request.

    A results page links to itself a few dozen times (facets, pages, tags): each
    endpoint's path is built once and the query string by `SearchParams.query_string`,
    several times cheaper than `url_for` each time.
    """
    found: Callable[..., str] | None = g.get("search_links")
    if found is not None:
        return found
    paths: dict[str, str] = {}

    def link(params: SearchParams, endpoint: str = "views.search", **kw: Any) -> str:
        if kw:
            return url_for(endpoint, **params.url_args(), **kw)
        path = paths.get(endpoint)
        if path is None:
            path = paths[endpoint] = url_for(endpoint)
        return f"{path}?{params.query_string()}"

    g.search_links = link
    return link


def date_presets(params: SearchParams) -> list[dict[str, Any]]:
    """The 24 h / 7 jours / 30 jours / 1 an links (relative, so a bookmark stays current)."""
    out = []
    for label, since, _unused in DATE_PRESETS:
        active = params.since == since and not params.until
        target = params.with_(since="", until="") if active else params.with_(since=since, until="")
        out.append({"label": _(label), "url": search_url(target), "active": active})
    return out


#: How a date bound is said, by (bound, kind of value): French says `le 1er mars`,
#: `depuis le 1er mars`, `jusqu’au 1er mars`, `en mars 2024`, `jusqu’en 2025`, `jusqu’à …`.
DATE_WORDS = {
    ("on", "day"): N_("on {day}"),
    ("on", "month"): N_("in {month}"),
    ("since", "day"): N_("since {day}"),
    ("since", "month"): N_("since {month}"),
    ("since", "year"): N_("since {year}"),
    ("since", "other"): N_("since {value}"),
    ("until", "day"): N_("until {day}"),
    ("until", "month"): N_("until {month}"),
    ("until", "year"): N_("until {year}"),
    ("until", "other"): N_("until {value}"),
}


def date_filter_label(params: SearchParams, lang: str | None = None) -> str:
    """The active date filter in words: `7 derniers jours`, `en mars 2024`, `depuis le 1er mai…`
    (in `lang`, by default the request's)."""
    lang = lang or language.current()
    for _unused, since, label in DATE_PRESETS:
        if params.since == since and not params.until:
            return gettext(lang, label)
    if params.since and params.since == params.until:
        return _date_words(params.since, "on", lang)
    parts = []
    if params.since:
        parts.append(_date_words(params.since, "since", lang))
    if params.until:
        parts.append(_date_words(params.until, "until", lang))
    return " ".join(parts)


def _date_words(value: str, bound: str, lang: str) -> str:
    """`2024-03-01` → `le 1er mars 2024`, `2024-03` → `en mars 2024`, `2024` → `2024`, each
    with its bound (`depuis`, `jusqu’`)."""
    if is_iso_day(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return _bounded(bound, "other", lang, value=value)
        return _bounded(bound, "day", lang, day=format_date(datetime.combine(day, time()), lang))
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return _bounded(bound, "month", lang, month=format_month(value, lang))
    if re.fullmatch(r"\d{4}", value):
        return _bounded(bound, "year", lang, year=value)
    return _bounded(bound, "other", lang, value=value)


def _bounded(bound: str, kind: str, lang: str, **params: str) -> str:
    template = DATE_WORDS.get((bound, kind))
    if template is None:  # a single year or odd value: as it is
        return next(iter(params.values()))
    return gettext(lang, template).format(**params)


@bp.app_template_global("render_search_form")
def _search_form(params: SearchParams | None, **options: Any) -> Markup:
    """`web.render.search_form` in the page's language (a global: macros see no context)."""
    return render.search_form(params, language.current(), **options)


@bp.app_template_global("site_footer")
def _site_footer(csrf_token: Callable[[], str] | None) -> Markup:
    """`web.render.site_footer` in the page's language, with its language switches."""
    return render.site_footer(language.current(), language.switch_links(), csrf_token)


@bp.app_context_processor
def template_helpers() -> dict[str, Any]:
    """Helpers every template may call."""
    return {
        "search_url": search_url,
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
    lang = language.current()
    numbers = pagination(page)
    links = request_links()
    atom = atom_url(params)
    parts = {
        "hits_html": render.hit_list(page, params, lang, links, _why_box),
        "facets_html": render.facet_sections(page, params, lang, links),
        "results_bar_html": render.results_bar(page, params, lang, links),
        "pagination_html": render.pagination_nav(page, params, numbers, lang, links),
        "period_and_follow_html": render.period_and_follow(
            params, date_presets(params), lang, links, atom
        ),
    }
    if plain_results(page, params):
        footer = _site_footer(csrf_token if logged_in() else None)
        return str(render.results_page(params, lang, parts, atom, footer))
    return render_template(
        "search.html", params=params, page=page, examples=SYNTAX_EXAMPLES[:4], **parts
    )


def plain_results(page: SearchPage, params: SearchParams) -> bool:
    """Whether a results page is hits and nothing else to say (`render.results_page`)."""
    notices = page.corrected_from or page.suggestion or page.date_words or page.unknown_tags
    return bool(page.hits) and not (
        notices or page.fallback or params.has_filters or params.explain
    )


def _why_box(explanation: Any, page: SearchPage) -> str:
    """An explained hit's "Why?" box (`/search?explain=1`): the `_forms.html` macro the
    article page uses, looked up only when a page explains its hits."""
    module = current_app.jinja_env.get_template("_forms.html").module
    return str(module.why(explanation, page))  # type: ignore[attr-defined]


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
