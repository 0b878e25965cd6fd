"""Checks on the raw bundled sample feed (indexer/data/sample.xml).

These tests read the XML file only; they do not touch the search engine.
"""

from __future__ import annotations

import re
import xml.dom.minidom
from pathlib import Path

import feedparser
import pytest

SAMPLE = Path(__file__).resolve().parent.parent / "indexer" / "data" / "sample.xml"
LINK_PREFIX = "https://exemple.fouille.invalid/articles/"

_NOISE = re.compile(r"(?is)<(script|style|iframe)\b[^>]*>.*?</\1\s*>")
_TAG = re.compile(r"<[^>]+>")


def _words(html: str) -> int:
    text = _TAG.sub(" ", _NOISE.sub(" ", html))
    return len(text.split())


@pytest.fixture(scope="module")
def raw() -> bytes:
    return SAMPLE.read_bytes()


@pytest.fixture(scope="module")
def feed(raw):
    return feedparser.parse(raw)


def test_xml_is_well_formed(raw, feed):
    """A strict XML parser reads the file as RSS 2.0 and finds every item feedparser finds."""
    doc = xml.dom.minidom.parseString(raw)
    rss = doc.documentElement
    assert (rss.tagName, rss.getAttribute("version")) == ("rss", "2.0")
    assert rss.getAttribute("xmlns:content") == "http://purl.org/rss/1.0/modules/content/"
    (channel,) = rss.getElementsByTagName("channel")
    items = channel.getElementsByTagName("item")
    assert len(items) == len(feed.entries)
    for item in items:
        for name in ("title", "link", "guid", "pubDate", "description", "content:encoded"):
            assert item.getElementsByTagName(name), (name, item.toxml()[:200])


def test_feedparser_reads_it_cleanly(feed):
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "Fouille — exemple"
    assert feed.feed.language == "fr"
    assert "invent" in feed.feed.description.lower()


def test_has_at_least_48_entries(feed):
    assert len(feed.entries) >= 48


def test_guids_and_links_are_unique(feed):
    guids = [e.id for e in feed.entries]
    links = [e.link for e in feed.entries]
    assert all(guids) and len(set(guids)) == len(guids)
    assert len(set(links)) == len(links)
    assert all(link.startswith(LINK_PREFIX) for link in links)


def test_dates_span_at_least_five_years(feed):
    assert all(e.get("published_parsed") for e in feed.entries)
    years = {e.published_parsed.tm_year for e in feed.entries}
    assert len(years) >= 5
    assert min(years) <= 2019 and max(years) >= 2026


def test_both_apostrophes_are_present(raw):
    text = raw.decode("utf-8")
    assert "\u2019" in text  # typographic ’
    assert "'" in text  # straight '
    assert "aujourd\u2019hui" in text
    assert "aujourd'hui" in text


def test_every_entry_has_tags_summary_and_a_full_body(feed):
    for e in feed.entries:
        assert 1 <= len(e.get("tags", [])) <= 4, e.link
        assert e.get("summary"), e.link
        assert e.get("content"), e.link
        words = _words(e.content[0].value)
        assert words >= 150, (e.link, words)


def test_authors(feed):
    authors = {e.get("author") for e in feed.entries}
    assert None in authors  # one item carries no author
    assert any(a and " et " in a for a in authors)  # one item has two authors
    assert len(authors - {None}) >= 8


def test_entity_in_title_is_decoded(feed):
    assert any("Free & Orange" in e.title for e in feed.entries)


def test_noise_markup_is_present_in_the_raw_bodies(raw):
    text = raw.decode("utf-8")
    for marker in ("<script", "<style", "<iframe", 'class="share"'):
        assert marker in text, marker
