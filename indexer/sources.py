"""Where feeds come from: the config file, the feeds followed by command (`feeds.toml`),
`--feed URL|PATH`, or the bundled sample."""

from __future__ import annotations

import base64
import importlib.resources
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from search import ConfigError, FeedConfig, Settings
from search.i18n import N_
from search.urls import public_feed_url, url_secrets

from .feedlist import FeedList

#: Files taken from a directory given as a feed source. (No .json: directories of saved
#: feeds often hold other JSON; a JSON Feed file is read when named on its own.)
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".rdf", ".feed"})
SAMPLE_RESOURCE = "data/sample.xml"
#: Where a followed feed comes from (`Source.origin`).
CONFIGURED, MANAGED, DEFAULT = "config", "managed", "default"


@dataclass(frozen=True)
class Source:
    """One feed to read: an HTTP(S) URL, or a local file (`path` set).

    `url` is the address as configured, secrets included (it is what is fetched, and the key
    of the feed's state); what is shown of it is `public_url`.
    """

    url: str
    name: str = ""
    tags: tuple[str, ...] = ()
    path: Path | None = None
    #: A shorter way to show it (a file's path relative to the directory it was found in).
    display: str = ""
    #: "config" (fouille.toml, FOUILLE_FEEDS), "managed" (feeds.toml), "default" (the
    #: built-in feed), or "" (named on the command line).
    origin: str = ""
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def __repr__(self) -> str:
        return f"Source({self.public_url!r}, name={self.name!r})"

    @property
    def is_local(self) -> bool:
        """True for a feed file on disk."""
        return self.path is not None

    @property
    def public_url(self) -> str:
        """The address as it may be shown: no user info, no query (see search.urls)."""
        return self.url if self.is_local else public_feed_url(self.url)

    @property
    def label(self) -> str:
        """How the report names this feed."""
        return self.name or self.display or self.public_url

    @property
    def secrets(self) -> frozenset[str]:
        """Every secret this feed is read with: in its URL, its password, its header values."""
        found = set(url_secrets(self.url)) if not self.is_local else set()
        found.update(s for s in (self.username, self.password) if s)
        found.update(value for _, value in self.headers if value)
        auth = self.request_headers().get("Authorization", "")
        if auth:
            found.update((auth, auth.partition(" ")[2]))
        return frozenset(found)

    def request_headers(self) -> dict[str, str]:
        """The headers this feed needs: its configured ones, and HTTP Basic from `username`
        and `password` (user info in the URL is turned into Basic by the fetcher).
        A configured Authorization header wins."""
        headers = dict(self.headers)
        if self.username and not any(name.lower() == "authorization" for name in headers):
            pair = f"{self.username}:{self.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return headers


def is_url(text: str) -> bool:
    """True for an http:// or https:// URL."""
    return text.lower().startswith(("http://", "https://"))


def sample_path() -> Path:
    """The bundled sample feed (package data of `indexer`).

    Raises:
        ConfigError: the sample is missing from this installation.
    """
    resource = importlib.resources.files("indexer").joinpath(SAMPLE_RESOURCE)
    if not resource.is_file():
        raise ConfigError(
            N_("the sample feed ({path}) is missing: reinstall fouille"), path=SAMPLE_RESOURCE
        )
    # Installed packages are plain directories (setup.cfg ships data/*.xml), so this is a path.
    return Path(str(resource))


def resolve_sources(
    settings: Settings,
    feeds: Iterable[str] = (),
    *,
    sample: bool = False,
) -> list[Source]:
    """The feeds a reindex reads.

    `feeds` (from `--feed`) and `sample` replace the followed feeds; with neither, the
    followed feeds are used (see `followed`). A directory stands for every feed file below it.

    Raises:
        ConfigError: a path given on the command line does not exist, there is no feed, or
            the list of managed feeds is damaged.
    """
    sources: list[Source] = []
    configured = {feed.url: feed for feed in settings.feeds}
    for item in feeds:
        if is_url(item):
            # A configured feed named on the command line keeps its name and tags.
            known = configured.get(item)
            sources.append(_from_config(known) if known else Source(item))
            continue
        path = Path(item).expanduser()
        if not path.exists():
            raise ConfigError(
                N_("--feed {path}: no such file or directory (nor an http(s) URL)"), path=item
            )
        sources.extend(_local_sources(path))
    if sample:
        path = sample_path()
        sources.append(Source(str(path.resolve()), "Exemple Fouille", (), path))
    if not feeds and not sample:
        sources.extend(followed(settings))
    if not sources:
        raise ConfigError(
            N_(
                "no feed to read: add one with `fouille feeds add URL`, list it in fouille.toml "
                "([[feeds]]), or pass --feed"
            )
        )
    return _unique(sources)


def followed(settings: Settings) -> list[Source]:
    """The feeds followed: those of the config file (or `FOUILLE_FEEDS`), then those added by
    command (`feeds.toml` in the index directory). The built-in default feed is only read
    while neither lists a feed (and no feed was ever added by command).

    Raises:
        ConfigError: `feeds.toml` is damaged.
    """
    feed_list = FeedList.in_index(settings.index_dir)
    managed = [Source(feed.url, feed.name, feed.tags, origin=MANAGED) for feed in feed_list.load()]
    configured = settings.feeds
    if is_default_feeds(configured) and (managed or feed_list.path.exists()):
        # Feeds managed by command replace the default, even once all are removed.
        configured = ()
    base = settings.config_file.parent if settings.config_file else Path.cwd()
    origin = DEFAULT if is_default_feeds(configured) else CONFIGURED
    sources: list[Source] = []
    for feed in configured:
        sources.extend(_configured(feed, base, origin))
    return _unique([*sources, *managed])


def is_default_feeds(feeds: tuple[FeedConfig, ...]) -> bool:
    """True when `feeds` is the built-in default (nothing configured)."""
    return feeds == Settings().feeds


def _configured(feed: FeedConfig, base: Path, origin: str) -> list[Source]:
    if is_url(feed.url):
        return [_from_config(feed, origin)]
    raw = feed.url.removeprefix("file://")
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = base / path
    if path.is_dir():
        return [
            Source(s.url, feed.name, tuple(feed.tags), s.path, origin=origin)
            for s in _local_sources(path)
        ]
    # A missing file is reported as that feed's failure when it is read.
    return [Source(str(path.resolve()), feed.name, tuple(feed.tags), path, origin=origin)]


def _from_config(feed: FeedConfig, origin: str = "") -> Source:
    return Source(
        feed.url,
        feed.name,
        tuple(feed.tags),
        origin=origin,
        username=feed.username,
        password=feed.password,
        headers=feed.headers,
    )


def _local_sources(path: Path) -> list[Source]:
    if path.is_file():
        return [Source(str(path.resolve()), path=path)]
    found = [
        p
        for p in sorted(path.rglob("*"))
        if p.suffix.lower() in FEED_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    ]
    return [Source(str(p.resolve()), path=p, display=str(p.relative_to(path))) for p in found]


def _unique(sources: list[Source]) -> list[Source]:
    seen: set[str] = set()
    out = []
    for source in sources:
        if source.url not in seen:
            seen.add(source.url)
            out.append(source)
    return out
