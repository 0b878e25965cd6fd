"""Behind a reverse proxy (issue 13): the real `fouille serve`, asked as a proxy would ask it.

Absolute links (OpenSearch, Atom) come from `base_url`, else from the forwarded scheme and
host when `trusted_proxies` says a proxy sets them, else from the address the server listens
on: never from a Host header or X-Forwarded-* that nobody vouches for.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree import ElementTree as ET

import httpx
import lxml.html
import pytest
from faults import fouille_serve
from flask import Flask
from webserver import hit_ids, sample_articles, serve

from search import Settings
from web import create_app
from web.auth import EXTENSION, Door, Throttle

OSD = "{http://a9.com/-/spec/opensearch/1.1/}"
ATOM = "{http://www.w3.org/2005/Atom}"
#: What a hostile client, or a proxy nobody told Fouille about, may send.
FORGED = {
    "Host": "evil.example",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Prefix": "/piege",
}


def links(base: str, headers: dict[str, str]) -> dict[str, str]:
    """The absolute links of the OpenSearch description and of an Atom feed."""
    description = httpx.get(base + "/opensearch.xml", headers=headers)
    assert description.status_code == 200
    root = ET.fromstring(description.content)
    out = {url.get("type"): url.get("template") for url in root.findall(f"{OSD}Url")}
    out["form"] = root.findtext("{http://www.mozilla.org/2006/browser/search/}SearchForm")
    feed = httpx.get(base + "/search.atom?q=cnil", headers=headers)
    assert feed.status_code == 200
    for link in ET.fromstring(feed.content).findall(f"{ATOM}link"):
        out[f"atom-{link.get('rel')}"] = link.get("href")
    return out


def test_without_settings_no_host_header_is_echoed(own_web_settings: Settings) -> None:
    with fouille_serve(own_web_settings.index_dir) as base:
        found = links(base, FORGED)
    assert found["text/html"] == f"{base}/search?q={{searchTerms}}"
    assert found["application/atom+xml"] == f"{base}/search.atom?q={{searchTerms}}"
    assert found["form"] == f"{base}/"
    assert found["atom-self"] == f"{base}/search.atom?q=cnil"
    assert found["atom-search"] == f"{base}/opensearch.xml"
    assert found["atom-alternate"].startswith(f"{base}/search?")
    assert not any("evil" in value or "piege" in value for value in found.values())


def test_base_url_pins_every_link(own_web_settings: Settings) -> None:
    public = "https://fouille.example.org/archive"
    with fouille_serve(own_web_settings.index_dir, base_url=public + "/") as base:
        found = links(base, FORGED)
        # A proxy may pass the path prefix on, or strip it: both reach the same page.
        prefixed = httpx.get(base + "/archive/search?q=cnil")
        stripped = httpx.get(base + "/search?q=cnil")
    assert found["text/html"] == f"{public}/search?q={{searchTerms}}"
    assert found["application/x-suggestions+json"] == f"{public}/api/suggest?q={{searchTerms}}"
    assert found["application/opensearchdescription+xml"] == f"{public}/opensearch.xml"
    assert found["atom-self"] == f"{public}/search.atom?q=cnil"
    assert found["atom-search"] == f"{public}/opensearch.xml"
    assert prefixed.status_code == stripped.status_code == 200
    assert hit_ids(lxml.html.fromstring(prefixed.text)) == hit_ids(
        lxml.html.fromstring(stripped.text)
    )
    assert hit_ids(lxml.html.fromstring(stripped.text))
    # The pages' own links carry the prefix too.
    assert 'href="/archive/static/fouille.css"' in stripped.text
    assert 'action="/archive/search"' in stripped.text


def test_trusted_proxies_make_the_forwarded_scheme_and_host_count(
    own_web_settings: Settings,
) -> None:
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "fouille.example.org"}
    with fouille_serve(own_web_settings.index_dir, trusted_proxies=1) as base:
        found = links(base, {"Host": "127.0.0.1", **proxy})
        bare = links(base, {})
    assert found["text/html"] == "https://fouille.example.org/search?q={searchTerms}"
    assert found["atom-self"] == "https://fouille.example.org/search.atom?q=cnil"
    assert bare["text/html"] == f"{base}/search?q={{searchTerms}}"


def test_base_url_wins_over_forwarded_headers(own_web_settings: Settings) -> None:
    public = "https://fouille.example.org"
    with fouille_serve(own_web_settings.index_dir, trusted_proxies=1, base_url=public) as base:
        found = links(base, FORGED)
    assert found["text/html"] == f"{public}/search?q={{searchTerms}}"


# --- who the client is, behind a proxy ------------------------------------------------------------


@pytest.fixture
def proxied(make_index) -> Iterator[tuple[str, Flask]]:
    settings = make_index(sample_articles(), web_password="mot de passe", trusted_proxies=1)
    app = create_app(settings)
    with serve(app, clear_untrusted_proxy_headers=False) as url:
        yield url, app
    app.extensions["fouille"].close()


def test_failed_attempts_count_against_the_forwarded_client(
    proxied: tuple[str, Flask],
) -> None:
    url, app = proxied
    now = [0.0]
    door: Door = app.extensions[EXTENSION]
    door.throttle = Throttle(clock=lambda: now[0])
    wrong = {"Authorization": "Bearer fouille_faux"}
    guesser = {**wrong, "X-Forwarded-For": "203.0.113.9"}
    for _ in range(Throttle.FREE + 1):
        assert httpx.get(url + "/api/search?q=x", headers=guesser).status_code == 401
    assert httpx.get(url + "/api/search?q=x", headers=guesser).status_code == 429
    # Another reader behind the same proxy is not slowed down by the guesser.
    other = {**wrong, "X-Forwarded-For": "198.51.100.7"}
    assert httpx.get(url + "/api/search?q=x", headers=other).status_code == 401
    # Only the last hop counts with one proxy: a client cannot pick its own address.
    spoofed = {**wrong, "X-Forwarded-For": "198.51.100.7, 203.0.113.9"}
    assert httpx.get(url + "/api/search?q=x", headers=spoofed).status_code == 429
