"""The machine interfaces: the OpenSearch description, search suggestions, Atom feeds."""

from __future__ import annotations

from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import feedparser
import pytest
from flask.testing import FlaskClient
from webserver import query_of

ATOM = "{http://www.w3.org/2005/Atom}"

OSD = "{http://a9.com/-/spec/opensearch/1.1/}"


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
    assert urls["text/html"] == "http://127.0.0.1/search?q={searchTerms}"
    assert urls["application/x-suggestions+json"] == "http://127.0.0.1/api/suggest?q={searchTerms}"
    assert urls["application/atom+xml"] == "http://127.0.0.1/search.atom?q={searchTerms}"
    assert urls["application/opensearchdescription+xml"] == "http://127.0.0.1/opensearch.xml"
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
    assert links["search"].get("href") == "http://127.0.0.1/opensearch.xml"
    assert links["self"].get("href") == "http://127.0.0.1/search.atom?q=donn%C3%A9es&tag=RGPD"
    assert query_of(links["alternate"].get("href")) == {
        "q": ["données"],
        "tag": ["RGPD"],
        "sort": ["date"],
    }
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2  # "a donné lieu" is not about données
    updated = [entry.findtext(f"{ATOM}updated") for entry in entries]
    assert updated == sorted(updated, reverse=True)  # newest first
    for entry in entries:
        for required in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{required}")
        assert "RGPD" in [c.get("term") for c in entry.findall(f"{ATOM}category")]
        assert entry.find(f"{ATOM}summary").get("type") == "html"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == 2


def test_atom_feed_never_links_a_javascript_url(client: FlaskClient) -> None:
    response = client.get("/search.atom?q=piégées")
    feed = ET.fromstring(response.data)
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}link") is None
    assert entry.findtext(f"{ATOM}id") == "urn:fouille:article:hostile-1"
    assert entry.findtext(f"{ATOM}title").startswith("<script>")  # text, escaped in the XML
    assert b"<script>" not in response.data
