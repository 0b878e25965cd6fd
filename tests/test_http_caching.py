"""Conditional requests: searches answer with an ETag named after the index state and the
request, and a client that sends it back gets a 304 until the index changes."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from search import Engine, Settings
from tests.corpora import article

SEARCHES = [
    "/search?q=données",
    "/api/search?q=données&sort=date",
    "/search.atom?q=données",
    "/api/suggest?q=donn",
]


@pytest.mark.parametrize("url", SEARCHES)
def test_a_repeated_request_is_a_304_until_the_index_changes(
    own_client: FlaskClient, own_web_settings: Settings, url: str
) -> None:
    first = own_client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=30"

    again = own_client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag

    other = own_client.get(url + "&page=2", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag

    with Engine.open(own_web_settings) as engine, engine.writer() as writer:
        writer.upsert(article("nouveau", "Des données toutes neuves", "Données."))
    changed = own_client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_errors_carry_no_validator(own_client: FlaskClient) -> None:
    bad = own_client.get("/api/search?q=x&page=abc")
    assert bad.status_code == 400
    assert "ETag" not in bad.headers


def test_the_etag_follows_the_parameters(
    own_client: FlaskClient,
) -> None:
    one = own_client.get("/api/search?q=données&tag=RGPD").headers["ETag"]
    assert own_client.get("/api/search?q=données&tag=RGPD").headers["ETag"] == one
    assert own_client.get("/api/search?q=données&tag=Santé").headers["ETag"] != one
