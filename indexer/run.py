"""One reindex pass: the feeds fetched by a pool that is polite per host (`indexer.pool`),
parsed and written as they arrive by the calling thread, the index's only writer.

A feed's state (ETag, Last-Modified, redirects, delays, health, backfill progress) is saved
only once its articles are committed. Whatever a server or a library said, a feed's
secrets never reach its report nor its saved state (issue 13).
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from search import Article, Engine, FeedError, FouilleError, Settings
from search.i18n import N_, Message
from search.urls import public_feed_url, public_link, scrub

from .backfill import DEFAULT_MAX_PAGES, older_page, start_walk
from .feeds import ParsedFeed, parse_feed
from .fetch import FeedSkipped, FeedState, FeedStateStore, FetchResult, fetch, same_site
from .pool import Done, HostPool, host_key
from .report import FeedReport, Report
from .sources import Source

logger = logging.getLogger(__name__)

#: Commit at a feed boundary at least this often during a long run (seconds).
COMMIT_INTERVAL = 30.0
#: The most fetching threads, and connections per host, whatever the settings say.
MAX_WORKERS = 32
MAX_PER_HOST = 2


class HostBusy(FeedSkipped):
    """Another feed of the same host was answered 429 with a Retry-After: leave the host
    alone for the rest of the run."""

    def __init__(self, url: str, host: str, until: datetime) -> None:
        super().__init__(url, until)
        self.host = host


@dataclass
class FeedRun:
    """One feed being read: its report, its state, and where its backfill walk is."""

    index: int
    source: Source
    report: FeedReport
    state: FeedState
    started: float
    #: The page being fetched (the live feed is page 1).
    page: int = 1
    #: The state of the older page being fetched (its HTTP status tells the end).
    page_state: FeedState = field(default_factory=FeedState)
    rfc5005: bool = False
    visited: set[str] = field(default_factory=set)


class Run:
    """One pass over the sources with one writer: fetching in a pool, writing here."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        client: httpx.Client,
        store: FeedStateStore,
        *,
        force: bool,
        batch_size: int,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.client = client
        self.store = store
        self.force = force
        self.batch_size = batch_size
        self.now = datetime.now(UTC)
        #: Article id → the feed_url it was taken from during this run.
        self.owners: dict[str, str] = {}
        #: The feed_url values of this run's feeds (to tell whose an article is).
        self.run_feeds: set[str] = set()
        #: Hosts that answered 429 with a Retry-After, and until when (set by the workers).
        self.host_waits: dict[str, datetime] = {}
        self.host_lock = threading.Lock()
        #: Feed states waiting for the commit that makes their articles durable.
        self.pending: dict[str, FeedState] = {}
        self.uncommitted = 0
        self.last_commit = time.monotonic()
        self.backfill = False
        self.max_pages = DEFAULT_MAX_PAGES
        self.on_feed: Callable[[FeedReport], None] | None = None
        self.on_page: Callable[[FeedReport], None] | None = None

    def all(
        self,
        sources: Sequence[Source],
        *,
        backfill: bool,
        max_pages: int,
        on_feed: Callable[[FeedReport], None] | None,
        on_page: Callable[[FeedReport], None] | None = None,
        report: Report,
    ) -> None:
        self.backfill, self.max_pages = backfill, max_pages
        self.on_feed, self.on_page = on_feed, on_page
        feeds = [
            FeedRun(
                n,
                source,
                FeedReport(source.public_url, source.name or source.display),
                copy.copy(self.store.get(source.url)),
                time.monotonic(),
            )
            for n, source in enumerate(sources)
        ]
        report.feeds.extend(feed.report for feed in feeds)
        # Articles carry their feed's public address (before issue 13: the address itself).
        self.run_feeds = (
            {s.url for s in sources}
            | {public_feed_url(s.url) for s in sources}
            | {f.state.articles_url for f in feeds if f.state.articles_url}
        )
        pool = HostPool(
            workers=min(self.settings.fetch_workers, MAX_WORKERS),
            per_host=min(self.settings.connections_per_host, MAX_PER_HOST),
        )
        self.pool = pool
        with self.engine.writer(batch_size=self.batch_size) as writer:
            self.writer = writer
            try:
                for feed in feeds:
                    if not feed.source.is_local:
                        self.submit(feed, feed.source.url, feed.state, conditional=not backfill)
                for feed in feeds:
                    if feed.source.is_local:
                        self.read_local(feed)
                while pool.pending:
                    done = pool.next()
                    self.arrived(feeds[done.key], done)
            finally:
                pool.close()
                del self.writer
        # The writer committed on exit: the remaining states can be saved.
        self.save_states()

    def maybe_commit(self, *, force: bool = False) -> None:
        due = self.uncommitted >= self.batch_size or (
            time.monotonic() - self.last_commit >= COMMIT_INTERVAL
        )
        if self.uncommitted and (due or force):
            self.writer.commit()
            self.uncommitted = 0
            self.last_commit = time.monotonic()
        if not self.uncommitted:
            self.save_states()

    def save_states(self) -> None:
        if not self.pending:
            return
        for url, state in self.pending.items():
            self.store.put(url, state)
        self.pending.clear()
        try:
            self.store.save()
        except OSError as exc:
            logger.warning("cannot save the feed state in %s: %s", self.store.path, exc)

    # -- fetching (in the pool's threads) ---------------------------------------------------

    def submit(
        self, feed: FeedRun, url: str, state: FeedState, *, conditional: bool, force: bool = False
    ) -> None:
        """Queue the fetch of `url` for `feed`; it fills `state` in a pool thread."""
        target = state.permanent_url or url
        host = host_key(target)
        # A feed's credentials go to its own site only, also for the older pages it links to.
        headers = feed.source.request_headers() if same_site(feed.source.url, url) else {}

        def job() -> FetchResult:
            if not self.force:
                with self.host_lock:
                    until = self.host_waits.get(host)
                if until is not None and until > datetime.now(UTC):
                    raise HostBusy(public_feed_url(url), host, until)
            try:
                with feed_trouble(url):
                    return fetch(
                        self.client,
                        url,
                        state,
                        max_bytes=self.settings.max_feed_bytes,
                        force=self.force or force,
                        conditional=conditional,
                        now=self.now,
                        headers=headers,
                    )
            except FeedError:
                until = state.wait_until()
                if state.last_status == 429 and until is not None:
                    with self.host_lock:
                        self.host_waits[host] = until
                raise

        self.pool.submit(feed.index, target, job)

    # -- reading (in this thread) -----------------------------------------------------------

    def arrived(self, feed: FeedRun, done: Done) -> None:
        """A fetch of `feed` finished: parse and store it, then go on or finish the feed."""
        error = done.error
        if error is not None and not isinstance(error, FeedError | FeedSkipped):
            raise error  # the whole run's trouble (or a bug), not this feed's
        if feed.page == 1:
            self.first_page(feed, done.value, error)
        else:
            older_page(self, feed, done.value, error)

    def first_page(
        self, feed: FeedRun, result: FetchResult | None, error: BaseException | None
    ) -> None:
        report = feed.report
        try:
            if isinstance(error, HostBusy):
                report.status = "skipped"
                report.reason = Message(
                    N_(
                        "{host} asked us to slow down (HTTP 429 on another of its feeds) "
                        "until {time} UTC"
                    ),
                    host=error.host,
                    time=f"{error.until:%Y-%m-%d %H:%M}",
                )
            elif isinstance(error, FeedSkipped):
                report.status = "skipped"
                report.reason = Message(
                    N_("not due before {time} UTC (--force to fetch)"),
                    time=f"{error.until:%Y-%m-%d %H:%M}",
                )
            elif error is not None:
                raise error
            elif result is not None and result.not_modified:
                report.status = "not-modified"
            elif result is not None and result.content is not None:
                parsed = self.parse(
                    result.content,
                    feed.source,
                    content_type=result.headers.get("content-type", ""),
                    base_url=result.url,
                )
                report.pages = report.last_page = 1
                self.store_articles(feed, parsed)
                walking = start_walk(self, feed, parsed)
                self.progress(feed)
                if walking:
                    return
        except FeedError as exc:
            report.status = "failed"
            report.reason = exc.reason
        self.finish(feed)

    def read_local(self, feed: FeedRun) -> None:
        source = feed.source
        assert source.path is not None
        try:
            try:
                size = source.path.stat().st_size
                if size > self.settings.max_feed_bytes:
                    raise FeedError(
                        source.url,
                        Message(
                            N_("file too large: {size} bytes (limit {limit})"),
                            size=size,
                            limit=self.settings.max_feed_bytes,
                        ),
                    )
                data = source.path.read_bytes()
            except OSError as exc:
                raise FeedError(
                    source.url,
                    Message(N_("cannot read: {reason}"), reason=str(exc.strerror or exc)),
                ) from exc
            parsed = self.parse(data, source, base_url=source.path.resolve().as_uri())
            feed.report.pages = feed.report.last_page = 1
            self.store_articles(feed, parsed)
            self.progress(feed)
        except FeedError as exc:
            feed.report.status = "failed"
            feed.report.reason = exc.reason
        self.finish(feed)

    def parse(
        self, data: bytes, source: Source, *, content_type: str = "", base_url: str = ""
    ) -> ParsedFeed:
        with feed_trouble(source.url):
            return parse_feed(
                data,
                url=source.url,
                name=source.name,
                tags=source.tags,
                content_type=content_type,
                base_url=base_url,
                now=self.now,
                first_seen=self.first_seen,
                tracking_params=self.settings.tracking_params,
            )

    def first_seen(self, article_id: str) -> datetime | None:
        stored = self.engine.get(article_id)
        return stored.published if stored is not None else None

    def store_articles(self, feed: FeedRun, parsed: ParsedFeed) -> None:
        report, state = feed.report, feed.state
        report.entries += len(parsed.articles)
        for warning in parsed.warnings:
            if warning not in report.warnings:
                report.warnings.append(warning)
        for article in parsed.articles:
            if article.id in self.owners or self.owned_elsewhere(article):
                report.duplicates += 1
                continue
            self.owners[article.id] = article.feed_url
            status = self.writer.upsert(article)
            setattr(report, status, getattr(report, status) + 1)
            if status != "unchanged":
                self.uncommitted += 1
        if parsed.site:
            state.site = public_link(parsed.site, feed.source.secrets)
        if parsed.articles and feed.page == 1:
            published_as = parsed.articles[0].feed_url
            state.articles_url = published_as if published_as != feed.source.url else ""
        # Its state now waits for the commit of these articles.
        self.pending[feed.source.url] = state

    def owned_elsewhere(self, article: Article) -> bool:
        """True when the article was indexed from another feed that this run also reads: it
        stays that feed's, whichever of the two arrives first (no flip from run to run)."""
        if len(self.run_feeds) < 2:
            return False
        stored = self.engine.get(article.id)
        return (
            stored is not None
            and stored.feed_url != article.feed_url
            and stored.feed_url in self.run_feeds
        )

    def progress(self, feed: FeedRun) -> None:
        if self.on_page is not None:
            self.on_page(feed.report)

    def finish(self, feed: FeedRun) -> None:
        report, state = feed.report, feed.state
        # Whatever a server or a library said, the feed's secrets do not reach the report
        # (nor the health table, which shows `last_error`).
        secrets = feed.source.secrets
        report.reason = scrub(report.reason, secrets)
        report.warnings = [scrub(warning, secrets) for warning in report.warnings]
        report.seconds = time.monotonic() - feed.started
        state.last_attempt = datetime.now(UTC).isoformat(timespec="seconds")
        state.last_result = report.status
        state.last_error = report.reason if report.failed else ""
        failure = report.reason if report.failed and isinstance(report.reason, Message) else None
        state.last_error_message = failure.to_json() if failure is not None else {}
        self.pending[feed.source.url] = state
        if self.on_feed is not None:
            self.on_feed(report)
        self.maybe_commit()


@contextmanager
def feed_trouble(url: str) -> Iterator[None]:
    """Turn a surprise from a library on hostile input into this feed's one-line failure.

    Our own errors pass through: FeedError (the feed's), FeedSkipped, and other FouilleErrors
    (the whole run's, such as a locked index).
    """
    try:
        yield
    except (FouilleError, FeedSkipped):
        raise
    except Exception as exc:
        shown = public_feed_url(url)
        logger.debug("unexpected error on %s", shown, exc_info=True)
        raise FeedError(
            shown,
            Message(
                N_("unexpected error: {kind}: {error}"),
                kind=type(exc).__name__,
                error=one_line(exc),
            ),
        ) from exc


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, at most 200 characters."""
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__
