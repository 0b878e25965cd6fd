"""The `.fouille` file beside each segment: named numpy arrays and a JSON header.

Written once when the segment is written, never changed (deletions live in Whoosh's table
of contents), and memory-mapped read-only by every searching process: the page cache holds
one copy for all of them, and opening an index reads nothing but the headers.

Layout: `FOUA` and a format number (uint32), then each array at a 64-byte boundary, then the
JSON header (`{"arrays": {name: [dtype, length, offset]}, …}`), and last its offset and
length (two uint64) and `FOUZ`. Arrays are written as they are made and the header last, so
that a writer never holds all of a segment's arrays at once.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import struct
from typing import Any

import numpy as np

from .errors import FouilleError
from .i18n import N_

EXTENSION = ".fouille"
MAGIC = b"FOUA"
END_MAGIC = b"FOUZ"
FORMAT = 2
ALIGN = 64
_PREAMBLE = struct.Struct("<4sI")
_TRAILER = struct.Struct("<QQ4s")


def term_hash(term: str) -> int:
    """A stable 64-bit hash of a term: how the arrays look terms up."""
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class ArrayFileError(FouilleError):
    """A `.fouille` file is missing, truncated or of another format."""


class ArrayWriter:
    """Writes a `.fouille` file in a Whoosh storage, one array at a time."""

    def __init__(self, storage: Any, name: str) -> None:
        self._file = storage.create_file(name)
        self._file.write(_PREAMBLE.pack(MAGIC, FORMAT))
        self._file.write(b"\0" * (ALIGN - _PREAMBLE.size))
        self._offset = ALIGN
        self._arrays: dict[str, list[Any]] = {}

    def add(self, key: str, values: np.ndarray) -> None:
        """Append one array (its bytes are written now)."""
        raw = np.ascontiguousarray(values)
        self._arrays[key] = [raw.dtype.str, int(raw.size), self._offset]
        data = raw.tobytes()
        self._file.write(data)
        padding = _aligned(len(data)) - len(data)
        self._file.write(b"\0" * padding)
        self._offset += len(data) + padding

    def close(self, header: dict[str, Any]) -> None:
        """Write the header and the trailer, and close the file."""
        head = json.dumps({**header, "arrays": self._arrays}, ensure_ascii=False).encode()
        self._file.write(head)
        self._file.write(_TRAILER.pack(self._offset, len(head), END_MAGIC))
        self._file.flush()
        self._file.close()


class ArrayFile:
    """A `.fouille` file opened read-only: `header` and `array(name)` views of the map."""

    def __init__(self, path: str) -> None:
        try:
            # Kept open: positions are read with pread (`read`), the rest mapped.
            self._file = open(path, "rb", buffering=0)  # noqa: SIM115 (lives with the object)
            self._fd = self._file.fileno()
            self._map = mmap.mmap(self._fd, 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise ArrayFileError(
                N_("cannot read {path}: {reason}: run `fouille reindex --rebuild`"),
                path=path,
                reason=str(exc),
            ) from exc
        if len(self._map) < ALIGN + _TRAILER.size:
            raise ArrayFileError(
                N_("{path} is truncated: run `fouille reindex --rebuild`"), path=path
            )
        magic, version = _PREAMBLE.unpack_from(self._map, 0)
        at, size, end = _TRAILER.unpack_from(self._map, len(self._map) - _TRAILER.size)
        if magic != MAGIC or version != FORMAT or end != END_MAGIC:
            raise ArrayFileError(
                N_(
                    "{path} is not a Fouille array file of format {format}: "
                    "run `fouille reindex --rebuild`"
                ),
                path=path,
                format=FORMAT,
            )
        try:
            self.header: dict[str, Any] = json.loads(self._map[at : at + size])
        except ValueError as exc:
            raise ArrayFileError(
                N_("{path} has a damaged header: run `fouille reindex --rebuild`"), path=path
            ) from exc
        self._base = 0
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str) -> np.ndarray:
        """The named array (a read-only view of the mapped file)."""
        found = self._arrays.get(name)
        if found is None:
            dtype, count, offset = self._entry(name)
            found = np.frombuffer(
                self._map, dtype=np.dtype(dtype), count=count, offset=self._base + offset
            )
            self._arrays[name] = found
        return found

    def read(self, name: str, start: int, stop: int) -> np.ndarray:
        """Items `start:stop` of the named array, read from the file (a copy).

        Positions are read this way rather than through the map (only phrases need them,
        a few slices each): a page of the map, once touched, would stay in every worker's
        memory, where the kernel's page cache holds a read for all of them.
        """
        kind = np.dtype(self._entry(name)[0])
        return np.frombuffer(self.read_bytes(name, start, stop), dtype=kind)

    def read_bytes(self, name: str, start: int, stop: int) -> bytes:
        """The bytes of items `start:stop` of the named array, read from the file (`read`)."""
        dtype, count, offset = self._entry(name)
        itemsize = np.dtype(dtype).itemsize
        stop = min(stop, count)
        if stop <= start:
            return b""
        size = (stop - start) * itemsize
        data = os.pread(self._fd, size, self._base + offset + start * itemsize)
        if len(data) != size:
            raise ArrayFileError(
                N_("{path} is truncated: run `fouille reindex --rebuild`"), path=self._file.name
            )
        return data

    def _entry(self, name: str) -> tuple[str, int, int]:
        """(dtype, count, offset) of the named array, from the header."""
        try:
            dtype, count, offset = self.header["arrays"][name]
        except KeyError as exc:
            raise ArrayFileError(N_("no array {name!r}"), name=name) from exc
        return dtype, count, offset

    def has(self, name: str) -> bool:
        """True when the file holds an array of this name."""
        return name in self.header["arrays"]


def _aligned(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN
