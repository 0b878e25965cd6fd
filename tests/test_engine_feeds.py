"""The engine's per-feed view: `Engine.feeds()` (what the archive holds of each feed) and
`Engine.delete_articles(feed_url=…)` (a feed removed with its articles), on real indexes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from search import Article, Engine, IndexLockedError, Settings
from search.locking import reindex_lock

ONE = "https://un.exemple/flux.xml"
TWO = "https://deux.exemple/rss"


def article(n: int, feed_url: str, *, day: int = 1, title: str = "") -> Article:
    return Article(
        id=f"{feed_url}#{n}",
        url=f"{feed_url}/{n}",
        title=title or f"Dépêche {n} sur la fibre optique",
        body=f"Le déploiement de la fibre avance, épisode {n}.",
        published=datetime(2024, 3, day, 12, tzinfo=UTC),
        feed_url=feed_url,
        feed_title="Premier flux" if feed_url == ONE else "Second flux",
    )


@pytest.fixture
def two_feeds(make_index) -> Settings:
    articles = [article(n, ONE, day=n) for n in range(1, 6)]
    articles += [article(n, TWO, day=10 + n) for n in range(1, 4)]
    return make_index(articles)


def test_feeds_counts_and_dates_per_feed(two_feeds):
    with Engine.open(two_feeds) as engine:
        stats = {s.feed_url: s for s in engine.feeds()}
    assert set(stats) == {ONE, TWO}
    assert stats[ONE].articles == 5 and stats[TWO].articles == 3
    assert stats[ONE].title == "Premier flux"
    assert stats[ONE].oldest == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert stats[ONE].newest == datetime(2024, 3, 5, 12, tzinfo=UTC)
    assert stats[TWO].oldest == datetime(2024, 3, 11, 12, tzinfo=UTC)


def test_feeds_of_an_empty_index(engine):
    assert engine.feeds() == []


def test_deleting_a_feed_leaves_none_of_its_articles(two_feeds):
    with Engine.open(two_feeds) as engine:
        assert engine.search("fibre").total == 8
        assert engine.delete_articles(feed_url=ONE) == 5
        assert engine.search("fibre").total == 3
        assert {s.feed_url for s in engine.feeds()} == {TWO}
        assert engine.stats().articles == 3
        assert engine.stats().feeds == 1
        assert engine.get(f"{ONE}#1") is None
        assert engine.search("fibre", feed="Premier").total == 0
    # A new process sees the same: the deletion is committed.
    with Engine.open(two_feeds) as engine:
        assert {a.feed_url for a in engine.articles()} == {TWO}
        assert engine.delete_articles(feed_url=ONE) == 0, "nothing left to delete"
        assert engine.delete_articles(feed_url="https://inconnu.exemple/") == 0
        assert engine.stats().articles == 3


def test_a_deleted_feed_can_come_back(two_feeds):
    with Engine.open(two_feeds) as engine:
        engine.delete_articles(feed_url=ONE)
        with engine.writer() as writer:
            assert writer.upsert(article(1, ONE)) == "new"
        assert engine.get(f"{ONE}#1") is not None
        assert engine.search("fibre").total == 4


def test_delete_where_also_drops_what_this_session_wrote(two_feeds):
    with Engine.open(two_feeds) as engine:
        with engine.writer() as writer:
            assert writer.upsert(article(9, ONE)) == "new"
            # An article of the feed changed in this session: both versions must go.
            assert writer.upsert(article(1, ONE, title="Titre corrigé")) == "updated"
            assert writer.upsert(article(9, TWO)) == "new"
            assert writer.delete_where(feed_url=ONE) == 6
        assert engine.stats().articles == 4
        assert {a.feed_url for a in engine.articles()} == {TWO}
        assert engine.search("corrigé").total == 0


def test_deleting_while_a_reindex_runs_is_refused_and_changes_nothing(two_feeds):
    with Engine.open(two_feeds) as engine:
        with reindex_lock(two_feeds.index_dir), pytest.raises(IndexLockedError):
            engine.delete_articles(feed_url=ONE)
        assert engine.stats().articles == 8


def test_a_feed_stored_under_its_secret_address_is_one_feed_shown_public(make_index):
    """Articles indexed before issue 13 carry the feed's secret address; since, its public
    one: `feeds()` counts them as one feed and shows no secret; deleting by the public
    address deletes both."""
    secret = "https://abonne:motdepasse-9@prive.exemple/flux.xml?cle=CLE-1234"
    public = "https://prive.exemple/flux.xml"
    old = [
        Article(
            id=f"ancien-{n}",
            url=f"https://prive.exemple/{n}",
            title=f"Ancienne dépêche {n} sur la fibre",
            body="La fibre, avant.",
            published=datetime(2023, 1, n, tzinfo=UTC),
            feed_url=secret,
            feed_title="abonne:motdepasse-9@prive.exemple",  # an untitled feed, then
        )
        for n in (1, 2)
    ]
    new = article(3, public, day=20)
    settings = make_index([*old, new, article(1, ONE)])
    with Engine.open(settings) as engine:
        stats = {s.feed_url: s for s in engine.feeds()}
        assert set(stats) == {public, ONE}
        merged = stats[public]
        assert merged.articles == 3
        assert merged.oldest == datetime(2023, 1, 1, tzinfo=UTC)
        assert merged.newest == datetime(2024, 3, 20, 12, tzinfo=UTC)
        assert merged.title == "Second flux"  # the name its most recent articles carry
        assert "motdepasse" not in repr(merged) and "CLE-1234" not in repr(merged)
        assert engine.delete_articles(feed_url=public) == 3
        assert {s.feed_url for s in engine.feeds()} == {ONE}


def test_a_merged_feed_is_named_by_its_newest_articles_whatever_was_indexed_first(make_index):
    secret = "https://abonne:motdepasse-9@prive.exemple/flux.xml?cle=CLE-1234"
    public = "https://prive.exemple/flux.xml"
    old = Article(
        id="ancien",
        url="https://prive.exemple/1",
        title="Ancienne dépêche sur la fibre",
        body="La fibre, avant.",
        published=datetime(2023, 1, 1, tzinfo=UTC),
        feed_url=secret,
        feed_title="Ancien nom",
    )
    settings = make_index([article(3, public, day=20), old])  # the newest first this time
    with Engine.open(settings) as engine:
        (merged,) = engine.feeds()
    assert merged.title == "Second flux" and merged.articles == 2
