"""The `fouille` click group, and what its commands share: `--index`, `--config`, `--json`,
settings loading, one-line errors and JSON output.

Each command is imported only when it runs (or when `--help` lists it), so that
`fouille search` does not pay for loading Flask or the feed parser.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from search import VERSION, FouilleError, Settings

from . import ui
from .ui import _

#: Command name → "module:attribute" of its click command.
COMMANDS = {
    "demo": "fouille.serve_cmd:demo",
    "feeds": "fouille.feeds_cmd:feeds",
    "passwd": "fouille.access_cmd:passwd",
    "reindex": "fouille.reindex_cmd:reindex",
    "related": "fouille.show_cmd:related",
    "search": "fouille.search_cmd:search",
    "serve": "fouille.serve_cmd:serve",
    "show": "fouille.show_cmd:show",
    "config": "fouille.config_cmd:config",
    "token": "fouille.access_cmd:token",
}

F = TypeVar("F", bound=Callable[..., Any])


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when the subcommand is used,
    and speaks the reader's language (fouille/ui.py): each command gets `--lang` and
    `--color`, and its help is said in the language of the run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            module, _sep, attr = COMMANDS[name].partition(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
        else:
            found = super().get_command(ctx, name)
            if found is None:
                return None
            command = found
        ui.add_output_options(command)
        ui.localize_command(command)
        return command

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command line in the language and colours its environment asks for."""
        with ui.speaking(os.environ):
            ui.add_output_options(self)
            ui.localize_command(self)
            return super().main(*args, **kwargs)


@click.group(cls=LazyGroup)
@click.version_option(VERSION, prog_name="fouille")
def main() -> None:
    """Fouille: French-aware full-text search for RSS/Atom news archives."""


# --- options every command that reads settings shares ------------------------------------------
# Each is a decorator that adds a fresh option to the command it decorates.

#: `--index DIR` (the `index_dir` parameter); None when not given.
index_option = click.option(
    "--index", "index_dir", metavar="DIR", help="Index directory [env FOUILLE_INDEX; ./index]."
)
#: `--config FILE` (the `config` parameter); None when not given.
config_option = click.option(
    "--config",
    "config",
    metavar="FILE",
    help="Config file (TOML) [env FOUILLE_CONFIG; ./fouille.toml].",
)
#: `--json` (the `as_json` parameter).
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


def load_settings(config: str | None = None, **overrides: Any) -> Settings:
    """Settings for a command (options override the config file and the environment).

    A bad configuration, or an index directory that is a file, is a one-line error (exit 2).
    """
    try:
        settings = Settings.load(config, **overrides)
    except FouilleError as exc:
        fail(exc.message)
    ui.adopt_setting(settings.lang)
    if settings.index_dir.exists() and not settings.index_dir.is_dir():
        fail(
            _(
                "{path} is not a directory: check --index or FOUILLE_INDEX",
                path=settings.index_dir,
            )
        )
    return settings


def fail(message: str) -> NoReturn:
    """Print one line on stderr and exit with status 2 (a `Message` is said in the command
    line's language)."""
    click.echo(_("fouille: error: {message}", message=ui.say(message)), err=True)
    sys.exit(2)


def warn(message: str) -> None:
    """Print one line on stderr, `fouille: ` first (a `Message` in the command line's
    language)."""
    click.echo(_("fouille: {message}", message=ui.say(message)), err=True)


def echo_json(data: Any) -> None:
    """Print `data` as indented JSON, French text kept readable."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
