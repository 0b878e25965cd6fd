"""indexer.opml: reading the OPML files feed readers export, writing one they import."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.opml import MAX_OPML_BYTES, OpmlError, OpmlFeed, read_opml, write_opml

DATA = Path(__file__).parent / "data" / "opml"


def test_freshrss_export_with_folders_and_extra_attributes():
    document = read_opml((DATA / "freshrss.opml").read_bytes())
    assert document.title == "FreshRSS"
    by_url = {feed.url: feed for feed in document.feeds}
    assert len(document.feeds) == 8
    monde = by_url["https://www.lemonde.fr/rss/une.xml"]
    assert monde.title == "Le Monde.fr - Actualités et Infos en France et dans le monde"
    assert monde.site == "https://www.lemonde.fr/"
    assert monde.tags == ("Actualités",)
    assert by_url["https://next.ink/feed/"].tags == ("Tech & numérique",)
    # Query strings survive, `&` unescaped.
    assert "https://www.liberation.fr/arc/outboundfeeds/rss-all/?outputType=xml" in by_url
    # feed:// (an old browser scheme) is the http URL it stands for.
    assert "http://radiofrance-podcast.net/podcast09/rss_14312.xml" in by_url
    assert [feed.url for feed in document.feeds][:2] == [
        "https://www.lemonde.fr/rss/une.xml",
        "https://www.francetvinfo.fr/titres.rss",
    ], "document order"


def test_feedly_export_opml_1_with_categories_and_a_bad_url():
    document = read_opml((DATA / "feedly.opml").read_bytes())
    by_url = {feed.url: feed for feed in document.feeds}
    assert set(by_url) == {
        "https://theconversation.com/fr/articles.atom",
        "https://lejournal.cnrs.fr/rss",
        "https://www.vie-publique.fr/rss",
        "https://next.ink/feed/",
        "https://www.mediapart.fr/articles/feed",
    }
    assert by_url["https://lejournal.cnrs.fr/rss"].tags == ("Sciences",)
    assert by_url["https://www.mediapart.fr/articles/feed"].tags == (
        "Enquêtes",
        "Presse indépendante",
    )
    assert len(document.skipped) == 1 and "Lien mort" in document.skipped[0]


def test_nested_folders_become_tags_and_duplicates_are_read_once():
    data = b"""<?xml version="1.0"?>
    <opml version="2.0"><head><title>x</title></head><body>
      <outline title="Presse"><outline TEXT="R\xc3\xa9gionale">
        <outline text="Ouest-France" XMLURL="https://www.ouest-france.fr/rss/une"
          category="/Bretagne"/>
      </outline></outline>
      <outline text="Doublon" xmlUrl="https://www.ouest-france.fr/rss/une"/>
    </body></opml>"""
    (feed,) = read_opml(data).feeds
    assert feed.tags == ("Presse", "Régionale", "Bretagne")
    assert feed.title == "Ouest-France"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<rss version='2.0'><channel/></rss>", "not <opml>"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (b"pas du XML", "not an OPML file"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;">]><opml><body><outline text="&b;"/></body></opml>',
            "entities",
        ),
        (b"<opml>" + b" " * MAX_OPML_BYTES + b"</opml>", "too large"),
    ],
)
def test_what_is_not_opml_is_a_one_line_error(data, message):
    with pytest.raises(OpmlError, match=message) as info:
        read_opml(data)
    assert "\n" not in str(info.value)


def test_deep_nesting_does_not_overflow():
    depth = 5000
    data = (
        b"<opml><body>"
        + b'<outline text="d">' * depth
        + b'<outline text="F" xmlUrl="https://profond.exemple/rss"/>'
        + b"</outline>" * depth
        + b"</body></opml>"
    )
    (feed,) = read_opml(data).feeds
    assert feed.url == "https://profond.exemple/rss"


def test_written_opml_reads_back_the_same():
    feeds = [
        OpmlFeed(
            "https://a.exemple/rss?x=1&y=2",
            "Le « journal » d’Aïcha & co",
            "https://a.exemple/",
            ("Société", "Vie/locale", "Un, deux"),
        ),
        OpmlFeed("https://b.exemple/atom.xml", "", "", ()),
        OpmlFeed("https://c.exemple/feed", "Contrôle\x07 <b>", "", ("Société",)),
    ]
    text = write_opml(feeds, title="Mes flux")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    document = read_opml(text.encode("utf-8"))
    assert document.title == "Mes flux"
    back = {feed.url: feed for feed in document.feeds}
    assert set(back) == {f.url for f in feeds}
    first = back["https://a.exemple/rss?x=1&y=2"]
    assert first.title == "Le « journal » d’Aïcha & co"
    assert first.site == "https://a.exemple/"
    # A slash or comma cannot survive the category syntax: it became a space.
    assert first.tags == ("Société", "Vie locale", "Un deux")
    assert back["https://b.exemple/atom.xml"].title == "https://b.exemple/atom.xml"
    assert back["https://c.exemple/feed"].title == "Contrôle <b>"
