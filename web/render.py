"""The list of hits of a results page, rendered in Python.

The hit list is most of a results page's HTML and was most of its rendering time: ten
articles, each with a dozen links, dates, tags and translated words, went through as many
Jinja macro and gettext calls. Here the words of the page's language are looked up once
per page, the links to the archive and to each tag built once, and every piece of text
from the index is escaped by `markupsafe.escape` as the template's autoescape would.
`search.html` includes what `hit_list` returns; `tests/test_pages.py` and the browser
tests hold its structure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import url_for
from markupsafe import Markup, escape

from search import SearchPage
from search.formatting import format_date, format_month, format_number
from search.i18n import translations

from .filters import constant_url_for, is_iso_day, safe_url
from .params import SORTS, SearchParams


def hit_list(
    page: SearchPage,
    params: SearchParams,
    lang: str,
    search_url: Callable[[SearchParams], str],
    why: Callable[[Any, SearchPage], str],
) -> Markup:
    """The `<ol class="hits">` of `page` (empty when it has no hits); `why` renders an
    explained hit's "Why?" box (the `_forms.html` macro), `search_url` a filter link."""
    if not page.hits:
        return Markup("")
    words = translations(lang)
    gettext = words.gettext
    untitled = escape(gettext("(untitled)"))
    updated_on = gettext('(updated on <time datetime="%(iso)s">%(day)s</time>)')
    archived = escape(gettext("archived copy"))
    why_label = escape(gettext("Why?"))
    see_why = escape(gettext("See the details of the score"))
    other_versions = escape(gettext("Other versions"))
    tags_label = escape(gettext("Tags"))
    filter_title = escape(gettext("Filter on this tag"))
    # The archive's path for any key (keys are base64url: nothing to quote).
    article_path = url_for("articles.article", key="KEY").rsplit("KEY", 1)
    query = page.query.strip()
    query_args = f"?q={quote(page.query, safe='')}" if query else ""
    sorted_args = f"{query_args}&sort={page.sort}" if query and page.sort != "relevance" else ""
    tag_links: dict[str, tuple[str, bool]] = {}
    dates: dict[datetime, str] = {}

    def day(moment: datetime) -> str:
        found = dates.get(moment)
        if found is None:
            found = dates[moment] = str(escape(format_date(moment, lang)))
        return found

    def archive_url(key: str, args: str) -> str:
        return f"{article_path[0]}{key}{article_path[1]}{args}"

    def tag_link(tag: str) -> tuple[str, bool]:
        found = tag_links.get(tag)
        if found is None:
            active = tag in params.tags
            target = params if active else params.with_(tags=(*params.tags, tag))
            found = tag_links[tag] = (str(escape(search_url(target))), active)
        return found

    out = [f'<ol class="hits" start="{(page.page - 1) * page.page_size + 1}">']
    add = out.append
    for n, hit in enumerate(page.hits, 1):
        key = hit.key
        add(f'<li>\n<article class="hit" aria-labelledby="hit-{n}" data-id="{_text(hit.id)}">')
        title = (
            hit.title_snippet.html() if hit.title_snippet.text else escape(hit.title) or untitled
        )
        href = safe_url(hit.url)
        if href:
            link = _text(href)
            add(
                f'<h2 class="hit-title" id="hit-{n}"><a href="{link}" '
                f'rel="noopener noreferrer">{title}</a></h2>'
            )
        else:
            add(f'<h2 class="hit-title" id="hit-{n}"><span class="hit-nolink">{title}</span></h2>')
        meta = [f'<time datetime="{hit.published.isoformat()}">{day(hit.published)}</time>']
        if hit.updated and hit.updated.date() != hit.published.date():
            when = updated_on % {"iso": hit.updated.isoformat(), "day": day(hit.updated)}
            meta.append(f' <span class="updated">{when}</span>')
        if hit.author:
            meta.append(f' · <span class="author">{_text(hit.author)}</span>')
        if hit.feed:
            meta.append(f' · <span class="feed">{_text(hit.feed)}</span>')
        if href:
            meta.append(f' · <span class="host">{_text(href.split("/")[2])}</span>')
        add(f'<p class="hit-meta">{"".join(meta)}</p>')
        if hit.snippet.text:
            add(f'<p class="snippet">{hit.snippet.html()}</p>')
        if hit.version_count > 1:
            count = words.ngettext(
                "%(count)s version of this article:",
                "%(count)s versions of this article:",
                hit.version_count,
            ) % {"count": hit.version_count}
            add(f'<div class="versions">{escape(count)}\n<ul aria-label="{other_versions}">')
            for version in hit.versions:
                name = _text(version.feed or version.title or version.id)
                add(
                    f'<li><a href="{_text(archive_url(version.key, query_args))}">{name}</a> '
                    f'(<time datetime="{version.published.isoformat()}">'
                    f"{day(version.published)}</time>)</li>"
                )
            add("</ul>\n</div>")
        add('<div class="hit-links">')
        add(f'<a class="archived-link" href="{_text(archive_url(key, query_args))}">{archived}</a>')
        if hit.explanation and page.normalized:
            add(str(why(hit.explanation, page)))
        elif query:
            why_url = _text(archive_url(key, sorted_args or query_args))
            add(
                f'<details class="why" data-why-url="{why_url}">\n<summary>{why_label}</summary>\n'
                f'<p class="why-link"><a href="{why_url}#pourquoi">{see_why}</a></p>\n</details>'
            )
        add("</div>")
        if hit.tags:
            add(f'<ul class="hit-tags" aria-label="{tags_label}">')
            for tag in hit.tags:
                url, active = tag_link(tag)
                state = ' class="active"' if active else ""
                add(f'<li><a href="{url}" title="{filter_title}"{state}>#{_text(tag)}</a></li>')
            add("</ul>")
        add("</article>\n</li>")
    add("</ol>")
    return Markup("\n".join(out))


_SPECIAL = re.compile("[&<>\"']").search


def _text(value: str) -> str:
    """`value` escaped for HTML as `markupsafe.escape` does, returned as it is when it has
    nothing to escape (most of a page's ids, names and links: escape makes a Markup of
    each, three Python calls)."""
    return str(escape(value)) if _SPECIAL(value) else value


#: Months the "By month" facet lists, the latest first.
MONTHS_SHOWN = 12


def facet_sections(
    page: SearchPage, params: SearchParams, lang: str, search_url: Callable[[SearchParams], str]
) -> Markup:
    """The tag, feed, author and month facets of the results sidebar: each value links to
    the search narrowed to it (or, when it is the active filter, widened again)."""
    gettext = translations(lang).gettext
    facets = page.facets
    out: list[str] = []
    if facets.tags:
        out.append(
            _section(
                "tags-titre",
                gettext("Tags"),
                [
                    (t, search_url(params.toggle_tag(t)), t in params.tags, n)
                    for t, n in facets.tags
                ],
                lang,
            )
        )
    if facets.feeds:
        feeds = _toggles(params, "feed", facets.feeds, search_url)
        out.append(_section("flux-titre", gettext("Feeds"), feeds, lang))
    if facets.authors:
        authors = _toggles(params, "author", facets.authors, search_url)
        out.append(_section("auteurs-titre", gettext("Authors"), authors, lang))
    if facets.months:
        months = [
            (
                format_month(m, lang),
                search_url(params.with_(since=m, until=m)),
                params.since == m and params.until == m,
                n,
            )
            for m, n in list(reversed(facets.months))[:MONTHS_SHOWN]
        ]
        out.append(_section("mois-titre", gettext("By month"), months, lang, " months"))
    return Markup("\n".join(out))


def _toggles(
    params: SearchParams,
    name: str,
    counts: tuple[tuple[str, int], ...],
    search_url: Callable[[SearchParams], str],
) -> list[tuple[str, str, bool, int]]:
    """(value, link, active, count) of a facet whose value is the filter `name` (feed,
    author): a link sets that filter, or clears it when it is the active one."""
    current = getattr(params, name)
    return [
        (
            value,
            search_url(params.with_(**{name: "" if current == value else value})),
            current == value,
            count,
        )
        for value, count in counts
    ]


def _section(
    ident: str, title: str, items: list[tuple[str, str, bool, int]], lang: str, kind: str = ""
) -> str:
    out = [
        f'<section class="facet" aria-labelledby="{ident}">',
        f'<h3 id="{ident}">{escape(title)}</h3>',
        f'<ul class="facet-list{kind}">',
    ]
    for name, url, active, count in items:
        state = ' aria-current="true" class="active"' if active else ""
        out.append(
            f'<li><a href="{escape(url)}"{state}>\n<span class="facet-name">{escape(name)}</span> '
            f'<span class="count">{escape(format_number(count, lang))}</span></a></li>'
        )
    out.append("</ul>\n</section>")
    return "\n".join(out)


def results_bar(
    page: SearchPage, params: SearchParams, lang: str, search_url: Callable[[SearchParams], str]
) -> Markup:
    """The count of results (and of distinct stories, and pages) and the sort switch."""
    words = translations(lang)
    gettext, ngettext = words.gettext, words.ngettext
    total = format_number(page.total, lang)
    if page.total and params.q:
        count = Markup(
            ngettext(
                "<strong>%(total)s</strong> result for “<bdi>%(query)s</bdi>”",
                "<strong>%(total)s</strong> results for “<bdi>%(query)s</bdi>”",
                page.total,
            )
        ) % {"total": total, "query": params.q}
    elif page.total:
        count = Markup(
            ngettext(
                "<strong>%(total)s</strong> result",
                "<strong>%(total)s</strong> results",
                page.total,
            )
        ) % {"total": total}
    elif params.q:
        count = Markup(gettext("No results for “<bdi>%(query)s</bdi>”")) % {"query": params.q}
    else:
        count = escape(gettext("No results"))
    parts = [str(count)]
    if page.total and page.stories is not None and page.stories < page.total:
        stories = ngettext(
            "%(stories)s distinct article", "%(stories)s distinct articles", page.stories
        ) % {"stories": format_number(page.stories, lang)}
        parts.append(f" · {escape(stories)}")
    if page.total and page.pages > 1:
        of = gettext("page %(number)s of %(pages)s") % {"number": page.page, "pages": page.pages}
        parts.append(f" · {escape(of)}")
    took = f"{page.took_ms:.0f}" if page.took_ms >= 1 else "&lt; 1"
    parts.append(f'\n<span class="took">({took} ms)</span>')
    links = []
    for key, label in SORTS.items():
        state = ' aria-current="true" class="current"' if key == page.sort else ""
        url = escape(search_url(params.with_(sort=key)))
        links.append(f'<li><a href="{url}"{state}>{escape(gettext(label))}</a></li>')
    order = escape(gettext("Order of the results"))
    sort_by = escape(gettext("Sort by:"))
    return Markup(
        '<div class="results-bar">\n'
        f'<p class="results-count" role="status">{"".join(parts)}</p>\n'
        f'<nav class="sort-switch" aria-label="{order}">\n'
        f'<span class="sort-label" id="tri-label">{sort_by}</span>\n'
        f'<ul aria-labelledby="tri-label">{"".join(links)}</ul>\n</nav>\n</div>'
    )


def pagination_nav(
    page: SearchPage,
    params: SearchParams,
    numbers: list[int | None],
    lang: str,
    search_url: Callable[[SearchParams], str],
) -> Markup:
    """The links to the other pages of results (`numbers`: None for a gap)."""
    if not numbers:
        return Markup("")
    gettext = translations(lang).gettext

    def url(number: int) -> str:
        return str(escape(search_url(params.with_(page=number))))

    items = []
    if page.page > 1:
        previous = escape(gettext("‹ Previous"))
        items.append(f'<li><a rel="prev" href="{url(page.page - 1)}">{previous}</a></li>')
    for number in numbers:
        if number is None:
            items.append('<li class="gap" aria-hidden="true">…</li>')
        elif number == page.page:
            items.append(
                f'<li><a aria-current="page" class="current" href="{url(number)}">{number}</a></li>'
            )
        else:
            label = escape(gettext("Page %(number)s") % {"number": number})
            items.append(f'<li><a href="{url(number)}" aria-label="{label}">{number}</a></li>')
    if page.page < page.pages:
        following = escape(gettext("Next ›"))
        items.append(f'<li><a rel="next" href="{url(page.page + 1)}">{following}</a></li>')
    label = escape(gettext("Pages of results"))
    return Markup(
        f'<nav class="pagination" aria-label="{label}">\n<ul>\n'
        + "\n".join(items)
        + "\n</ul>\n</nav>"
    )


def search_form(
    params: SearchParams | None,
    lang: str,
    *,
    autofocus: bool = False,
    big: bool = False,
    label: str | None = None,
) -> Markup:
    """The search box of every page (in the header; big on the home page), keeping the
    active filters of `params` as hidden fields."""
    gettext = translations(lang).gettext
    label_text = escape(label or gettext("Search the articles"))
    placeholder = escape(gettext("e.g. intelligence artificielle"))
    button = escape(gettext("Search"))
    hidden = _kept_filters(params, ("since", "until", "author", "feed")) if params else []
    return Markup(
        f'<form class="search-form{" search-form--big" if big else ""}" role="search" '
        f'method="get" action="{escape(constant_url_for("views.search"))}">\n'
        f'<label for="q" class="{"" if big else "visually-hidden"}">'
        f"{label_text}</label>\n"
        '<div class="search-row">\n'
        f'<input id="q" name="q" type="search" value="{escape(params.q if params else "")}"'
        f"{' autofocus' if autofocus else ''}\n"
        'autocomplete="off" spellcheck="false" enterkeyhint="search"\n'
        f'list="q-suggestions" data-suggest-url="{escape(constant_url_for("api.api_suggest"))}"\n'
        f'placeholder="{placeholder}">\n'
        '<datalist id="q-suggestions"></datalist>\n'
        f"{''.join(hidden)}\n"
        f'<button type="submit">{button}</button>\n'
        "</div>\n</form>"
    )


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" value="{escape(value)}">'


def _kept_filters(params: SearchParams, names: tuple[str, ...]) -> list[str]:
    """Hidden fields that keep the tag filters, the filters `names` and the sort of
    `params` through a form's submission."""
    kept = [_hidden("tag", tag) for tag in params.tags]
    kept.extend(_hidden(name, getattr(params, name)) for name in names if getattr(params, name))
    if params.sort != "relevance":
        kept.append(_hidden("sort", params.sort))
    return kept


def site_footer(
    lang: str, switches: list[dict[str, Any]], csrf_token: Callable[[], str] | None
) -> Markup:
    """The foot of every page: the site's links, the other languages (`switches`, from
    `language.switch_links`), and the logout button when `csrf_token` is given (someone
    is logged in)."""
    gettext = translations(lang).gettext
    site = escape(gettext("Fouille, full-text search in RSS and Atom feeds"))
    feeds = escape(gettext("Feeds followed"))
    status = escape(gettext("Index status"))
    log_out = escape(gettext("Log out"))
    opensearch = escape(constant_url_for("api.opensearch"))
    links = "".join(
        f' ·\n<a class="language-switch" href="{escape(link["url"])}" '
        f'hreflang="{escape(link["lang"])}" lang="{escape(link["lang"])}" '
        f'rel="alternate">{escape(link["name"])}</a>'
        for link in switches
    )
    out = [
        f"<p>{site} ·\n"
        f'<a href="{opensearch}" type="application/opensearchdescription+xml">OpenSearch</a> ·\n'
        f'<a href="{escape(constant_url_for("feeds.page"))}">'
        f"{feeds}</a> ·\n"
        f'<a href="{escape(constant_url_for("api.healthz"))}">'
        f"{status}</a>{links}</p>"
    ]
    if csrf_token is not None:
        logout = escape(constant_url_for("auth.logout"))
        out.append(
            f'<form class="logout" method="post" action="{logout}">\n'
            f'<input type="hidden" name="csrf" value="{escape(csrf_token())}">\n'
            f'<button type="submit">{log_out}</button>\n</form>'
        )
    return Markup("\n".join(out))


def period_and_follow(
    params: SearchParams,
    presets: list[dict[str, Any]],
    lang: str,
    search_url: Callable[..., str],
    atom_url: str,
) -> Markup:
    """The end of the results sidebar: the date presets and range, and the links that
    follow the search (Atom, JSON)."""
    gettext = translations(lang).gettext
    all_dates_label = escape(gettext("All dates"))
    period, apply = escape(gettext("Period")), escape(gettext("Apply"))
    since_label, until_label = escape(gettext("From")), escape(gettext("To"))
    follow = escape(gettext("Follow this search"))
    atom_label, json_label = escape(gettext("Atom feed")), escape(gettext("Results as JSON"))
    current = ' aria-current="true" class="active"'
    all_dates = search_url(params.with_(since="", until=""))
    items = [
        f'<li><a href="{escape(all_dates)}"'
        f"{'' if params.since or params.until else current}>"
        f"{all_dates_label}</a></li>"
    ]
    items.extend(
        f'<li><a href="{escape(preset["url"])}"{current if preset["active"] else ""}>'
        f"{escape(preset['label'])}</a></li>"
        for preset in presets
    )
    # The dates are the form's own fields.
    kept = [_hidden("q", params.q), *_kept_filters(params, ("author", "feed"))]
    since = params.since if is_iso_day(params.since) else ""
    until = params.until if is_iso_day(params.until) else ""
    json_url = search_url(params, "api.api_search")
    return Markup(
        '<section class="facet" aria-labelledby="dates-titre">\n'
        f'<h3 id="dates-titre">{period}</h3>\n'
        f'<ul class="presets">\n{chr(10).join(items)}\n</ul>\n'
        '<form class="date-range" method="get" '
        f'action="{escape(constant_url_for("views.search"))}">\n'
        f"{''.join(kept)}\n"
        f'<div class="field"><label for="since">{since_label}</label>\n'
        f'<input id="since" name="since" type="date" value="{escape(since)}"></div>\n'
        f'<div class="field"><label for="until">{until_label}</label>\n'
        f'<input id="until" name="until" type="date" value="{escape(until)}"></div>\n'
        f'<button type="submit">{apply}</button>\n'
        "</form>\n</section>\n\n"
        '<section class="facet follow" aria-labelledby="suivre-titre">\n'
        f'<h3 id="suivre-titre">{follow}</h3>\n<ul>\n'
        f'<li><a href="{escape(atom_url)}" type="application/atom+xml">'
        f"{atom_label}</a></li>\n"
        f'<li><a href="{escape(json_url)}" type="application/json">'
        f"{json_label}</a></li>\n"
        "</ul>\n</section>"
    )


def results_page(
    params: SearchParams,
    lang: str,
    parts: dict[str, Markup],
    atom_url: str,
    footer: Markup,
) -> Markup:
    """The whole results page when it has hits and nothing to notice (no correction,
    suggestion, dates read in the query, unknown tag, fallback, active filter or
    explanation): what `search.html` renders then, without Jinja's cost per page (a
    tenth of the page's time). `parts`: the `*_html` pieces `search.html` includes;
    `tests/test_pages.py` checks that both give the same page."""
    words = translations(lang)
    gettext = words.gettext
    description = escape(
        gettext("Fouille: full-text search, in French, in the articles of RSS and Atom feeds.")
    )
    search_word = escape(words.pgettext("page title", "Search"))
    follow = escape(gettext("Fouille: follow this search"))
    skip = escape(gettext("Skip to content"))
    home_label = escape(gettext("Fouille, home"))
    refine = escape(gettext("Refine"))
    if params.q:
        heading = Markup(gettext("Results for “<bdi>%(query)s</bdi>”")) % {"query": params.q}
        title = f"{escape(params.q)} · {search_word} · Fouille"
    else:
        heading = escape(gettext("Results"))
        title = f"{search_word} · Fouille"
    icon = escape(constant_url_for("static", filename="fouille.svg"))
    return Markup(
        "<!doctype html>\n"
        f'<html lang="{escape(lang)}">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f'<meta name="description" content="{description}">\n'
        f"<title>{title}</title>\n"
        '<link rel="stylesheet" '
        f'href="{escape(constant_url_for("static", filename="fouille.css"))}">\n'
        f'<link rel="icon" type="image/svg+xml" href="{icon}">\n'
        '<link rel="search" type="application/opensearchdescription+xml" title="Fouille" '
        f'href="{escape(constant_url_for("api.opensearch"))}">\n'
        f'<link rel="alternate" type="application/atom+xml" title="{follow}"\n'
        f'href="{escape(atom_url)}">\n'
        f'<script src="{escape(constant_url_for("static", filename="fouille.js"))}" defer>'
        "</script>\n</head>\n"
        '<body class="page-search">\n'
        f'<a class="skip-link" href="#contenu">{skip}</a>\n'
        '<header class="site-header">\n'
        f'<a class="brand" href="{escape(constant_url_for("views.home"))}" '
        f'aria-label="{home_label}">\n'
        f'<img src="{icon}" alt="" width="28" height="28"><span>Fouille</span>\n</a>\n'
        f"{search_form(params, lang)}\n"
        "</header>\n"
        '<main id="contenu" tabindex="-1">\n'
        '<div class="results-layout">\n<div class="results-main">\n'
        f'<h1 id="resultats-titre" class="visually-hidden">{heading}</h1>\n'
        f"{parts['results_bar_html']}\n"
        f"{parts['hits_html']}\n"
        f"{parts['pagination_html']}\n"
        "</div>\n"
        '<aside class="filters" aria-labelledby="filtres-titre">\n'
        f'<h2 id="filtres-titre">{refine}</h2>\n'
        f"{parts['facets_html']}\n"
        f"{parts['period_and_follow_html']}\n"
        "</aside>\n</div>\n</main>\n"
        f'<footer class="site-footer">\n{footer}\n</footer>\n'
        "</body>\n</html>"
    )
