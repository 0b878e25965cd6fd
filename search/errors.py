"""Errors that Fouille raises on purpose; each message names the fix.

Each error keeps its message as a `Message` (search/i18n.py): `str(error)` is the English
sentence, as library users and logs see it, and the front ends say `error.message` in
their reader's language. Parameters never hold a secret (see search/urls.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from .i18n import N_, Message


class FouilleError(Exception):
    """Base class: a situation the user can act on, reported in one line.

    `FouilleError(N_("cannot read {path}: {reason}"), path=…, reason=…)`: a template (the
    catalogue's msgid) and its named parameters; a `Message` is taken as it is.
    """

    message: Message

    def __init__(self, message: str = "", /, **params: Any) -> None:
        if isinstance(message, Message) and not params:
            self.message = message
        else:
            self.message = Message(message, **params)
        super().__init__(str.__str__(self.message))

    @classmethod
    def from_os_error(cls, template: str, path: object, exc: OSError) -> Self:
        """The error of a file or folder `path` that `exc` kept us from using: `template`
        with `{path}` and `{reason}` (the system's words, "Permission denied")."""
        return cls(template, path=str(path), reason=str(exc.strerror or exc))

    @property
    def template(self) -> str:
        """The msgid this error's message was made from."""
        return self.message.template

    @property
    def params(self) -> Mapping[str, object]:
        """The parameters of the template."""
        return self.message.params


class ConfigError(FouilleError):
    """The configuration file or an environment variable is invalid."""


class IndexNotFoundError(FouilleError):
    """There is no index at the configured place yet."""

    def __init__(self, index_dir: object) -> None:
        super().__init__(
            N_(
                "no index in {index_dir}: run `fouille reindex` "
                "(or `fouille reindex --sample`) first"
            ),
            index_dir=str(index_dir),
        )
        self.index_dir = index_dir


class IndexOutdatedError(FouilleError):
    """The index was built by an older Fouille whose analysis or schema differs."""

    def __init__(self, index_dir: object) -> None:
        super().__init__(
            N_(
                "the index in {index_dir} was built by an older Fouille: "
                "run `fouille reindex --rebuild` to bring it up to date"
            ),
            index_dir=str(index_dir),
        )
        self.index_dir = index_dir


class IndexLockedError(FouilleError):
    """Another reindex holds the index."""

    def __init__(self, index_dir: object) -> None:
        super().__init__(
            N_("another `fouille reindex` is running on {index_dir}: wait for it to finish"),
            index_dir=str(index_dir),
        )
        self.index_dir = index_dir


class InvalidFilterError(FouilleError, ValueError):
    """A search filter (date, page, sort…) is not valid."""


class FeedError(FouilleError):
    """A feed could not be fetched or parsed: `reason` (a `Message`, or text) says why."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(N_("{url}: {reason}"), url=url, reason=reason)
        self.url = url
        self.reason = reason
