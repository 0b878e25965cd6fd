"""`--backfill`: reading a feed's older pages after its live one, as far as they go.

Older pages are found through RFC 5005 links (`next` for paged feeds, `prev-archive` for
archived ones; JSON Feed's `next_url` reads as `next`), else WordPress's `?paged=N`. Each
page is fetched through the run's pool and committed before the next one is asked for, and
the feed's state remembers where the walk is (`backfill_next`, `backfill_resume`): a walk
cut short by `--max-pages`, an error or a kill resumes there. Once a walk has reached the
oldest page (`backfill_end`), later ones stop at the first page that brings nothing new.

The functions drive one feed of an `indexer.run.Run`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from search import FeedError
from search.i18n import N_, Message

from .feeds import ParsedFeed
from .fetch import FeedSkipped, FeedState, FetchResult

if TYPE_CHECKING:
    from .run import FeedRun, Run

#: The most pages read per feed and run (the live feed included), unless `--max-pages`.
DEFAULT_MAX_PAGES = 50
#: A backfill page answered with one of these is past the oldest page: the walk is complete.
END_STATUSES = frozenset({404, 410})


def start_walk(run: Run, feed: FeedRun, first: ParsedFeed) -> bool:
    """Start reading older pages after the live feed, where the last walk stopped if it
    did not finish; False when there is nothing to walk."""
    source, state, report = feed.source, feed.state, feed.report
    if not run.backfill or source.is_local or run.max_pages <= 1:
        return False
    feed.rfc5005 = bool(archive_link(first))
    if not (feed.rfc5005 or is_wordpress(first, source.url)):
        report.warnings.append(Message(N_("backfill: the feed links to no older pages")))
        return False
    feed.visited = {source.url}
    if state.backfill_next:
        url, number = state.backfill_next, max(2, state.backfill_resume)
        report.resumed_at = number
    elif feed.rfc5005:
        url, number = archive_link(first), 2
    else:
        url, number = with_query(source.url, paged="2"), 2
    return next_page(run, feed, url, number)


def next_page(run: Run, feed: FeedRun, url: str, number: int) -> bool:
    """Fetch page `number` at `url` next, once what was read is committed (so that an
    interrupted backfill keeps every page it read, and resumes at this one); False when
    the walk is over."""
    state, report = feed.state, feed.report
    if not url or url in feed.visited:
        report.warnings.append(
            Message(N_("backfill: no page after page {number}"), number=number - 1)
        )
        walk_complete(state)
        return False
    if report.pages >= run.max_pages:
        report.warnings.append(
            Message(
                N_(
                    "backfill: stopped at --max-pages {max_pages}; "
                    "the next --backfill resumes at page {number}"
                ),
                max_pages=run.max_pages,
                number=number,
            )
        )
        state.backfill_next, state.backfill_resume = url, number
        return False
    feed.visited.add(url)
    state.backfill_next, state.backfill_resume = url, number
    run.pending[feed.source.url] = state
    run.maybe_commit(force=True)
    feed.page = number
    feed.page_state = FeedState()
    run.submit(feed, url, feed.page_state, conditional=False, force=True)
    return True


def older_page(
    run: Run, feed: FeedRun, result: FetchResult | None, error: BaseException | None
) -> None:
    """An older page of `feed` arrived (or failed): store it, then fetch the next one or
    finish the feed."""
    source, state, report, number = feed.source, feed.state, feed.report, feed.page
    try:
        if error is not None:
            raise error
        assert result is not None and result.content is not None
        page = run.parse(
            result.content,
            source,
            content_type=result.headers.get("content-type", ""),
            base_url=result.url,
        )
    except (FeedError, FeedSkipped) as exc:
        reason = exc.reason if isinstance(exc, FeedError) else exc.message
        report.warnings.append(
            Message(N_("backfill stopped at page {number}: {reason}"), number=number, reason=reason)
        )
        if feed.page_state.last_status in END_STATUSES:
            # Past the last page (WordPress answers 404): the normal end of a walk.
            walk_complete(state)
        # Otherwise the next --backfill tries this page again.
        run.finish(feed)
        return
    report.pages += 1
    report.last_page = number
    state.backfill_page = max(state.backfill_page, number)
    before = report.new + report.updated
    run.store_articles(feed, page)
    run.progress(feed)
    if report.new + report.updated == before and state.backfill_end:
        # A walk went to the end before: from a known page on, everything is known.
        report.warnings.append(
            Message(N_("backfill: page {number} brought nothing new"), number=number)
        )
        state.backfill_next, state.backfill_resume = "", 0
        run.finish(feed)
        return
    url = archive_link(page) if feed.rfc5005 else with_query(source.url, paged=str(number + 1))
    if not next_page(run, feed, url, number + 1):
        run.finish(feed)


def walk_complete(state: FeedState) -> None:
    """The walk reached the oldest page: later ones stop at the first known page."""
    state.backfill_end = True
    state.backfill_next, state.backfill_resume = "", 0


def archive_link(feed: ParsedFeed) -> str:
    """The older page's URL: RFC 5005 paged (`next`) or archived (`prev-archive`) feeds."""
    return feed.links.get("next") or feed.links.get("prev-archive") or ""


def is_wordpress(feed: ParsedFeed, url: str) -> bool:
    """Whether older pages are `?paged=N` (a WordPress feed, by its generator or its path)."""
    if "wordpress" in feed.generator.lower():
        return True
    return bool(re.search(r"/feed(/(rss2?|atom)?)?/?$", urlsplit(url).path))


def with_query(url: str, **params: str) -> str:
    """`url` with these query parameters set (others kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))
