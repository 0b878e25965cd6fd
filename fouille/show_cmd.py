"""`fouille show ID` and `fouille related ID`: one archived article, and the articles
related to it, from the terminal."""

from __future__ import annotations

import sys

import click

from search import ArticlePage, Engine, FouilleError, article_id
from search.formatting import format_date

from . import ui
from .cli import config_option, echo_json, fail, index_option, json_option, load_settings, warn
from .search_cmd import marked, print_hit
from .ui import _

MAX_RELATED = 50


def _page(engine: Engine, ident: str, *, query: str = "", related: int = 5) -> ArticlePage | None:
    """The article with this id, or with the id this key stands for (`/article/<key>`)."""
    found = engine.article(ident, query=query, related=related)
    if found is None:
        decoded = article_id(ident)
        if decoded is not None:
            found = engine.article(decoded, query=query, related=related)
    return found


def _article(
    ident: str, index_dir: str | None, config: str | None, *, query: str = "", related: int = 5
) -> ArticlePage:
    """The article `ident` names, read from the index the options name; an error (exit 2)
    or no such article (exit 1) ends the command."""
    settings = load_settings(config, index_dir=index_dir)
    try:
        with Engine.open(settings) as engine:
            page = _page(engine, ident, query=query, related=related)
    except FouilleError as exc:
        fail(exc.message)
    if page is None:
        warn(_("no article with id {id!r} (ids are in `search --json`)", id=ident[:200]))
        sys.exit(1)
    return page


@click.command("show")
@click.argument("ident", metavar="ID")
@index_option
@config_option
@click.option("--query", "-q", default="", metavar="WORDS", help="Mark these words in the text.")
@json_option
def show(ident: str, index_dir: str | None, config: str | None, query: str, as_json: bool) -> None:
    """Print an archived article in full: fouille show rgpd-cnil -q "vie privée"

    ID is an article id as `fouille search --json` prints it (or its key, as in the web
    page's address /article/KEY). Exit status: 0 when found, 1 when not, 2 on error.
    """
    page = _article(ident, index_dir, config, query=query)
    if as_json:
        echo_json(page.to_dict())
        return
    color = ui.use_color(sys.stdout)
    lang = ui.STATE.lang
    click.echo(click.style(page.title or _("(untitled)"), bold=color))
    meta = [format_date(page.published, lang)]
    if page.updated and page.updated.date() != page.published.date():
        meta[0] += " " + _("(updated {date})", date=format_date(page.updated, lang))
    meta += [part for part in (page.author, page.feed) if part]
    if page.tags:
        meta.append(", ".join(f"#{t}" for t in page.tags))
    click.echo(" · ".join(meta))
    if page.link:
        click.echo(page.link)
    for paragraph in page.paragraphs:
        click.echo()
        click.echo(marked(paragraph, color))
    if page.related:
        click.echo()
        click.echo(_("Related: {titles}", titles=" · ".join(h.title or h.id for h in page.related)))


@click.command("related")
@click.argument("ident", metavar="ID")
@index_option
@config_option
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_RELATED),
    default=5,
    show_default=True,
    metavar="N",
    help="How many related articles.",
)
@json_option
def related(
    ident: str, index_dir: str | None, config: str | None, limit: int, as_json: bool
) -> None:
    """List the articles related to one: those sharing its most distinctive words.

    Exit status: 0 with related articles, 1 without (or no such article), 2 on error.
    """
    page = _article(ident, index_dir, config, related=limit)
    if as_json:
        echo_json({"id": page.id, "key": page.key, "related": [h.to_dict() for h in page.related]})
    else:
        color = ui.use_color(sys.stdout)
        for n, hit in enumerate(page.related, 1):
            print_hit(n, hit, color=color)
        if not page.related:
            click.echo(_("No related article."))
    sys.exit(0 if page.related else 1)
