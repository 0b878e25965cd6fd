"""The `.fouille` array files: what is written is read back, at 64-byte boundaries, and a
damaged file is refused with an error that names the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from whoosh.filedb.filestore import FileStorage

from search.arrays import ALIGN, EXTENSION, ArrayFile, ArrayFileError, ArrayWriter, term_hash

VELO_HASH = 13460652423331240307


def write(path: Path, arrays: dict[str, np.ndarray], header: dict[str, object]) -> Path:
    storage = FileStorage(str(path))
    writer = ArrayWriter(storage, "seg" + EXTENSION)
    for name, values in arrays.items():
        writer.add(name, values)
    writer.close(header)
    return path / ("seg" + EXTENSION)


def test_arrays_round_trip_at_aligned_offsets(tmp_path: Path) -> None:
    arrays = {
        "docs": np.arange(5, dtype=np.uint32),
        "scores": np.array([0.5, 1.25, -2.0], dtype=np.float32),
        "empty": np.array([], dtype=np.int64),
        "bytes": np.frombuffer(b"abcdefghijklmnopqrstuvwxyz" * 3, dtype=np.uint8),
        "after": np.array([7, 8, 9], dtype=np.uint16),
    }
    path = write(tmp_path, arrays, {"count": 5, "note": "données"})
    found = ArrayFile(str(path))
    assert found.header["count"] == 5 and found.header["note"] == "données"
    for name, values in arrays.items():
        got = found.array(name)
        assert got.dtype == values.dtype and got.tolist() == values.tolist()
        assert found.header["arrays"][name][2] % ALIGN == 0
        assert found.array(name) is got  # one view per name
    offsets = [found.header["arrays"][name][2] for name in arrays]
    assert offsets == [64, 128, 192, 192, 320]  # 78 bytes take two blocks
    assert found.has("docs") and not found.has("nope")
    with pytest.raises(ArrayFileError, match="no array 'nope'"):
        found.array("nope")


def test_a_read_only_view(tmp_path: Path) -> None:
    path = write(tmp_path, {"a": np.arange(3, dtype=np.int32)}, {})
    view = ArrayFile(str(path)).array("a")
    with pytest.raises(ValueError):
        view[0] = 5


@pytest.mark.parametrize("size", [10, 50, ALIGN + 19])
def test_a_file_cut_short_is_called_truncated(tmp_path: Path, size: int) -> None:
    path = write(tmp_path, {"a": np.arange(100, dtype=np.int64)}, {})
    path.write_bytes(path.read_bytes()[:size])
    with pytest.raises(ArrayFileError, match="truncated: run `fouille reindex --rebuild`"):
        ArrayFile(str(path))


def test_the_smallest_file_is_read_up_to_its_header(tmp_path: Path) -> None:
    # The preamble and the trailer alone (84 bytes): long enough, but no header.
    path = write(tmp_path, {}, {})
    data = path.read_bytes()
    assert data[:4] == b"FOUA" and data[-4:] == b"FOUZ"
    head_at = int.from_bytes(data[-20:-12], "little")
    short = data[:head_at] + (head_at).to_bytes(8, "little") + bytes(8) + b"FOUZ"
    assert len(short) == ALIGN + 20
    path.write_bytes(short)
    with pytest.raises(ArrayFileError, match="damaged header"):
        ArrayFile(str(path))


@pytest.mark.parametrize(
    ("start", "replace"),
    [(0, b"XXXX"), (4, b"\x09\x00\x00\x00"), (-4, b"XXXX")],
    ids=["magic", "format", "end"],
)
def test_another_format_is_refused(tmp_path: Path, start: int, replace: bytes) -> None:
    path = write(tmp_path, {"a": np.arange(3, dtype=np.int32)}, {})
    data = bytearray(path.read_bytes())
    data[start : start + 4 if start >= 0 else None] = replace
    path.write_bytes(bytes(data))
    with pytest.raises(ArrayFileError, match="not a Fouille array file of format 2"):
        ArrayFile(str(path))


def test_a_missing_file_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ArrayFileError, match=r"cannot read .*reindex --rebuild"):
        ArrayFile(str(tmp_path / "nope.fouille"))


def test_term_hashes_are_stable_64_bit_numbers() -> None:
    # On disk in every segment: a change here is a new index FORMAT.
    assert term_hash("vélo") == VELO_HASH
    assert term_hash("a") != term_hash("b")


def test_no_documents_have_no_positions(tmp_path: Path) -> None:
    """Asked for the positions of a word in no document, the arrays answer none."""
    from search import scoring
    from tests.corpora import article, open_index

    with open_index(tmp_path, [article("a", "La fibre", "La fibre optique.")]) as engine:
        arrays = engine._snapshots.view().state.arrays
        docs, positions = arrays.positions(scoring.EXACT[0], "fibre", np.zeros(0, np.int64))
    assert len(docs) == len(positions) == 0


def test_a_segment_without_a_field_adds_nothing_to_its_total_length(tmp_path: Path) -> None:
    """BM25's average length: a segment where no article has a title counts no title word."""
    from search import scoring
    from tests.corpora import article, open_index

    with open_index(tmp_path, [article("a", "", "Le corps du texte.")]) as engine:
        with engine.writer() as writer:
            writer.upsert(article("b", "Fibre optique", "Le corps du texte."))
        arrays = engine._snapshots.view().state.arrays
        assert arrays.total_length(scoring.STEMMED[1]) == 2


def test_an_empty_range_reads_as_nothing(tmp_path: Path) -> None:
    storage = FileStorage(str(tmp_path))
    writer = ArrayWriter(storage, "a.fouille")
    writer.add("values", np.arange(5, dtype=np.uint16))
    writer.close({})
    found = ArrayFile(str(tmp_path / "a.fouille"))
    assert found.read_bytes("values", 3, 3) == b"" and found.read_bytes("values", 4, 2) == b""
    assert found.read("values", 2, 2).tolist() == []
    assert found.read("values", 3, 9).tolist() == [3, 4]
