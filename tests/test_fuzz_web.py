"""Property-based fuzzing (issue 6) of the query language, the engine, and every web parameter
against the app behind waitress: arbitrary Unicode, operators, quotes, very long input, huge
page numbers, invalid percent-encoding. Query text never errors; a bad filter is an
`InvalidFilterError` with a message; every HTTP answer is a page (200, or a redirect home) or
a 400 with a message, never a 500, and bounded in size.

More cases: FOUILLE_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz_web.py -s
"""

from __future__ import annotations

import json
import math
import os
import string
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote, urlsplit

import httpx
import lxml.html
import pytest
from articles import build_index
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from webserver import FEED, FEED_URL, sample_articles, serve

from search import Engine, InvalidFilterError, SearchPage, Settings, Snippet
from search.analysis import fold, terms
from search.filters import parse_date
from search.plan import compile_query
from search.query import parse
from web import create_app

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("FOUILLE_FUZZ_EXAMPLES", "300"))
MAX_RESPONSE = 1024 * 1024
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CASES: Counter[str] = Counter()

OPERATORS = [
    *'"()-*:+^~\\[]{}|&!?',
    "OR", "OU", "AND", "ET", "NOT", "SAUF", "TO", "||", "&&",
    "title:", "titre:", "author:", "auteur:", "tag:", "tags:", "feed:", "flux:", "source:",
    "x:", ":", "*:*", '""', "((", "))", "-(", 'titre:"', "tag:(", "*a", "a*", "**",
]  # fmt: skip
WORDS = [
    "données", "CNIL", "l’été", "aujourd’hui", "Wi-Fi", "5G", "C++", "œuvre", "RGPD",
    "élections", "x86", "Île-de-France", "peut-être", "hôpitaux", "ÉCOLE", "qu'il",
]  # fmt: skip
NASTY = [
    "\x00", "\u202e", "\u200b", "\ufeff", "\r\n", "\t", "\x1b[31m", "\U0001f600", "\u0301",
    "ﬁ", "İ", "ß", "\uffff", "\U0010ffff", "%", "%00", "&amp;", "<script>", "'", "`", "${x}",
]  # fmt: skip

token = st.one_of(
    st.sampled_from(OPERATORS),
    st.sampled_from(WORDS),
    st.sampled_from(NASTY),
    st.text(max_size=12),
    st.text(alphabet=string.ascii_letters + "éèàùç’'-", min_size=1, max_size=10),
)
query_text = st.one_of(
    st.lists(token, max_size=30).map(" ".join),
    st.lists(token, max_size=30).map("".join),
    st.text(max_size=300),
    st.builds(
        lambda t, n: t * n, st.sampled_from(["(", '"', "a ", "-", "OR ", "é"]), st.integers(1, 6000)
    ),
)
date_text = st.one_of(
    st.sampled_from(["2024", "2024-03", "2024-03-15", "7d", "4w", "1y", "24h", "2024-13-45",
                     "0000-00-00", "9999-12-31", "-1d", "99999999999d", "1e9", "today", ""]),
    st.text(max_size=30),
)  # fmt: skip
big_int = st.one_of(
    st.integers(-5, 20),
    st.integers(-(10**30), 10**30),
    st.sampled_from([2**31, 2**63, 10**4, 10**4 + 1, 10**100]),
)


ARTICLES = sample_articles()
LABELS = {tag for article in ARTICLES for tag in article.tags}
TITLES = " ".join(article.title.lower() for article in ARTICLES)
RAW_TITLES = " ".join(article.title for article in ARTICLES)
# Text that finds something in the sample, so that filters and completions have work to do.
FINDS = ["", "données", "santé", "hôpital", "règlement", "Europe", "fibre", "sécurité", "windows"]
TYPED = ["san", "donn", "rg", "sécu", "vie", "la vie", "x  hôp", "de", "co", "pr", "re", "le"]


@pytest.fixture(scope="module")
def fuzz_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_index(tmp_path_factory.mktemp("fuzz") / "index", ARTICLES)


@pytest.fixture(scope="module")
def engine(fuzz_settings: Settings) -> Iterator[Engine]:
    with Engine.open(fuzz_settings) as opened:
        yield opened


@pytest.fixture(scope="module")
def site(fuzz_settings: Settings) -> Iterator[str]:
    app = create_app(fuzz_settings)
    with serve(app) as base:
        yield base
    app.extensions["fouille"].close()


def report(name: str) -> None:
    """Print how many cases ran (with -s), and check that the fuzzer did run them all."""
    print(f"\nfuzz: {name}: {CASES[name]} cases")
    assert CASES[name] >= EXAMPLES, f"{name}: only {CASES[name]} of {EXAMPLES} cases ran"


def check_snippet(snippet: Snippet) -> None:
    """Highlights are ordered, disjoint, inside the text, and each marks a whole word."""
    text = snippet.text
    end = 0
    for start, stop in snippet.highlights:
        assert end <= start < stop <= len(text), snippet
        assert text[start].isalnum() and text[stop - 1].isalnum(), snippet
        assert start == 0 or not text[start - 1].isalnum(), snippet
        assert stop == len(text) or not text[stop].isalnum(), snippet
        end = stop


def check_page(result: SearchPage, page: int, page_size: int) -> None:
    """One page of a result: its size, its place among the pages, its order, its snippets."""
    assert result.page == page and result.page_size == page_size
    assert result.pages == max(1, math.ceil(result.total / page_size))
    assert len(result.hits) == max(0, min(page_size, result.total - (page - 1) * page_size))
    assert len({hit.id for hit in result.hits}) == len(result.hits)
    if result.sort == "date":
        dates = [hit.published for hit in result.hits]
        assert dates == sorted(dates, reverse=True)
    else:
        scores = [hit.score for hit in result.hits]
        assert scores == sorted(scores, reverse=True)
    for hit in result.hits:
        check_snippet(hit.snippet)
        check_snippet(hit.title_snippet)
        assert hit.title_snippet.text == hit.title
        assert len(hit.snippet.text) < 450


def bound(value: object, *, end: bool) -> datetime | None:
    """A date filter as the engine reads it, or None when it is not one."""
    try:
        return parse_date(value, end=end)  # type: ignore[arg-type]
    except (InvalidFilterError, OverflowError):
        return None


# --- the query language and the engine ------------------------------------------------------


def test_query_text_never_errors(engine: Engine) -> None:
    @FUZZ
    @given(
        text=query_text,
        sort=st.sampled_from(["relevance", "date", "fresh"]),
        page=st.integers(1, 3),
    )
    def run(text: str, sort: str, page: int) -> None:
        CASES["query text"] += 1
        compile_query(parse(text))
        result = engine.search(text, sort=sort, page=page)
        check_page(result, page, engine.settings.page_size)
        if not text.strip():  # no query: every article, newest first unless asked otherwise
            assert result.total == len(ARTICLES)
            assert result.sort == ("date" if sort == "relevance" else sort)

    run()
    report("query text")


def test_filters_are_valid_or_a_clear_error(engine: Engine) -> None:
    @FUZZ
    @given(
        text=st.one_of(st.sampled_from(FINDS), query_text),
        tags=st.lists(
            st.one_of(st.sampled_from(["RGPD", "Vie privée", "<script>"]), st.text(max_size=30)),
            max_size=5,
        ),
        since=st.one_of(st.none(), date_text),
        until=st.one_of(st.none(), date_text),
        author=st.one_of(st.none(), st.text(max_size=40)),
        feed=st.one_of(st.none(), st.text(max_size=40)),
        sort=st.one_of(st.sampled_from(["relevance", "date", "fresh"]), st.text(max_size=10)),
        page=big_int,
        page_size=st.one_of(st.none(), big_int),
    )
    def run(text, tags, since, until, author, feed, sort, page, page_size) -> None:  # type: ignore[no-untyped-def]
        CASES["engine filters"] += 1
        # A relative bound moves with the clock: the earliest start, the latest end.
        start = bound(since, end=False)
        try:
            result = engine.search(
                text, tags=tags, since=since, until=until, author=author, feed=feed,
                sort=sort, page=page, page_size=page_size,
            )  # fmt: skip
        except InvalidFilterError as exc:
            message = str(exc)
            assert message and "\n" not in message and len(message) < 300, message
            return
        stop = bound(until, end=True)
        check_page(result, page, engine.settings.page_size if page_size is None else page_size)
        check_filters(result, tags, start, stop, author, feed)

    run()
    report("engine filters")


def alnum(text: str) -> str:
    return "".join(ch for ch in fold(text) if ch.isalnum())


def check_filters(
    result: SearchPage,
    tags: list[str],
    start: datetime | None,
    stop: datetime | None,
    author: str | None,
    feed: str | None,
) -> None:
    """Every hit passes every filter (checked on what the hit shows)."""
    author_words = set(terms(author or "", stemming=False))
    feed_words = set(terms(feed or "", stemming=False))
    for hit in result.hits:
        assert start is None or hit.published >= start
        assert stop is None or hit.published <= stop
        assert all(tag in hit.tags for tag in tags if tag in LABELS)
        assert author_words <= set(terms(hit.author, stemming=False))
        if feed and feed.strip():
            assert hit.feed_url == feed.strip() or feed_words <= set(
                terms(hit.feed, stemming=False)
            )


def test_valid_filters_are_honoured(engine: Engine) -> None:
    """Valid filters only, on text that finds something: the hits pass every filter."""
    dates = ["2024", "2025-06", "2026-01-15", "7d", "4w", "6m", "1y", "24h", "30j", "2s", "1a"]
    authors = ["Camille Martin", "Léa Dubois", "Hugo Bernard", "martin", "hugo", "Mallory"]
    feeds = [FEED_URL, FEED, "veilleur", "numerique", "javascript:alert(2)", "autre"]

    @FUZZ
    @given(
        text=st.sampled_from(FINDS),
        tags=st.lists(st.sampled_from(sorted(LABELS)), max_size=2),
        since=st.one_of(st.none(), st.sampled_from(dates)),
        until=st.one_of(st.none(), st.sampled_from(dates)),
        author=st.one_of(st.none(), st.sampled_from(authors)),
        feed=st.one_of(st.none(), st.sampled_from(feeds)),
        sort=st.sampled_from(["relevance", "date", "fresh"]),
        page=st.integers(1, 3),
        page_size=st.one_of(st.none(), st.integers(1, 10)),
    )
    def run(text, tags, since, until, author, feed, sort, page, page_size) -> None:  # type: ignore[no-untyped-def]
        CASES["valid filters"] += 1
        start = bound(since, end=False)
        try:
            result = engine.search(
                text, tags=tags, since=since, until=until, author=author, feed=feed,
                sort=sort, page=page, page_size=page_size,
            )  # fmt: skip
        except InvalidFilterError as exc:
            assert "start date is after the end date" in str(exc)
            return
        stop = bound(until, end=True)
        check_page(result, page, engine.settings.page_size if page_size is None else page_size)
        check_filters(result, tags, start, stop, author, feed)
        if result.hits:
            CASES["valid filters with hits"] += 1

    run()
    report("valid filters")
    # The sample answers a good share of these: the checks above did look at hits.
    assert CASES["valid filters with hits"] >= EXAMPLES // 10


def test_suggest_get_and_more_like_take_anything(engine: Engine) -> None:
    known = {article.id: article for article in ARTICLES}

    @FUZZ
    @given(text=st.one_of(query_text, st.sampled_from(sorted(known)), st.sampled_from(TYPED)))
    def run(text: str) -> None:
        CASES["suggest/get/more_like"] += 1
        completions = engine.suggest(text)
        assert len(completions) <= 8
        assert len({c.lower() for c in completions}) == len(completions)
        head, _, last = text[: engine.settings.max_query_length].rpartition(" ")
        typed = f"{head} ".lstrip() if head else ""
        for completion in completions:
            # What was typed before the last word, then a completion of the last word.
            assert completion.strip() and completion.startswith(typed), completion
            tail = completion[len(typed) :]
            assert alnum(tail).startswith(fold(last)), completion
            # A tag as feeds spell it, or a title word as the titles spell it (capitals of
            # proper nouns kept, a capital at the start of a title dropped).
            assert tail in LABELS or tail in RAW_TITLES or tail in TITLES, completion
        article = engine.get(text)
        if text in known:
            assert article == known[text]
        else:
            assert article is None
        related = [hit.id for hit in engine.more_like(text)]
        assert len(related) <= 5 and len(set(related)) == len(related)
        assert text not in related
        assert set(related) <= set(known)
        if text not in known:
            assert related == []

    run()
    report("suggest/get/more_like")


# --- every web parameter, over HTTP ---------------------------------------------------------

ENDPOINTS = ["/search", "/api/search", "/search.atom", "/api/suggest"]
PARAMS = ["q", "tag", "since", "until", "author", "feed", "sort", "page", "page_size"]
param_value = st.one_of(
    query_text,
    date_text,
    big_int.map(str),
    st.sampled_from(
        ["relevance", "date", "fresh", "", " ", "1.5", "0x10", "١٢", "Ⅻ", "1_000", "+3"]
    ),
    st.builds(lambda n: "a" * n, st.integers(190, 2100)),
)
# Raw query strings, some with percent-encoded bytes that are not UTF-8.
raw_byte = st.one_of(
    st.binary(max_size=20).map(lambda b: quote(b, safe="")),
    st.sampled_from(
        ["%FF%FE", "%C3%28", "%ED%A0%80", "%00", "%", "%G1", "%%", "+", "&&", "=", "==&=", ";"]
    ),
)


def check_answer(response: httpx.Response, where: str) -> None:
    code = response.status_code
    assert code in (200, 302, 303, 400), f"{where}: {code} {response.text[:300]}"
    assert len(response.content) < MAX_RESPONSE, where
    assert "Traceback" not in response.text
    if code in (302, 303):
        assert urlsplit(response.headers["location"]).netloc in (
            "",
            urlsplit(str(response.url)).netloc,
        )
    if code == 400:
        if response.headers.get("content-type", "").startswith("application/json"):
            error = json.loads(response.content)["error"]
            assert error["code"] == 400 and error["message"].strip(), where
        else:
            doc = lxml.html.fromstring(response.content)
            message = doc.xpath("string(//*[contains(@class, 'error-message')])").strip()
            assert message, f"{where}: a 400 page without a message"


def test_every_web_parameter_answers_a_page_or_a_400(site: str) -> None:
    with httpx.Client(timeout=30, follow_redirects=False) as http:

        @FUZZ
        @given(
            endpoint=st.sampled_from(ENDPOINTS),
            params=st.lists(
                st.tuples(st.sampled_from([*PARAMS, "x", "q[]", ""]), param_value), max_size=8
            ),
        )
        def run(endpoint: str, params: list[tuple[str, str]]) -> None:
            try:
                url = httpx.URL(site + endpoint, params=params)
            except httpx.InvalidURL:  # past httpx's own 64 kB limit: a client-side refusal
                reject()
            CASES["web parameters"] += 1
            response = http.get(url)
            check_answer(response, f"{endpoint} {params!r}"[:500])

        run()
    report("web parameters")


def test_raw_query_strings_answer_a_page_or_a_400(site: str) -> None:
    with httpx.Client(timeout=30, follow_redirects=False) as http:

        @FUZZ
        @given(
            endpoint=st.sampled_from(ENDPOINTS),
            parts=st.lists(
                st.tuples(st.sampled_from([*PARAMS, "%FF", "q%00"]), raw_byte),
                min_size=1,
                max_size=6,
            ),
        )
        def run(endpoint: str, parts: list[tuple[str, str]]) -> None:
            CASES["raw query strings"] += 1
            query = "&".join(f"{k}={v}" for k, v in parts)
            url = httpx.URL(site + endpoint).copy_with(query=query.encode("ascii"))
            check_answer(http.get(url), f"{endpoint}?{query}")

        run()
    report("raw query strings")
