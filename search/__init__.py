"""Fouille's search core: French analysis, the index schema, queries, ranking, snippets.

`Engine` is the one object the CLI, the web app, the indexer and the benchmarks call.
Nothing here imports `indexer`, `web` or `fouille` (tests/test_layering.py holds this).
"""

from .config import VERSION, FeedConfig, Settings
from .documents import Article
from .engine import Engine
from .errors import (
    ConfigError,
    FeedError,
    FouilleError,
    IndexLockedError,
    IndexNotFoundError,
    IndexOutdatedError,
    InvalidFilterError,
)
from .results import Facets, FeedStats, Hit, IndexStats, SearchPage, Snippet

__version__ = VERSION
__all__ = [
    "VERSION",
    "Article",
    "ConfigError",
    "Engine",
    "Facets",
    "FeedConfig",
    "FeedError",
    "FeedStats",
    "FouilleError",
    "Hit",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexOutdatedError",
    "IndexStats",
    "InvalidFilterError",
    "SearchPage",
    "Settings",
    "Snippet",
]
