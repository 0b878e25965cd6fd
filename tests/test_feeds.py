"""indexer.feeds: feed bytes → Articles (RSS, Atom and JSON Feed).

Cases live in tests/data/feeds: NAME.xml or NAME.json, and NAME.expected.json beside it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from indexer.feeds import parse_feed, parse_feed_date
from search import FeedError

CASES = Path(__file__).parent / "data" / "feeds"
URL = "https://blog.exemple.fr/atom.xml"
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


def _value(article, key):
    value = getattr(article, key)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


FILES = sorted(
    p.name
    for p in CASES.glob("*.*")
    if p.suffix in (".xml", ".json") and ".expected." not in p.name
)


@pytest.mark.parametrize("filename", FILES)
def test_feed_cases(filename):
    name = filename.rsplit(".", 1)[0]
    data = (CASES / filename).read_bytes()
    expected = json.loads((CASES / f"{name}.expected.json").read_text(encoding="utf-8"))
    if "error" in expected:
        with pytest.raises(FeedError) as info:
            parse_feed(data, url=URL, tags=("test",), now=NOW)
        assert info.value.reason == expected["error"]
        assert info.value.url == URL
        return

    feed = parse_feed(data, url=URL, tags=("test",), now=NOW)
    assert feed.title == expected["title"]
    assert len(feed.warnings) == expected["warnings"], feed.warnings
    for rel, href in expected.get("links", {}).items():
        assert feed.links[rel] == href
    assert len(feed.articles) == len(expected["articles"])
    for article, want in zip(feed.articles, expected["articles"], strict=True):
        assert article.published.tzinfo is not None
        assert article.feed_url == URL
        assert article.feed_title == expected["title"]
        for key, value in want.items():
            got = _value(article, key)
            if value == "NOW":
                assert got == NOW.isoformat(), key
            elif isinstance(value, str) and value.endswith("*"):
                assert got.startswith(value[:-1]), key
            else:
                assert got == value, key


def test_configured_name_and_tags_win():
    data = (CASES / "rss-latin1.xml").read_bytes()
    feed = parse_feed(data, url=URL, name="Mon flux", tags=("latin", " ", "Été"))
    assert feed.title == "Mon flux"
    article = feed.articles[0]
    assert article.feed_title == "Mon flux"
    assert article.tags == ("latin", "Été")


def test_undated_entry_keeps_its_first_seen_time():
    data = (CASES / "rss-ids-and-dates.xml").read_bytes()
    first = parse_feed(data, url=URL, now=NOW).articles[1]
    seen = {first.id: first.published}
    later = datetime(2026, 1, 1, tzinfo=UTC)
    again = parse_feed(data, url=URL, now=later, first_seen=seen.get).articles[1]
    assert again.id == first.id
    assert again.published == NOW
    assert again.content_hash == first.content_hash, "an undated entry must not look changed"


def test_hash_ids_are_stable_and_distinct_per_feed():
    data = (CASES / "rss-ids-and-dates.xml").read_bytes()
    one = parse_feed(data, url=URL, now=NOW).articles[1].id
    assert parse_feed(data, url=URL, now=NOW).articles[1].id == one
    assert parse_feed(data, url="https://autre.fr/rss", now=NOW).articles[1].id != one


def test_body_that_names_a_local_file_is_not_opened(tmp_path):
    secret = tmp_path / "secret.xml"
    secret.write_text(
        '<rss version="2.0"><channel><title>Secret</title><item><title>Mot de passe</title>'
        "</item></channel></rss>"
    )
    # feedparser, handed a string, opens it as a path; we only ever hand it a stream.
    with pytest.raises(FeedError):
        parse_feed(str(secret).encode(), url=URL)


def test_http_content_type_helps_decoding():
    body = "<rss version='2.0'><channel><title>Été</title><item><title>Noël</title>"
    body += "<link>https://e.fr/1</link></item></channel></rss>"
    feed = parse_feed(body.encode("cp1252"), url=URL, content_type="text/xml; charset=windows-1252")
    assert feed.title == "Été"
    assert feed.articles[0].title == "Noël"


def test_html_served_as_html_is_reported_even_without_doctype():
    with pytest.raises(FeedError, match="HTML page"):
        parse_feed(b"<body><p>Bonjour</p></body>", url=URL, content_type="text/html")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # RFC 822 without a zone (feedparser gives up): Paris time, winter.
        ("Wed, 27 Nov 2013 20:17:55 ", "2013-11-27T19:17:55+00:00"),
        # Drupal's `D, m/d/Y - H:i` in French: Sunday 3 May 2020, summer time.
        ("dim, 05/03/2020 - 11:30", "2020-05-03T09:30:00+00:00"),
        # The same digits on a Thursday are 5 March.
        ("jeu, 05/03/2020 - 11:30", "2020-03-05T10:30:00+00:00"),
        ("25/03/2020 10h15", "2020-03-25T09:15:00+00:00"),
        ("2020-03-05T11:30:00Z", "2020-03-05T11:30:00+00:00"),
        ("hier soir", None),
        ("31/02/2020", None),
        ("", None),
    ],
)
def test_dates_feedparser_cannot_read(raw, expected):
    moment = parse_feed_date(raw)
    assert (moment.isoformat() if moment else None) == expected


def test_entry_with_an_unreadable_looking_date_is_dated():
    body = (
        '<rss version="2.0"><channel><title>Marianne</title><item><title>Brève</title>'
        "<link>https://e.fr/1</link><pubDate>dim, 05/03/2020 - 11:30</pubDate></item>"
        "</channel></rss>"
    )
    article = parse_feed(body.encode(), url=URL, now=NOW).articles[0]
    assert article.published == datetime(2020, 5, 3, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "data",
    [
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "x", "items": ',
        b"\xef\xbb\xbf{\xff\xfe}",
    ],
)
def test_hostile_json_is_this_feed_s_one_line_failure(data):
    with pytest.raises(FeedError) as info:
        parse_feed(data, url=URL)
    assert "\n" not in info.value.reason and len(info.value.reason) < 300


def test_a_json_feed_of_the_wrong_shapes_keeps_what_it_can():
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": 42,
        "authors": "personne",
        "items": [
            {"id": True, "url": "javascript:alert(1)", "title": ["liste"], "content_text": "A"},
            {"id": "b", "title": "Bien", "tags": ["x"] * 100_000 + [7, None, "Été"]},
            {"id": "c", "title": "Date folle", "date_published": "hier soir"},
        ],
    }
    feed = parse_feed(json.dumps(document).encode(), url=URL, now=NOW)
    assert feed.title == "blog.exemple.fr"
    first, second, third = feed.articles
    assert first.url == "" and first.title == "A" and first.id.startswith("urn:fouille:")
    assert second.tags == ("x",), "tags past the cap are not read"
    assert third.published == NOW


def test_a_feed_error_names_the_feed_and_the_reason() -> None:
    error = FeedError("https://a.example/rss", "HTTP 404")
    assert str(error) == "https://a.example/rss: HTTP 404"
    assert (error.url, error.reason) == ("https://a.example/rss", "HTTP 404")
