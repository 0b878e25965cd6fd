"""The JSON API through Flask's test client: the same hits as the page, the CLI's JSON shape,
and /healthz."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from webserver import PAGE_SIZE, hit_ids, page_of

from search import Settings


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
    # Three articles tagged RGPD, two of them about données; the third only says "a donné
    # lieu", which shares the stem `don` but is another word.
    data = client.get("/api/search?q=données&tag=RGPD").get_json()
    assert set(data) >= {"query", "total", "page", "pages", "page_size", "sort", "hits",
                         "facets", "suggestion", "fallback", "took_ms"}  # fmt: skip
    assert data["query"] == "données" and data["total"] == 2 and data["page_size"] == PAGE_SIZE
    hit = data["hits"][0]
    assert set(hit) >= {"id", "url", "title", "published", "tags", "feed", "snippet", "score"}
    assert "<mark>" in hit["snippet"] or "<mark>" in hit["title_html"]
    assert ["RGPD", 2] in data["facets"]["tags"]


def test_sorting_by_date_puts_the_newest_first(client: FlaskClient) -> None:
    payload = client.get("/api/search?q=données&sort=date&page_size=10").get_json()
    dates = [hit["published"] for hit in payload["hits"]]
    assert dates == sorted(dates, reverse=True)


def test_healthz_reports_the_index(client: FlaskClient, web_settings: Settings) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "ok"
    assert data["index"]["articles"] == 11
    assert Path(data["index"]["index_dir"]) == web_settings.index_dir
