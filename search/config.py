"""Settings: defaults, then a TOML config file, then FOUILLE_* environment variables."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

VERSION = "0.1.0"
DEFAULT_CONFIG_NAME = "fouille.toml"
NEXT_FEED_URL = "https://next.ink/feed/"


@dataclass(frozen=True)
class FeedConfig:
    """A feed to follow: its URL (or a local path), an optional name, tags for every article."""

    url: str
    name: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """Everything Fouille can be configured with, in one place.

    Built by `Settings.load()`; the CLI options override it with `replace()`.
    """

    index_dir: Path = Path("index")
    config_file: Path | None = None
    feeds: tuple[FeedConfig, ...] = (FeedConfig(NEXT_FEED_URL, "Next"),)
    page_size: int = 10
    max_page_size: int = 100
    max_query_length: int = 1000
    fresh_half_life_days: float = 30.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_feed_bytes: int = 20 * 1024 * 1024
    user_agent: str = f"Fouille/{VERSION} (+https://github.com/fouille; feed search)"
    host: str = "127.0.0.1"
    port: int = 8000
    #: Added to the shipped vocabulary (`search/data/vocabulary.toml`): terms never
    #: stemmed nor corrected, and groups of terms a query for one of them finds together.
    protected_words: tuple[str, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        # Settings(index_dir="…") from code must behave like the loaded settings.
        if not isinstance(self.index_dir, Path):
            object.__setattr__(self, "index_dir", Path(self.index_dir))
        if self.config_file is not None and not isinstance(self.config_file, Path):
            object.__setattr__(self, "config_file", Path(self.config_file))

    @classmethod
    def load(
        cls,
        config_file: str | os.PathLike[str] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Build settings from defaults, the config file and the environment, in that order.

        The config file is `config_file`, else `$FOUILLE_CONFIG`, else `./fouille.toml` when it
        exists. Keyword overrides (from CLI options) win over everything; None means "not given".
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        path = config_file or env.get("FOUILLE_CONFIG")
        if path:
            path = Path(path)
            if not path.is_file():
                raise ConfigError(f"config file {path} not found: check --config or FOUILLE_CONFIG")
        elif Path(DEFAULT_CONFIG_NAME).is_file():
            path = Path(DEFAULT_CONFIG_NAME)
        if path:
            values.update(_read_config_file(path))
            values["config_file"] = path
        values.update(_read_environ(env))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls()._with(values)

    def _with(self, values: Mapping[str, Any]) -> Settings:
        known = {f.name: f for f in fields(self)}
        clean: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(f"unknown setting {key!r}")
            clean[key] = _coerce(key, value, getattr(self, key))
        return replace(self, **clean)


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    section = dict(data.get("fouille", {}))
    for key, value in data.items():
        if key not in ("fouille", "feeds"):
            section[key] = value
    if "feeds" in data:
        section["feeds"] = data["feeds"]
    if "index_dir" in section and not Path(section["index_dir"]).is_absolute():
        section["index_dir"] = path.parent / section["index_dir"]
    return section


def _read_environ(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if env.get("FOUILLE_INDEX"):
        values["index_dir"] = env["FOUILLE_INDEX"]
    for f in fields(Settings):
        name = "FOUILLE_" + f.name.upper()
        if f.name not in ("feeds", "config_file") and env.get(name):
            values[f.name] = env[name]
    if env.get("FOUILLE_FEEDS"):
        values["feeds"] = [u for u in env["FOUILLE_FEEDS"].split() if u]
    return values


def _coerce(key: str, value: Any, default: Any) -> Any:
    try:
        if key == "feeds":
            return tuple(_feed(item) for item in value)
        if key == "protected_words":
            return _terms(value.split(",") if isinstance(value, str) else value, key)
        if key == "synonyms":
            groups = value.split(";") if isinstance(value, str) else value
            return tuple(_synonym_group(group) for group in groups if group)
        if key in ("index_dir", "config_file"):
            return Path(value)
        if isinstance(default, bool):
            return str(value).lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, str):
            return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid value for {key}: {value!r}") from exc
    return value


def _feed(item: Any) -> FeedConfig:
    if isinstance(item, FeedConfig):
        return item
    if isinstance(item, str):
        return FeedConfig(item)
    if isinstance(item, Mapping) and isinstance(item.get("url"), str):
        tags = item.get("tags", ())
        if isinstance(tags, str):
            tags = (tags,)
        return FeedConfig(str(item["url"]), str(item.get("name", "")), tuple(map(str, tags)))
    raise ConfigError(f"a feed needs a url: {item!r}")


#: Bounds on the vocabulary a config file or the environment adds.
MAX_TERMS = 5000
MAX_TERM_CHARS = 200


def _terms(values: Any, key: str) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise ConfigError(f"{key} must be a list of words")
    terms = tuple(" ".join(str(v).split()) for v in values if str(v).strip())
    if len(terms) > MAX_TERMS or any(len(t) > MAX_TERM_CHARS for t in terms):
        raise ConfigError(f"{key}: at most {MAX_TERMS} terms of {MAX_TERM_CHARS} characters")
    return terms


def _synonym_group(group: Any) -> tuple[str, ...]:
    """One group of synonyms: a list of terms (or, from the environment, `a, b, c`)."""
    terms = _terms(group.split(",") if isinstance(group, str) else group, "synonyms")
    if len(terms) < 2:
        raise ConfigError(f"a synonym group needs two terms or more: {group!r}")
    return terms
