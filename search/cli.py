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


@main.command()
@click.argument("query", nargs=-1)
@click.option(
    "--index", "index_dir", metavar="DIR", help="Index directory [env FOUILLE_INDEX; ./index]."
)
@click.option("--config", metavar="FILE", help="Config file [env FOUILLE_CONFIG; ./fouille.toml].")
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="TAG",
    help="Only articles with this tag (repeatable: all of them).",
)
@click.option(
    "--since", metavar="DATE", help="Published on or after: 2024, 2024-03, 2024-03-15, 7d, 1y."
)
@click.option("--until", metavar="DATE", help="Published on or before (inclusive).")
@click.option("--author", metavar="NAME", help="Only articles by this author.")
@click.option("--feed", metavar="FEED", help="Only articles from this feed (URL or title words).")
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date", "fresh"]),
    default="relevance",
    show_default=True,
)
@click.option("--limit", type=int, default=None, metavar="N", help="Hits per page [10].")
@click.option("--page", type=int, default=1, show_default=True, metavar="P")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def search(
    query: tuple[str, ...],
    index_dir: str | None,
    config: str | None,
    tags: tuple[str, ...],
    since: str | None,
    until: str | None,
    author: str | None,
    feed: str | None,
    sort: str,
    limit: int | None,
    page: int,
    as_json: bool,
) -> None:
    """Search the index: fouille search "vie privée" --tag RGPD --since 2024-01-01

    Exit status: 0 with hits, 1 without, 2 on error.
    """
    from .engine import Engine

    settings = load_settings(config, index_dir=index_dir)
    try:
        with Engine.open(settings) as engine:
            result = engine.search(
                " ".join(query),
                tags=tags,
                since=since,
                until=until,
                author=author,
                feed=feed,
                sort=sort,
                page=page,
                page_size=limit,
            )
    except FouilleError as exc:
        fail(str(exc))
    if as_json:
        echo_json(result.to_dict())
    else:
        print_page(result, color=sys.stdout.isatty())
    sys.exit(0 if result.hits else 1)


def print_page(result: Any, *, color: bool) -> None:
    """Numbered hits with French dates; highlights in bold on a terminal."""
    from .formatting import french_date

    def marked(snippet: Any) -> str:
        return "".join(
            click.style(piece, bold=True) if hit and color else piece
            for piece, hit in snippet.parts()
        )

    if result.fallback:
        click.echo("No article has all the words; showing the closest matches.")
    start = (result.page - 1) * result.page_size
    for n, hit in enumerate(result.hits, start + 1):
        click.echo(f"{n}. {marked(hit.title_snippet)}")
        meta = [french_date(hit.published)]
        meta += [part for part in (hit.author, hit.feed) if part]
        if hit.tags:
            meta.append(", ".join(f"#{t}" for t in hit.tags))
        click.echo("   " + " · ".join(meta))
        if hit.url:
            click.echo(f"   {hit.url}")
        if hit.snippet.text:
            click.echo(f"   {marked(hit.snippet)}")
        click.echo()
    plural = "s" if result.total != 1 else ""
    pages = f"page {result.page}/{result.pages}"
    click.echo(f"{result.total} result{plural} · {pages} · {result.took_ms:.0f} ms")
    if result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}")
