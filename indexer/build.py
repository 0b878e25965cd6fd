"""The reindex: fetch every source, parse it, upsert its articles, and report what happened.

Feeds are fetched concurrently by a pool that is polite per host, and parsed and written as
they arrive by this thread, the index's only writer (`indexer.run`; older pages:
`indexer.backfill`; the report: `indexer.report`). A broken feed is reported and the others
go on; the report lists the feeds in the order they were given. Articles that left a feed
stay in the index. An article in two feeds belongs to the one it was first indexed from.

Commits happen every `batch_size` changes, after each backfill page and at the end. A feed's
state (ETag, Last-Modified, redirects, delays, health, backfill progress) is saved only once
its articles are committed, so an interrupted run never leaves a feed marked "seen" with its
articles lost, and an interrupted backfill resumes at the page it had not finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

import httpx

from search import Article, Engine, FeedError, Settings

from .backfill import DEFAULT_MAX_PAGES
from .fetch import FeedStateStore, make_client
from .report import STATUSES, FeedReport, Report
from .run import Run
from .sources import Source, resolve_sources

__all__ = [
    "DEFAULT_MAX_PAGES",
    "FeedReport",
    "Report",
    "index_articles",
    "index_sample",
    "reindex",
]

#: Changes between commits of a first import from feeds (which also commits after each
#: feed's page).
BULK_BATCH = 20_000


def index_articles(
    engine: Engine, articles: Iterable[Article], *, batch_size: int | None = None
) -> dict[str, int]:
    """Upsert articles into the index and commit (the writer `fouille reindex` uses), in
    commits of `batch_size` changes; by default one commit per full segment, as bulk
    imports want (`search.writer.ArticleWriter`).

    Returns:
        How many were new, updated and unchanged.
    """
    counts = dict.fromkeys(STATUSES, 0)
    with engine.writer(batch_size=batch_size) as writer:
        for article in articles:
            counts[writer.upsert(article)] += 1
    return counts


def reindex(
    settings: Settings,
    sources: Sequence[Source],
    *,
    backfill: bool = False,
    max_pages: int = DEFAULT_MAX_PAGES,
    force: bool = False,
    rebuild: bool = False,
    batch_size: int = 500,
    on_feed: Callable[[FeedReport], None] | None = None,
    on_page: Callable[[FeedReport], None] | None = None,
    client: httpx.Client | None = None,
) -> Report:
    """Run one reindex of `sources` into the index of `settings`, holding the reindex lock.

    Args:
        settings: index location, fetch timeouts, size cap, User-Agent.
        sources: from `indexer.sources.resolve_sources`.
        backfill: also walk each feed's older pages (RFC 5005 links, WordPress `?paged=N`).
        max_pages: the most pages read per feed when backfilling (the feed itself included).
        force: fetch even feeds the server asked us to leave alone for now, unconditionally.
        rebuild: first re-analyze the whole stored archive into a new index generation.
        batch_size: changes between commits.
        on_feed: called with each feed's report as soon as it is done (progress display).
        on_page: called with a feed's report after each page is stored (backfill progress;
            `resumed_at` tells that its backfill resumed).
        client: an HTTP client to use instead of one built from `settings`.

    Returns:
        The report; a failed feed never stops the others.

    Raises:
        IndexLockedError: another reindex holds the index.
    """
    started = time.monotonic()
    report = Report()
    engine = Engine.open(settings, create=True)
    try:
        with engine.locked():
            if not engine.stats().articles:
                # A first import: large commits, not a merge of small segments every few
                # seconds (the time between commits still bounds what a crash can lose).
                batch_size = max(batch_size, BULK_BATCH)
            if rebuild:
                report.rebuilt = engine.rebuild()
            if sources:
                own_client = client is None
                http = client or make_client(settings)
                try:
                    run = Run(
                        engine,
                        settings,
                        http,
                        FeedStateStore.in_index(settings.index_dir),
                        force=force,
                        batch_size=batch_size,
                    )
                    run.all(
                        sources,
                        backfill=backfill,
                        max_pages=max_pages,
                        on_feed=on_feed,
                        on_page=on_page,
                        report=report,
                    )
                finally:
                    if own_client:
                        http.close()
    finally:
        engine.close()
    report.seconds = time.monotonic() - started
    return report


def index_sample(settings: Settings) -> int:
    """Index the sample feed bundled with the indexer, as `fouille reindex --sample` does.

    Returns:
        The number of articles read from it (new, updated and unchanged).

    Raises:
        FouilleError: the index is locked, or the sample feed could not be read.
    """
    report = reindex(settings, resolve_sources(settings, sample=True))
    if report.failed:
        raise FeedError(report.failed[0].url, report.failed[0].reason)
    totals = report.totals()
    return totals["new"] + totals["updated"] + totals["unchanged"]
