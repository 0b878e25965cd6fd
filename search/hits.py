"""From matching documents to what a front end shows: ranking, hits, related articles.

`Engine` calls these with the view of the committed state it searches: they read stored
fields and index arrays, and never change anything.
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np

from . import explain, scoring, urls
from .analysis import analyze
from .documents import MIN_DATE, aware
from .plan import Any as AnyOf
from .plan import Compiled, PlanNode, Stems, any_words
from .postings import IndexArrays
from .query import Node
from .reading import View
from .results import Explanation, Facets, Hit, Version
from .sets import Matches, top
from .snippets import highlight, make_snippet
from .vocabulary import Vocabulary

#: Distinctive words of an article that find its related articles.
RELATED_WORDS = 12


def ranked(
    arrays: IndexArrays, found: Matches, sort: str, limit: int, half_life_days: float
) -> list[tuple[int, float]]:
    """The first `limit` (document, score) pairs of `found` in the order of `sort`."""
    if sort == "date":
        return top(found, limit, key=arrays.published[found.docs])
    if not len(found):
        return []
    if sort == "fresh":
        found = Matches(found.docs, fresh_scores(arrays, found, half_life_days))
    if not found.scores.any():
        # Only filters or field clauses: nothing to rank by, so the newest first.
        return top(found, limit, key=arrays.published[found.docs])
    return top(found, limit)


def fresh_scores(arrays: IndexArrays, found: Matches, half_life_days: float) -> np.ndarray:
    """The scores of `found` with the freshness factor of the "fresh" sort applied."""
    now = int(time.time() * 1e6)
    return scoring.freshness(found.scores, arrays.published[found.docs], now, half_life_days)


def make_hit(
    view: View,
    docnum: int,
    score: float,
    pattern: Any,
    versions: tuple[list[int], int] | None = None,
) -> Hit:
    """The hit of a document, its snippet and title highlighted with `pattern`;
    `versions`: its near-duplicates, as `search.duplicates.collapse` gives them."""
    stored = view.stored(docnum)
    body = stored.get("body") or stored.get("summary") or ""
    # Articles indexed before issue 13 may hold their feed's secret address: what a hit
    # shows is cleaned here, whatever the index holds.
    feed = _public_feed(stored.get("feed_url") or "", stored.get("feed_title") or "")
    twins: tuple[Version, ...] = ()
    count = 1
    if versions is not None:
        others, count = versions
        twins = tuple(sorted((version(view, d) for d in others), key=lambda v: v.published))
        count += 1
    return Hit(
        id=urls.scrub(stored["id"], feed.secrets),
        url=urls.public_link(stored.get("url") or "", feed.secrets),
        title=stored.get("title") or "",
        author=stored.get("author") or "",
        published=aware(stored.get("published")) or MIN_DATE,
        updated=aware(stored.get("updated")),
        tags=tuple(stored.get("tags") or ()),
        feed=feed.label,
        feed_url=feed.url,
        score=float(score),
        snippet=make_snippet(body, pattern),
        title_snippet=highlight(stored.get("title") or "", pattern),
        versions=twins,
        version_count=count,
    )


class _PublicFeed:
    """What hits show of a feed: its name and address without its secrets, and the secrets
    to take out of its articles' ids and links."""

    __slots__ = ("label", "secrets", "url")

    def __init__(self, feed_url: str, feed_title: str) -> None:
        self.secrets = urls.url_secrets(feed_url)
        self.label = urls.public_label(feed_title, feed_url)
        self.url = urls.public_feed_url(feed_url)


#: A page shows a dozen articles of a few feeds: each feed's public view is made once.
_public_feed = lru_cache(maxsize=256)(_PublicFeed)


def find(view: View, article_id: str) -> int | None:
    """The document number of the live article whose id, as hits show it, is `article_id`.

    An id holding its feed's secret is shown masked (`search.urls.scrub`): such an id is
    found among the articles of the feeds that have a secret.
    """
    docnum: int | None = view.searcher.document_number(id=article_id)
    if docnum is not None or urls.MASK not in article_id:
        return docnum
    arrays = view.state.arrays
    secret = [code for code, (url, _) in enumerate(arrays.feeds) if urls.url_secrets(url)]
    if not secret:
        return None
    for doc in np.flatnonzero(np.isin(arrays.feed_of, secret)).tolist():
        if not arrays.alive(np.array([doc]))[0]:
            continue
        stored = view.stored(doc)
        secrets = urls.url_secrets(stored.get("feed_url") or "")
        if urls.scrub(stored.get("id") or "", secrets) == article_id:
            return int(doc)
    return None


def related(view: View, docnum: int, limit: int) -> list[tuple[int, float]]:
    """Articles related to a document: those sharing its most distinctive words, best
    first (the document itself left out)."""
    stored = view.stored(docnum)
    text = f"{stored.get('title', '')}\n{stored.get('body') or stored.get('summary') or ''}"
    arrays = view.state.arrays
    counts: dict[str, int] = {}
    for _, term, _, _ in analyze(text[:100_000]):
        counts[term] = counts.get(term, 0) + 1
    weights = []
    for term, tf in counts.items():
        df = arrays.doc_frequency(scoring.STEMMED[0], term)
        if df > 1:  # a word no other article has relates to nothing
            weights.append((tf * scoring.idf(df, arrays.count), term))
    weights.sort(reverse=True)
    plan = AnyOf(tuple(Stems((term,)) for _, term in weights[:RELATED_WORDS]))
    found = view.matcher().run(plan)
    return [(d, s) for d, s in top(found, limit + 1) if d != docnum][:limit]


#: Versions remembered per committed state (a few hundred bytes each).
VERSION_CACHE = 4096


def version(view: View, docnum: int) -> Version:
    """A near-duplicate of a hit, as the hit lists it."""
    cache = view.state.versions
    found: Version | None = cache.get(docnum)
    if found is not None:
        return found
    # Its card when its segment has one: a tenth of the time of its stored fields.
    found = listed(view.state.arrays.card(docnum) or view.stored(docnum))
    if len(cache) >= VERSION_CACHE:
        cache.clear()
    cache[docnum] = found
    return found


def listed(fields: dict[str, Any]) -> Version:
    """A near-duplicate as a hit lists it, from its stored fields or its card (the same
    version either way)."""
    feed = _public_feed(fields.get("feed_url") or "", fields.get("feed_title") or "")
    return Version(
        id=urls.scrub(fields["id"], feed.secrets),
        url=urls.public_link(fields.get("url") or "", feed.secrets),
        title=fields.get("title") or "",
        feed=feed.label,
        published=aware(fields.get("published")) or MIN_DATE,
    )


def explained(
    recorder: explain.Recorder,
    plan: PlanNode,
    tree: Node | None,
    found: Matches,
    window: list[tuple[int, float]],
    shown: tuple[Hit, ...],
    sort: str,
    vocabulary: Vocabulary,
) -> tuple[Hit, ...]:
    """The hits of `window` with why they matched, read off the recorded evaluation of
    `plan` that ranked them (`search.explain`)."""
    docs = [doc for doc, _ in window]
    at = np.searchsorted(found.docs, docs)
    relevance = {doc: float(found.scores[i]) for doc, i in zip(docs, at.tolist(), strict=True)}
    why = explain.explanations(
        recorder, plan, tree, window, relevance, fresh=sort == "fresh", vocabulary=vocabulary
    )
    return tuple(
        replace(hit, explanation=why[doc]) for hit, (doc, _) in zip(shown, window, strict=True)
    )


def public_feeds(found: Facets) -> Facets:
    """The feed facet with feed names as `Hit.feed` shows them (no secret address); names
    that become equal (one feed stored under its old and its public address) add up."""
    counts: dict[str, int] = {}
    for name, count in found.feeds:
        label = urls.public_feed_url(name) if "://" in name else urls.public_host(name)
        counts[label] = counts.get(label, 0) + count
    feeds = tuple(sorted(counts.items(), key=lambda pair: -pair[1]))
    return replace(found, feeds=feeds)


def explain_one(
    view: View,
    docnum: int,
    compiled: Compiled,
    tree: Node,
    sort: str,
    half_life_days: float,
    vocabulary: Vocabulary,
) -> Explanation | None:
    """Why one document matches a query, as a result list sorted by `sort` would explain
    it (None when it does not match, not even some of the words as the fallback list
    shows them): the article page's "Pourquoi ?"."""
    recorder = view.recorder()
    only = np.array([docnum], dtype=np.int32)
    plan = compiled.plan
    found = recorder.run(plan, only)
    if not len(found) and compiled.has_fallback:
        plan = any_words(compiled)
        found = recorder.run(plan, only)
    if not len(found):
        return None
    relevance = float(found.scores[0])
    score = relevance
    if sort == "fresh":
        score = float(fresh_scores(view.state.arrays, found, half_life_days)[0])
    why = explain.explanations(
        recorder, plan, tree, [(docnum, score)], {docnum: relevance}, sort == "fresh", vocabulary
    )
    return why[docnum]
