"""The web app through Flask's test client, on a real index in tmp_path (issue 4)."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree as ET

import feedparser
import lxml.html
import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from webserver import FEED, HOSTILE_URL, PAGE_SIZE, build_index, sample_articles

from search import Article, Engine, Settings
from web import create_app

ATOM = "{http://www.w3.org/2005/Atom}"
OSD = "{http://a9.com/-/spec/opensearch/1.1/}"

pytest_plugins = ["webserver"]


def page_of(client: FlaskClient, url: str, status: int = 200) -> lxml.html.HtmlElement:
    response = client.get(url)
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "text/html"
    return lxml.html.fromstring(response.data)


def hit_ids(doc: lxml.html.HtmlElement) -> list[str]:
    return doc.xpath("//article[@class='hit']/@data-id")


def query_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


# --- pages ------------------------------------------------------------------------------------


def test_home_has_a_labelled_autofocus_search_box_and_the_archive_summary(
    client: FlaskClient,
) -> None:
    doc = page_of(client, "/")
    (box,) = doc.xpath("//form[@role='search']//input[@name='q']")
    assert box.get("autofocus") is not None
    assert doc.xpath(f"//label[@for='{box.get('id')}']/text()")
    assert doc.xpath("//form[@role='search']/@action") == ["/search"]
    summary = doc.xpath("string(//p[@class='archive-summary'])")
    assert "11" in summary and "articles" in summary and "2 flux" in summary
    assert re.search(r"du \d+(er)? \w+ \d{4} au \d+(er)? \w+ \d{4}", " ".join(summary.split()))
    assert doc.xpath("//main") and doc.xpath("//footer")
    assert doc.xpath("//dl[@class='syntax']//a/code")  # syntax examples, each a link


@pytest.mark.parametrize("path", ["/", "/search?q=données", "/nope", "/search?page=x&q=a"])
def test_every_page_links_the_opensearch_description(client: FlaskClient, path: str) -> None:
    doc = lxml.html.fromstring(client.get(path).data)
    (link,) = doc.xpath("//head/link[@rel='search']")
    assert link.get("type") == "application/opensearchdescription+xml"
    assert link.get("href") == "/opensearch.xml"
    assert doc.get("lang") == "fr"


def test_search_page_shows_total_time_hits_and_pagination(client: FlaskClient) -> None:
    doc = page_of(client, "/search?q=données")
    count = " ".join(doc.xpath("string(//p[@class='results-count'])").split())
    total = client.get("/api/search?q=données").get_json()["total"]
    assert total > 2 * PAGE_SIZE
    assert count.startswith(f"{total} résultats pour « données » · page 1 sur 3")
    assert re.search(r"\(\S+ ms\)", count)
    hits = doc.xpath("//article[@class='hit']")
    assert len(hits) == PAGE_SIZE
    for hit in hits:
        title = hit.xpath(".//h2[@class='hit-title']")[0]
        link = title.xpath("./a")[0]
        assert link.get("href").startswith("https://veilleur.example/articles/")
        assert hit.xpath(".//mark")  # highlighted snippet or title
        assert re.fullmatch(r"\d+(er)? [a-zéû]+ \d{4}", hit.xpath("string(.//time)"))
        assert hit.xpath(".//time/@datetime")
        assert FEED in hit.xpath("string(.//p[@class='hit-meta'])")
        for tag_link in hit.xpath(".//ul[@class='hit-tags']//a"):
            params = query_of(tag_link.get("href"))
            assert params["q"] == ["données"]
            assert params["tag"] == [tag_link.text_content().lstrip("#")]
    marks = [m.text_content().lower() for m in doc.xpath("//mark")]
    assert "données" in marks
    pages = doc.xpath("//nav[@class='pagination']//a")
    assert [a.text_content().strip() for a in pages] == ["1", "2", "3", "Suivante ›"]
    assert doc.xpath("//nav[@class='pagination']//a[@aria-current='page']/text()") == ["1"]
    assert query_of(pages[-1].get("href"))["page"] == ["2"]


def test_second_page_has_other_hits_and_a_previous_link(client: FlaskClient) -> None:
    first = hit_ids(page_of(client, "/search?q=données"))
    doc = page_of(client, "/search?q=données&page=2")
    second = hit_ids(doc)
    assert second and not set(first) & set(second)
    assert doc.xpath("//a[@rel='prev']/@href") == ["/search?q=donn%C3%A9es"]
    assert doc.xpath("//ol[@class='hits']/@start") == [str(PAGE_SIZE + 1)]


def test_sort_switch_offers_three_orders_and_marks_the_current_one(client: FlaskClient) -> None:
    doc = page_of(client, "/search?q=données&tag=RGPD&sort=date&page=2")
    links = doc.xpath("//nav[@class='sort-switch']//a")
    assert [a.text_content() for a in links] == [
        "Pertinence",
        "Plus récents",
        "Pertinence + fraîcheur",
    ]
    assert [a.get("aria-current") for a in links] == [None, "true", None]
    for link, sort in zip(links, (None, "date", "fresh"), strict=True):
        params = query_of(link.get("href"))
        assert params.get("sort", [None]) == [sort]
        assert params["tag"] == ["RGPD"]  # filters survive, the page does not
        assert "page" not in params


def test_sorting_by_date_puts_the_newest_first(client: FlaskClient) -> None:
    payload = client.get("/api/search?q=données&sort=date&page_size=10").get_json()
    dates = [hit["published"] for hit in payload["hits"]]
    assert dates == sorted(dates, reverse=True)


def test_tag_facets_have_counts_and_toggle_the_filter(client: FlaskClient) -> None:
    doc = page_of(client, "/search?q=données")
    facets = {
        a.xpath("string(.//span[@class='facet-name'])"): a
        for a in doc.xpath("//section[@aria-labelledby='tags-titre']//a")
    }
    assert facets["RGPD"].xpath("string(.//span[@class='count'])") == "3"
    href = facets["RGPD"].get("href")
    assert query_of(href)["tag"] == ["RGPD"]
    filtered = page_of(client, href)
    ids = hit_ids(filtered)
    assert len(ids) == 3
    (active,) = filtered.xpath("//section[@aria-labelledby='tags-titre']//a[@aria-current='true']")
    assert "tag" not in query_of(active.get("href"))  # a second click removes it
    remove = filtered.xpath("//section[@class='active-filters']//a/@href")
    assert remove == [active.get("href")]


def test_hit_tag_links_add_to_the_existing_filters(client: FlaskClient) -> None:
    doc = page_of(client, "/search?q=données&tag=RGPD")
    hrefs = doc.xpath("//ul[@class='hit-tags']//a[text()='#Europe']/@href")
    assert hrefs
    assert query_of(hrefs[0])["tag"] == ["RGPD", "Europe"]


def test_date_presets_and_custom_range(client: FlaskClient) -> None:
    doc = page_of(client, "/search?q=données")
    presets = {a.text_content(): a.get("href") for a in doc.xpath("//ul[@class='presets']//a")}
    assert list(presets) == ["Toutes les dates", "24 h", "7 jours", "30 jours", "1 an"]
    week = page_of(client, presets["7 jours"])
    assert week.xpath("//ul[@class='presets']//a[@aria-current='true']/text()") == ["7 jours"]
    published = [
        datetime.fromisoformat(t) for t in week.xpath("//article[@class='hit']//time/@datetime")
    ]
    assert published and all((datetime.now(UTC) - d).days < 7 for d in published)
    form = doc.xpath("//form[@class='date-range']")[0]
    assert form.get("method") == "get"
    assert form.xpath(".//input[@type='date']/@name") == ["since", "until"]
    assert form.xpath(".//label/@for") == ["since", "until"]
    assert form.xpath(".//input[@name='q']/@value") == ["données"]
    year = datetime.now(UTC).year
    ranged = client.get(f"/api/search?q=données&since={year - 5}-01-01&until={year - 1}-12-31")
    for hit in ranged.get_json()["hits"]:
        assert year - 5 <= int(hit["published"][:4]) <= year - 1


def test_did_you_mean_links_to_the_suggested_query(client: FlaskClient) -> None:
    doc = page_of(client, "/search?q=fibbre&sort=date")
    (link,) = doc.xpath("//p[@class='did-you-mean']/a")
    assert link.text_content() == "fibre"
    assert query_of(link.get("href")) == {"q": ["fibre"], "sort": ["date"]}


def test_fallback_to_partial_matches_is_said(client: FlaskClient) -> None:
    doc = page_of(client, "/search?q=données+zzzyx")
    assert hit_ids(doc)
    assert "contiennent une partie" in doc.xpath("string(//p[@class='notice'])")
    assert not page_of(client, "/search?q=données").xpath("//p[@class='notice']")


def test_empty_state_helps(client: FlaskClient) -> None:
    doc = page_of(client, "/search?q=zzzyx&tag=RGPD")
    assert not hit_ids(doc)
    state = doc.xpath("//div[@class='empty-state']")[0]
    assert "Aucun article ne correspond" in state.text_content()
    assert state.xpath(".//dl[@class='syntax']//code")
    (unfiltered,) = state.xpath(".//a[text()='chercher sans les filtres']/@href")
    assert query_of(unfiltered) == {"q": ["zzzyx"]}


def test_page_past_the_end_says_so(client: FlaskClient) -> None:
    doc = page_of(client, "/search?q=données&page=99")
    assert "au-delà des résultats" in doc.xpath("string(//div[@class='empty-state'])")


def test_empty_query_without_filters_goes_home(client: FlaskClient) -> None:
    response = client.get("/search?q=+")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_filters_alone_browse_the_archive(client: FlaskClient) -> None:
    doc = page_of(client, "/search?tag=Sécurité&sort=date")
    assert len(hit_ids(doc)) == PAGE_SIZE


def test_search_box_keeps_the_filters(client: FlaskClient) -> None:
    doc = page_of(client, "/search?q=données&tag=RGPD&since=1y&sort=fresh")
    form = doc.xpath("//header//form[@role='search']")[0]
    assert form.xpath(".//input[@name='q']/@value") == ["données"]
    hidden = {i.get("name"): i.get("value") for i in form.xpath(".//input[@type='hidden']")}
    assert hidden == {"tag": "RGPD", "since": "1y", "sort": "fresh"}


# --- the page and the API agree ---------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "q=données",
        "q=données&page=2",
        "q=données&sort=date",
        "q=données&sort=fresh&page=3",
        "q=données&tag=RGPD",
        "q=sécurité&tag=Santé&tag=Sécurité",
        "q=données&since=30d",
        "q=données&until=2026-01-01",
        "q=fibre&author=Léa+Dubois",
        "q=données&page_size=5",
        "q=cnil+OU+windows",
        "q=données+zzzyx",
        "tag=RGPD",
    ],
)
def test_page_and_api_return_the_same_hits(client: FlaskClient, query: str) -> None:
    html_ids = hit_ids(page_of(client, f"/search?{query}"))
    api = client.get(f"/api/search?{query}")
    assert api.status_code == 200
    assert api.mimetype == "application/json"
    assert [hit["id"] for hit in api.get_json()["hits"]] == html_ids


def test_api_search_has_the_cli_json_shape(client: FlaskClient) -> None:
    data = client.get("/api/search?q=données&tag=RGPD").get_json()
    assert set(data) >= {"query", "total", "page", "pages", "page_size", "sort", "hits",
                         "facets", "suggestion", "fallback", "took_ms"}  # fmt: skip
    assert data["query"] == "données" and data["total"] == 3 and data["page_size"] == PAGE_SIZE
    hit = data["hits"][0]
    assert set(hit) >= {"id", "url", "title", "published", "tags", "feed", "snippet", "score"}
    assert "<mark>" in hit["snippet"] or "<mark>" in hit["title_html"]
    assert ["RGPD", 3] in data["facets"]["tags"]


# --- machine interfaces -----------------------------------------------------------------------


def test_opensearch_description(client: FlaskClient) -> None:
    response = client.get("/opensearch.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/opensearchdescription+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{OSD}OpenSearchDescription"
    short_name = root.findtext(f"{OSD}ShortName")
    assert short_name == "Fouille" and len(short_name) <= 16
    assert root.findtext(f"{OSD}InputEncoding") == "UTF-8"
    urls = {url.get("type"): url.get("template") for url in root.findall(f"{OSD}Url")}
    assert urls["text/html"] == "http://localhost/search?q={searchTerms}"
    assert urls["application/x-suggestions+json"] == "http://localhost/api/suggest?q={searchTerms}"
    assert urls["application/atom+xml"] == "http://localhost/search.atom?q={searchTerms}"
    assert urls["application/opensearchdescription+xml"] == "http://localhost/opensearch.xml"
    image = root.findtext(f"{OSD}Image")
    assert client.get(urlsplit(image).path).status_code == 200


def test_suggestions_follow_the_opensearch_format(client: FlaskClient) -> None:
    response = client.get("/api/suggest?q=donn")
    assert response.status_code == 200
    assert response.mimetype == "application/x-suggestions+json"
    query, completions = response.get_json()
    assert query == "donn"
    assert "données" in completions
    assert all(isinstance(c, str) for c in completions) and len(completions) <= 8


@pytest.mark.parametrize("q", ["", "   ", "zzzyx"])
def test_suggestions_for_nothing_are_empty(client: FlaskClient, q: str) -> None:
    assert client.get("/api/suggest", query_string={"q": q}).get_json() == [q, []]


def test_atom_feed_is_valid_and_links_the_opensearch_description(client: FlaskClient) -> None:
    response = client.get("/search.atom?q=données&tag=RGPD")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.findtext(f"{ATOM}{required}")
    links = {link.get("rel"): link for link in feed.findall(f"{ATOM}link")}
    assert links["search"].get("type") == "application/opensearchdescription+xml"
    assert links["search"].get("href") == "http://localhost/opensearch.xml"
    assert links["self"].get("href") == "http://localhost/search.atom?q=donn%C3%A9es&tag=RGPD"
    assert query_of(links["alternate"].get("href")) == {
        "q": ["données"],
        "tag": ["RGPD"],
        "sort": ["date"],
    }
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 3
    updated = [entry.findtext(f"{ATOM}updated") for entry in entries]
    assert updated == sorted(updated, reverse=True)  # newest first
    for entry in entries:
        for required in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{required}")
        assert "RGPD" in [c.get("term") for c in entry.findall(f"{ATOM}category")]
        assert entry.find(f"{ATOM}summary").get("type") == "html"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == 3


def test_atom_feed_never_links_a_javascript_url(client: FlaskClient) -> None:
    response = client.get("/search.atom?q=piégées")
    feed = ET.fromstring(response.data)
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}link") is None
    assert entry.findtext(f"{ATOM}id") == "urn:fouille:article:hostile-1"
    assert entry.findtext(f"{ATOM}title").startswith("<script>")  # text, escaped in the XML
    assert b"<script>" not in response.data


def test_healthz_reports_the_index(client: FlaskClient, web_settings: Settings) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "ok"
    assert data["index"]["articles"] == 11
    assert Path(data["index"]["index_dir"]) == web_settings.index_dir


def test_static_files_are_served(client: FlaskClient) -> None:
    assert client.get("/static/fouille.css").mimetype == "text/css"
    assert client.get("/static/fouille.js").mimetype in (
        "text/javascript",
        "application/javascript",
    )


# --- errors -----------------------------------------------------------------------------------

BAD_PARAMETERS = [
    ("q=données&since=2024-13-45", "2024-13-45"),
    ("q=données&until=demain-peut-etre", "demain"),
    ("q=données&since=2025-01-01&until=2024-01-01", "date"),
    ("q=données&page=-1", "page"),
    ("q=données&page=0", "page"),
    ("q=données&page=deux", "page"),
    ("q=données&page_size=10000", "page size"),
    ("q=données&page_size=0", "page"),
    ("q=données&sort=popularite", "popularite"),
    ("q=" + "a" * 1001, "1000"),
]


@pytest.mark.parametrize(("query", "mentions"), BAD_PARAMETERS)
def test_bad_parameters_are_a_400_page_with_the_reason(
    client: FlaskClient, query: str, mentions: str
) -> None:
    doc = page_of(client, f"/search?{query}", status=400)
    message = doc.xpath("string(//p[@class='error-message'])")
    assert mentions.lower() in message.lower()


@pytest.mark.parametrize(("query", "mentions"), BAD_PARAMETERS)
def test_bad_parameters_are_a_400_json_error(
    client: FlaskClient, query: str, mentions: str
) -> None:
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(response.get_json()) == {"error"}
    assert error["code"] == 400
    assert mentions.lower() in error["message"].lower()


def test_bad_parameters_on_the_atom_feed(client: FlaskClient) -> None:
    assert client.get("/search.atom?q=a&since=2024-13-45").status_code == 400


def test_too_long_suggestion_prefix_is_refused(client: FlaskClient) -> None:
    response = client.get("/api/suggest?q=" + "a" * 500)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == 400


def test_unknown_pages_are_404_in_html_and_json(client: FlaskClient) -> None:
    doc = page_of(client, "/nulle-part", status=404)
    assert "Page introuvable" in doc.xpath("string(//h1)")
    response = client.get("/api/nulle-part")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": 404, "message": response.get_json()["error"]
                                             ["message"]}}  # fmt: skip


def test_post_is_not_allowed(client: FlaskClient) -> None:
    response = client.post("/api/search?q=a")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == 405
    assert "GET" in response.headers["Allow"]


def test_a_400_page_keeps_the_query_in_the_box(client: FlaskClient) -> None:
    doc = page_of(client, "/search?q=cnil&since=2024-13-45", status=400)
    assert doc.xpath("//form[@role='search']//input[@name='q']/@value") == ["cnil"]
    assert "/search?q=cnil" in doc.xpath("//main//a/@href")


def test_other_core_errors_are_a_503_with_their_message(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from search import FouilleError

    def broken(*args: object, **kwargs: object) -> None:
        raise FouilleError("index written by an older Fouille: run `fouille reindex --rebuild`")

    monkeypatch.setattr(Engine, "search", broken)
    response = client.get("/search?q=données")
    assert response.status_code == 503
    assert b"reindex --rebuild" in response.data and b"Service indisponible" in response.data
    error = client.get("/api/search?q=données").get_json()["error"]
    assert error["code"] == 503 and "--rebuild" in error["message"]


# --- no index, then an index ------------------------------------------------------------------


@pytest.fixture
def empty_client(tmp_path: Path) -> FlaskClient:
    settings = Settings(index_dir=tmp_path / "index", page_size=PAGE_SIZE)
    return create_app(settings, config={"TESTING": True}).test_client()


@pytest.mark.parametrize("path", ["/", "/search?q=données", "/search.atom?q=a"])
def test_no_index_is_a_503_page_saying_to_reindex(empty_client: FlaskClient, path: str) -> None:
    response = empty_client.get(path)
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert b"fouille reindex" in response.data
    assert response.headers["Retry-After"]


@pytest.mark.parametrize("path", ["/api/search?q=a", "/api/suggest?q=a", "/healthz"])
def test_no_index_is_a_503_json_error(empty_client: FlaskClient, path: str) -> None:
    response = empty_client.get(path)
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == 503 and "fouille reindex" in error["message"]


def test_an_index_built_after_start_is_picked_up(empty_client: FlaskClient, tmp_path: Path) -> None:
    assert empty_client.get("/healthz").status_code == 503
    assert empty_client.get("/opensearch.xml").status_code == 200  # needs no index
    build_index(tmp_path / "index", sample_articles()[:4])
    assert empty_client.get("/healthz").get_json()["index"]["articles"] == 4
    assert empty_client.get("/search?q=données").status_code == 200


def test_a_reindex_while_serving_is_visible_on_the_next_request(
    client: FlaskClient, web_settings: Settings
) -> None:
    assert client.get("/api/search?q=quantique").get_json()["total"] == 0
    before = client.get("/healthz").get_json()["index"]["articles"]
    # A separate Engine, as `fouille reindex` in another process would use.
    engine = Engine.open(web_settings)
    try:
        with engine.writer() as writer:
            writer.upsert(
                Article(
                    id="veilleur-quantique",
                    url="https://veilleur.example/articles/quantique",
                    title="Un ordinateur quantique français atteint 100 qubits",
                    body="La jeune pousse annonce une puce quantique refroidie à l’hélium.",
                    tags=("Recherche",),
                    published=datetime.now(UTC),
                    feed_url="https://veilleur.example/flux.xml",
                    feed_title=FEED,
                )
            )
    finally:
        engine.close()
    data = client.get("/api/search?q=quantique").get_json()
    assert [hit["id"] for hit in data["hits"]] == ["veilleur-quantique"]
    assert hit_ids(page_of(client, "/search?q=quantique")) == ["veilleur-quantique"]
    assert client.get("/healthz").get_json()["index"]["articles"] == before + 1


def test_an_index_removed_while_serving_is_a_503(
    client: FlaskClient, web_settings: Settings
) -> None:
    import shutil

    assert client.get("/healthz").status_code == 200
    shutil.rmtree(web_settings.index_dir)
    assert client.get("/healthz").status_code == 503
    assert b"fouille reindex" in client.get("/search?q=données").data


# --- escaping and headers ---------------------------------------------------------------------


def test_hostile_entry_is_shown_as_text(client: FlaskClient) -> None:
    response = client.get("/search?q=piégées")
    body = response.data.decode()
    assert "window.__pwned" in body  # it is there, as text…
    assert "<script>window" not in body  # …never as markup
    assert "<img src=x" not in body and "<b onmouseover" not in body
    links = re.findall(r'(?:href|src|action)="([^"]*)"', body)
    assert not [h for h in links if re.match(r"\s*(?!https?:)[a-z][a-z0-9+.-]*:", h, re.I)]
    doc = lxml.html.fromstring(response.data)
    (hit,) = doc.xpath("//article[@class='hit']")
    title = hit.xpath(".//h2[@class='hit-title']")[0]
    assert not title.xpath(".//a")  # a javascript: URL is not a link
    assert title.text_content().startswith("<script>window.__pwned=1</script>")
    tags = hit.xpath(".//ul[@class='hit-tags']//a")
    assert tags[0].text_content() == "#<script>window.__pwned=8</script>"
    assert "<b onmouseover" in hit.xpath("string(.//span[@class='author'])")
    assert HOSTILE_URL not in body
    assert not doc.xpath("//script[not(@src)]") and not doc.xpath("//*[@style]")
    assert not doc.xpath("//img[@onerror] | //*[@onmouseover]")


def test_query_text_is_escaped_everywhere(client: FlaskClient) -> None:
    evil = '"><script>alert(1)</script>'
    response = client.get("/search", query_string={"q": evil})
    assert response.status_code == 200
    assert b"<script>alert(1)" not in response.data
    doc = lxml.html.fromstring(response.data)
    assert doc.xpath("//form[@role='search']//input[@name='q']/@value") == [evil]


@pytest.mark.parametrize(
    "path",
    ["/", "/search?q=données", "/api/search?q=a", "/api/suggest?q=a", "/healthz",
     "/opensearch.xml", "/search.atom?q=a", "/static/fouille.css", "/nope", "/api/search?page=x"],
)  # fmt: skip
def test_security_headers_on_every_response(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"]


def test_templates_have_no_inline_scripts_or_styles() -> None:
    templates = Path(__file__).parent.parent / "web" / "templates"
    for template in templates.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text), template.name
        assert not re.search(r"\|\s*safe\b", text), template.name


# --- command line -----------------------------------------------------------------------------


def test_demo_indexes_the_sample_then_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fouille import serve_cmd as cli
    from fouille.cli import main

    served: list[Settings] = []
    monkeypatch.setattr(cli, "run_server", served.append)
    monkeypatch.chdir(tmp_path)
    index = tmp_path / "idx"
    result = CliRunner().invoke(cli.demo, ["--index", str(index), "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "articles indexed" in result.output
    examples = [
        shlex.split(line)[1:] for line in result.output.splitlines() if "fouille search" in line
    ]
    assert len(examples) == 2
    for example in examples:  # both printed commands find something in the sample
        assert example[:3] == ["search", "--index", str(index)]
        found = CliRunner().invoke(main, example)
        assert found.exit_code == 0, (example, found.output)
    (settings,) = served
    assert settings.index_dir == index and settings.port == 8123
    engine = Engine.open(settings)
    try:
        assert engine.stats().articles > 10
    finally:
        engine.close()
    again = CliRunner().invoke(cli.demo, ["--index", str(index)])
    assert "already" in again.output and "indexed." not in again.output


def test_serve_reports_a_busy_port(tmp_path: Path) -> None:
    import socket

    from fouille import serve_cmd as cli

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            cli.serve, ["--index", str(tmp_path / "i"), "--port", str(port)]
        )
    assert result.exit_code == 2
    assert "try --port" in result.output


def test_fouille_serve_runs_waitress_until_interrupted(web_settings: Settings) -> None:
    """The real command: prints the URL, answers on it, stops cleanly on Ctrl+C."""
    import json
    import signal
    import subprocess
    import sys
    import urllib.request

    command = [sys.executable, "-m", "fouille", "serve",
               "--index", str(web_settings.index_dir), "--port", "0"]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env()
    )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        with urllib.request.urlopen(url.group(0) + "healthz", timeout=10) as response:
            assert json.load(response)["index"]["articles"] == 11
            assert response.headers["Server"] == "waitress"
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output


def _env() -> dict[str, str]:
    import os

    repo = str(Path(__file__).resolve().parents[1])
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")])),
    }


def test_fouille_serve_help_lists_the_options() -> None:
    from fouille.cli import main

    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--index", "--config"):
        assert option in result.output


# --- behind the real WSGI server --------------------------------------------------------------


def test_concurrent_requests_while_reindexing(live_server: str, web_settings: Settings) -> None:
    """waitress threads search while another engine commits: every answer is a 200."""
    import json
    import threading
    import urllib.error
    import urllib.request

    statuses: list[int] = []
    totals: list[int] = []

    def get(path: str) -> bytes:
        try:
            with urllib.request.urlopen(live_server + path, timeout=30) as resp:
                statuses.append(resp.status)
                return resp.read()
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
            return b"{}"

    def hammer() -> None:
        for _ in range(15):
            totals.append(json.loads(get("/api/search?q=donn%C3%A9es")).get("total", -1))
            get("/search?q=donn%C3%A9es&page=2")

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    engine = Engine.open(web_settings)
    try:
        for n in range(5):
            with engine.writer() as writer:
                writer.upsert(
                    Article(
                        id=f"extra-{n}",
                        url=f"https://veilleur.example/articles/extra-{n}",
                        title=f"Des données en plus, numéro {n}",
                        published=datetime.now(UTC),
                        feed_url="https://veilleur.example/flux.xml",
                        feed_title=FEED,
                    )
                )
    finally:
        engine.close()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 120
    assert min(totals) >= 8
    with urllib.request.urlopen(f"{live_server}/api/search?q=donn%C3%A9es") as resp:
        assert resp.headers["Server"] == "waitress"
        assert resp.headers["X-Frame-Options"] == "DENY"


def test_many_reindexes_while_serving_never_repeat_a_hit(
    client: FlaskClient, web_settings: Settings
) -> None:
    """Each commit is seen by the next request, also after Whoosh merges segments."""
    engine = Engine.open(web_settings)
    try:
        for n in range(1, 13):
            with engine.writer() as writer:
                writer.upsert(
                    Article(
                        id=f"extra-{n}",
                        url=f"https://veilleur.example/articles/extra-{n}",
                        title=f"Des données en plus, numéro {n}",
                        published=datetime.now(UTC),
                        feed_url="https://veilleur.example/flux.xml",
                        feed_title=FEED,
                    )
                )
            data = client.get("/api/search?q=données&page_size=50").get_json()
            ids = [hit["id"] for hit in data["hits"]]
            assert len(ids) == len(set(ids)), f"commit {n}: repeated hits"
            assert data["total"] == 8 + n
    finally:
        engine.close()


# --- small pure helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2024, 3, 12, 23, 59, tzinfo=UTC), "12 mars 2024"),
        (datetime(2024, 2, 1, tzinfo=UTC), "1er février 2024"),
        (datetime(2023, 8, 15, tzinfo=UTC), "15 août 2023"),
        (datetime(2022, 12, 31, tzinfo=UTC), "31 décembre 2022"),
        (None, ""),
    ],
)
def test_french_dates(moment: datetime | None, expected: str) -> None:
    from web.filters import french_date

    assert french_date(moment) == expected


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://next.ink/article/1", True),
        ("http://exemple.fr/", True),
        (" HTTPS://EXEMPLE.FR/a ", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox", False),
        ("//exemple.fr/a", False),
        ("/relative/path", False),
        ("https://", False),
        ("", False),
        ("http://[::1", False),
    ],
)
def test_only_http_urls_become_links(url: str, link: bool) -> None:
    from web.filters import safe_url

    assert (safe_url(url) is not None) is link


@pytest.mark.parametrize(
    ("since", "until", "words"),
    [
        ("24h", "", "dernières 24 h"),
        ("1y", "", "12 derniers mois"),
        ("2024-03", "2024-03", "en mars 2024"),
        ("2024-03-01", "", "depuis le 1er mars 2024"),
        ("", "2024-04-15", "jusqu’au 15 avril 2024"),
        ("2024", "2025", "depuis 2024 jusqu’en 2025"),
        ("2024-13-45", "", "depuis 2024-13-45"),
    ],
)
def test_date_filter_in_words(since: str, until: str, words: str) -> None:
    from web.params import SearchParams
    from web.views import date_filter_label

    assert date_filter_label(SearchParams(since=since, until=until)) == words


@pytest.mark.parametrize(
    ("page", "pages", "links"),
    [
        (1, 1, []),
        (1, 3, [1, 2, 3]),
        (5, 20, [1, None, 3, 4, 5, 6, 7, None, 20]),
        (1, 20, [1, 2, 3, None, 20]),
        (20, 20, [1, None, 18, 19, 20]),
        (4, 7, [1, 2, 3, 4, 5, 6, 7]),
    ],
)
def test_pagination_window(page: int, pages: int, links: list[int | None]) -> None:
    from search import SearchPage
    from web.views import pagination

    result = SearchPage(query="q", total=pages * 10, page=page, pages=pages, hits=())
    assert pagination(result) == links
