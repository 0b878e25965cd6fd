"""The gunicorn workers' garbage-collector policy (`web.server.GarbageFreezer`)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from search import Settings
from tests.corpora import article, filler, open_index
from web import EngineHolder
from web.server import GarbageFreezer


@pytest.fixture
def full_collections() -> Iterator[list[int]]:
    """The full collections made while the test runs (automatic ones are off meanwhile)."""
    seen: list[int] = []

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(1)

    gc.disable()
    gc.callbacks.append(count)
    try:
        yield seen
    finally:
        gc.callbacks.remove(count)
        gc.unfreeze()
        gc.enable()


def test_a_worker_freezes_its_objects_once_per_index_state(
    tmp_path: Path, full_collections: list[int]
) -> None:
    """After the first answer, and after each new index state, one full collection, then
    what survives it is frozen out of later ones; nothing while the state stays."""
    with open_index(tmp_path, filler()) as engine:
        holder = EngineHolder(Settings(index_dir=tmp_path / "index"))
        freezer = GarbageFreezer(holder)
        try:
            freezer()
            assert len(full_collections) == 1
            assert gc.get_freeze_count() > 0
            freezer()
            assert len(full_collections) == 1
            with engine.writer() as writer:
                writer.upsert(article("nouvelle", "Une dépêche de plus"))
            freezer()
            assert len(full_collections) == 2
        finally:
            holder.close()


def test_without_an_index_nothing_is_frozen(tmp_path: Path, full_collections: list[int]) -> None:
    holder = EngineHolder(Settings(index_dir=tmp_path / "absent"))
    GarbageFreezer(holder)()
    GarbageFreezer(None)()
    assert full_collections == []
    assert gc.get_freeze_count() == 0
