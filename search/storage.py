"""Index generations on disk.

`index_dir` holds `CURRENT` (the name of the live generation) and one Whoosh index per
generation (`gen-000001/`…), each with a `FORMAT` file naming the layout it was written
with (`search.schema.FORMAT`). A rebuild writes a new generation and switches `CURRENT`
atomically, so searches never see a half-built index.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from .errors import FouilleError, IndexNotFoundError, IndexOutdatedError
from .i18n import N_
from .schema import FORMAT, build_schema

CURRENT = "CURRENT"
FORMAT_FILE = "FORMAT"
GEN_RE = re.compile(r"^gen-(\d{6})$")
#: Tries to open an index whose table of contents a concurrent commit keeps replacing.
OPEN_ATTEMPTS = 8


class Storage:
    """The generations under one index directory, and their open Whoosh indexes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._indexes: dict[str, Any] = {}

    def current(self) -> str | None:
        """The name of the live generation, or None when there is no index.

        Raises:
            FouilleError: `CURRENT` is unreadable or names no generation.
        """
        try:
            name = (self.root / CURRENT).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise FouilleError(
                N_("cannot read {path}: {reason}"), path=str(self.root / CURRENT), reason=str(exc)
            ) from exc
        if not GEN_RE.match(name) or not (self.root / name).is_dir():
            raise FouilleError(
                N_("{path} names no index generation: run `fouille reindex --rebuild`"),
                path=str(self.root / CURRENT),
            )
        return name

    def require(self) -> str:
        """The live generation.

        Raises:
            IndexNotFoundError: there is none.
        """
        name = self.current()
        if name is None:
            raise IndexNotFoundError(self.root)
        return name

    def create(self) -> str:
        """Create an empty index as the live generation (the directory too if needed)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            name = self.new_generation()
            self.switch(name)
        except OSError as exc:
            raise FouilleError.from_os_error(
                N_("cannot create an index in {path}: {reason}"), self.root, exc
            ) from exc
        return name

    def new_generation(self) -> str:
        """Create the next generation, empty and not live yet; returns its name."""
        numbers = [int(m.group(1)) for p in self.root.iterdir() if (m := GEN_RE.match(p.name))]
        name = f"gen-{max(numbers, default=0) + 1:06d}"
        path = self.root / name
        path.mkdir()
        whoosh_index.create_in(str(path), build_schema())
        (path / FORMAT_FILE).write_text(f"{FORMAT}\n", encoding="ascii")
        return name

    def switch(self, name: str) -> None:
        """Make `name` the live generation, atomically and durably."""
        tmp = self.root / f".{CURRENT}.{os.getpid()}"
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / CURRENT)
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def discard(self, name: str) -> None:
        """Delete a generation that is not live (a failed rebuild's)."""
        self.forget(name)
        shutil.rmtree(self.root / name, ignore_errors=True)

    def remove_all_but(self, *keep: str) -> None:
        """Delete every generation but these."""
        for path in self.root.iterdir():
            if GEN_RE.match(path.name) and path.name not in keep:
                self.discard(path.name)

    def open(self, name: str, *, any_format: bool = False) -> Any:
        """The Whoosh index of a generation; it must be of today's layout unless
        `any_format` (a rebuild reads an older one).

        Raises:
            IndexNotFoundError: the generation has no index.
            IndexOutdatedError: the index was written by an older Fouille.
        """
        with self._lock:
            ix = self._indexes.get(name)
            if ix is None:
                ix = self._open_dir(name)
                self._indexes[name] = ix
        if not any_format and self.format_of(name) != FORMAT:
            raise IndexOutdatedError(self.root)
        return ix

    def _open_dir(self, name: str) -> Any:
        """Whoosh's index of a generation. A commit replaces its table of contents between
        Whoosh listing the directory and reading it: the one just listed may be gone, so it
        is read again a few times."""
        for attempt in range(OPEN_ATTEMPTS):
            try:
                return whoosh_index.open_dir(str(self.root / name))
            except FileNotFoundError as exc:
                if attempt == OPEN_ATTEMPTS - 1 or not (self.root / name).is_dir():
                    raise IndexNotFoundError(self.root) from exc
                time.sleep(0.005 * (attempt + 1))
            except (whoosh_index.EmptyIndexError, OSError) as exc:
                raise IndexNotFoundError(self.root) from exc
        raise AssertionError("unreachable")

    def format_of(self, name: str) -> int:
        """The layout a generation was written with (0 before layouts were numbered)."""
        try:
            return int((self.root / name / FORMAT_FILE).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return 0

    def forget(self, name: str) -> None:
        """Close the open index of a generation, if any."""
        with self._lock:
            ix = self._indexes.pop(name, None)
        if ix is not None:
            ix.close()

    def close(self) -> None:
        """Close every open index."""
        with self._lock:
            indexes, self._indexes = self._indexes, {}
        for ix in indexes.values():
            ix.close()
