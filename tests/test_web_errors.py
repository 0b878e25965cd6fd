"""Web errors: 400 for bad parameters (page, JSON, Atom), 404, 405, and 503 while there is
no index or when the core reports a problem the operator can fix."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from webserver import page_of

from search import Engine, Settings

NOT_FOUND = "Cette page n’existe pas. Reprenez depuis l’accueil ou lancez une recherche."
BAD_PARAMETERS = [
    ("q=données&since=2024-13-45", "2024-13-45"),
    ("q=données&until=demain-peut-etre", "demain"),
    ("q=données&since=2025-01-01&until=2024-01-01", "date"),
    ("q=données&page=-1", "page"),
    ("q=données&page=0", "page"),
    ("q=données&page=deux", "page"),
    ("q=données&page_size=10000", "taille de page"),
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
    """The same French message (not werkzeug's English one) on the page and in the JSON."""
    doc = page_of(client, "/nulle-part", status=404)
    assert "Page introuvable" in doc.xpath("string(//h1)")
    assert " ".join(doc.xpath("string(//p[@class='error-message'])").split()) == NOT_FOUND
    response = client.get("/api/nulle-part")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json() == {"error": {"code": 404, "message": NOT_FOUND}}


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


# --- no index ------------------------------------------------------------------------------------


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


def test_an_index_removed_while_serving_is_a_503(
    own_client: FlaskClient, own_web_settings: Settings
) -> None:
    import shutil

    assert own_client.get("/healthz").status_code == 200
    shutil.rmtree(own_web_settings.index_dir)
    assert own_client.get("/healthz").status_code == 503
    assert b"fouille reindex" in own_client.get("/search?q=données").data
