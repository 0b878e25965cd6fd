"""Machine interfaces: the JSON API, OpenSearch suggestions and description, Atom, health."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, jsonify, request, url_for
from werkzeug.urls import iri_to_uri

from search import VERSION, FouilleError, Hit, SearchPage

from .auth import authenticated
from .caching import conditional
from .filters import safe_url
from .language import _
from .params import SearchParams, too_long
from .views import engine, search_url, settings

bp = Blueprint("api", __name__)

SUGGEST_LIMIT = 8
MAX_SUGGEST_LENGTH = 100
ATOM_ENTRIES = 20
ATOM_NS = "http://www.w3.org/2005/Atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
MOZ_NS = "http://www.mozilla.org/2006/browser/search/"
OPENSEARCH_TYPE = "application/opensearchdescription+xml"
SUGGEST_TYPE = "application/x-suggestions+json"
# Characters XML 1.0 cannot carry at all, even escaped; feeds do contain them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@bp.get("/api/search")
@conditional
def api_search() -> Response:
    """The same search as `/search`, as JSON (the shape of `fouille search --json`)."""
    params = SearchParams.from_args(request.args, settings())
    page = engine().search(params.q, **params.engine_kwargs())
    return jsonify(page.to_dict())


@bp.get("/api/suggest")
@conditional
def api_suggest() -> Response:
    """OpenSearch suggestions: `["prefix", ["completion", …]]`."""
    q = request.args.get("q", "")
    if len(q) > MAX_SUGGEST_LENGTH:
        raise too_long("q", MAX_SUGGEST_LENGTH)
    completions = engine().suggest(q, limit=SUGGEST_LIMIT) if q.strip() else []
    response = jsonify([q, list(completions)])
    response.mimetype = SUGGEST_TYPE
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """200 with the index statistics while an index is open (503 otherwise).

    On a site with a password, anyone may ask, but only someone logged in (or with a token)
    learns more than whether the index is up.
    """
    if not authenticated():
        try:
            engine().stats()
        except FouilleError:
            response = jsonify({"status": "unavailable"})
            response.status_code = 503
            response.headers["Retry-After"] = "30"
            return response
        return jsonify({"status": "ok"})
    stats = engine().stats()
    return jsonify({"status": "ok", "version": VERSION, "index": stats.to_dict()})


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    """The OpenSearch description, so browsers can add Fouille as a search engine."""
    # Unqualified names with explicit xmlns attributes: ElementTree writes them as they are.
    root = ET.Element("OpenSearchDescription", {"xmlns": OPENSEARCH_NS, "xmlns:moz": MOZ_NS})

    def child(tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(root, tag, attrs)
        element.text = text
        return element

    child("ShortName", "Fouille")
    child("Description", _("Full-text search in the news articles archived by Fouille"))
    child("InputEncoding", "UTF-8")
    child("Language", "fr")
    child(
        "Image",
        url_for("static", filename="fouille.svg", _external=True),
        width="16",
        height="16",
        type="image/svg+xml",
    )
    base = url_for("views.search", _external=True)
    child("Url", type="text/html", method="get", template=base + "?q={searchTerms}")
    child(
        "Url",
        type=SUGGEST_TYPE,
        method="get",
        template=url_for("api.api_suggest", _external=True) + "?q={searchTerms}",
    )
    child(
        "Url",
        type="application/atom+xml",
        method="get",
        template=url_for("api.atom", _external=True) + "?q={searchTerms}",
    )
    child(
        "Url", type=OPENSEARCH_TYPE, rel="self", template=url_for("api.opensearch", _external=True)
    )
    moz = ET.SubElement(root, "moz:SearchForm")
    moz.text = url_for("views.home", _external=True)
    body = ET.tostring(root, encoding="unicode")
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + body, mimetype=OPENSEARCH_TYPE)


@bp.get("/search.atom")
@conditional
def atom() -> Response:
    """The newest articles matching a search, as an Atom feed a reader can follow."""
    params = SearchParams.from_args(request.args, settings())
    params = params.with_(
        sort="date", page=1, page_size=min(ATOM_ENTRIES, settings().max_page_size)
    )
    page = engine().search(params.q, **params.engine_kwargs())
    xml = atom_feed(page, params)
    return Response(xml, mimetype="application/atom+xml")


def atom_feed(page: SearchPage, params: SearchParams) -> str:
    """Serialize one page of hits as an Atom 1.0 document (RFC 4287)."""
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", "fr")
    described = " ; ".join(
        part
        for part in (
            _("“{query}”", query=params.q) if params.q else "",
            ", ".join(f"#{t}" for t in params.tags),
        )
        if part
    )
    _text(
        feed,
        "title",
        _("Fouille: {search}", search=described) if described else _("Fouille: latest articles"),
    )
    feed_url = iri_to_uri(request.url)
    _text(feed, "id", feed_url)
    _text(feed, "updated", _iso(_newest(page.hits)))
    _link(feed, "self", feed_url, "application/atom+xml")
    _link(
        feed,
        "alternate",
        search_url(params.with_(sort="date", page_size=None), _external=True),
        "text/html",
    )
    link = _link(feed, "search", url_for("api.opensearch", _external=True), OPENSEARCH_TYPE)
    link.set("title", "Fouille")
    author = ET.SubElement(feed, "author")
    _text(author, "name", "Fouille")
    generator = _text(feed, "generator", "Fouille")
    generator.set("version", VERSION)
    for hit in page.hits:
        _entry(feed, hit)
    body = ET.tostring(feed, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _entry(feed: ET.Element, hit: Hit) -> None:
    entry = ET.SubElement(feed, "entry")
    _text(entry, "id", safe_url(hit.url) or f"urn:fouille:article:{hit.id}")
    _text(entry, "title", hit.title or _("(untitled)"))
    _text(entry, "published", _iso(hit.published))
    _text(entry, "updated", _iso(hit.updated or hit.published))
    if safe_url(hit.url):
        _link(entry, "alternate", hit.url, "text/html")
    if hit.author:
        author = ET.SubElement(entry, "author")
        _text(author, "name", hit.author)
    for tag in hit.tags:
        ET.SubElement(entry, "category", {"term": _clean(tag)})
    if hit.feed or hit.feed_url:
        source = ET.SubElement(entry, "source")
        if hit.feed:
            _text(source, "title", hit.feed)
        if hit.feed_url and safe_url(hit.feed_url):
            _text(source, "id", hit.feed_url)
    # Escaped text with <mark> around the matches; Atom readers render type="html".
    summary = _text(entry, "summary", hit.snippet.html())
    summary.set("type", "html")


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _clean(text)
    return element


def _link(parent: ET.Element, rel: str, href: str, mimetype: str) -> ET.Element:
    return ET.SubElement(parent, "link", {"rel": rel, "href": _clean(href), "type": mimetype})


def _clean(text: str) -> str:
    return _XML_INVALID.sub("", text)


def _iso(value: datetime | None) -> str:
    value = value or datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _newest(hits: tuple[Hit, ...]) -> datetime | None:
    dates = [hit.updated or hit.published for hit in hits]
    return max(dates) if dates else None
