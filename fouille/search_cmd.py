"""`fouille search`: the archive from the terminal, numbered hits or one JSON object."""

from __future__ import annotations

import sys

import click

from search import Engine, Explanation, FouilleError, Hit, SearchPage, Snippet
from search.formatting import format_date
from search.i18n import N_

from . import ui
from .cli import config_option, echo_json, fail, index_option, json_option, load_settings, warn
from .ui import _, ngettext

#: The query language, as README's "Query syntax" table says it (tests/test_i18n.py holds
#: the two together): what you type, and what it finds (a msgid).
QUERY_SYNTAX = (
    (
        "vie privée",
        N_(
            "articles with both words, in any inflection, accents optional "
            "(vie privee, vies privées)"
        ),
    ),
    ('"Conseil d’État"', N_("the exact phrase (accents and apostrophes optional)")),
    ("5G -Huawei, 5G SAUF Huawei", N_("articles about 5G that do not mention Huawei")),
    ("RGPD OR CNIL, RGPD OU CNIL", N_("either word (AND/ET are implicit)")),
    ("(Free OU Orange) fibre", N_("parentheses group")),
    (
        "titre:Windows, auteur:Dupont, tag:RGPD, feed:next",
        N_("one field (title:, author: and flux: too)"),
    ),
    ("cyber*", N_("words starting with cyber")),
    (
        "depuis:lundi, depuis:2024-03, depuis:7j",
        N_("published since then (its first day; lundi: the last Monday, today included)"),
    ),
    (
        "avant:2023, après:2024-01 (apres:)",
        N_("published before the period began, after it ended"),
    ),
    (
        'date:2024-03-15, date:"mars 2023", date:hier, date:"1er mai"',
        N_("published in that period (a day, a month, a year)"),
    ),
    (
        "date:2024-01..2024-03, entre:2023..2024-02",
        N_("from the first period's start to the last one's end"),
    ),
    (
        "il y a 3 jours, depuis 2 semaines (heures, jours, semaines, mois, ans)",
        N_("since that long ago (like --since 3d)"),
    ),
    ("cette semaine, ce mois-ci, cette année", N_("since Monday, the 1st, 1 January")),
)


class SearchCommand(click.Command):
    """`fouille search`, whose help ends with the query syntax, in the help's language."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section(_("Query syntax")):
            for typed, meaning in QUERY_SYNTAX:
                formatter.write_text(typed)
                with formatter.indentation():
                    formatter.write_text(_(meaning))
        super().format_epilog(ctx, formatter)


@click.command("search", cls=SearchCommand)
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
@click.option(
    "--explain", is_flag=True, help="Say why each article matched: its score, part by part."
)
@click.option("--facets", is_flag=True, help="Also count tags, months, feeds and authors.")
@click.option(
    "--all-versions",
    is_flag=True,
    help="List near-duplicates one by one (they are grouped under one result by default).",
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
    explain: bool,
    facets: bool,
    all_versions: bool,
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
                explain=explain,
                collapse=not all_versions,
            )
    except FouilleError as exc:
        fail(exc.message)
    for tag, nearest in result.unknown_tags:
        if nearest:
            warn(
                _(
                    "no article has the tag {tag!r}; nearest tags: {tags}",
                    tag=tag[:80],
                    tags=", ".join(nearest),
                )
            )
        else:
            warn(_("no article has the tag {tag!r}", tag=tag[:80]))
    if as_json:
        echo_json(result.to_dict())
    else:
        print_page(result, color=ui.use_color(sys.stdout), facets=facets)
    sys.exit(0 if result.hits else 1)


def marked(snippet: Snippet, color: bool) -> str:
    """A snippet's text, its highlights in bold on a terminal."""
    return "".join(
        click.style(piece, bold=True) if hit and color else piece for piece, hit in snippet.parts()
    )


def print_hit(n: int, hit: Hit, *, color: bool) -> None:
    """One numbered hit: title, date and source, link, snippet."""
    click.echo(f"{n}. {marked(hit.title_snippet, color) if hit.title_snippet.text else hit.title}")
    meta = [format_date(hit.published, ui.STATE.lang)]
    meta += [part for part in (hit.author, hit.feed) if part]
    if hit.tags:
        meta.append(", ".join(f"#{t}" for t in hit.tags))
    click.echo("   " + " · ".join(meta))
    if hit.url:
        click.echo(f"   {hit.url}")
    if hit.snippet.text:
        click.echo(f"   {marked(hit.snippet, color)}")
    if hit.version_count > 1:
        others = ", ".join(f"{v.feed or v.url} ({v.published.date()})" for v in hit.versions)
        click.echo(
            "   " + _("{count} versions; also: {others}", count=hit.version_count, others=others)
        )
    if hit.explanation is not None:
        for line in why(hit.explanation):
            click.echo(f"   {line}")
    click.echo()


FIELDS = {
    "text": N_("text"),
    "title": N_("title"),
    "body_exact": N_("body, exact"),
    "title_exact": N_("title, exact"),
    "tag": N_("tag"),
    "author": N_("author"),
    "feed_title": N_("feed"),
    "feed_url": N_("feed"),
}


def why(explanation: Explanation) -> list[str]:
    """The lines of an explanation: the score, then one line per part."""
    head = _("why: score {score:.4g}", score=explanation.score)
    if explanation.freshness is not None:
        head += " = " + _(
            "relevance {relevance:.4g} × freshness {freshness:.3g}",
            relevance=explanation.relevance,
            freshness=explanation.freshness,
        )
    lines = [head]
    for part in explanation.parts:
        where = _(FIELDS[part.field]) if part.field in FIELDS else part.field or "?"
        details = [_("tf {tf}", tf=part.tf)] if part.tf is not None else []
        if part.weight != 1:
            details.append(_("weight {weight:g}", weight=part.weight))
        extra = f" ({', '.join(details)})" if details else ""
        if part.field in ("tag", "author", "feed_title", "feed_url"):
            lines.append(
                "  " + _("{clause}: matched in {where}, no score", clause=part.clause, where=where)
            )
        else:
            lines.append(
                "  "
                + _(
                    "{clause} → {term} in {where}: {score:.4g}",
                    clause=part.clause,
                    term=part.term,
                    where=where,
                    score=part.score,
                )
                + extra
            )
    return lines


def print_page(result: SearchPage, *, color: bool, facets: bool = False) -> None:
    """Numbered hits with dates in the command line's language; highlights in bold on a
    terminal."""
    if result.normalized is not None:
        click.echo(_("Query as searched: {query}", query=result.normalized or _("(no word)")))
    if result.date_words:
        since = result.since.date().isoformat() if result.since else "…"
        until = result.until.date().isoformat() if result.until else "…"
        click.echo(
            _(
                "Dates from the query: {words} ({since} to {until})",
                words=" ".join(result.date_words),
                since=since,
                until=until,
            )
        )
    if result.corrected_from is not None:
        click.echo(
            _(
                "Showing results for: {query} (nothing matched {typed!r}; "
                "--as-typed searches it as typed)",
                query=result.query,
                typed=result.corrected_from,
            )
        )
    if result.fallback:
        click.echo(_("No article has all the words; showing the closest matches."))
    start = (result.page - 1) * result.page_size
    for n, hit in enumerate(result.hits, start + 1):
        print_hit(n, hit, color=color)
    line = ngettext("{count} result", "{count} results", result.total)
    if result.stories is not None and result.stories != result.total:
        line += " " + ngettext("({count} story)", "({count} stories)", result.stories)
    pages = _("page {page}/{pages}", page=result.page, pages=result.pages)
    click.echo(f"{line} · {pages} · {result.took_ms:.0f} ms")
    if result.suggestion:
        click.echo(_("Did you mean: {suggestion}", suggestion=result.suggestion))
    if facets:
        print_facets(result)


def print_facets(result: SearchPage) -> None:
    """The facet counts, one line per facet (over every match, not only this page)."""
    named = (
        (_("Tags"), result.facets.tags),
        (_("Months"), result.facets.months),
        (_("Feeds"), result.facets.feeds),
        (_("Authors"), result.facets.authors),
    )
    for name, counts in named:
        if counts:
            listed = ", ".join(f"{label} ({count})" for label, count in counts)
            click.echo(_("{facet}: {counts}", facet=name, counts=listed))
