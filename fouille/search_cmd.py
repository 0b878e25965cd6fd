"""`fouille search`: the archive from the terminal, numbered hits or one JSON object."""

from __future__ import annotations

import sys

import click

from search import Engine, FouilleError, Hit, SearchPage, Snippet
from search.formatting import french_date

from .cli import config_option, echo_json, fail, index_option, json_option, load_settings


@click.command("search")
@click.argument("query", nargs=-1)
@index_option
@config_option
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
@click.option(
    "--as-typed", is_flag=True, help="No spelling correction when nothing matches the words."
)
@json_option
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
    as_typed: bool,
    as_json: bool,
) -> None:
    """Search the index: fouille search "vie privée" --tag RGPD --since 2024-01-01

    Exit status: 0 with hits, 1 without, 2 on error.
    """
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
                correct=not as_typed,
            )
    except FouilleError as exc:
        fail(str(exc))
    if as_json:
        echo_json(result.to_dict())
    else:
        print_page(result, color=sys.stdout.isatty())
    sys.exit(0 if result.hits else 1)


def marked(snippet: Snippet, color: bool) -> str:
    """A snippet's text, its highlights in bold on a terminal."""
    return "".join(
        click.style(piece, bold=True) if hit and color else piece for piece, hit in snippet.parts()
    )


def print_hit(n: int, hit: Hit, *, color: bool) -> None:
    """One numbered hit: title, date and source, link, snippet."""
    click.echo(f"{n}. {marked(hit.title_snippet, color) if hit.title_snippet.text else hit.title}")
    meta = [french_date(hit.published)]
    meta += [part for part in (hit.author, hit.feed) if part]
    if hit.tags:
        meta.append(", ".join(f"#{t}" for t in hit.tags))
    click.echo("   " + " · ".join(meta))
    if hit.url:
        click.echo(f"   {hit.url}")
    if hit.snippet.text:
        click.echo(f"   {marked(hit.snippet, color)}")
    click.echo()


def print_page(result: SearchPage, *, color: bool) -> None:
    """Numbered hits with French dates; highlights in bold on a terminal."""
    if result.corrected_from is not None:
        click.echo(
            f"Showing results for: {result.query} (nothing matched {result.corrected_from!r};"
            " --as-typed searches it as typed)"
        )
    if result.fallback:
        click.echo("No article has all the words; showing the closest matches.")
    start = (result.page - 1) * result.page_size
    for n, hit in enumerate(result.hits, start + 1):
        print_hit(n, hit, color=color)
    plural = "s" if result.total != 1 else ""
    pages = f"page {result.page}/{result.pages}"
    click.echo(f"{result.total} result{plural} · {pages} · {result.took_ms:.0f} ms")
    if result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}")
