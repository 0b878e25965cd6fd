"""Changing the feeds followed: add one (finding the feed of an HTML page), remove one (and
its articles), import and export OPML. The list lives in `feeds.toml` (`indexer.feedlist`);
feeds of `fouille.toml` are the user's to edit, and are never written here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from search import ConfigError, Engine, FeedError, FeedStats, IndexNotFoundError, Settings
from search.i18n import N_, Message
from search.urls import public_feed_url, public_link, url_secrets

from .discover import FeedLink, decode_html, discover
from .feedlist import FeedList, ManagedFeed
from .feeds import NAMES_ITS_FEED, ParsedFeed, parse_feed
from .fetch import FeedState, FeedStateStore, FetchResult, fetch, make_client
from .opml import OpmlFeed, read_opml, write_opml
from .sources import CONFIGURED, DEFAULT, Source, followed, is_url


@dataclass(frozen=True)
class FoundFeed:
    """A feed found at a URL: directly, or named by the HTML page there (`page`)."""

    url: str
    title: str
    site: str
    entries: int
    #: The HTML page it was found on ("" when the URL given was the feed's).
    page: str = ""
    #: The other feeds the page names (comments, categories…).
    others: tuple[FeedLink, ...] = ()


@dataclass(frozen=True)
class Removed:
    """What `remove_feed` did: the feed left the list (or was not in it), articles purged."""

    url: str
    name: str
    listed: bool
    purged: int


@dataclass(frozen=True)
class Imported:
    """What `import_opml` did."""

    title: str
    added: list[ManagedFeed]
    #: Feeds of the file that were followed already.
    already: int
    #: Outlines that could not be followed, with why.
    skipped: list[str]


def find_feed(settings: Settings, url: str, *, client: httpx.Client | None = None) -> FoundFeed:
    """The feed at `url`, or else the first feed the HTML page at `url` names in a
    `<link rel="alternate">` (RSS, Atom or JSON Feed; a relative address is resolved).

    Raises:
        FeedError: neither a feed nor a page naming one that can be read (naming it by its
            public address).
    """
    if not is_url(url):
        raise FeedError(public_feed_url(url), Message(N_("not an http(s) URL")))
    http = client or make_client(settings)
    try:
        result = _get(http, settings, url)
        try:
            parsed = _parse(result, url)
            return FoundFeed(url, parsed.title, _site(parsed.site, url), len(parsed.articles))
        except FeedError as exc:
            assert result.content is not None
            content_type = result.headers.get("content-type", "")
            links = discover(decode_html(result.content, content_type), result.url)
            if not links:
                raise FeedError(
                    public_feed_url(url),
                    Message(
                        N_(
                            "{reason}, and it names no feed "
                            '(no <link rel="alternate"> to RSS, Atom or JSON Feed)'
                        ),
                        reason=_what_it_is(exc.reason),
                    ),
                ) from exc
        first = links[0]
        parsed = _parse(_get(http, settings, first.url), first.url)
        return FoundFeed(
            first.url,
            parsed.title,
            _site(parsed.site or url, url, first.url),
            len(parsed.articles),
            page=url,
            others=tuple(links[1:]),
        )
    finally:
        if client is None:
            http.close()


def _get(client: httpx.Client, settings: Settings, url: str) -> FetchResult:
    result = fetch(client, url, FeedState(), max_bytes=settings.max_feed_bytes, force=True)
    if result.content is None:  # no conditional header was sent: a 304 is the server's bug
        raise FeedError(
            public_feed_url(url), Message(N_("HTTP 304 without a cached copy to reuse"))
        )
    return result


def _what_it_is(reason: str) -> str:
    """What a failed feed's reason says the page is, without what follows a `;`."""
    if isinstance(reason, Message):
        if reason.template == NAMES_ITS_FEED:
            return _what_it_is(str(reason.params["page"]))
        return reason if ";" not in reason else reason.split(";")[0]
    return reason.split(";")[0]


def _site(site: str, *urls: str) -> str:
    """A feed's site as kept and shown: without the secrets of the addresses it was found
    through (a key given in the page's or the feed's URL)."""
    secrets: set[str] = set()
    for url in urls:
        secrets |= url_secrets(url)
    return public_link(site, secrets)


def _parse(result: FetchResult, url: str) -> ParsedFeed:
    assert result.content is not None
    return parse_feed(
        result.content,
        url=url,
        content_type=result.headers.get("content-type", ""),
        base_url=result.url,
    )


def following(settings: Settings, url: str, *, shown: bool = True) -> Source | None:
    """The followed feed `url` names, if any: its URL, or (with `shown`) the public address
    `fouille feeds` shows of it.

    Raises:
        ConfigError: `url` is the public address of several followed feeds (their URLs
            differ only by their query string), or `feeds.toml` is damaged.
    """
    sources = followed(settings)
    for source in sources:
        if source.url == url:
            return source
    if not shown:
        return None
    same = [source for source in sources if source.public_url == url]
    if len(same) > 1:
        raise ConfigError(
            N_(
                "{url} is the address of {count} followed feeds (their URLs differ by their "
                "query string): name the one you mean by its whole URL"
            ),
            url=url,
            count=len(same),
        )
    return same[0] if same else None


def add_feed(
    settings: Settings,
    url: str,
    *,
    name: str = "",
    tags: Sequence[str] = (),
    site: str = "",
) -> tuple[ManagedFeed, Source | None]:
    """Follow `url`: add it to `feeds.toml`, unless it is followed already.

    Returns:
        The feed, and the followed feed it already was (None when it was added).

    Raises:
        ConfigError: `feeds.toml` is damaged.
    """
    feed = ManagedFeed(
        url=url,
        name=" ".join(name.split()),
        tags=_tags(tags),
        site=site,
        added=_now(),
    )
    with FeedList.in_index(settings.index_dir).editing() as feeds:
        known = following(settings, url, shown=False)
        if known is not None and known.origin != DEFAULT:
            return feed, known
        feeds.append(feed)
    return feed, None


def remove_feed(settings: Settings, url: str, *, purge: bool = False) -> Removed:
    """Stop following `url` (a feed of `feeds.toml`), forget its fetch state and, with
    `purge`, delete its articles from the index. With `purge`, a feed no longer followed
    may be named too, to delete what the archive still holds of it.

    Articles carry their feed's public address (`search.urls`): with `purge`, a feed that
    shares it with another followed feed (their URLs differ only by their query string) is
    refused, as their articles cannot be told apart.

    Everything happens under the reindex lock: no reindex can bring the articles back
    half-way.

    Raises:
        ConfigError: the feed is listed in the config file (or is the built-in default), is
            neither followed nor (with `purge`) in the archive, or (with `purge`) shares its
            public address with another followed feed.
        IndexLockedError: a reindex is running (nothing was changed).
    """
    source = following(settings, url)
    if source is not None and source.origin in (CONFIGURED, DEFAULT):
        where = settings.config_file or "FOUILLE_FEEDS"
        if source.origin == DEFAULT:
            raise ConfigError(
                N_(
                    "{url} is the built-in default feed, read only while no "
                    "other feed is followed: add yours with `fouille feeds add URL`"
                ),
                url=public_feed_url(source.url),
            )
        raise ConfigError(
            N_(
                "{url} is listed in {where}: remove it there (Fouille never "
                "writes your config file), then `fouille feeds remove --purge` deletes its "
                "articles"
            ),
            url=public_feed_url(source.url),
            where=str(where),
        )
    target = source.url if source is not None else url
    if purge:
        shown = public_feed_url(target)
        if any(s.url != target and s.public_url == shown for s in followed(settings)):
            raise ConfigError(
                N_(
                    "{url} is also the address of another followed feed (their URLs differ by "
                    "their query string), and their articles cannot be told apart: --purge "
                    "would delete both; remove it without --purge"
                ),
                url=shown,
            )
    try:
        engine: Engine | None = Engine.open(settings)
    except IndexNotFoundError:
        engine = None
    try:
        with engine.locked() if engine is not None else nullcontext():
            purged = _purge(settings, engine, target) if purge and engine is not None else 0
            if source is None and not purged and purge:
                raise ConfigError(
                    N_(
                        "{url} is neither a followed feed nor in the archive: "
                        "`fouille feeds` lists them"
                    ),
                    url=public_feed_url(url),
                )
            if source is None and not purged:
                raise ConfigError(
                    N_(
                        "{url} is not a followed feed: `fouille feeds` lists them "
                        "(--purge deletes what the archive holds of one no longer followed)"
                    ),
                    url=public_feed_url(url),
                )
            if source is not None:
                with FeedList.in_index(settings.index_dir).editing() as feeds:
                    feeds[:] = [f for f in feeds if f.url != source.url]
            store = FeedStateStore.in_index(settings.index_dir)
            if store.forget(target):
                store.save()
    finally:
        if engine is not None:
            engine.close()
    name = source.name if source is not None else ""
    return Removed(public_feed_url(target), name, source is not None, purged)


def _purge(settings: Settings, engine: Engine, url: str) -> int:
    """Delete the articles of the feed followed as `url`: they carry its public address (a
    local file's, the address it publishes: its state remembers which)."""
    stats = {s.feed_url for s in engine.feeds()}
    state = FeedStateStore.in_index(settings.index_dir).known(url)
    published = state.articles_url if state else ""
    wanted = {public_feed_url(url), public_feed_url(published) if published else ""}
    return sum(engine.delete_articles(feed_url=feed_url) for feed_url in wanted & stats)


def import_opml(settings: Settings, data: bytes) -> Imported:
    """Follow every feed of an OPML document that is not followed yet; its folders and
    categories become the feed's tags, its title the feed's name.

    Raises:
        OpmlError: not a readable OPML document.
        ConfigError: `feeds.toml` is damaged, or would pass its limit.
    """
    document = read_opml(data)
    followed_urls = {s.url for s in followed(settings) if s.origin != DEFAULT}
    added: list[ManagedFeed] = []
    already = 0
    with FeedList.in_index(settings.index_dir).editing() as feeds:
        listed = {f.url for f in feeds} | followed_urls
        for item in document.feeds:
            if item.url in listed:
                already += 1
                continue
            listed.add(item.url)
            feed = ManagedFeed(item.url, item.title, item.tags, item.site, _now())
            feeds.append(feed)
            added.append(feed)
    return Imported(document.title, added, already, document.skipped)


def export_opml(
    settings: Settings, stats: Iterable[FeedStats] = (), *, include_secrets: bool = False
) -> tuple[str, int]:
    """The followed web feeds as OPML 2.0 (local files are left out).

    Args:
        stats: `Engine.feeds()`, for the names of feeds that have none of their own.
        include_secrets: write the feeds' URLs and sites as they are, secrets included (else
            their public addresses: no user info, no query; see search.urls).

    Returns:
        The document, and how many URLs were written as their public address instead.

    Raises:
        ConfigError: `feeds.toml` is damaged.
    """
    titles = {s.feed_url: s.title for s in stats}
    store = FeedStateStore.in_index(settings.index_dir)
    sites = {f.url: f.site for f in FeedList.in_index(settings.index_dir).load()}
    items = []
    masked = 0
    for source in followed(settings):
        if source.is_local:
            continue
        url = source.url if include_secrets else source.public_url
        masked += url != source.url
        state = store.known(source.url)
        site = sites.get(source.url) or (state.site if state else "")
        items.append(
            OpmlFeed(
                url=url,
                title=source.name or titles.get(source.public_url, ""),
                site=site if include_secrets else public_link(site, source.secrets),
                tags=source.tags,
            )
        )
    return write_opml(items, title="Fouille : flux suivis"), masked


def _tags(tags: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out = []
    for tag in tags:
        label = " ".join(str(tag).split())
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            out.append(label)
    return tuple(out)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


__all__ = [
    "FoundFeed",
    "Imported",
    "Removed",
    "add_feed",
    "export_opml",
    "find_feed",
    "following",
    "import_opml",
    "remove_feed",
]
