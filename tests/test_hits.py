"""Hits as users get them: near-duplicate versions from a subscriber feed keep its secret out,
a masked id still finds its article, and the articles related to one are chosen by its most
distinctive words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive_sample import CANTINE_BODY, PRIVATE_FEED, SECRET

from search import Article, hits
from tests.corpora import DAY, article, open_index


def test_a_version_from_a_subscriber_feed_shows_no_secret(tmp_path: Path) -> None:
    public = article("cantine", "Des cantines entièrement bio", CANTINE_BODY)
    private = article(
        f"https://prive.example/7?cle={SECRET}",
        "Des cantines entièrement bio",
        CANTINE_BODY,
        feed_url=PRIVATE_FEED,
        published=DAY - timedelta(hours=5),
    )
    with open_index(tmp_path, [public, private]) as engine:
        page = engine.search("cantines bio")
    (hit,) = page.hits
    assert hit.id == "cantine" and hit.version_count == 2
    (version,) = hit.versions
    assert SECRET not in repr(version) and "motdepasse" not in repr(version)
    assert version.published == DAY - timedelta(hours=5)
    assert version.title == "Des cantines entièrement bio"
    assert version.url.startswith("https://next.example/https://prive.example/7")
    assert version.feed == "https://prive.example/rss"  # no title: its public address


def test_a_masked_id_finds_its_article_past_a_replaced_one(tmp_path: Path) -> None:
    def subscribed(n: int, body: str = "Un texte pour les abonnés.") -> Article:
        ident = f"https://prive.example/{n}?cle={SECRET}"
        return article(ident, f"Réservé aux abonnés {n}", body, feed_url=PRIVATE_FEED)

    with open_index(tmp_path, [subscribed(1), subscribed(2)]) as engine:
        with engine.writer() as writer:  # the first one changed: its old copy is deleted
            assert writer.upsert(subscribed(1, "Un texte revu.")) == "updated"
        masked = {hit.title: hit.id for hit in engine.search("abonnés").hits}
        assert SECRET not in repr(masked)
        found = engine.article(masked["Réservé aux abonnés 2"])
        assert found is not None and found.title == "Réservé aux abonnés 2"
        again = engine.article(masked["Réservé aux abonnés 1"])
        assert again is not None and again.title == "Réservé aux abonnés 1"


BOATS = "bateau canot dériveur ferry galion jonque kayak ketch navire pirogue radeau sampan"


def test_related_articles_share_the_most_distinctive_words(tmp_path: Path) -> None:
    # The source names 12 common boats once each, `aviron` three times and `zythum` once;
    # only B has aviron and only C zythum. The 12 words weighed by tf·idf are aviron and
    # zythum first (rare), then ten of the boats: B and C are related.
    source = article("source", "Sortie", f"{BOATS} aviron aviron aviron zythum")
    others = [
        article("b", "Club", "Un aviron."),
        article("c", "Brasserie", "Un zythum."),
        *(article(f"f{n}", f"Port {n}", BOATS) for n in range(5)),
        article("rien", "Météo", "Il pleut."),
    ]
    with open_index(tmp_path, [source, *others]) as engine:
        related = [hit.id for hit in engine.more_like("source", limit=10)]
    assert {"b", "c"} <= set(related)
    assert "source" not in related and "rien" not in related


def test_only_the_first_100000_characters_choose_related_articles(tmp_path: Path) -> None:
    # `1234567` ends at character 100 001 of the source's title and body: it is cut to
    # `123456`, which no other article has.
    body = "q " * 49_994 + "1234567"
    source = article("source", "Alpha", body)
    assert len(f"Alpha\n{body}") == 100_001
    with open_index(tmp_path, [source, article("b", "Beta", "Le code 1234567.")]) as engine:
        assert engine.more_like("source") == []
        assert [hit.id for hit in engine.more_like("b")] == ["source"]


def test_a_version_reads_the_same_from_its_card_as_from_its_stored_fields(
    tmp_path: Path,
) -> None:
    articles = [
        article("cantine", "Des cantines entièrement bio", CANTINE_BODY),
        article(
            f"https://prive.example/7?cle={SECRET}",
            "Des cantines entièrement bio",
            CANTINE_BODY,
            feed_url=PRIVATE_FEED,
            published=DAY - timedelta(hours=5),
        ),
        article(
            "ancien",
            "L’État, 1905 : « laïcité » 🚲",
            CANTINE_BODY,
            feed_title="Le Journal d’ici",
            published=datetime(1905, 12, 9, 23, 59, 59, 999999, tzinfo=UTC),
        ),
        article("vide", "", "Un article sans titre.", feed_url="", feed_title=""),
    ]
    with open_index(tmp_path, articles) as engine:
        view = engine._snapshots.view()
        arrays = view.state.arrays
        for doc in range(arrays.count):
            stored = view.stored(doc)
            card = arrays.card(doc)
            assert card is not None, stored["id"]
            assert hits.listed(card) == hits.listed(stored)
        page = engine.search("cantines bio")
    (version,) = page.hits[0].versions
    assert SECRET not in repr(version)


def test_an_id_that_holds_the_mask_itself_is_found(tmp_path: Path) -> None:
    # Only an id not found as it is can be one masked from a subscriber feed.
    starred = article("https://next.example/a***b", "Un titre à étoiles", "Du texte.")
    with open_index(tmp_path, [starred]) as engine:
        page = engine.article("https://next.example/a***b")
    assert page is not None and page.title == "Un titre à étoiles"
