"""The language of each answer, English or French, and the templates' gettext.

A reader chooses with `?lang=fr` or `?lang=en` (the links at the foot of every page), which
a `lang` cookie then remembers; else the site's `lang` setting decides, when it is set; else
the browser's `Accept-Language` (English when it names neither language); a client that
sends no `Accept-Language` at all (curl, a script) gets French, the archive's own language
and the site's language before it spoke two. Pages (`<html lang>`), API error messages,
Atom and OpenSearch all follow it. The catalogue is search/i18n.py's: one for every front
end. This small wiring does what Flask-Babel would (a locale selector and Jinja's i18n
extension), without a dependency that would hold a second catalogue for the web alone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, has_request_context, request
from werkzeug.datastructures import MultiDict

from search import Settings
from search.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    gettext,
    language_of,
    localize,
    ngettext,
    pgettext,
)

#: What a client that states no language preference gets: the archive's language.
CONTENT_LANGUAGE = "fr"
COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600
#: Each language named in itself, for the switch.
NAMES = {"en": "English", "fr": "Français"}
SETTINGS = "fouille.settings"


def current() -> str:
    """The language of this request's answer ("en" outside a request)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    lang: str | None = g.get("lang")
    if lang is None:
        lang = g.lang = _choose()
    return lang


def _choose() -> str:
    asked = language_of(_arg(request.args, "lang"))
    if asked:
        return asked
    remembered = language_of(_arg(request.cookies, COOKIE))
    if remembered:
        return remembered
    settings: Settings | None = current_app.extensions.get(SETTINGS)
    if settings is not None and settings.lang:
        return settings.lang
    if not request.environ.get("HTTP_ACCEPT_LANGUAGE", "").strip():
        return CONTENT_LANGUAGE
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def _(msgid: str, **params: object) -> str:
    """`msgid` in this request's language, its `{name}` parameters filled."""
    text = gettext(current(), msgid)
    return text.format(**params) if params else text


def say(text: object) -> str:
    """A `Message` (an error of the core, a feed's last error) in this request's language;
    any other text as it is."""
    return localize(text, current())


def switch_links() -> list[dict[str, Any]]:
    """The links to this page in the other languages (`?lang=`), for the page's foot."""
    here = current()
    links = []
    for lang in LANGUAGES:
        if lang == here:
            continue
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
        query = urlencode([*args, ("lang", lang)])
        url = f"{request.script_root}{request.path}?{query}"
        links.append({"lang": lang, "name": NAMES[lang], "url": url})
    return links


def _arg(values: MultiDict[str, str], name: str) -> str | None:
    """`values.get(name)` without its cost when absent (werkzeug raises and catches an HTTP
    exception then), as `lang` is from nearly every request."""
    return values.get(name) if name in values else None


def _remember(response: Response) -> Response:
    """after_request: keep a `?lang=` choice in a cookie, and tell caches that the answer
    depends on the language asked for."""
    if request.endpoint == "static":
        return response
    asked = language_of(_arg(request.args, "lang"))
    if asked and asked != language_of(_arg(request.cookies, COOKIE)):
        response.set_cookie(
            COOKIE,
            asked,
            max_age=COOKIE_AGE,
            path=request.script_root or "/",
            samesite="Lax",
            secure=request.is_secure,
            httponly=True,
        )
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def _jinja_gettext(msgid: str) -> str:
    return gettext(current(), msgid)


def _jinja_ngettext(singular: str, plural: str, count: int) -> str:
    return ngettext(current(), singular, plural, count)


def _jinja_pgettext(context: str, msgid: str) -> str:
    return pgettext(current(), context, msgid)


def _jinja_npgettext(context: str, singular: str, plural: str, count: int) -> str:
    from search.i18n import translations

    return translations(current()).npgettext(context, singular, plural, count)


def init_app(app: Flask, settings: Settings) -> None:
    """Choose a language per request, and give the templates `_()`, `{% trans %}`, `lang`
    and the switch links."""
    app.extensions[SETTINGS] = settings
    app.jinja_env.add_extension("jinja2.ext.i18n")
    # `{% trans %}` blocks are one line in the catalogue, however the template wraps them.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        _jinja_gettext,
        _jinja_ngettext,
        newstyle=True,
        pgettext=_jinja_pgettext,
        npgettext=_jinja_npgettext,
    )
    app.after_request(_remember)
    app.add_template_filter(say, "say")

    @app.context_processor
    def language() -> dict[str, Any]:
        return {"lang": current(), "language_links": switch_links}
