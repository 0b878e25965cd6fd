"""Property-based fuzzing (issue 6) of the query language, the engine, and every web parameter
against the app behind waitress: arbitrary Unicode, operators, quotes, very long input, huge
page numbers, invalid percent-encoding. Query text never errors; a bad filter is an
`InvalidFilterError` with a message; every HTTP answer is a page (200, or a redirect home) or
a 400 with a message, never a 500, and bounded in size.

More cases: FOUILLE_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz_web.py -s
"""

from __future__ import annotations

import json
import os
import string
from collections import Counter
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import httpx
import lxml.html
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from webserver import serve

from search import Engine, InvalidFilterError, Settings
from search.query import compile_query, parse
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


@pytest.fixture(scope="module")
def sample_engine(web_settings: Settings) -> Iterator[Engine]:
    """An engine on the shared sample index (conftest's `web_settings`)."""
    with Engine.open(web_settings) as opened:
        yield opened


@pytest.fixture(scope="module")
def site(web_settings: Settings) -> Iterator[str]:
    """The app on the shared sample index, behind waitress, without TESTING: a 500 stays a 500."""
    app = create_app(web_settings)
    with serve(app) as base:
        yield base
    app.extensions["fouille"].close()


def report(name: str) -> None:
    print(f"\nfuzz: {name}: {CASES[name]} cases")


# --- the query language and the engine ------------------------------------------------------


def test_query_text_never_errors(sample_engine: Engine) -> None:
    @FUZZ
    @given(
        text=query_text,
        sort=st.sampled_from(["relevance", "date", "fresh"]),
        page=st.integers(1, 3),
    )
    def run(text: str, sort: str, page: int) -> None:
        CASES["query text"] += 1
        compile_query(parse(text))
        result = sample_engine.search(text, sort=sort, page=page)
        assert result.total >= len(result.hits)
        assert len(result.hits) <= result.page_size
        for hit in result.hits:
            assert hit.snippet.text == "" or isinstance(hit.snippet.text, str)

    run()
    report("query text")


def test_filters_are_valid_or_a_clear_error(sample_engine: Engine) -> None:
    @FUZZ
    @given(
        text=query_text,
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
        try:
            result = sample_engine.search(
                text, tags=tags, since=since, until=until, author=author, feed=feed,
                sort=sort, page=page, page_size=page_size,
            )  # fmt: skip
        except InvalidFilterError as exc:
            message = str(exc)
            assert message and "\n" not in message and len(message) < 300, message
            return
        assert result.page >= 1 and result.total >= 0

    run()
    report("engine filters")


def test_suggest_get_and_more_like_take_anything(sample_engine: Engine) -> None:
    @FUZZ
    @given(text=query_text)
    def run(text: str) -> None:
        CASES["suggest/get/more_like"] += 1
        assert isinstance(sample_engine.suggest(text), list)
        assert sample_engine.get(text) is None or sample_engine.get(text).id == text  # type: ignore[union-attr]
        assert isinstance(sample_engine.more_like(text), list)

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


def test_fuzz_totals() -> None:
    """The figure the issue asks for: how many cases ran (printed with -s)."""
    total = sum(CASES.values())
    print(f"\nfuzz: {total} cases in all ({dict(CASES)})")
    if CASES:
        assert total >= EXAMPLES
