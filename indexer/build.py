"""The reindex: fetch every source, parse it, upsert its articles, and report what happened.

Feeds are fetched concurrently by a pool that is polite per host (`indexer.pool`), and
parsed and written as they arrive by this thread, the index's only writer. A broken feed is
reported and the others go on; the report lists the feeds in the order they were given.
Articles that left a feed stay in the index. An article in two feeds belongs to the one it
was first indexed from.

Commits happen every `batch_size` changes, after each backfill page and at the end. A feed's
state (ETag, Last-Modified, redirects, delays, health, backfill progress) is saved only once
its articles are committed, so an interrupted run never leaves a feed marked "seen" with its
articles lost, and an interrupted backfill resumes at the page it had not finished.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from search import Article, Engine, FeedError, FouilleError, Settings
from search.urls import public_feed_url, public_link, scrub

from .feeds import ParsedFeed, parse_feed
from .fetch import (
    FeedSkipped,
    FeedState,
    FeedStateStore,
    FetchResult,
    fetch,
    make_client,
    same_site,
)
from .pool import Done, HostPool, host_key
from .sources import Source, resolve_sources

logger = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 50
#: Commit at a feed boundary at least this often during a long run (seconds).
COMMIT_INTERVAL = 30.0
STATUSES = ("new", "updated", "unchanged")
#: The most fetching threads, and connections per host, whatever the settings say.
MAX_WORKERS = 32
MAX_PER_HOST = 2
#: A backfill page answered with one of these is past the oldest page: the walk is complete.
END_STATUSES = frozenset({404, 410})


@dataclass
class FeedReport:
    """What a reindex did with one feed.

    url: the feed's public address (no password, no key: see search.urls).
    status: "ok" (read), "not-modified" (304), "skipped" (the server asked us to wait),
    or "failed" (`reason` says why, in one line).
    """

    url: str
    name: str = ""
    status: str = "ok"
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Entries already taken from another feed during this run (same id).
    duplicates: int = 0
    entries: int = 0
    pages: int = 0
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: The page a `--backfill` resumed at, where the previous one stopped (0: it did not).
    resumed_at: int = 0
    #: The number of the last page read (the live feed is page 1; 0: none was read).
    last_page: int = 0

    @property
    def label(self) -> str:
        """The feed's name, or its URL/path."""
        return self.name or self.url

    @property
    def failed(self) -> bool:
        """True when the feed could not be read."""
        return self.status == "failed"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by `fouille reindex --json`."""
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass
class Report:
    """What a whole reindex did."""

    feeds: list[FeedReport] = field(default_factory=list)
    seconds: float = 0.0
    #: Articles re-analyzed by `--rebuild`, if it ran.
    rebuilt: int | None = None

    @property
    def failed(self) -> list[FeedReport]:
        """The feeds that could not be read."""
        return [f for f in self.feeds if f.failed]

    def totals(self) -> dict[str, int]:
        """Feed and article counts over the whole run."""
        out = {
            "feeds": len(self.feeds),
            "failed": len(self.failed),
            "entries": sum(f.entries for f in self.feeds),
        }
        for status in (*STATUSES, "duplicates"):
            out[status] = sum(getattr(f, status) for f in self.feeds)
        return out

    @property
    def exit_status(self) -> int:
        """0 when every feed was read (or rightly skipped), 1 when some failed."""
        return 1 if self.failed else 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by `fouille reindex --json`."""
        return {
            "feeds": [f.to_dict() for f in self.feeds],
            "totals": self.totals(),
            "rebuilt": self.rebuilt,
            "seconds": round(self.seconds, 3),
        }


def index_articles(
    engine: Engine, articles: Iterable[Article], *, batch_size: int = 500
) -> dict[str, int]:
    """Upsert articles into the index and commit: the code path `fouille reindex` uses.

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
            if rebuild:
                report.rebuilt = engine.rebuild()
            if sources:
                own_client = client is None
                http = client or make_client(settings)
                try:
                    run = _Run(
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


class _HostBusy(FeedSkipped):
    """Another feed of the same host was answered 429 with a Retry-After: leave the host
    alone for the rest of the run."""

    def __init__(self, url: str, host: str, until: datetime) -> None:
        super().__init__(url, until)
        self.host = host


@dataclass
class _Feed:
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


class _Run:
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
            _Feed(
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
        self, feed: _Feed, url: str, state: FeedState, *, conditional: bool, force: bool = False
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
                    raise _HostBusy(public_feed_url(url), host, until)
            try:
                with _feed_trouble(url):
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

    def arrived(self, feed: _Feed, done: Done) -> None:
        """A fetch of `feed` finished: parse and store it, then go on or finish the feed."""
        error = done.error
        if error is not None and not isinstance(error, FeedError | FeedSkipped):
            raise error  # the whole run's trouble (or a bug), not this feed's
        if feed.page == 1:
            self.first_page(feed, done.value, error)
        else:
            self.older_page(feed, done.value, error)

    def first_page(
        self, feed: _Feed, result: FetchResult | None, error: BaseException | None
    ) -> None:
        report = feed.report
        try:
            if isinstance(error, _HostBusy):
                report.status = "skipped"
                report.reason = (
                    f"{error.host} asked us to slow down (HTTP 429 on another of its feeds) "
                    f"until {error.until:%Y-%m-%d %H:%M} UTC"
                )
            elif isinstance(error, FeedSkipped):
                report.status = "skipped"
                report.reason = (
                    f"not due before {error.until:%Y-%m-%d %H:%M} UTC (--force to fetch)"
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
                walking = self.start_walk(feed, parsed)
                self.progress(feed)
                if walking:
                    return
        except FeedError as exc:
            report.status = "failed"
            report.reason = exc.reason
        self.finish(feed)

    def read_local(self, feed: _Feed) -> None:
        source = feed.source
        assert source.path is not None
        try:
            try:
                size = source.path.stat().st_size
                if size > self.settings.max_feed_bytes:
                    raise FeedError(
                        source.url,
                        f"file too large: {size} bytes (limit {self.settings.max_feed_bytes})",
                    )
                data = source.path.read_bytes()
            except OSError as exc:
                raise FeedError(source.url, f"cannot read: {exc.strerror or exc}") from exc
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
        with _feed_trouble(source.url):
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

    def store_articles(self, feed: _Feed, parsed: ParsedFeed) -> None:
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

    def progress(self, feed: _Feed) -> None:
        if self.on_page is not None:
            self.on_page(feed.report)

    def finish(self, feed: _Feed) -> None:
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
        self.pending[feed.source.url] = state
        if self.on_feed is not None:
            self.on_feed(report)
        self.maybe_commit()

    # -- history ----------------------------------------------------------------------------

    def start_walk(self, feed: _Feed, first: ParsedFeed) -> bool:
        """Start reading older pages after the live feed, where the last walk stopped if it
        did not finish; False when there is nothing to walk."""
        source, state, report = feed.source, feed.state, feed.report
        if not self.backfill or source.is_local or self.max_pages <= 1:
            return False
        feed.rfc5005 = bool(_archive_link(first))
        if not (feed.rfc5005 or _is_wordpress(first, source.url)):
            report.warnings.append("backfill: the feed links to no older pages")
            return False
        feed.visited = {source.url}
        if state.backfill_next:
            url, number = state.backfill_next, max(2, state.backfill_resume)
            report.resumed_at = number
        elif feed.rfc5005:
            url, number = _archive_link(first), 2
        else:
            url, number = with_query(source.url, paged="2"), 2
        return self.next_page(feed, url, number)

    def next_page(self, feed: _Feed, url: str, number: int) -> bool:
        """Fetch page `number` at `url` next, once what was read is committed (so that an
        interrupted backfill keeps every page it read, and resumes at this one); False when
        the walk is over."""
        state, report = feed.state, feed.report
        if not url or url in feed.visited:
            report.warnings.append(f"backfill: no page after page {number - 1}")
            self.walk_complete(state)
            return False
        if report.pages >= self.max_pages:
            report.warnings.append(
                f"backfill: stopped at --max-pages {self.max_pages}; "
                f"the next --backfill resumes at page {number}"
            )
            state.backfill_next, state.backfill_resume = url, number
            return False
        feed.visited.add(url)
        state.backfill_next, state.backfill_resume = url, number
        self.pending[feed.source.url] = state
        self.maybe_commit(force=True)
        feed.page = number
        feed.page_state = FeedState()
        self.submit(feed, url, feed.page_state, conditional=False, force=True)
        return True

    def older_page(
        self, feed: _Feed, result: FetchResult | None, error: BaseException | None
    ) -> None:
        source, state, report, number = feed.source, feed.state, feed.report, feed.page
        try:
            if error is not None:
                raise error
            assert result is not None and result.content is not None
            page = self.parse(
                result.content,
                source,
                content_type=result.headers.get("content-type", ""),
                base_url=result.url,
            )
        except (FeedError, FeedSkipped) as exc:
            reason = exc.reason if isinstance(exc, FeedError) else str(exc)
            report.warnings.append(f"backfill stopped at page {number}: {reason}")
            if feed.page_state.last_status in END_STATUSES:
                # Past the last page (WordPress answers 404): the normal end of a walk.
                self.walk_complete(state)
            # Otherwise the next --backfill tries this page again.
            self.finish(feed)
            return
        report.pages += 1
        report.last_page = number
        state.backfill_page = max(state.backfill_page, number)
        before = report.new + report.updated
        self.store_articles(feed, page)
        self.progress(feed)
        if report.new + report.updated == before and state.backfill_end:
            # A walk went to the end before: from a known page on, everything is known.
            report.warnings.append(f"backfill: page {number} brought nothing new")
            state.backfill_next, state.backfill_resume = "", 0
            self.finish(feed)
            return
        url = _archive_link(page) if feed.rfc5005 else with_query(source.url, paged=str(number + 1))
        if not self.next_page(feed, url, number + 1):
            self.finish(feed)

    @staticmethod
    def walk_complete(state: FeedState) -> None:
        state.backfill_end = True
        state.backfill_next, state.backfill_resume = "", 0


@contextmanager
def _feed_trouble(url: str) -> Iterator[None]:
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
        raise FeedError(shown, f"unexpected error: {type(exc).__name__}: {_one_line(exc)}") from exc


def _archive_link(feed: ParsedFeed) -> str:
    """The older page's URL: RFC 5005 paged (`next`) or archived (`prev-archive`) feeds."""
    return feed.links.get("next") or feed.links.get("prev-archive") or ""


def _is_wordpress(feed: ParsedFeed, url: str) -> bool:
    if "wordpress" in feed.generator.lower():
        return True
    return bool(re.search(r"/feed(/(rss2?|atom)?)?/?$", urlsplit(url).path))


def with_query(url: str, **params: str) -> str:
    """`url` with these query parameters set (others kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__
