"""The archived copy of an article: `/article/<key>` (HTML) and `/api/article/<key>` (JSON).

`<key>` is the article id in base64url (`search.keys`): it is decoded and checked before
anything is looked up, and a key that is not one is a 404 like an unknown article.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, request

from search import ArticlePage, article_id
from search.i18n import N_, Message

from .caching import conditional
from .params import SearchParams, query_too_long
from .views import engine, settings

bp = Blueprint("articles", __name__)

RELATED = 5
NOT_FOUND = N_("No article of the archive has this identifier.")


def _page(key: str, *, explain: bool) -> ArticlePage:
    """The article page of `key`, with the words of `?q=` marked (404 when there is none);
    with `explain`, why it matches `q` as the results sorted by `?sort=` ranked it.

    Raises:
        ParamError: `q` is too long.
    """
    q = request.args.get("q", "").strip()
    if len(q) > settings().max_query_length:
        raise query_too_long(len(q), settings().max_query_length)
    ident = article_id(key)
    sort = request.args.get("sort", "").strip() or "relevance"
    page = (
        engine().article(ident, query=q, related=RELATED, explain=explain, sort=sort)
        if ident is not None
        else None
    )
    if page is None:
        abort(404, Message(NOT_FOUND))
    return page


@bp.get("/article/<key>")
@conditional
def article(key: str) -> str:
    """The stored text of one article, its metadata, a link to the original and related
    articles; the search's words marked when reached from a result, and why it matched
    them (the results' "Pourquoi ?" shows that part of this page)."""
    page = _page(key, explain=True)
    return render_template("article.html", article=page, params=SearchParams(q=page.query))


@bp.get("/api/article/<key>")
@conditional
def api_article(key: str) -> Response:
    """The same as `/article/<key>`, as JSON (the shape of `fouille show --json`); with
    `explain=1` and `q`, why it matches `q`."""
    explain = request.args.get("explain", "").strip() in ("1", "true", "oui")
    return jsonify(_page(key, explain=explain).to_dict())
