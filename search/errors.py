"""Errors that Fouille raises on purpose; each message names the fix."""

from __future__ import annotations


class FouilleError(Exception):
    """Base class: a situation the user can act on, reported in one line."""


class ConfigError(FouilleError):
    """The configuration file or an environment variable is invalid."""


class IndexNotFoundError(FouilleError):
    """There is no index at the configured place yet."""

    def __init__(self, index_dir: object) -> None:
        super().__init__(
            f"no index in {index_dir}: run `fouille reindex` (or `fouille reindex --sample`) first"
        )
        self.index_dir = index_dir


class IndexOutdatedError(FouilleError):
    """The index was built by an older Fouille whose analysis or schema differs."""

    def __init__(self, index_dir: object) -> None:
        super().__init__(
            f"the index in {index_dir} was built by an older Fouille: "
            "run `fouille reindex --rebuild` to bring it up to date"
        )
        self.index_dir = index_dir


class IndexLockedError(FouilleError):
    """Another reindex holds the index."""

    def __init__(self, index_dir: object) -> None:
        super().__init__(
            f"another `fouille reindex` is running on {index_dir}: wait for it to finish"
        )
        self.index_dir = index_dir


class InvalidFilterError(FouilleError, ValueError):
    """A search filter (date, page, sort…) is not valid."""


class FeedError(FouilleError):
    """A feed could not be fetched or parsed."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
