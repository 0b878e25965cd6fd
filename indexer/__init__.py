"""Fouille's indexer: read feeds (config, `--feed`, the sample), fetch them politely, turn
entries into `search.Article`s and upsert them through `search.Engine`.

Modules: `sources` (where feeds come from), `feedlist` (the feeds followed by command),
`fetch` (HTTP), `body` (reading a response, capped), `state` (what is remembered of each
feed), `pool` (parallel fetching, polite per host), `feeds` (feedparser → Article), `repair`
(broken documents made readable), `dates` (dates in feeds), `jsonfeed` (JSON Feed →
Article), `html` (HTML → text), `discover` (a page's feed links),
`opml` (subscription lists), `build` (the reindex), `run` (one pass over the feeds),
`backfill` (older pages), `report` (what a reindex did), `manage` (adding and removing
feeds), `health` (how each feed fares). The commands are in the `fouille` package,
above this one.
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
