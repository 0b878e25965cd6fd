"""search.urls: what may be shown of a feed's address, and clean article links (issue 13)."""

from __future__ import annotations

import pytest

from search.urls import (
    TRACKING_PARAMS,
    public_feed_url,
    public_host,
    public_label,
    public_link,
    scrub,
    url_secrets,
    without_tracking,
)

SECRET_FEED = "https://abonne:mot%40passe@next.ink/feed/complet?cle=SECRET123&format=rss"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (SECRET_FEED, "https://next.ink/feed/complet"),
        ("http://u:p@127.0.0.1:8771/feed.xml?cle=SECRET123", "http://127.0.0.1:8771/feed.xml"),
        ("https://next.ink/feed/?t=abc#top", "https://next.ink/feed/"),
        # Whatever the parameter is called: publishers name their keys every way.
        ("https://exemple.fr/rss?feed=rss2", "https://exemple.fr/rss"),
        ("https://exemple.fr/rss?x=s3cr3t-value", "https://exemple.fr/rss"),
        ("https://exemple.fr/rss?", "https://exemple.fr/rss"),
    ],
)
def test_a_feed_shows_its_public_address(url: str, shown: str) -> None:
    assert public_feed_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "https://next.ink/feed/",
        "https://Veilleur.Example:8443/flux.xml",
        "/srv/feeds/next.xml",
        "javascript:alert(2)",
        "",
        "http://[::1",  # not a URL: left as it is
    ],
)
def test_an_address_without_secrets_is_left_exactly_as_it_is(url: str) -> None:
    assert public_feed_url(url) == url


def test_the_secrets_of_a_url_are_its_user_info_and_query_values() -> None:
    secrets = url_secrets(SECRET_FEED)
    assert {"abonne", "mot%40passe", "mot@passe", "SECRET123"} <= secrets
    # Too short to be a secret worth hiding (and hiding "rss" would garble every message).
    assert "rss" not in secrets
    assert url_secrets("https://next.ink/feed/") == frozenset()


def test_scrub_hides_every_occurrence_longest_first() -> None:
    text = "HTTP error at https://abonne:motdepasse@h/f?cle=SECRET123 (SECRET123-bis)"
    assert scrub(text, {"SECRET123", "SECRET123-bis", "motdepasse"}) == (
        "HTTP error at https://abonne:***@h/f?cle=*** (***)"
    )
    assert scrub("abc", {"ab"}) == "abc"  # a two-letter "secret" protects nothing


def test_an_article_link_loses_the_feeds_key_and_user_info_only() -> None:
    secrets = url_secrets(SECRET_FEED)
    link = "https://abonne:x@next.ink/article/42?cle=SECRET123&page=2#commentaires"
    assert public_link(link, secrets) == "https://next.ink/article/42?page=2#commentaires"
    kept = "https://next.ink/article/42?page=2&q=caf%C3%A9"
    assert public_link(kept, secrets) is kept


@pytest.mark.parametrize(
    ("link", "clean"),
    [
        (
            "https://exemple.fr/a?utm_source=rss&id=4&utm_medium=flux&xtor=RSS-1",
            "https://exemple.fr/a?id=4",
        ),
        ("https://exemple.fr/a?UTM_Campaign=x", "https://exemple.fr/a"),
        ("https://exemple.fr/a?at_medium=rss&fbclid=1&gclid=2#s", "https://exemple.fr/a#s"),
        (
            "https://exemple.fr/a?mc_cid=1&mc_eid=2&q=caf%C3%A9+cr%C3%A8me",
            "https://exemple.fr/a?q=caf%C3%A9+cr%C3%A8me",
        ),
        ("https://exemple.fr/a?attention=1&data=2", "https://exemple.fr/a?attention=1&data=2"),
        ("https://exemple.fr/a", "https://exemple.fr/a"),
    ],
)
def test_tracking_parameters_are_removed(link: str, clean: str) -> None:
    assert without_tracking(link) == clean


def test_the_tracking_list_is_a_setting() -> None:
    link = "https://exemple.fr/a?utm_source=rss&ref=accueil"
    assert without_tracking(link, ("ref",)) == "https://exemple.fr/a?utm_source=rss"
    assert without_tracking(link, ()) == link
    assert "utm_*" in TRACKING_PARAMS and "xtor" in TRACKING_PARAMS


def test_a_feed_label_never_carries_its_secrets() -> None:
    old = "http://abonne:motdepasse@127.0.0.1:8771/feed.xml?cle=SECRET123"
    # An untitled feed used to be named after its host, user info included.
    assert public_label("abonne:motdepasse@127.0.0.1:8771", old) == "127.0.0.1:8771"
    assert public_label("Next (SECRET123)", old) == "Next (***)"
    assert public_label("", old) == "http://127.0.0.1:8771/feed.xml"
    assert public_label("Le Veilleur", "https://veilleur.example/flux.xml") == "Le Veilleur"
    # An address written in a title is not a feed's user info: left alone.
    assert public_label("contact@exemple.fr", "https://exemple.fr/rss") == "contact@exemple.fr"
    assert public_host("abonne:motdepasse@127.0.0.1:8771") == "127.0.0.1:8771"
    assert public_host("contact@exemple.fr") == "contact@exemple.fr"


def test_an_address_that_is_no_url_has_no_secret() -> None:
    assert url_secrets("pas une adresse") == frozenset()
    assert url_secrets("") == frozenset()


def test_a_link_loses_its_user_info_even_without_secrets() -> None:
    assert public_link("https://jean:motdepasse@a.example/p?x=1") == "https://a.example/p?x=1"
    assert public_link("https://a.example/p?x=1") == "https://a.example/p?x=1"


def test_a_link_loses_a_query_value_that_is_a_secret_once_decoded() -> None:
    hidden = {"ab+cd 1234"}
    link = "https://a.example/p?k=ab%2Bcd+1234&page=2"
    assert public_link(link, hidden) == "https://a.example/p?page=2"
    assert public_link("https://a.example/p?k=ab+cd+1234", {"ab+cd+1234"}) == (
        "https://a.example/p"
    )


def test_a_four_character_secret_is_masked_and_a_shorter_one_is_not() -> None:
    assert scrub("cle=abcd&x=abc", {"abcd", "abc"}) == "cle=***&x=abc"


def test_a_feed_named_after_its_host_with_a_short_user_shows_the_host() -> None:
    # The user `ab` is too short to be a secret, but user info is never shown.
    assert public_label("ab@prive.example", "https://ab@prive.example/rss") == "prive.example"
