"""Reading a committed state while a commit replaces it (`search.reading`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from search import Article, Engine, Settings
from search.arrays import ArrayFileError
from search.reading import Snapshots, View
from search.storage import Storage
from tests.corpora import NEXT, article, open_index


def test_a_view_whose_stored_fields_were_merged_away_asks_to_be_made_again(
    tmp_path: Path,
) -> None:
    """Whoosh opens a segment's stored-fields column when first asked: a merge by another
    process may have deleted it by then. The view must say so (FileNotFoundError, upon
    which `Snapshots.view` reads the newest state) rather than serve a reader that fails
    on every hit (`'NoneType' object is not subscriptable`)."""
    article = Article(id="a", url="", title="Dépêche", published=datetime(2024, 1, 1, tzinfo=UTC))
    with open_index(tmp_path, [article]) as engine:
        assert engine.search("dépêche").total == 1
        state = engine._snapshots.state()
        ix = engine.storage.open(state.generation)
        reader = FileIndex._reader(ix.storage, ix.schema, state.segments, state.toc_generation)
        (column,) = (tmp_path / "index" / state.generation).glob("*_stored.col")
        column.unlink()
        with pytest.raises(FileNotFoundError):
            View(state, Searcher(reader))


# -- a commit from another process landing at the worst moment ------------------------------

DROPPED_FEED = "https://parti.example/feed/"


class RacingStorage(Storage):
    """The real storage of a real index, through which a test makes another engine's commits
    land at the moment a reader is most exposed to them: `after_toc` runs once a reader has
    read the table of contents (before it opens the segments' arrays), `on_open` each time a
    generation's Whoosh index is asked for (a view does so right before opening its reader).
    Nothing is faked: the commits and the files they delete are real."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.tocs_read = 0
        self.after_toc: Callable[[], None] = lambda: None
        self.on_open: Callable[[], None] = lambda: None

    def open(self, name: str, *, any_format: bool = False) -> Any:
        self.on_open()
        return super().open(name, any_format=any_format)

    def _open_dir(self, name: str) -> Any:
        storage = self

        class Index(FileIndex):
            def _read_toc(self) -> Any:
                toc = super()._read_toc()
                storage.tocs_read += 1
                storage.after_toc()
                return toc

        return Index(FileStorage(str(self.root / name)))


def once(action: Callable[[], None]) -> Callable[[], None]:
    done: list[bool] = []

    def run() -> None:
        if not done:
            done.append(True)
            action()

    return run


def three_segments(tmp_path: Path) -> Settings:
    """An index of three segments, one commit each; the first one's article is from the
    feed `DROPPED_FEED`."""
    settings = Settings(index_dir=tmp_path / "index")
    with Engine.open(settings, create=True) as engine:
        for i in range(3):
            with engine.writer() as writer:
                feed = DROPPED_FEED if i == 0 else NEXT
                writer.upsert(article(f"a{i}", f"Dépêche numéro {i}", feed_url=feed))
    return settings


def drop_first_segment(settings: Settings) -> Callable[[], None]:
    """Another engine's two commits: the first drops the segment of `DROPPED_FEED`'s only
    article, the second deletes that segment's files (a commit keeps the previous one's)."""

    def commits() -> None:
        with Engine.open(settings) as other:
            with other.writer() as writer:
                assert writer.delete_where(feed_url=DROPPED_FEED) == 1
            with other.writer() as writer:
                writer.upsert(article("c", "Dépêche tardive"))

    return commits


def racing_engine(settings: Settings) -> tuple[Engine, RacingStorage]:
    engine = Engine.open(settings)
    racing = RacingStorage(engine.root)
    engine._snapshots = Snapshots(racing)
    return engine, racing


def test_a_commit_deleting_the_segments_just_listed_makes_the_read_start_over(
    tmp_path: Path,
) -> None:
    settings = three_segments(tmp_path)
    engine, racing = racing_engine(settings)
    racing.after_toc = once(drop_first_segment(settings))
    with engine:
        found = engine.search("dépêche")
    assert sorted(hit.id for hit in found.hits) == ["a1", "a2", "c"]
    # The listing the commit overtook, then the newest one: read once each.
    assert racing.tocs_read == 2


def test_a_search_reads_the_table_of_contents_once(tmp_path: Path) -> None:
    settings = three_segments(tmp_path)
    engine, racing = racing_engine(settings)
    with engine:
        assert engine.search("dépêche").total == 3
        assert racing.tocs_read == 1
        engine.search("numéro")  # the first check of the directory's stamp reads it again
        for word in ("dépêche", "numéro", "deux"):
            engine.search(word)
    assert racing.tocs_read == 2


def test_a_view_whose_segments_were_deleted_since_its_state_was_read_reads_the_newest(
    tmp_path: Path,
) -> None:
    settings = three_segments(tmp_path)
    engine, racing = racing_engine(settings)
    with engine:
        engine._snapshots.state()
        engine._snapshots.state()  # the directory's stamp is taken: the state is fresh
        # The next search reuses the state and opens a reader on its segments, the first of
        # which the commits delete just before.
        racing.on_open = once(drop_first_segment(settings))
        found = engine.search("dépêche")
    assert sorted(hit.id for hit in found.hits) == ["a1", "a2", "c"]
    # The state read before the commits, then the newest one.
    assert racing.tocs_read == 3


def test_an_arrays_file_that_stays_unreadable_is_read_eight_times_then_reported(
    tmp_path: Path,
) -> None:
    settings = three_segments(tmp_path)
    engine, racing = racing_engine(settings)
    generation = engine.storage.require()
    first = sorted((tmp_path / "index" / generation).glob("*.fouille"))[0]
    first.write_bytes(b"")
    with engine, pytest.raises(ArrayFileError):
        engine.search("dépêche")
    assert racing.tocs_read == 8


def test_the_filter_cache_keeps_the_64_latest_filters(tmp_path: Path) -> None:
    days = [date(2024, 1, 1) + timedelta(days=n) for n in range(70)]
    articles = [
        article(f"j{n}", "Chronique", published=datetime.combine(day, time(12), UTC))
        for n, day in enumerate(days)
    ]
    with open_index(tmp_path, articles) as engine:
        for n, day in enumerate(days):
            assert engine.search("chronique", since=day).total == 70 - n
        cached = engine._snapshots.state().allowed
        assert len(cached) == 64
        assert {f.since for f in cached} == {
            datetime.combine(day, time(0), UTC) for day in days[6:]
        }
