"""`fouille`: the console script. `search` lives here; `reindex`, `serve` and `demo` are
attached lazily by import string so that search/ never imports indexer/ or web/."""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import click

from .config import VERSION, Settings
from .errors import FouilleError

LAZY_COMMANDS = {
    "reindex": "indexer.cli:reindex",
    "serve": "web.cli:serve",
    "demo": "web.cli:demo",
}


class LazyGroup(click.Group):
    """A click group whose other subcommands are imported only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS and name not in self.commands:
            module, _, attr = LAZY_COMMANDS[name].partition(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup)
@click.version_option(VERSION, prog_name="fouille")
def main() -> None:
    """Fouille: French-aware full-text search for RSS/Atom news archives."""


def load_settings(config: str | None = None, **overrides: Any) -> Settings:
    """Settings for a CLI command; a bad config becomes a one-line error (exit 2)."""
    try:
        return Settings.load(config, **overrides)
    except FouilleError as exc:
        fail(str(exc))


def fail(message: str) -> None:
    """Print one line on stderr and exit with status 2."""
    click.echo(f"fouille: error: {message}", err=True)
    sys.exit(2)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
