"""The HTML pages through Flask's test client, on the shared sample index: home, results,
pagination, sorts, facets, dates, empty states, escaping, and the helpers that render them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
from flask.testing import FlaskClient
from webserver import FEED, HOSTILE_URL, PAGE_SIZE, hit_ids, page_of, query_of


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
    assert re.search(r"\((< 1|[1-9]\d*) ms\)", count)  # under a millisecond when warm
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


def test_tag_facets_have_counts_and_toggle_the_filter(client: FlaskClient) -> None:
    doc = page_of(client, "/search?q=données")
    facets = {
        a.xpath("string(.//span[@class='facet-name'])"): a
        for a in doc.xpath("//section[@aria-labelledby='tags-titre']//a")
    }
    # Two of the three RGPD articles: the third only "a donné lieu" (stem `don`, another word).
    assert facets["RGPD"].xpath("string(.//span[@class='count'])") == "2"
    href = facets["RGPD"].get("href")
    assert query_of(href)["tag"] == ["RGPD"]
    filtered = page_of(client, href)
    ids = hit_ids(filtered)
    assert len(ids) == 2
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


def test_a_typo_shows_the_corrected_results_and_links_the_words_as_typed(
    client: FlaskClient,
) -> None:
    doc = page_of(client, "/search?q=fibbre&sort=date")
    assert hit_ids(doc)
    (note,) = doc.xpath("//p[@class='corrected']")
    said = " ".join(note.text_content().split())
    assert said == "Résultats pour fibre. Rechercher plutôt fibbre ?"
    (link,) = note.xpath("a")
    assert query_of(link.get("href")) == {"q": ["fibbre"], "sort": ["date"], "as_typed": ["1"]}
    as_typed = page_of(client, link.get("href"))
    assert not hit_ids(as_typed)
    (suggested,) = as_typed.xpath("//p[@class='did-you-mean']/a")
    assert suggested.text_content() == "fibre"
    assert query_of(suggested.get("href")) == {"q": ["fibre"], "sort": ["date"]}


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


def test_static_files_are_served(client: FlaskClient) -> None:
    assert client.get("/static/fouille.css").mimetype == "text/css"
    assert client.get("/static/fouille.js").mimetype in (
        "text/javascript",
        "application/javascript",
    )


# --- escaping ------------------------------------------------------------------------------------
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


def test_templates_have_no_inline_scripts_or_styles() -> None:
    templates = Path(__file__).parent.parent / "web" / "templates"
    for template in templates.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text), template.name
        assert not re.search(r"\|\s*safe\b", text), template.name


# --- small pure helpers --------------------------------------------------------------------------


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
    from search.formatting import french_date

    assert french_date(moment) == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("2024-03", "mars 2024"),
        ("2023-12", "décembre 2023"),
        ("2024-01", "janvier 2024"),
        ("2024-00", "2024-00"),
        ("2024-13", "2024-13"),
        ("2024-3", "2024-3"),
        ("2024-03-01", "2024-03-01"),
        ("mars", "mars"),
    ],
)
def test_french_months(key: str, expected: str) -> None:
    """Facet months and date filters in words; what is not a YYYY-MM month stays as typed."""
    from search.formatting import french_month

    assert french_month(key) == expected


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

    assert date_filter_label(SearchParams(since=since, until=until), "fr") == words


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


@pytest.mark.parametrize(
    "url",
    [
        "/search?q=données",
        "/search?q=données&page=2",
        "/search?q=données&sort=date",
        "/search?q=fibre+OR+données&lang=en",
        "/search?q=%3Cscript%3E+données",
    ],
)
def test_a_plain_results_page_is_the_one_the_template_renders(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """Pages with hits and nothing to notice skip Jinja (`render.results_page`): they are
    the page `search.html` renders, tag for tag and word for word."""
    import web.views

    fast = client.get(url)
    assert web.views.plain_results.__name__ == "plain_results"
    monkeypatch.setattr(web.views, "plain_results", lambda page, params: False)
    slow = client.get(url)
    assert fast.status_code == slow.status_code == 200
    assert _layout(fast.get_data(as_text=True)) == _layout(slow.get_data(as_text=True))


def _layout(html: str) -> str:
    """The page with its whitespace between tags and runs of spaces made one, and its
    search time left out."""
    html = re.sub(r'<span class="took">\([^)]*\)</span>', "", html)
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()
