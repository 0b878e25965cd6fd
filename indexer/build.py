"""The reindex: fetch every source, parse it, upsert its articles, and report what happened.

A broken feed is reported and the others go on. Articles that left a feed stay in the index.
Commits happen every `batch_size` changes, after each backfill page and at the end. A feed's
fetch state (ETag, Last-Modified, redirects, delays) is saved only once its articles are
committed, so an interrupted run never leaves a feed marked "seen" with its articles lost.
"""

from __future__ import annotations

import copy
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from search import Article, Engine, FeedError, FouilleError, Settings
from search.urls import public_feed_url, scrub

from .feeds import ParsedFeed, parse_feed
from .fetch import FeedSkipped, FeedState, FeedStateStore, fetch, make_client
from .sources import Source, resolve_sources

logger = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 50
#: Commit at a feed boundary at least this often during a long run (seconds).
COMMIT_INTERVAL = 30.0
STATUSES = ("new", "updated", "unchanged")


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


class _Run:
    """One pass over the sources with one writer."""

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
        self.seen_ids: set[str] = set()
        #: Feed states waiting for the commit that makes their articles durable.
        self.pending: dict[str, FeedState] = {}
        self.uncommitted = 0
        self.last_commit = time.monotonic()

    def all(
        self,
        sources: Sequence[Source],
        *,
        backfill: bool,
        max_pages: int,
        on_feed: Callable[[FeedReport], None] | None,
        report: Report,
    ) -> None:
        with self.engine.writer(batch_size=self.batch_size) as writer:
            self.writer = writer
            try:
                for source in sources:
                    feed_report = self.feed(source, backfill=backfill, max_pages=max_pages)
                    report.feeds.append(feed_report)
                    if on_feed is not None:
                        on_feed(feed_report)
                    self.maybe_commit()
            finally:
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

    # -- one feed ---------------------------------------------------------------------------

    def feed(self, source: Source, *, backfill: bool, max_pages: int) -> FeedReport:
        report = FeedReport(source.public_url, source.name or source.display)
        started = time.monotonic()
        try:
            parsed: ParsedFeed | None
            if source.is_local:
                parsed = self.read_local(source)
            else:
                parsed = self.fetch_remote(source, report, conditional=not backfill)
            if parsed is not None:
                report.pages = 1
                self.store_articles(parsed, report)
                # The first page is the live feed: even when it is all known, older pages may
                # not be (the first backfill of a feed followed for a while).
                if backfill and not source.is_local and max_pages > 1:
                    self.backfill(source, parsed, report, max_pages=max_pages)
        except FeedError as exc:
            report.status = "failed"
            report.reason = exc.reason
        # Whatever a server or a library said, the feed's secrets do not reach the report.
        secrets = source.secrets
        report.reason = scrub(report.reason, secrets)
        report.warnings = [scrub(warning, secrets) for warning in report.warnings]
        report.seconds = time.monotonic() - started
        return report

    def read_local(self, source: Source) -> ParsedFeed:
        assert source.path is not None
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
        return self.parse(data, source, base_url=source.path.resolve().as_uri())

    def fetch_remote(
        self, source: Source, report: FeedReport, *, conditional: bool
    ) -> ParsedFeed | None:
        state = copy.copy(self.store.get(source.url))
        self.pending[source.url] = state
        try:
            with _feed_trouble(source.url):
                result = fetch(
                    self.client,
                    source.url,
                    state,
                    max_bytes=self.settings.max_feed_bytes,
                    force=self.force,
                    conditional=conditional,
                    now=self.now,
                    headers=source.request_headers(),
                )
        except FeedSkipped as exc:
            report.status = "skipped"
            report.reason = f"not due before {exc.until:%Y-%m-%d %H:%M} UTC (--force to fetch)"
            return None
        if result.not_modified:
            report.status = "not-modified"
            return None
        assert result.content is not None
        return self.parse(
            result.content,
            source,
            content_type=result.headers.get("content-type", ""),
            base_url=result.url,
        )

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

    def store_articles(self, parsed: ParsedFeed, report: FeedReport) -> None:
        report.entries += len(parsed.articles)
        for warning in parsed.warnings:
            if warning not in report.warnings:
                report.warnings.append(warning)
        for article in parsed.articles:
            if article.id in self.seen_ids:
                report.duplicates += 1
                continue
            self.seen_ids.add(article.id)
            status = self.writer.upsert(article)
            setattr(report, status, getattr(report, status) + 1)
            if status != "unchanged":
                self.uncommitted += 1

    # -- history ----------------------------------------------------------------------------

    def backfill(
        self, source: Source, first: ParsedFeed, report: FeedReport, *, max_pages: int
    ) -> None:
        """Read older pages until one brings nothing new, fails, or `max_pages` is reached."""
        rfc5005 = bool(_archive_link(first))
        wordpress = not rfc5005 and _is_wordpress(first, source.url)
        if not (rfc5005 or wordpress):
            report.warnings.append("backfill: the feed links to no older pages")
            return
        # Every page is committed as soon as it is read: an interrupted backfill keeps them all.
        self.maybe_commit(force=True)
        visited = {source.url}
        page = first
        number = 1
        while report.pages < max_pages:
            number += 1
            url = _archive_link(page) if rfc5005 else with_query(source.url, paged=str(number))
            if not url or url in visited:
                report.warnings.append(f"backfill: no page after page {report.pages}")
                return
            visited.add(url)
            try:
                with _feed_trouble(url):
                    result = fetch(
                        self.client,
                        url,
                        FeedState(),
                        max_bytes=self.settings.max_feed_bytes,
                        force=True,
                        now=self.now,
                        headers=source.request_headers(),
                    )
                assert result.content is not None
                page = self.parse(
                    result.content,
                    source,
                    content_type=result.headers.get("content-type", ""),
                    base_url=result.url,
                )
            except FeedError as exc:
                # Running past the last WordPress page ends in a 404: that is the normal end.
                report.warnings.append(f"backfill stopped at page {number}: {exc.reason}")
                return
            report.pages += 1
            before = report.new + report.updated
            self.store_articles(page, report)
            if report.new + report.updated == before:
                report.warnings.append(f"backfill: page {number} brought nothing new")
                return
            self.maybe_commit(force=True)
        report.warnings.append(f"backfill: stopped at --max-pages {max_pages}")


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
