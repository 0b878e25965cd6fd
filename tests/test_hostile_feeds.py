"""Hostile feeds (issue 6), through the real `fouille reindex` and the real app in Chromium.

- Feeds written for the tests (tests/hostile.py): scripts, event handlers, javascript: and
  data: URLs, CSS injection, a 5 MB title, 100,000 tags, dates in year 0 and 9999, invalid
  UTF-8, NUL bytes, RTL overrides, billion laughs, an external entity naming a local file.
  Each feed is read (nothing lost but what is unreadable), every ordinary entry is indexed,
  every field stays bounded, and nothing of it runs in the page.
- The shared corpus (tests/test_reindex.py checks each feed is indexed or reported): here the
  128 real feeds and feedparser's 745 sanitizer test feeds, full of scripts and handlers, go
  through the console script and are then shown by the app in Chromium, where nothing runs.
"""

from __future__ import annotations

import json
import re
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import lxml.etree
import lxml.html
import pytest
from chromium import headless_chromium
from faults import assert_no_traceback, run_fouille
from hostile import (
    DEFAULT_NORMAL,
    HOSTILE_WORD,
    NORMAL_PER_FEED,
    NORMAL_WORD,
    SECRET,
    write_all,
)
from webserver import serve

from search import Engine, Settings
from web import create_app

pytestmark = pytest.mark.slow

MAX_RESPONSE = 1024 * 1024  # no page, however hostile its articles, weighs more than this
HOSTILE_IDS = {
    *(f"hostile-markup-{n}" for n in range(1, 6)),
    "urn:hostile:atom:1",
    "hostile-huge-1",
    "hostile-huge-2",
    *(f"https://hostile.example/dates/{n}" for n in range(11)),
    "hostile-bytes-1",
    "hostile-bytes-2",
    "hostile-laughs-1",
    "hostile-xxe-1",
}
# Anything that would make a link or a resource run code or leave http(s).
BAD_URL = re.compile(r"^\s*(?!https?:|/|\?|#)[a-z][a-z0-9+.\-]*:", re.I)


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:
    """The hostile feeds indexed by the real console script; yields (index, JSON report)."""
    tmp = tmp_path_factory.mktemp("hostile")
    feeds = write_all(tmp / "feeds")
    index = tmp / "index"
    started = time.monotonic()
    done = run_fouille(
        "reindex", "--json", "--index", str(index), "--feed", str(tmp / "feeds"), cwd=tmp
    )
    elapsed = time.monotonic() - started
    assert_no_traceback(done.stdout, done.stderr)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(report["feeds"]) == len(feeds)
    assert elapsed < 30, f"hostile feeds took {elapsed:.0f} s"
    yield index, report


@pytest.fixture(scope="module")
def hostile_site(hostile_index: tuple[Path, dict]) -> Iterator[str]:
    index, _ = hostile_index
    app = create_app(Settings(index_dir=index, page_size=10))
    with serve(app) as base:
        yield base
    app.extensions["fouille"].close()


def test_every_hostile_feed_is_read_and_the_ordinary_entries_indexed(
    hostile_index: tuple[Path, dict],
) -> None:
    index, report = hostile_index
    for feed in report["feeds"]:
        name = Path(feed["url"]).stem
        assert feed["status"] == "ok", feed
        assert feed["new"] >= NORMAL_PER_FEED.get(name, DEFAULT_NORMAL) + 1, feed
        assert all("\n" not in w for w in feed["warnings"])
    with Engine.open(Settings(index_dir=index)) as engine:
        normal = engine.search(NORMAL_WORD, page_size=100)
        expected = sum(
            NORMAL_PER_FEED.get(Path(f["url"]).stem, DEFAULT_NORMAL) for f in report["feeds"]
        )
        assert normal.total == expected
        hostile = {hit.id for hit in engine.search(HOSTILE_WORD, page_size=100).hits}
        # (The lenient parser may resolve a guid against the feed's location.)
        for article_id in HOSTILE_IDS:
            assert any(i == article_id or i.endswith("/" + article_id) for i in hostile), article_id
        assert len(hostile) == len(HOSTILE_IDS)


def test_hostile_fields_are_bounded_and_clean(hostile_index: tuple[Path, dict]) -> None:
    index, _ = hostile_index
    with Engine.open(Settings(index_dir=index)) as engine:
        articles = list(engine.articles())
        stats = engine.stats()
        for article in articles:
            for name in ("id", "url", "title", "author", "body", "summary", "feed_title"):
                value = getattr(article, name)
                assert len(value) <= 1_000_000, name
                assert "\x00" not in value and not re.search("[\ud800-\udfff]", value), name
            assert len(article.title) <= 2000
            assert len(article.tags) <= 100
            assert 1900 <= article.published.year <= 2200
            assert "lollollol" not in article.title + article.body  # no entity expansion
        # An external entity never pulls a local file into the index.
        assert SECRET not in " ".join(a.title + a.body + a.summary for a in articles)
        assert engine.search(SECRET.split("-")[0]).total == 0
        huge = engine.get("hostile-huge-1")
        assert huge is not None and huge.title.startswith("Titre démesuré")
        assert len(engine.get("hostile-huge-2").tags) == 100  # type: ignore[union-attr]
    assert stats.oldest is not None and stats.oldest.year >= 1900
    assert stats.newest is not None and stats.newest.year <= 2200


HOSTILE_PAGES = [
    f"/search?q={HOSTILE_WORD}",
    f"/search?q={HOSTILE_WORD}&page=2",
    f"/search?q={HOSTILE_WORD}&page=3",
    f"/search?q={HOSTILE_WORD}&sort=date",
    f"/search?q={HOSTILE_WORD}&sort=fresh",
    "/search?q=démesuré",
    "/search?q=étiquettes",
    "/search?q=renversé",
    "/search?q=script",
    "/search?q=Mallory",
    "/search?tag=étiquette 7",
    "/search?tag=<script>window.__pwned=12</script>",
    "/search?q=date&since=1900-01-01&until=2200-12-31",
    "/",
]


def test_hostile_pages_are_escaped_and_bounded(hostile_site: str) -> None:
    with httpx.Client(base_url=hostile_site, timeout=30) as http:
        for path in HOSTILE_PAGES:
            response = http.get(path)
            assert response.status_code == 200, path
            assert len(response.content) < MAX_RESPONSE, (path, len(response.content))
            doc = lxml.html.fromstring(response.content)
            scripts = doc.xpath("//script")
            assert [s.get("src") for s in scripts] == ["/static/fouille.js"], path
            assert not doc.xpath("//style | //iframe | //object | //embed | //meta[@http-equiv]")
            assert not doc.xpath("//*[@style]"), path
            for element in doc.iter():
                if not isinstance(element.tag, str):
                    continue
                for name, value in element.attrib.items():
                    assert not name.lower().startswith("on"), (path, name)
                    if name in ("href", "src", "action", "formaction", "data"):
                        assert not BAD_URL.match(value), (path, name, value)
        for path in (
            f"/api/search?q={HOSTILE_WORD}&page_size=100",
            f"/search.atom?q={HOSTILE_WORD}",
        ):
            response = http.get(path)
            assert response.status_code == 200, path
            assert len(response.content) < MAX_RESPONSE, path
        atom = lxml.etree.fromstring(http.get(f"/search.atom?q={HOSTILE_WORD}").content)
        hrefs = atom.xpath("//*[local-name()='link']/@href")
        assert hrefs and not [h for h in hrefs if BAD_URL.match(h)]
        hits = http.get(f"/api/search?q={HOSTILE_WORD}&page_size=100").json()["hits"]
        assert len(hits) == len(HOSTILE_IDS)


# --- in Chromium ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from headless_chromium()


class Watch:
    """Dialogs, script errors and `window.__pwned`: what must never happen."""

    def __init__(self, page: Any) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def check(self, page: Any, where: str) -> None:
        assert page.evaluate("typeof window.__pwned") == "undefined", where
        assert self.dialogs == [], (where, self.dialogs)
        assert self.errors == [], (where, self.errors)


def visit(browser: Any, base: str, paths: list[str], *, bypass_csp: bool, width: int = 1280) -> int:
    """Open each page; hover and focus everything that a handler could hang on. Returns pages."""
    context = browser.new_context(
        locale="fr-FR", viewport={"width": width, "height": 900}, bypass_csp=bypass_csp
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        watch = Watch(page)
        for path in paths:
            page.goto(base + path)
            page.wait_for_load_state("load")
            for hit in page.locator("article.hit").all()[:10]:
                hit.hover()
            page.wait_for_timeout(50)
            watch.check(page, path)
            # The page is still there: CSS from a feed neither hid nor covered it.
            assert page.locator("main").is_visible(), path
            if page.locator("article.hit").count():
                first = page.locator("article.hit").first
                first.scroll_into_view_if_needed()
                assert first.is_visible(), path
                top = page.evaluate(
                    "() => { const h = document.querySelector('article.hit');"
                    " const r = h.getBoundingClientRect();"
                    " const e = document.elementFromPoint(r.left + r.width / 2, r.top + 8);"
                    " return e !== null && h.contains(e); }"
                )
                assert top, f"{path}: something covers the first hit"
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path}: {overflow}px wider than the window"
        return len(paths)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "escaping-alone"])
def test_nothing_hostile_runs_in_chromium(
    browser: Any, hostile_site: str, bypass_csp: bool
) -> None:
    visit(browser, hostile_site, HOSTILE_PAGES, bypass_csp=bypass_csp)
    visit(browser, hostile_site, HOSTILE_PAGES[:3], bypass_csp=bypass_csp, width=360)


@pytest.mark.browser
def test_an_rtl_override_in_a_field_does_not_reverse_the_rest_of_the_line(
    browser: Any, hostile_site: str
) -> None:
    """U+202E in an author name must stay inside it: the feed name still follows, to the right."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(hostile_site + "/search?q=renversé")
        hit = page.locator("article.hit", has_text="yrollaM")
        assert hit.count() == 1
        author = hit.locator(".author").bounding_box()
        feed = hit.locator(".feed").bounding_box()
        assert author and feed
        assert feed["x"] >= author["x"] + author["width"] - 1, (author, feed)
        # The same for a query typed with an override: the closing » stays after it.
        page.goto(hostile_site + "/search?q=%E2%80%AEzqpiege")
        xs = page.evaluate(
            """() => {
              const el = document.querySelector('.results-count');
              const text = [...el.childNodes].map(n => n.textContent).join('');
              const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
              const at = {};
              for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                for (const ch of ['z', '»']) {
                  const i = n.data.indexOf(ch);
                  if (i >= 0 && !(ch in at)) {
                    const r = document.createRange();
                    r.setStart(n, i); r.setEnd(n, i + 1);
                    at[ch] = r.getBoundingClientRect().x;
                  }
                }
              }
              return [at['z'], at['»'], text];
            }"""
        )
        assert xs[0] is not None and xs[1] is not None, xs
        assert xs[1] > xs[0], xs
    finally:
        context.close()


# --- the shared corpus, shown ---------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    """The corpus feeds and feedparser's sanitizer tests indexed by the console script."""
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    tarball = corpus / "feedparser-tests" / "tests-feeds.tar.gz"
    if not (corpus / "feeds").is_dir() or not tarball.is_file():
        pytest.skip("../shared/corpus is absent")
    tmp = tmp_path_factory.mktemp("corpus")
    with tarfile.open(tarball) as tar:
        members = [m for m in tar.getmembers() if "/sanitize/" in m.name and m.isfile()]
        tar.extractall(tmp / "fp", members=members, filter="data")
    sanitize = next((tmp / "fp").rglob("sanitize"))
    index = tmp / "index"
    done = run_fouille(
        "reindex", "--json", "--index", str(index),
        "--feed", str(corpus / "feeds"), "--feed", str(sanitize),
        cwd=tmp, timeout=180,
    )  # fmt: skip
    assert_no_traceback(done.stdout, done.stderr)
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    files = list((corpus / "feeds").rglob("*.xml")) + list(sanitize.rglob("*.xml"))
    assert len(report["feeds"]) == len(files)
    for feed in report["feeds"]:
        assert feed["status"] != "failed" or re.fullmatch(r"[^\n]{1,400}", feed["reason"]), feed
    app = create_app(Settings(index_dir=index, page_size=20))
    with serve(app) as base:
        yield base, report
    app.extensions["fouille"].close()


CORPUS_QUERIES = ["script", "alert", "javascript", "onclick", "iframe", "style", "le", "Next"]


@pytest.mark.corpus
def test_corpus_articles_are_served_escaped(corpus_site: tuple[str, dict]) -> None:
    base, report = corpus_site
    totals = report["totals"]
    print(
        f"\ncorpus: {totals['feeds']} feeds tried, {totals['feeds'] - totals['failed']} read, "
        f"{totals['failed']} reported, {totals['new']} articles"
    )
    with httpx.Client(base_url=base, timeout=30) as http:
        for q in CORPUS_QUERIES:
            for path in (f"/search?q={q}", f"/search?q={q}&page=2", f"/api/search?q={q}"):
                response = http.get(path)
                assert response.status_code == 200, path
                assert len(response.content) < MAX_RESPONSE, path
            doc = lxml.html.fromstring(http.get(f"/search?q={q}").content)
            assert [s.get("src") for s in doc.xpath("//script")] == ["/static/fouille.js"]
            assert not [
                name
                for element in doc.iter()
                if isinstance(element.tag, str)
                for name in element.attrib
                if name.lower().startswith("on")
            ]


@pytest.mark.corpus
@pytest.mark.browser
def test_corpus_articles_run_nothing_in_chromium(
    browser: Any, corpus_site: tuple[str, dict]
) -> None:
    base, _ = corpus_site
    paths = [f"/search?q={q}" for q in CORPUS_QUERIES] + [
        f"/search?q={q}&page=2" for q in CORPUS_QUERIES[:4]
    ]
    visit(browser, base, paths, bypass_csp=True)


def test_an_entry_without_any_word_does_not_break_searches(tmp_path: Path) -> None:
    """feedparser's sanitizer tests hold such entries (title `<m></m>`): searches must go on."""
    feed = tmp_path / "wordless.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        "<item><title><![CDATA[<m></m>]]></title><guid>wordless-1</guid>"
        "<description>… — !!! ¿?</description></item>"
        f"<item><title>Ordinaire {NORMAL_WORD}</title><guid>normal-1</guid>"
        "<description>Un texte.</description></item></channel></rss>",
        encoding="utf-8",
    )
    index = tmp_path / "index"
    done = run_fouille("reindex", "--index", str(index), "--feed", str(feed), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    found = run_fouille("search", "--index", str(index), NORMAL_WORD, cwd=tmp_path)
    assert_no_traceback(found.stdout, found.stderr)
    assert found.returncode == 0, found.stderr
    app = create_app(Settings(index_dir=index), config={"TESTING": True})
    try:
        assert app.test_client().get(f"/search?q={NORMAL_WORD}").status_code == 200
    finally:
        app.extensions["fouille"].close()
