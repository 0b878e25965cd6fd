"""Index generations on disk: a generation whose files vanish while it is opened (a commit
replacing its table of contents under a reader) is read again, then reported as no index;
one written by an older Fouille asks for a rebuild."""

from __future__ import annotations

from pathlib import Path

import pytest

from search import Engine, IndexNotFoundError, IndexOutdatedError, Settings
from search.arrays import EXTENSION
from tests.corpora import article, open_index


def generation(root: Path) -> Path:
    (found,) = [p for p in root.iterdir() if p.name.startswith("gen-") and p.is_dir()]
    return found


def test_a_table_of_contents_that_keeps_vanishing_is_no_index(tmp_path: Path) -> None:
    with open_index(tmp_path, [article("a", "Vélo", "Un vélo.")]):
        pass
    gen = generation(tmp_path / "index")
    (toc,) = gen.glob("*.toc")
    toc.unlink()
    toc.symlink_to(gen / "gone.toc")  # listed by the directory, gone when opened
    with pytest.raises(IndexNotFoundError):
        Engine.open(Settings(index_dir=tmp_path / "index"))


def test_a_segment_without_its_arrays_asks_for_a_rebuild(tmp_path: Path) -> None:
    with open_index(tmp_path, [article("a", "Vélo", "Un vélo.")]):
        pass
    (arrays,) = generation(tmp_path / "index").glob("*" + EXTENSION)
    arrays.unlink()
    with pytest.raises(IndexOutdatedError, match="fouille reindex --rebuild"):
        Engine.open(Settings(index_dir=tmp_path / "index")).search("vélo")
