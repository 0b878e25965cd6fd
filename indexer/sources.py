"""Where feeds come from: the config file, the feeds followed by command (`feeds.toml`),
`--feed URL|PATH`, or the bundled sample."""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from search import ConfigError, FeedConfig, Settings

from .feedlist import FeedList

#: Files taken from a directory given as a feed source. (No .json: directories of saved
#: feeds often hold other JSON; a JSON Feed file is read when named on its own.)
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".rdf", ".feed"})
SAMPLE_RESOURCE = "data/sample.xml"
#: Where a followed feed comes from (`Source.origin`).
CONFIGURED, MANAGED, DEFAULT = "config", "managed", "default"
#: Query parameters whose values are secrets in a feed's URL (private feeds, API keys).
SECRET_PARAMS = frozenset(
    {
        "key", "apikey", "api_key", "token", "access_token", "auth", "secret", "password",
        "pass", "passwd", "pwd", "sig", "signature", "hash", "private", "user_token",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Source:
    """One feed to read: an HTTP(S) URL, or a local file (`path` set)."""

    url: str
    name: str = ""
    tags: tuple[str, ...] = ()
    path: Path | None = None
    #: A shorter way to show it (a file's path relative to the directory it was found in).
    display: str = ""
    #: "config" (fouille.toml, FOUILLE_FEEDS), "managed" (feeds.toml), "default" (the
    #: built-in feed), or "" (named on the command line).
    origin: str = ""

    @property
    def is_local(self) -> bool:
        """True for a feed file on disk."""
        return self.path is not None

    @property
    def label(self) -> str:
        """How the report names this feed."""
        return self.name or self.display or self.url


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
        raise ConfigError(f"the sample feed ({SAMPLE_RESOURCE}) is missing: reinstall fouille")
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
            sources.append(Source(item, known.name, tuple(known.tags)) if known else Source(item))
            continue
        path = Path(item).expanduser()
        if not path.exists():
            raise ConfigError(f"--feed {item}: no such file or directory (nor an http(s) URL)")
        sources.extend(_local_sources(path))
    if sample:
        path = sample_path()
        sources.append(Source(str(path.resolve()), "Exemple Fouille", (), path))
    if not feeds and not sample:
        sources.extend(followed(settings))
    if not sources:
        raise ConfigError(
            "no feed to read: add one with `fouille feeds add URL`, list it in fouille.toml "
            "([[feeds]]), or pass --feed"
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


def public_url(url: str) -> str:
    """A feed's URL as it may be shown or logged: without a user name or password, and
    with the values of secret-looking query parameters (`token`, `key`…) masked."""
    if not is_url(url):
        return url
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(name.lower() in SECRET_PARAMS for name, _ in pairs):
            query = urlencode(
                [(n, "***" if n.lower() in SECRET_PARAMS else v) for n, v in pairs], safe="*"
            )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _configured(feed: FeedConfig, base: Path, origin: str) -> list[Source]:
    if is_url(feed.url):
        return [Source(feed.url, feed.name, tuple(feed.tags), origin=origin)]
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
