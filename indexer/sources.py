"""Where feeds come from: the config file, `--feed URL|PATH`, or the bundled sample."""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from search import ConfigError, FeedConfig, Settings

#: Files taken from a directory given as a feed source. (No .json: feedparser 6.0 reads no
#: JSON Feed, and directories of saved feeds often hold other JSON.)
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".rdf", ".feed"})
SAMPLE_RESOURCE = "data/sample.xml"


@dataclass(frozen=True)
class Source:
    """One feed to read: an HTTP(S) URL, or a local file (`path` set)."""

    url: str
    name: str = ""
    tags: tuple[str, ...] = ()
    path: Path | None = None
    #: A shorter way to show it (a file's path relative to the directory it was found in).
    display: str = ""

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

    `feeds` (from `--feed`) and `sample` replace the configured feeds; with neither, the
    feeds of `settings` are used. A directory stands for every feed file below it.

    Raises:
        ConfigError: a path given on the command line does not exist, or there is no feed.
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
        base = settings.config_file.parent if settings.config_file else Path.cwd()
        for feed in settings.feeds:
            sources.extend(_configured(feed, base))
    if not sources:
        raise ConfigError("no feed to read: add [[feeds]] to fouille.toml or pass --feed")
    return _unique(sources)


def _configured(feed: FeedConfig, base: Path) -> list[Source]:
    if is_url(feed.url):
        return [Source(feed.url, feed.name, tuple(feed.tags))]
    raw = feed.url.removeprefix("file://")
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = base / path
    if path.is_dir():
        return [Source(s.url, feed.name, tuple(feed.tags), s.path) for s in _local_sources(path)]
    # A missing file is reported as that feed's failure when it is read.
    return [Source(str(path.resolve()), feed.name, tuple(feed.tags), path)]


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
