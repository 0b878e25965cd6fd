"""Fixtures shared by the whole suite: settings on a temporary index, the shared corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from search import Engine, Settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at an empty index directory of this test's own."""
    return Settings(index_dir=tmp_path / "index")


@pytest.fixture
def corpus() -> Path:
    """../shared/corpus beside the repository; the test is skipped when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    return CORPUS


@pytest.fixture
def engine(settings: Settings):
    """A real, empty index on disk."""
    with Engine.open(settings, create=True) as opened:
        yield opened
