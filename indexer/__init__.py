"""Fouille's indexer: read feeds (config, `--feed`, the sample), fetch them politely, turn
entries into `search.Article`s and upsert them through `search.Engine`.

Modules: `sources` (where feeds come from), `fetch` (HTTP), `feeds` (feedparser → Article),
`html` (HTML → text), `build` (the reindex and its report). The `fouille reindex` command
is in the `fouille` package, above this one.
"""

from .build import FeedReport, Report, index_articles, index_sample, reindex
from .sources import Source, resolve_sources

__all__ = [
    "FeedReport",
    "Report",
    "Source",
    "index_articles",
    "index_sample",
    "reindex",
    "resolve_sources",
]
