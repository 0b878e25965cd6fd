"""Issue 14 on the web, over HTTP to the real app behind waitress on 127.0.0.1: the archived
copy of an article (`/article/<key>`, `/api/article/<key>`), "Pourquoi ?" (`explain=1`),
versions, feed and author facets, dates in the query box and tags the index does not have."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import lxml.html
import pytest
from archive_sample import ODD_ID, SECRET, VELO_PARAGRAPHS, VELO_TITLE, archive_articles
from faults import REPO, run_fouille
from webserver import serve

from search import Settings, article_key
from tests.articles import build_index
from web import create_app


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # The site speaks French whatever the client asks (the page texts tested are French).
    return build_index(
        tmp_path_factory.mktemp("web-archive") / "index", archive_articles(), lang="fr"
    )


@pytest.fixture(scope="module")
def site(settings: Settings) -> Iterator[httpx.Client]:
    app = create_app(settings)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client
    app.extensions["fouille"].close()


def html(client: httpx.Client, url: str, status: int = 200) -> lxml.html.HtmlElement:
    response = client.get(url)
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    return lxml.html.fromstring(response.text)


def text(doc: lxml.html.HtmlElement, xpath: str) -> str:
    return " ".join(doc.xpath(f"string({xpath})").split())


# --- the archived copy ---------------------------------------------------------------------------


def test_results_link_to_the_archived_copy_with_the_query(site: httpx.Client) -> None:
    doc = html(site, "/search?q=pistes+cyclables")
    links = doc.xpath("//article[@class='hit']//a[@class='archived-link']")
    assert links and all(a.text_content() == "copie archivée" for a in links)
    ids = doc.xpath("//article[@class='hit']/@data-id")
    for a, ident in zip(links, ids, strict=True):
        path, _, query = a.get("href").partition("?")
        assert path == f"/article/{article_key(ident)}"
        assert parse_qs(query) == {"q": ["pistes cyclables"]}


def test_the_article_page(site: httpx.Client) -> None:
    key = article_key("velo-lyon")
    doc = html(site, f"/article/{key}?q=pistes+cyclables")
    assert text(doc, "//h1") == VELO_TITLE
    assert doc.xpath("//title/text()")[0].startswith(VELO_TITLE)
    meta = text(doc, "//p[@class='article-meta']")
    assert re.search(r"Publié le \d+(er)? \w+ \d{4} \(mis à jour le \d+(er)? \w+ \d{4}\)", meta)
    assert "par Claire Fontaine" in meta and "Le Quotidien" in meta
    paragraphs = doc.xpath("//div[@class='article-text']/p")
    assert [" ".join(p.text_content().split()) for p in paragraphs] == list(VELO_PARAGRAPHS)
    assert [m.text for m in doc.xpath("//p[@id='passage']/mark")] == ["pistes", "cyclables"]
    (original,) = doc.xpath("//p[@class='original']/a")
    href = original.get("href")
    assert href.startswith("https://quotidien.example/articles/velo-lyon#:~:text=")
    assert unquote(href.split("text=")[1]).split(",")[-1] == "rue de la République."
    assert original.get("rel") == "noopener noreferrer"
    tags = {a.text: a.get("href") for a in doc.xpath("//ul[@class='hit-tags']//a")}
    assert tags == {"#Mobilité": "/search?q=&tag=Mobilit%C3%A9", "#Lyon": "/search?q=&tag=Lyon"}
    related = doc.xpath("//section[@class='related']//a/@href")
    assert len(related) == 5 and all(h.startswith("/article/") for h in related)
    assert f"/article/{key}" not in related


def test_tag_author_and_feed_links_filter_the_search(site: httpx.Client) -> None:
    doc = html(site, f"/article/{article_key('velo-lyon')}")
    author = doc.xpath("//a[@class='author']/@href")[0]
    feed = doc.xpath("//a[@class='feed']/@href")[0]
    by_author = site.get("/api" + author).json()
    assert by_author["total"] >= 3 and {h["author"] for h in by_author["hits"]} == {
        "Claire Fontaine"
    }
    by_feed = site.get("/api" + feed).json()
    assert {h["feed"] for h in by_feed["hits"]} == {"Le Quotidien"}


def test_the_api_gives_the_page_as_json_like_the_cli(
    site: httpx.Client, settings: Settings
) -> None:
    key = article_key("velo-lyon")
    response = site.get(f"/api/article/{key}", params={"q": "parking"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    data = response.json()
    assert data["id"] == "velo-lyon" and data["key"] == key and data["passage"] == 1
    assert "<mark>parking</mark>" in data["paragraphs_html"][1]
    cli = run_fouille(
        "show", "velo-lyon", "-q", "parking", "--json", "--index", str(settings.index_dir), cwd=REPO
    )
    assert json.loads(cli.stdout) == data


def test_any_id_has_a_page(site: httpx.Client) -> None:
    doc = html(site, f"/article/{article_key(ODD_ID)}")
    assert doc.xpath("//article[@class='archived']/@data-id") == [ODD_ID]


@pytest.mark.parametrize("key", ["nope!", "QR", "A", article_key("no such article"), "x" * 20_000])
def test_a_bad_or_unknown_key_is_a_404(site: httpx.Client, key: str) -> None:
    doc = html(site, f"/article/{key}", status=404)
    assert "Aucun article de l’archive ne porte cet identifiant." in text(doc, "//main")
    api = site.get(f"/api/article/{key}")
    assert api.status_code == 404
    assert api.json() == {
        "error": {"code": 404, "message": "Aucun article de l’archive ne porte cet identifiant."}
    }


def test_a_too_long_query_is_a_400(site: httpx.Client) -> None:
    api = site.get(f"/api/article/{article_key('velo-lyon')}", params={"q": "x" * 5000})
    assert api.status_code == 400 and "paramètre q" in api.json()["error"]["message"]


def test_the_article_page_is_cached_like_a_search(site: httpx.Client) -> None:
    first = site.get(f"/article/{article_key('velo-lyon')}")
    etag = first.headers["etag"]
    assert (
        site.get(
            f"/article/{article_key('velo-lyon')}", headers={"If-None-Match": etag}
        ).status_code
        == 304
    )


def test_no_secret_on_the_subscriber_article(site: httpx.Client) -> None:
    hit = site.get("/api/search", params={"q": "retraites"}).json()["hits"][0]
    for url in (f"/article/{hit['key']}", f"/api/article/{hit['key']}", "/search?q=retraites"):
        body = site.get(url).text
        assert SECRET not in body and "motdepasse" not in body
    assert site.get(f"/api/article/{hit['key']}").json()["id"] == hit["id"]


# --- why it matched ------------------------------------------------------------------------------


def test_explain_on_the_api(site: httpx.Client) -> None:
    data = site.get("/api/search", params={"q": "l’école OU cantines", "explain": "1"}).json()
    assert data["normalized"] == "ecole OU cantines"
    for hit in data["hits"]:
        why = hit["explanation"]
        assert sum(p["score"] for p in why["parts"]) == pytest.approx(hit["score"], abs=1e-3)
        assert {p["clause"] for p in why["parts"]} <= {"l’école", "cantines"}
    plain = site.get("/api/search", params={"q": "cantines"}).json()
    assert "explanation" not in plain["hits"][0] and "normalized" not in plain


def test_every_result_links_to_why_it_matched(site: httpx.Client) -> None:
    doc = html(site, "/search?q=pistes+cyclables&sort=fresh")
    hits = doc.xpath("//article[@class='hit']")
    assert hits
    for hit in hits:
        (box,) = hit.xpath(".//details[@class='why']")
        assert box.xpath("string(summary)") == "Pourquoi ?"
        (link,) = box.xpath(".//a/@href")
        assert link == box.get("data-why-url") + "#pourquoi"
        path, _, query = link.partition("?")
        assert path == hit.xpath("string(.//a[@class='archived-link']/@href)").partition("?")[0]
        assert parse_qs(query.partition("#")[0]) == {"q": ["pistes cyclables"], "sort": ["fresh"]}
        # The link's page holds the explanation, open, under the id the link names.
        article = html(site, link.partition("#")[0])
        (why,) = article.xpath("//details[@id='pourquoi']")
        assert why.get("open") is not None
        assert "pistes cyclables" in why.xpath("string(.//dd[1])")
        assert "× fraîcheur" in why.xpath("string(.//dd[2])")
        assert why.xpath(".//tbody/tr")


def test_why_on_the_article_page_is_the_api_explanation(site: httpx.Client) -> None:
    data = site.get("/api/search", params={"q": "l’école OU cantines", "explain": "1"}).json()
    for hit in data["hits"][:3]:
        one = site.get(
            f"/api/article/{hit['key']}", params={"q": "l’école OU cantines", "explain": "1"}
        ).json()
        assert one["normalized"] == data["normalized"]
        assert one["explanation"] == hit["explanation"]
        plain = site.get(f"/api/article/{hit['key']}", params={"q": "cantines"}).json()
        assert "explanation" not in plain
        page = html(site, f"/article/{hit['key']}?q=l%E2%80%99%C3%A9cole+OU+cantines")
        rows = page.xpath("//details[@id='pourquoi']//tbody/tr")
        assert len(rows) == len(hit["explanation"]["parts"])
    # An article the words do not find says nothing of why.
    other = site.get("/api/search", params={"q": "cantines"}).json()["hits"][0]
    page = html(site, f"/article/{other['key']}?q=zzzqqq")
    assert not page.xpath("//details[@id='pourquoi']")


def test_explain_on_the_page_says_why_in_a_details_box(site: httpx.Client) -> None:
    doc = html(site, "/search?q=pistes+cyclables&sort=fresh&explain=1")
    hits = doc.xpath("//article[@class='hit']")
    assert hits
    for hit in hits:
        (box,) = hit.xpath(".//details[@class='why']")
        assert box.xpath("string(summary)") == "Pourquoi ?"
        assert "pistes cyclables" in box.xpath("string(.//dd[1])")
        assert "× fraîcheur" in box.xpath("string(.//dd[2])")
        rows = box.xpath(".//tbody/tr")
        assert rows
        words = {r.xpath("string(td[1])") for r in rows}
        assert words <= {"pistes", "cyclables"}
        fields = {r.xpath("string(td[3])") for r in rows}
        assert fields <= {
            "texte (titre, tags et corps)",
            "titre",
            "corps, mot exact",
            "titre, mot exact",
        }
        # A plain word's own forms (issue 12) count next to its stem.
        assert "corps, mot exact" in fields or "titre, mot exact" in fields
    assert not doc.xpath("//script[not(@src)]")  # the CSP forbids inline script


def test_the_page_and_the_api_agree_with_explain_on(site: httpx.Client) -> None:
    for query in ("métropole", "cantines depuis:2000", "vélo -cargo"):
        page = html(site, f"/search?q={query}")
        api = site.get("/api/search", params={"q": query, "explain": "1"}).json()
        assert page.xpath("//article[@class='hit']/@data-id") == [h["id"] for h in api["hits"]]


# --- versions, facets, dates, unknown tags --------------------------------------------------


def test_versions_are_listed_under_the_result(site: httpx.Client) -> None:
    doc = html(site, "/search?q=cantines+bio")
    (hit,) = doc.xpath("//article[@class='hit']")
    assert text(hit, ".//div[@class='versions']").startswith("2 versions de cet article :")
    (link,) = hit.xpath(".//div[@class='versions']//a")
    assert link.get("href") == f"/article/{article_key('cantine-bio-2')}?q=cantines%20bio"
    assert "1 résultat" not in text(doc, "//p[@class='results-count']")
    assert text(doc, "//p[@class='results-count']").startswith(
        "2 résultats pour « cantines bio » · 1 article distinct"
    )
    api = site.get("/api/search", params={"q": "cantines bio"}).json()
    assert api["total"] == 2 and api["stories"] == 1 and api["hits"][0]["version_count"] == 2


def test_feed_and_author_facets_filter_when_clicked(site: httpx.Client) -> None:
    doc = html(site, "/search?q=métropole+OU+commerçants")
    feeds = {
        a.xpath("string(.//span[@class='facet-name'])"): a.get("href")
        for a in doc.xpath("//section[@aria-labelledby='flux-titre']//a")
    }
    authors = {
        a.xpath("string(.//span[@class='facet-name'])"): a.get("href")
        for a in doc.xpath("//section[@aria-labelledby='auteurs-titre']//a")
    }
    assert {"Le Quotidien", "L’Hebdo"} <= set(feeds)
    assert {"Claire Fontaine", "Paul Renard"} <= set(authors)
    assert parse_qs(urlsplit(feeds["L’Hebdo"]).query)["feed"] == ["L’Hebdo"]
    filtered = site.get("/api" + feeds["L’Hebdo"]).json()
    assert filtered["hits"] and {h["feed"] for h in filtered["hits"]} == {"L’Hebdo"}
    active = html(site, feeds["L’Hebdo"])
    (current,) = active.xpath("//section[@aria-labelledby='flux-titre']//a[@aria-current='true']")
    assert "feed" not in parse_qs(urlsplit(current.get("href")).query)  # clicking again clears it
    by_author = site.get("/api" + authors["Paul Renard"]).json()
    assert {h["author"] for h in by_author["hits"]} == {"Paul Renard"}


def test_dates_read_in_the_query_are_said_on_the_page(site: httpx.Client) -> None:
    doc = html(site, "/search?q=cantines+il+y+a+5+jours")
    notice = text(doc, "//p[contains(@class, 'dates-notice')]")
    assert notice.startswith(
        "Dates lues dans la requête : il y a 5 jours — articles publiés depuis le"
    )
    assert doc.xpath("//article[@class='hit']/@data-id") == ["cantine-bio-2"]  # 3 days old, not 6
    api = site.get("/api/search", params={"q": "cantines il y a 5 jours"}).json()
    assert api["date_words"] == ["il y a 5 jours"] and api["since"] and api["until"]


def test_an_unknown_tag_names_the_nearest_ones(site: httpx.Client) -> None:
    doc = html(site, "/search?q=vélo&tag=mobilite&tag=lyo")
    notices = [text(p, ".") for p in doc.xpath("//p[contains(@class, 'unknown-tag')]")]
    assert notices == ["Aucun article n’a le tag « lyo ». Tags proches : Lyon."]
    (link,) = doc.xpath("//p[contains(@class, 'unknown-tag')]/a")
    assert parse_qs(urlsplit(link.get("href")).query)["tag"] == ["mobilite", "Lyon"]
    api = site.get("/api/search", params={"q": "vélo", "tag": "mobilte"}).json()
    assert api["unknown_tags"] == [{"tag": "mobilte", "nearest": ["Mobilité"]}]


def test_html_escapes_what_feeds_wrote(tmp_path: Path) -> None:
    """A hostile title, author and feed name stay text on the article page too."""
    from webserver import HOSTILE_TITLE, sample_articles

    settings = build_index(tmp_path / "index", sample_articles())
    app = create_app(settings)
    with serve(app) as url, httpx.Client(base_url=url) as client:
        page = client.get(f"/article/{article_key('hostile-1')}?q=données")
        assert page.status_code == 200
        assert "<script>window" not in page.text and 'onerror="window' not in page.text
        doc = lxml.html.fromstring(page.text)
        assert text(doc, "//h1") == HOSTILE_TITLE
        assert not doc.xpath("//p[@class='original']")  # a javascript: link is no link
    app.extensions["fouille"].close()
