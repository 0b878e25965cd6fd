"""What the archive holds of each feed: articles and their date range (the feeds' health
table of `fouille feeds` and `/feeds`)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from . import urls
from .documents import MIN_DATE
from .postings import IndexArrays
from .results import FeedStats


def per_feed(arrays: IndexArrays) -> list[FeedStats]:
    """Per feed, how many articles the archive holds and their date range, ordered by URL.

    Feeds are named by their public address and title (`search.urls`), as hits name them:
    articles indexed before issue 13 under a feed's secret address add up with those
    indexed since under its public one.
    """
    live = arrays.live_docs()
    if not len(live) or not arrays.feeds:
        return []
    codes = arrays.feed_of[live]
    dates = arrays.published[live]
    size = len(arrays.feeds)
    counts = np.bincount(codes, minlength=size)
    oldest = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    newest = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(oldest, codes, dates)
    np.maximum.at(newest, codes, dates)
    merged: dict[str, FeedStats] = {}
    for code, (url, title) in enumerate(arrays.feeds):
        if not url or not counts[code]:
            continue
        stats = FeedStats(
            feed_url=urls.public_feed_url(url),
            title=urls.public_label(title, url),
            articles=int(counts[code]),
            oldest=_from_us(int(oldest[code])),
            newest=_from_us(int(newest[code])),
        )
        merged[stats.feed_url] = _add_stats(merged.get(stats.feed_url), stats)
    return sorted(merged.values(), key=lambda stats: stats.feed_url)


def _add_stats(known: FeedStats | None, more: FeedStats) -> FeedStats:
    """Two rows of one feed (stored under its old and its public address) as one; the name
    is the one of the most recent articles."""
    if known is None:
        return more
    newer = more if (more.newest or MIN_DATE) > (known.newest or MIN_DATE) else known
    return FeedStats(
        feed_url=known.feed_url,
        title=newer.title,
        articles=known.articles + more.articles,
        oldest=min(d for d in (known.oldest, more.oldest) if d is not None)
        if known.oldest or more.oldest
        else None,
        newest=newer.newest,
    )


def _from_us(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1e6, UTC)
