"""Fouille's search core: French analysis, the index schema, queries, ranking, snippets.

`Engine` is the one object the CLI, the web app, the indexer and the benchmarks call.
Nothing here imports `indexer`, `web` or `fouille` (tests/test_layering.py holds this).
"""

from .config import VERSION, Settings
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
from .keys import article_id, article_key
from .results import (
    ArticlePage,
    Explanation,
    Facets,
    FeedStats,
    Hit,
    IndexStats,
    SearchPage,
    Snippet,
)
from .setting_values import FeedConfig

__version__ = VERSION
__all__ = [
    "VERSION",
    "Article",
    "ArticlePage",
    "ConfigError",
    "Engine",
    "Explanation",
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
    "article_id",
    "article_key",
]
