"""One reindex at a time: an advisory lock file that the kernel drops when its holder dies."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import FouilleError, IndexLockedError
from .i18n import N_

LOCK_NAME = "reindex.lock"


@contextmanager
def reindex_lock(index_dir: Path) -> Iterator[None]:
    """Hold the reindex lock for `index_dir`, or raise at once if another process holds it.

    `flock` locks die with their process, so a reindex killed with SIGKILL leaves no stale lock.

    Raises:
        IndexLockedError: another reindex runs.
    """
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(index_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise FouilleError.from_os_error(
            N_("cannot write in {path}: {reason}"), index_dir, exc
        ) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexLockedError(index_dir) from exc
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)
