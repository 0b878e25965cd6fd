"""Files kept in and beside the index folder (the feed list, the feeds' state, the web's
access tokens, exports): replaced whole, readable by their owner only.

A core job because every layer keeps such files and most of them hold secrets (feed
addresses with their keys, token digests): indexer/ and web/ share this one writer
instead of each keeping its own.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

#: Files holding a secret are written readable by their owner only.
PRIVATE_MODE = 0o600


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8), readable by its owner only.

    Written to a temporary file in the same folder, synced, then renamed over `path`:
    readers see the old file or the new one, never a mix, and a crash leaves one of them.
    The folder must exist.

    Raises:
        OSError: the folder cannot be written (no temporary file is left behind).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        # mkstemp creates the file 0600; the mode is set again in case of an odd umask or
        # platform, before anything is written to it.
        os.fchmod(fd, PRIVATE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
