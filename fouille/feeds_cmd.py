"""`fouille feeds`: the feeds followed and how they fare; add (with autodiscovery), remove
(and purge), import and export OPML."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from indexer.health import FeedHealth, feed_health
from indexer.manage import add_feed, export_opml, find_feed, import_opml, remove_feed
from search import Engine, FeedStats, FouilleError, IndexNotFoundError, Settings
from search.files import write_private
from search.i18n import N_
from search.urls import public_feed_url

from . import ui
from .cli import config_option, echo_json, fail, index_option, json_option, load_settings, warn
from .ui import _

#: Feed statuses as the table says them (msgids).
RESULTS = {
    "ok": N_("ok"),
    "not-modified": N_("not modified"),
    "skipped": N_("skipped"),
    "failed": N_("failed"),
    "": N_("never fetched"),
}


def _settings(ctx: click.Context, config: str | None, index_dir: str | None) -> Settings:
    """Settings from this subcommand's options, else the group's (`fouille feeds --index X
    add …` and `fouille feeds add … --index X` both work)."""
    parent: dict[str, Any] = ctx.find_root().meta.get("fouille.feeds", {})
    return load_settings(
        config or parent.get("config"), index_dir=index_dir or parent.get("index_dir")
    )


def _as_json(ctx: click.Context, as_json: bool) -> bool:
    return as_json or bool(ctx.find_root().meta.get("fouille.feeds", {}).get("as_json"))


@click.group("feeds", invoke_without_command=True)
@config_option
@index_option
@json_option
@click.pass_context
def feeds(ctx: click.Context, config: str | None, index_dir: str | None, as_json: bool) -> None:
    """List the feeds followed and how they fare (same as `fouille feeds list`).

    Feeds come from fouille.toml ([[feeds]]) and from these commands, which keep theirs
    in feeds.toml in the index directory.
    """
    ctx.find_root().meta["fouille.feeds"] = {
        "config": config,
        "index_dir": index_dir,
        "as_json": as_json,
    }
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_feeds)


@feeds.command("list")
@config_option
@index_option
@json_option
@click.pass_context
def list_feeds(
    ctx: click.Context,
    config: str | None = None,
    index_dir: str | None = None,
    as_json: bool = False,
) -> None:
    """Each feed: name, articles, oldest and newest, last fetch, status, backfill, URL."""
    settings = _settings(ctx, config, index_dir)
    try:
        rows = feed_health(settings, _stats(settings))
    except FouilleError as exc:
        fail(exc.message)
    if _as_json(ctx, as_json):
        echo_json(
            {
                "index_dir": str(settings.index_dir),
                "feeds": [row.to_dict() for row in rows],
            }
        )
        return
    _print_table(rows)
    followed = [row for row in rows if row.followed]
    failing = sum(1 for row in followed if row.result == "failed")
    articles = sum(row.articles for row in rows)
    click.echo(
        _(
            "Feeds followed: {followed}, failing: {failing}; articles in {path}: {articles}",
            followed=len(followed),
            failing=failing,
            path=settings.index_dir,
            articles=articles,
        )
    )


@feeds.command("add")
@click.argument("url")
@click.option(
    "--name", default="", help="A name for the feed, instead of the title it gives itself."
)
@click.option("--tag", "tags", multiple=True, help="A tag for every article; repeatable.")
@click.option(
    "--no-check",
    is_flag=True,
    help="Add the URL as it is, without fetching it (no autodiscovery).",
)
@config_option
@index_option
@json_option
@click.pass_context
def add(
    ctx: click.Context,
    url: str,
    name: str,
    tags: tuple[str, ...],
    no_check: bool,
    config: str | None,
    index_dir: str | None,
    as_json: bool,
) -> None:
    """Follow the feed at URL, or the feed an HTML page at URL names
    (<link rel="alternate">)."""
    settings = _settings(ctx, config, index_dir)
    if not url.lower().startswith(("http://", "https://")):
        fail(
            _("not an http(s) URL: {url} (local files go in fouille.toml or --feed)", url=url[:200])
        )
    page = ""
    site = ""
    title = ""
    entries: int | None = None
    others: list[str] = []
    try:
        if not no_check:
            found = find_feed(settings, url)
            url, page, site, entries = found.url, found.page, found.site, found.entries
            title = found.title
            others = [link.url for link in found.others]
        feed, known = add_feed(settings, url, name=name, tags=tags, site=site)
    except FouilleError as exc:
        fail(exc.message)
    shown = public_feed_url(feed.url)
    if _as_json(ctx, as_json):
        echo_json(
            {
                "url": shown,
                "name": known.name if known else feed.name,
                "title": title,
                "tags": list(known.tags if known else feed.tags),
                "site": feed.site,
                "found_on": public_feed_url(page) if page else None,
                "other_feeds": [public_feed_url(u) for u in others],
                "entries": entries,
                "already_followed": known is not None,
                "origin": known.origin if known else "managed",
            }
        )
        return
    if page:
        click.echo(
            _("{page} is a page; the feed it names is {url}", page=public_feed_url(page), url=shown)
        )
        for other in others:
            click.echo("  " + _("it also names {url}", url=public_feed_url(other)))
    if known is not None:
        click.echo(_("Already followed ({origin}): {url}", origin=_origin(known.origin), url=shown))
        return
    label = feed.name or title or shown
    if entries is None:
        click.echo(_("Following {name} ({url}), not checked.", name=label, url=shown))
    else:
        click.echo(
            _(
                "Following {name} ({url}): {count} entries in the feed now.",
                name=label,
                url=shown,
                count=entries,
            )
        )
    click.echo(_("Run `fouille reindex` to index its articles."))


@feeds.command("remove")
@click.argument("url")
@click.option("--purge", is_flag=True, help="Also delete its articles from the index.")
@config_option
@index_option
@json_option
@click.pass_context
def remove(
    ctx: click.Context,
    url: str,
    purge: bool,
    config: str | None,
    index_dir: str | None,
    as_json: bool,
) -> None:
    """Stop following the feed at URL (added by `fouille feeds add` or `import`); its
    articles stay in the archive unless --purge."""
    settings = _settings(ctx, config, index_dir)
    try:
        removed = remove_feed(settings, url, purge=purge)
    except FouilleError as exc:
        fail(exc.message)
    if _as_json(ctx, as_json):
        echo_json({"url": removed.url, "unfollowed": removed.listed, "purged": removed.purged})
        return
    label = removed.name or removed.url
    if removed.listed and purge:
        click.echo(
            _(
                "Stopped following {name}; its {count} articles were deleted from the index.",
                name=label,
                count=removed.purged,
            )
        )
    elif removed.listed:
        click.echo(
            _(
                "Stopped following {name}; its articles stay in the archive "
                "(`fouille feeds remove --purge` deletes them).",
                name=label,
            )
        )
    else:
        click.echo(
            _(
                "Deleted the {count} articles of {name} from the index.",
                count=removed.purged,
                name=label,
            )
        )


@feeds.command("import")
@click.argument("file", metavar="FILE.opml")
@config_option
@index_option
@json_option
@click.pass_context
def import_(
    ctx: click.Context,
    file: str,
    config: str | None,
    index_dir: str | None,
    as_json: bool,
) -> None:
    """Follow every feed of an OPML file (the subscriptions any feed reader exports); its
    folders and categories become tags. `-` reads standard input."""
    settings = _settings(ctx, config, index_dir)
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        fail(_("cannot read {path}: {reason}", path=file, reason=exc.strerror or exc))
    try:
        done = import_opml(settings, data)
    except FouilleError as exc:
        fail(_("{path}: {error}", path=file, error=ui.say(exc.message)))
    if _as_json(ctx, as_json):
        echo_json(
            {
                "file": file,
                "title": done.title,
                "added": len(done.added),
                "already_followed": done.already,
                "skipped": done.skipped,
                "feeds": [
                    {"url": public_feed_url(f.url), "name": f.name, "tags": list(f.tags)}
                    for f in done.added
                ],
            }
        )
        return
    for reason in done.skipped:
        warn(_("skipped {reason}", reason=ui.say(reason)))
    click.echo(
        _(
            "Imported {count} feeds from {path}; {already} were followed already, "
            "{skipped} skipped.",
            count=len(done.added),
            path=file,
            already=done.already,
            skipped=len(done.skipped),
        )
    )
    if done.added:
        click.echo(_("Run `fouille reindex` to fetch them."))


@feeds.command("export")
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    help="Write the OPML to FILE instead of standard output.",
)
@click.option(
    "--include-secrets",
    is_flag=True,
    help="Write feed URLs whole, passwords and keys included (public addresses otherwise).",
)
@config_option
@index_option
@click.pass_context
def export(
    ctx: click.Context,
    output: str | None,
    include_secrets: bool,
    config: str | None,
    index_dir: str | None,
) -> None:
    """Print the followed feeds as OPML 2.0, for another feed reader (or a backup)."""
    settings = _settings(ctx, config, index_dir)
    try:
        text, masked = export_opml(settings, _stats(settings), include_secrets=include_secrets)
    except FouilleError as exc:
        fail(exc.message)
    if output:
        try:
            # Atomic: a half-written export never replaces a good one; private, as it
            # may hold the feeds' keys (--include-secrets).
            write_private(Path(output), text)
        except OSError as exc:
            fail(_("cannot write {path}: {reason}", path=output, reason=exc.strerror or exc))
    else:
        click.echo(text, nl=False)
    if masked:
        warn(
            _(
                "{count} feed URLs were written as their public address (without user "
                "name, password or query string): --include-secrets exports them whole",
                count=masked,
            )
        )


def _stats(settings: Settings) -> list[FeedStats]:
    """What the archive holds per feed ([] when there is no index yet)."""
    try:
        engine = Engine.open(settings)
    except IndexNotFoundError:
        return []
    with engine:
        return engine.feeds()


def _print_table(rows: list[FeedHealth]) -> None:
    header = tuple(
        _(name)
        for name in (
            N_("NAME"),
            N_("ARTICLES"),
            N_("OLDEST"),
            N_("NEWEST"),
            N_("LAST FETCH"),
            N_("STATUS"),
            N_("BACKFILL"),
            N_("URL"),
        )
    )
    table = [header] + [
        (
            _cut(row.name, 32),
            str(row.articles),
            _day(row),
            _day(row, newest=True),
            row.last_fetch.strftime("%Y-%m-%d %H:%M") if row.last_fetch else "-",
            _cut(_status(row), 48),
            _backfill(row),
            row.url,
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
    for line in table:
        cells = [
            cell.rjust(width) if i == 1 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=False))
        ]
        click.echo("  ".join([*cells, line[-1]]).rstrip())


def _status(row: FeedHealth) -> str:
    if not row.followed:
        return _("not followed")
    if row.result == "failed":
        return _("failed: {reason}", reason=ui.say(row.error)) if row.error else _("failed")
    return _(RESULTS[row.result]) if row.result in RESULTS else row.result


def _backfill(row: FeedHealth) -> str:
    if row.backfill_resume:
        return _(
            "page {page}, resumes at {resume}", page=row.backfill_pages, resume=row.backfill_resume
        )
    if row.backfill_complete:
        return _("complete ({pages} pages)", pages=row.backfill_pages)
    if row.backfill_pages:
        return _("page {page}", page=row.backfill_pages)
    return "-"


def _day(row: FeedHealth, *, newest: bool = False) -> str:
    moment = row.newest if newest else row.oldest
    return moment.strftime("%Y-%m-%d") if moment else "-"


ORIGINS = {"config": N_("in the config file"), "managed": N_("in feeds.toml")}


def _origin(origin: str) -> str:
    return _(ORIGINS[origin]) if origin in ORIGINS else origin


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
