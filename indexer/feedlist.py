"""The feeds followed by command (`fouille feeds add|import|remove`), kept in `feeds.toml`
in the index directory.

`fouille.toml` is the user's file and is never written; this one is Fouille's. It lives
beside the index and its `feeds-state.json`, where every command and the web app find it
from the one setting they share, and survives `reindex --rebuild`. Its `[[feeds]]` tables
have the shape of `fouille.toml`'s, so that a feed can be moved from one to the other.
Edits are serialised by a lock file and written atomically, readable by the owner only: a
feed's URL may hold its credentials (`https://user:pass@…`, `?key=…`). A feed that needs
`username`, `password` or `headers` (or `${NAME}` to keep a secret out of files) belongs in
fouille.toml, which can say all that; this file refuses them rather than lose them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from search import ConfigError
from search.files import write_private
from search.i18n import N_
from search.urls import public_feed_url

FEEDS_FILE_NAME = "feeds.toml"
LOCK_SUFFIX = ".lock"
#: Most feeds one file may hold (an OPML import of a runaway file stops there).
MAX_FEEDS = 10_000
#: Keys of fouille.toml's `[[feeds]]` that this file does not keep (see the module's doc).
CREDENTIAL_KEYS = ("username", "password", "headers")
HEADER = (
    "# Feeds followed with `fouille feeds add` and `fouille feeds import`.\n"
    "# Written by Fouille (comments here are not kept): your own settings and feeds go in\n"
    "# fouille.toml, which Fouille never writes. `fouille feeds export` makes an OPML copy.\n"
)


@dataclass(frozen=True)
class ManagedFeed:
    """A feed followed by command."""

    url: str
    name: str = ""
    tags: tuple[str, ...] = ()
    #: The feed's web site (OPML `htmlUrl`), when known.
    site: str = ""
    #: When it was added (ISO 8601, UTC).
    added: str = ""


class FeedList:
    """The managed feeds of one index directory."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_index(cls, index_dir: Path) -> FeedList:
        """The list that lives in the root of `index_dir`."""
        return cls(Path(index_dir) / FEEDS_FILE_NAME)

    def load(self) -> list[ManagedFeed]:
        """The feeds, in the order they were added ([] when there is no file).

        Raises:
            ConfigError: the file cannot be read or is damaged (nothing is dropped quietly).
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                N_("cannot read {path}: {reason}"), path=str(self.path), reason=str(exc)
            ) from exc
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                N_("{path} is damaged ({error}): fix or remove it"),
                path=str(self.path),
                error=str(exc),
            ) from exc
        feeds = data.get("feeds", [])
        if not isinstance(feeds, list):
            raise ConfigError(
                N_("{path} is damaged: `feeds` is not a list of tables"), path=str(self.path)
            )
        return [_feed(item, self.path) for item in feeds]

    @contextlib.contextmanager
    def editing(self) -> Iterator[list[ManagedFeed]]:
        """The feeds as a list to change in place; saved on normal exit, under a lock that
        keeps two commands from losing each other's changes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + LOCK_SUFFIX)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            feeds = self.load()
            yield feeds
            if len(feeds) > MAX_FEEDS:
                raise ConfigError(
                    N_("too many feeds: {count} (at most {limit})"),
                    count=len(feeds),
                    limit=MAX_FEEDS,
                )
            self.save(feeds)
        finally:
            os.close(fd)

    def save(self, feeds: Sequence[ManagedFeed]) -> None:
        """Write the list, readable by its owner only; readers see the old file or the new
        one, never a mix."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_private(self.path, dumps(feeds))


def dumps(feeds: Iterable[ManagedFeed]) -> str:
    """The TOML text of `feeds` (what `tomllib` reads back as the same feeds)."""
    parts = [HEADER]
    for feed in feeds:
        parts.append("\n[[feeds]]\n")
        parts.append(f"url = {toml_string(feed.url)}\n")
        if feed.name:
            parts.append(f"name = {toml_string(feed.name)}\n")
        if feed.tags:
            parts.append(f"tags = [{', '.join(toml_string(t) for t in feed.tags)}]\n")
        if feed.site:
            parts.append(f"site = {toml_string(feed.site)}\n")
        if feed.added:
            parts.append(f"added = {toml_string(feed.added)}\n")
    return "".join(parts)


def toml_string(text: str) -> str:
    """A TOML basic string. JSON's escapes are TOML's (\\", \\\\, \\n, \\uXXXX), except that
    TOML also refuses DEL raw; lone surrogates cannot be written and become "?"."""
    clean = text.encode("utf-8", "replace").decode("utf-8")
    return json.dumps(clean, ensure_ascii=False).replace("\x7f", "\\u007f")


def _feed(item: object, path: Path) -> ManagedFeed:
    if not isinstance(item, dict) or not isinstance(item.get("url"), str) or not item["url"]:
        # Not quoted: the table may hold a secret.
        raise ConfigError(N_("{path} is damaged: a feed without a url"), path=str(path))
    credentials = [key for key in CREDENTIAL_KEYS if key in item]
    if credentials:
        raise ConfigError(
            N_(
                "{path}: feed {url}: {key} is not kept here; "
                "move the feed to fouille.toml's [[feeds]], where username, password and "
                "headers work (and ${{NAME}} keeps them out of the file)"
            ),
            path=str(path),
            url=public_feed_url(item["url"]),
            key=credentials[0],
        )
    tags = item.get("tags", [])
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list):
        tags = []
    return ManagedFeed(
        url=item["url"],
        name=str(item.get("name", "") or ""),
        tags=tuple(str(t) for t in tags if str(t).strip()),
        site=str(item.get("site", "") or ""),
        added=str(item.get("added", "") or ""),
    )
