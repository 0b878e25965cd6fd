"""End to end in headless Chromium: the real app behind waitress on 127.0.0.1 (issue 4).

Skipped cleanly when Debian's Chromium or Playwright's Python package is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from chromium import CHROMIUM, headless_chromium
from webserver import HOSTILE_TITLE

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/fouille-results.png")

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    yield from headless_chromium()


class Watch:
    """What a page did that it must not: dialogs, script errors, CSP violations."""

    def __init__(self, page: Any) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.csp: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", self._console)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp.append(message.text)

    def assert_clean(self, page: Any) -> None:
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert self.dialogs == []
        assert self.errors == []
        assert self.csp == []


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def new_page(browser: Any, **options: Any) -> tuple[Any, Any, Watch]:
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 900}, **options
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page, Watch(page)


def test_search_journey(browser: Any, live_server: str) -> None:
    """Type with suggestions, read highlighted results, page, sort, filter by a tag facet."""
    context, page, watch = new_page(browser)
    try:
        page.goto(live_server + "/")
        assert page.evaluate("document.activeElement.id") == "q"  # autofocus
        page.keyboard.type("donn")
        # fouille.js (allowed by the CSP, as a same-origin file) fills the datalist.
        page.wait_for_function(
            "() => [...document.querySelectorAll('#q-suggestions option')]"
            ".some(o => o.value === 'données')"
        )
        page.keyboard.type("ées")
        page.keyboard.press("Enter")
        page.wait_for_url("**/search?q=*")
        assert params(page.url) == {"q": ["données"]}
        assert page.locator(".results-count").inner_text().split()[1] == "résultats"
        marks = page.locator("article.hit mark")
        assert marks.count() >= 3
        assert "données" in [m.lower() for m in marks.all_inner_texts()]
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        first_page = page.locator("article.hit").evaluate_all("els => els.map(e => e.dataset.id)")
        page.get_by_role("navigation", name="Pages de résultats").get_by_role(
            "link", name="Page 2"
        ).click()
        page.wait_for_url("**page=2*")
        assert page.locator("nav.pagination a[aria-current=page]").inner_text() == "2"
        second_page = page.locator("article.hit").evaluate_all("els => els.map(e => e.dataset.id)")
        assert second_page and not set(first_page) & set(second_page)

        page.get_by_role("link", name="Plus récents").click()
        page.wait_for_url("**sort=date*")
        assert "page" not in params(page.url)  # a new order starts on page 1
        assert page.locator("nav.sort-switch a[aria-current=true]").inner_text() == "Plus récents"
        dates = page.locator("article.hit time").evaluate_all(
            "els => els.map(e => e.getAttribute('datetime'))"
        )
        assert dates == sorted(dates, reverse=True)

        facet = page.locator("section[aria-labelledby=tags-titre] a", has_text="RGPD")
        count = int(facet.locator(".count").inner_text())
        facet.click()
        page.wait_for_url("**tag=RGPD*")
        assert params(page.url) == {"q": ["données"], "tag": ["RGPD"], "sort": ["date"]}
        hits = page.locator("article.hit")
        assert hits.count() == min(count, 3)
        for i in range(hits.count()):
            assert "#RGPD" in hits.nth(i).locator(".hit-tags").inner_text()
        active = page.locator("section[aria-labelledby=tags-titre] a[aria-current=true]")
        assert active.locator(".facet-name").inner_text() == "RGPD"
        watch.assert_clean(page)
    finally:
        context.close()


def test_keyboard_only(browser: Any, live_server: str) -> None:
    """The skip link comes first; Enter in the box searches; results are reachable by Tab."""
    context, page, watch = new_page(browser)
    try:
        page.goto(live_server + "/search?q=cnil")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#contenu"
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.closest('.hit-title') !== null"):
                break
        else:
            pytest.fail("no result title reachable with Tab")
        watch.assert_clean(page)
    finally:
        context.close()


def test_hostile_entry_runs_nothing_even_without_the_csp(browser: Any, live_server: str) -> None:
    """Escaping alone keeps the hostile entry inert: the CSP is bypassed for this test."""
    context, page, watch = new_page(browser, bypass_csp=True)
    try:
        page.goto(live_server + "/search?q=piégées")
        hit = page.locator("article.hit")
        assert hit.count() == 1
        title = hit.locator(".hit-title")
        assert title.inner_text() == HOSTILE_TITLE  # shown as text, tags and all
        assert title.locator("a").count() == 0  # a javascript: URL is not a link
        assert "<b onmouseover=" in hit.locator(".author").inner_text()
        snippet = hit.locator(".snippet")
        assert '<img src=x onerror="window.__pwned=4">' in snippet.inner_text()
        assert snippet.locator("mark").all_inner_texts() == ["piégées"]
        assert "#<script>window.__pwned=8</script>" in hit.locator(".hit-tags").inner_text()
        assert page.locator("img[onerror], [onmouseover], a[href^='javascript']").count() == 0
        scripts = page.locator("script").evaluate_all("els => els.map(e => e.src)")
        assert scripts == [live_server + "/static/fouille.js"]
        hit.locator(".hit-title").hover()
        hit.locator(".author").hover()
        # Following a hostile tag is a search like any other.
        hit.locator(".hit-tags a", has_text="javascript:alert(1)").click()
        page.wait_for_url("**tag=javascript*")
        assert page.locator("article.hit").count() == 1
        watch.assert_clean(page)
    finally:
        context.close()


def test_works_without_javascript(browser: Any, live_server: str) -> None:
    """Search, filter by date and sort with JavaScript off: every state is a plain GET URL."""
    context, page, _ = new_page(browser, java_script_enabled=False)
    try:
        page.goto(live_server + "/")
        page.fill("#q", "sécurité")
        page.keyboard.press("Enter")
        page.wait_for_url("**/search?q=*")
        assert page.locator("article.hit").count() >= 1
        page.get_by_role("link", name="30 jours").click()
        page.wait_for_url("**since=30d*")
        page.fill("#since", "2020-01-01")
        page.get_by_role("button", name="Appliquer").click()
        page.wait_for_url("**since=2020-01-01*")
        assert params(page.url)["q"] == ["sécurité"]
        assert page.locator("article.hit").count() >= 1
    finally:
        context.close()


def test_small_screen_layout(browser: Any, live_server: str) -> None:
    """On a phone-sized screen nothing overflows sideways."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(live_server + "/search?q=données")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
    finally:
        context.close()
