"""The `.fouille` file beside each segment: named numpy arrays and a JSON header.

Written once when the segment is written, never changed (deletions live in Whoosh's table
of contents), and memory-mapped read-only by every searching process: the page cache holds
one copy for all of them, and opening an index reads nothing but the headers.

Layout: `FOUA`, a format number (uint32), the header length (uint64), the JSON header
(`{"arrays": {name: [dtype, length, offset]}, …}`), then each array at a 64-byte boundary.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import struct
from typing import Any

import numpy as np

from .errors import FouilleError

EXTENSION = ".fouille"
MAGIC = b"FOUA"
FORMAT = 1
ALIGN = 64
_PREAMBLE = struct.Struct("<4sIQ")


def term_hash(term: str) -> int:
    """A stable 64-bit hash of a term: how the arrays look terms up."""
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class ArrayFileError(FouilleError):
    """A `.fouille` file is missing, truncated or of another format."""


def write(storage: Any, name: str, header: dict[str, Any], data: dict[str, np.ndarray]) -> None:
    """Write `data` and `header` as `name` in a Whoosh storage (flushed and fsynced)."""
    descriptors: dict[str, list[Any]] = {}
    offset = 0
    for key, values in data.items():
        values = np.ascontiguousarray(values)
        data[key] = values
        descriptors[key] = [values.dtype.str, int(values.size), offset]
        offset += _aligned(values.nbytes)
    head = json.dumps({**header, "arrays": descriptors}, ensure_ascii=False).encode("utf-8")
    start = _aligned(_PREAMBLE.size + len(head))
    f = storage.create_file(name)
    f.write(_PREAMBLE.pack(MAGIC, FORMAT, len(head)))
    f.write(head)
    f.write(b"\0" * (start - _PREAMBLE.size - len(head)))
    for values in data.values():
        raw = values.tobytes()
        f.write(raw)
        f.write(b"\0" * (_aligned(len(raw)) - len(raw)))
    f.flush()
    f.close()


class ArrayFile:
    """A `.fouille` file opened read-only: `header` and `array(name)` views of the map."""

    def __init__(self, path: str) -> None:
        try:
            with open(path, "rb") as fh:
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise ArrayFileError(
                f"cannot read {path}: {exc}: run `fouille reindex --rebuild`"
            ) from exc
        if len(self._map) < _PREAMBLE.size:
            raise ArrayFileError(f"{path} is truncated: run `fouille reindex --rebuild`")
        magic, version, size = _PREAMBLE.unpack_from(self._map, 0)
        if magic != MAGIC or version != FORMAT:
            raise ArrayFileError(
                f"{path} is not a Fouille array file of format {FORMAT}: "
                "run `fouille reindex --rebuild`"
            )
        try:
            self.header: dict[str, Any] = json.loads(
                self._map[_PREAMBLE.size : _PREAMBLE.size + size]
            )
        except ValueError as exc:
            raise ArrayFileError(
                f"{path} has a damaged header: run `fouille reindex --rebuild`"
            ) from exc
        self._base = _aligned(_PREAMBLE.size + size)
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str) -> np.ndarray:
        """The named array (a read-only view of the mapped file)."""
        found = self._arrays.get(name)
        if found is None:
            try:
                dtype, count, offset = self.header["arrays"][name]
            except KeyError as exc:
                raise ArrayFileError(f"no array {name!r}") from exc
            found = np.frombuffer(
                self._map, dtype=np.dtype(dtype), count=count, offset=self._base + offset
            )
            self._arrays[name] = found
        return found

    def has(self, name: str) -> bool:
        """True when the file holds an array of this name."""
        return name in self.header["arrays"]


def _aligned(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN
