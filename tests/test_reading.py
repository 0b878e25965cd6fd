"""Reading a committed state while a commit replaces it (`search.reading`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from search import Article
from search.reading import View
from tests.corpora import open_index


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
