"""Fouille's indexer: read feeds (config, `--feed`, the sample), fetch them politely, turn
entries into `search.Article`s and upsert them through `search.Engine`.

Modules: `sources` (where feeds come from), `fetch` (HTTP), `feeds` (feedparser → Article),
`html` (HTML → text), `build` (the reindex and its report), `cli` (`fouille reindex`).
"""

from .build import FeedReport, Report, index_articles, reindex
from .sources import Source, resolve_sources

__all__ = ["FeedReport", "Report", "Source", "index_articles", "reindex", "resolve_sources"]
