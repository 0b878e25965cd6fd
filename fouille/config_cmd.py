"""`fouille config --show`: every setting, its value in effect, where the value comes from
(default, config file, environment, option) and the variables that set it; secrets masked."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import click

from search import FeedConfig, FouilleError, Settings
from search.config import SECRET_SETTINGS, environment_names
from search.i18n import N_
from search.urls import public_feed_url

from . import ui
from .cli import config_option, echo_json, fail, index_option, json_option, load_settings
from .ui import _

#: Where a value comes from, as the table says it (msgids).
ORIGINS = {
    "default": N_("default"),
    "file": N_("config file"),
    "environment": N_("environment"),
    "option": N_("option"),
}
MASK = "********"


@click.command("config")
@click.option("--show", is_flag=True, help="Print every setting (the default action).")
@index_option
@config_option
@json_option
def config(show: bool, index_dir: str | None, config: str | None, as_json: bool) -> None:
    """Show the settings in effect: each value, where it comes from (default, config file,
    environment, option) and its FOUILLE_* variable. Passwords, feed headers and the keys
    in feed URLs are masked.
    """
    overrides: dict[str, Any] = {"index_dir": index_dir, "lang": ui.STATE.option_lang}
    settings = load_settings(config, **overrides)
    try:
        origins = Settings.origins(config, **overrides)
    except FouilleError as exc:
        fail(exc.message)
    rows = [
        {
            "name": f.name,
            "value": shown_value(f.name, getattr(settings, f.name)),
            "origin": origins[f.name],
            "environment": list(environment_names(f.name)),
        }
        for f in fields(settings)
    ]
    if as_json:
        echo_json({"settings": rows})
        return
    _print(rows)


def shown_value(name: str, value: Any) -> Any:
    """A setting's value as it may be shown: JSON-ready, without any secret."""
    if name in SECRET_SETTINGS and name != "feeds":
        return MASK if value else ""
    if name == "feeds":
        return [_feed(feed) for feed in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value if value is not None else ""


def _feed(feed: FeedConfig) -> dict[str, Any]:
    """A feed with its public address: the user name, password and query string (where
    subscriber feeds carry their key) left out; what was left out is said, not shown."""
    public = public_feed_url(feed.url)
    shown: dict[str, Any] = {"url": public}
    if feed.name:
        shown["name"] = feed.name
    if feed.tags:
        shown["tags"] = list(feed.tags)
    hidden = []
    if public != feed.url:
        hidden.append("url")
    if feed.username or feed.password:
        hidden.append("password")
    hidden.extend(f"header:{name}" for name, _value in feed.headers)
    if hidden:
        shown["hidden"] = hidden
    return shown


def _print(rows: list[dict[str, Any]]) -> None:
    header = (_("SETTING"), _("VALUE"), _("FROM"), _("ENVIRONMENT"))
    lines: list[tuple[str, str, str, str]] = []
    for row in rows:
        values = _text(row["name"], row["value"])
        origin = _(ORIGINS[row["origin"]])
        env = ", ".join(row["environment"])
        lines.append((row["name"], values[0], origin, env))
        lines.extend(("", more, "", "") for more in values[1:])
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(3)]
    for line in [header, *lines]:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        click.echo("  ".join([*cells, line[3]]).rstrip())


def _text(name: str, value: Any) -> list[str]:
    """A value as lines of the table (one per feed)."""
    if name == "feeds":
        return [_feed_text(feed) for feed in value] or [_("(none)")]
    if name == "synonyms":  # groups as FOUILLE_SYNONYMS writes them: `a, b; c, d`
        return ["; ".join(", ".join(group) for group in value) or _("(none)")]
    if isinstance(value, list):
        return [", ".join(map(str, value)) or _("(none)")]
    if value == MASK:
        return [_("(set, hidden)")]
    text = str(value)
    return [text if text else _("(none)")]


def _feed_text(feed: dict[str, Any]) -> str:
    text: str = feed["url"]
    if feed.get("name"):
        text += f" ({feed['name']})"
    if feed.get("tags"):
        text += " " + " ".join(f"#{tag}" for tag in feed["tags"])
    if feed.get("hidden"):
        what = ", ".join(_hidden(item) for item in feed["hidden"])
        text += " " + _("[hidden: {what}]", what=what)
    return text


def _hidden(item: str) -> str:
    if item == "url":
        return _("user and query of the URL")
    if item == "password":
        return _("user name and password")
    return _("header {name}", name=item.partition(":")[2])
