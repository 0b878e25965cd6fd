"""Access tokens for scripts and feed readers (`fouille token create|revoke|list`).

A token is 256 random bits, shown once when created. The file keeps only its SHA-256 (a
token cannot be guessed, so a fast hash is enough to make the file useless to a thief),
with its name and creation time: `web-tokens.json` in the index folder, readable by its
owner only, replaced atomically. A running server re-reads it when it changes, so a revoked
token stops working with the next request.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from search import FouilleError
from search.files import write_private
from search.i18n import N_

log = logging.getLogger(__name__)

TOKENS_FILE = "web-tokens.json"
PREFIX = "fouille_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class TokenError(FouilleError):
    """A token name is invalid, taken or unknown, or the token file cannot be written."""


@dataclass(frozen=True)
class TokenInfo:
    """What is known of a token: never the token itself."""

    name: str
    created: str


class TokenStore:
    """The tokens of one index folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._hashes: dict[str, str] = {}  # sha256 hex → name

    @classmethod
    def in_index(cls, index_dir: Path) -> TokenStore:
        """The store of `index_dir`."""
        return cls(Path(index_dir) / TOKENS_FILE)

    # -- the server's side -------------------------------------------------------------------

    def check(self, token: str) -> str | None:
        """The name of the token, or None if it is not (or no longer) valid."""
        if not token or len(token) > 200:
            return None
        digest = _digest(token)
        with self._lock:
            self._refresh()
            hashes = self._hashes
        found = None
        for known, name in hashes.items():  # every entry compared, in constant time each
            if hmac.compare_digest(known, digest):
                found = name
        return found

    def _refresh(self) -> None:
        """Re-read the file if it changed (one stat per check)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._hashes = None, {}
            return
        except OSError as exc:
            log.warning("cannot read the token file %s: %s", self.path, exc.strerror)
            self._stamp, self._hashes = None, {}
            return
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp == self._stamp:
            return
        self._hashes = {info["sha256"]: name for name, info in self._read().items()}
        self._stamp = stamp

    # -- the command line's side -------------------------------------------------------------

    def create(self, name: str) -> str:
        """A new token called `name`, returned once (only its hash is kept).

        Raises:
            TokenError: the name is invalid or taken, or the file cannot be written.
        """
        if not _NAME.match(name):
            raise TokenError(
                N_("invalid token name {name!r}: use up to 64 letters, digits, '.', '_', '-'"),
                name=name[:70],
            )
        token = PREFIX + secrets.token_urlsafe(32)
        with self._editing() as tokens:
            if name in tokens:
                raise TokenError(N_("a token named {name!r} exists: revoke it first"), name=name)
            tokens[name] = {"sha256": _digest(token), "created": _now()}
        return token

    def revoke(self, name: str) -> None:
        """Forget the token called `name`.

        Raises:
            TokenError: there is no such token, or the file cannot be written.
        """
        with self._editing() as tokens:
            if name not in tokens:
                raise TokenError(
                    N_("no token named {name!r} (`fouille token list` shows them)"),
                    name=name[:70],
                )
            del tokens[name]

    def list(self) -> list[TokenInfo]:
        """Every token's name and creation time, by name."""
        return [
            TokenInfo(name, str(info.get("created", "")))
            for name, info in sorted(self._read().items())
        ]

    # -- the file ----------------------------------------------------------------------------

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            # A damaged file lets nobody in by token; the password still works.
            log.warning("ignoring the unreadable token file %s: %s", self.path, exc)
            return {}
        tokens = data.get("tokens", {}) if isinstance(data, dict) else {}
        return {
            name: info
            for name, info in tokens.items()
            if isinstance(info, dict) and isinstance(info.get("sha256"), str)
        }

    @contextlib.contextmanager
    def _editing(self) -> Iterator[dict[str, dict[str, Any]]]:
        """Read, change and write the file, one writer at a time."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock_path = self.path.with_name(f".{TOKENS_FILE}.lock")
            with os.fdopen(os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)) as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                tokens = self._read()
                yield tokens
                self._write(tokens)
        except OSError as exc:
            raise TokenError.from_os_error(
                N_("cannot write {path}: {reason}"), self.path, exc
            ) from exc

    def _write(self, tokens: dict[str, dict[str, Any]]) -> None:
        data = {"version": 1, "tokens": tokens}
        write_private(self.path, json.dumps(data, indent=1, sort_keys=True))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
