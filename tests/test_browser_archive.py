"""Issue 14 in headless Chromium: from a result to its archived copy, "Pourquoi ?", the link to
the original landing on the passage that matched (the publisher's page served on 127.0.0.1),
versions and the feed and author facets — with the CSP on and nothing inline."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from archive_sample import archive_articles, original_page
from chromium import CHROMIUM, headless_chromium
from feedserver import FeedServer
from test_browser import new_page
from webserver import serve

from search import Settings
from tests.articles import build_index
from web import create_app

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from headless_chromium()


@pytest.fixture(scope="module")
def publisher() -> Iterator[FeedServer]:
    """The publishers' own site, where the archived articles came from."""
    with FeedServer() as server:
        yield server


@pytest.fixture(scope="module")
def site(publisher: FeedServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    articles = archive_articles(origin=publisher.url(""))
    for article in articles:
        if article.url.startswith(publisher.url("")):
            publisher.route(
                urlsplit(article.url).path,
                body=original_page(article),
                headers={"Content-Type": "text/html; charset=utf-8"},
            )
    settings: Settings = build_index(tmp_path_factory.mktemp("browser") / "index", articles)
    app = create_app(settings)
    with serve(app) as url:
        yield url
    app.extensions["fouille"].close()


def test_from_a_result_to_the_passage_of_the_original(
    browser: Any, site: str, publisher: FeedServer
) -> None:
    context, page, watch = new_page(browser)
    try:
        page.goto(site + "/search?q=pistes+cyclables+parking")
        hit = page.locator("article.hit", has=page.locator("h2", has_text="plan vélo"))
        why = hit.locator("details.why")
        assert not why.locator("table").is_visible()
        why.locator("summary").click()
        # The box brings the explanation from the article's page when it opens.
        why.locator("table").wait_for(state="visible")
        assert why.locator("dd code").inner_text() == "pistes cyclables parking"
        cells = why.locator("tbody tr td:first-child").all_inner_texts()
        assert {"pistes", "cyclables", "parking"} >= set(cells) and cells
        watch.assert_clean(page)

        hit.get_by_role("link", name="copie archivée").click()
        page.wait_for_url("**/article/*")
        assert page.locator("h1").inner_text().startswith("Le plan vélo")
        marks = page.locator(".article-text mark").all_inner_texts()
        assert {"pistes", "cyclables", "parking"} <= set(marks)
        assert page.locator("section.related li a").count() == 5
        watch.assert_clean(page)

        page.get_by_role("link", name="Lire l’original, au passage trouvé").click()
        page.wait_for_url(publisher.url("/articles/velo-lyon") + "*")
        passage = page.locator("p.text", has_text="parking")
        # The browser scrolls to the passage the text fragment names (150 paragraphs down).
        page.wait_for_function(
            """() => {
                const p = [...document.querySelectorAll('p.text')]
                    .find(e => e.textContent.includes('parking'));
                const box = p.getBoundingClientRect();
                return window.scrollY > 0 && box.top >= 0 && box.bottom <= window.innerHeight;
            }"""
        )
        assert passage.is_visible()
    finally:
        context.close()


def test_versions_and_facets(browser: Any, site: str) -> None:
    context, page, watch = new_page(browser)
    try:
        page.goto(site + "/search?q=cantines+bio")
        assert page.locator("article.hit").count() == 1
        versions = page.locator("div.versions")
        assert versions.inner_text().startswith("2 versions de cet article")
        versions.locator("a").click()
        page.wait_for_url("**/article/*")
        assert page.locator("h1").inner_text() == "Repas bio : la commune franchit le pas"

        page.goto(site + "/search?q=métropole+OU+commerçants")
        page.locator("section[aria-labelledby=flux-titre] a", has_text="L’Hebdo").click()
        page.wait_for_url("**feed=*")
        assert parse_qs(urlsplit(page.url).query)["feed"] == ["L’Hebdo"]
        feeds = page.locator("article.hit .feed").all_inner_texts()
        assert feeds and set(feeds) == {"L’Hebdo"}
        page.locator("section[aria-labelledby=auteurs-titre] a", has_text="Paul Renard").click()
        page.wait_for_url("**author=*")
        authors = page.locator("article.hit .author").all_inner_texts()
        assert authors and set(authors) == {"Paul Renard"}
        watch.assert_clean(page)
    finally:
        context.close()
