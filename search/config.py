"""Settings: defaults, then a TOML config file, then FOUILLE_* environment variables."""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .i18n import N_, language_of
from .setting_values import FeedConfig, base_url, feed, synonym_group, word_list
from .urls import TRACKING_PARAMS

VERSION = "0.1.0"
DEFAULT_CONFIG_NAME = "fouille.toml"
NEXT_FEED_URL = "https://next.ink/feed/"


#: `${NAME}` in a config file value reads the environment variable NAME; `$${` is a literal `${`.
_ENV_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: Settings whose values may hold a secret: no error message quotes them.
SECRET_SETTINGS = frozenset({"feeds", "web_password"})


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
    #: Feeds fetched at once by a reindex (1: one after the other).
    fetch_workers: int = 8
    #: Connections at once to any one host (1 or 2): politeness toward each site.
    connections_per_host: int = 1
    user_agent: str = f"Fouille/{VERSION} (+https://github.com/fouille; feed search)"
    host: str = "127.0.0.1"
    port: int = 8000
    #: The password of the web site (clear, or a `scrypt$…` hash from `fouille passwd`);
    #: empty: the site is open, as it always was on 127.0.0.1.
    web_password: str = field(default="", repr=False)
    #: The address the site is reached at (`https://fouille.example.org/archive`): absolute
    #: links (OpenSearch, Atom) use it, whatever Host a request carries.
    base_url: str = ""
    #: How many reverse proxies stand in front of the server and set X-Forwarded-* (0: none,
    #: those headers are ignored).
    trusted_proxies: int = 0
    #: Query parameters removed from article links when they are indexed (`*` ends a prefix).
    tracking_params: tuple[str, ...] = TRACKING_PARAMS
    #: Server processes (`fouille serve`); 0 means one per core.
    workers: int = 0
    #: Added to the shipped vocabulary (`search/data/vocabulary.toml`): terms never
    #: stemmed nor corrected, and groups of terms a query for one of them finds together.
    protected_words: tuple[str, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()
    #: The language of the messages, "fr" or "en" ("": the locale's, the browser's): the
    #: command line's, and the web site's unless a reader switches (search/i18n.py).
    lang: str = ""

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
        values: dict[str, Any] = {}
        for _origin, layer in _layers(config_file, environ, overrides):
            values.update(layer)
        return cls()._with(values)

    @classmethod
    def origins(
        cls,
        config_file: str | os.PathLike[str] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> dict[str, str]:
        """Where each setting `load` (with the same arguments) takes comes from: "default",
        "file", "environment" or "option" (`fouille config --show`)."""
        origins = dict.fromkeys((f.name for f in fields(cls)), "default")
        for origin, layer in _layers(config_file, environ, overrides):
            origins.update(dict.fromkeys(layer, origin))
        return origins

    def _with(self, values: Mapping[str, Any]) -> Settings:
        known = {f.name: f for f in fields(self)}
        clean: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(N_("unknown setting {key!r}"), key=key)
            clean[key] = _coerce(key, value, getattr(self, key))
        return replace(self, **clean)


def environment_names(name: str) -> tuple[str, ...]:
    """The environment variables that set the setting `name`."""
    if name == "index_dir":
        return ("FOUILLE_INDEX", "FOUILLE_INDEX_DIR")
    if name == "config_file":
        return ("FOUILLE_CONFIG",)
    return ("FOUILLE_" + name.upper(),)


def _layers(
    config_file: str | os.PathLike[str] | None,
    environ: Mapping[str, str] | None,
    overrides: Mapping[str, Any],
) -> list[tuple[str, dict[str, Any]]]:
    """The values of the config file, the environment and the options, each with its origin."""
    env = os.environ if environ is None else environ
    layers: list[tuple[str, dict[str, Any]]] = []
    path = config_file or env.get("FOUILLE_CONFIG")
    if path:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(
                N_("config file {path} not found: check --config or FOUILLE_CONFIG"),
                path=str(path),
            )
    elif Path(DEFAULT_CONFIG_NAME).is_file():
        path = Path(DEFAULT_CONFIG_NAME)
    if path:
        layers.append(("file", _read_config_file(path, env)))
        named_by = "option" if config_file else "environment" if env.get("FOUILLE_CONFIG") else ""
        layers.append((named_by or "default", {"config_file": path}))
    layers.append(("environment", _read_environ(env)))
    layers.append(("option", {k: v for k, v in overrides.items() if v is not None}))
    return layers


def _read_config_file(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            N_("cannot read config file {path}: {reason}"), path=str(path), reason=str(exc)
        ) from exc
    data = _expand(data, env, path)
    section = dict(data.get("fouille", {}))
    for key, value in data.items():
        if key not in ("fouille", "feeds"):
            section[key] = value
    if "feeds" in data:
        section["feeds"] = data["feeds"]
    if "index_dir" in section and not isinstance(section["index_dir"], str):
        raise ConfigError(
            N_("invalid value for {key}: {value}"),
            key="index_dir",
            value=repr(section["index_dir"])[:40],
        )
    if "index_dir" in section and not Path(section["index_dir"]).is_absolute():
        section["index_dir"] = path.parent / section["index_dir"]
    return section


def _expand(value: Any, env: Mapping[str, str], path: Path) -> Any:
    """Every string of a config file with `${NAME}` replaced by the environment variable NAME
    (so that a password need not be written in the file)."""
    if isinstance(value, str):

        def variable(match: re.Match[str]) -> str:
            name = match.group(1)
            if name is None:
                return "${"
            if name not in env:
                raise ConfigError(
                    N_("{path}: ${{{name}}} is used but {name} is not set"),
                    path=str(path),
                    name=name,
                )
            return env[name]

        return _ENV_REFERENCE.sub(variable, value)
    if isinstance(value, list):
        return [_expand(item, env, path) for item in value]
    if isinstance(value, dict):
        return {key: _expand(item, env, path) for key, item in value.items()}
    return value


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


#: The whole numbers a setting accepts (low, high or None); the others are at least 1.
INT_RANGES: dict[str, tuple[int, int | None]] = {
    "port": (0, 65535),
    "workers": (0, 256),
    "connections_per_host": (1, 2),
}


def _coerce(key: str, value: Any, default: Any) -> Any:
    if key == "base_url":
        return base_url(value)
    if key == "lang":
        lang = language_of(str(value)) if str(value).strip() else ""
        if lang is None:
            raise ConfigError(
                N_("invalid value for lang: {value!r} (fr or en)"), value=str(value)[:40]
            )
        return lang
    try:
        if key == "feeds":
            if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
                raise ConfigError(N_("feeds must be a list of URLs or of [[feeds]] tables"))
            return tuple(feed(item, n) for n, item in enumerate(value, 1))
        if key == "protected_words":
            return word_list(value.split(",") if isinstance(value, str) else value, key)
        if key == "synonyms":
            groups = value.split(";") if isinstance(value, str) else value
            return tuple(synonym_group(group) for group in groups if group)
        if key in ("index_dir", "config_file"):
            return Path(value)
        if key == "trusted_proxies":
            count = int(value)
            if not 0 <= count <= 10:
                raise ValueError(count)
            return count
        if isinstance(default, tuple):
            items = re.split(r"[\s,]+", value) if isinstance(value, str) else list(value)
            return tuple(str(item).strip() for item in items if str(item).strip())
        if isinstance(default, bool):
            return str(value).lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            if isinstance(value, bool | float):
                raise ValueError(value)  # `true` or `80.5` is not a count
            number = int(value)
            low, high = INT_RANGES.get(key, (1, None))
            if number < low or (high is not None and number > high):
                raise ValueError(number)
            return number
        if isinstance(default, float):
            if isinstance(value, bool):
                raise ValueError(value)
            real = float(value)
            if not math.isfinite(real) or real <= 0:
                raise ValueError(real)
            return real
        if isinstance(default, str):
            return str(value)
    except (TypeError, ValueError) as exc:
        if key in SECRET_SETTINGS:  # the value may hold a password: it is not quoted
            raise ConfigError(N_("invalid value for {key}"), key=key) from exc
        raise ConfigError(
            N_("invalid value for {key}: {value}"), key=key, value=repr(value)
        ) from exc
    return value
