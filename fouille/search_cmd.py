"""`fouille search`: the archive from the terminal, numbered hits or one JSON object."""

from __future__ import annotations

import sys

import click

from search import Engine, Explanation, FouilleError, Hit, SearchPage, Snippet
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
        fail(str(exc))
    for tag, nearest in result.unknown_tags:
        hint = f"; nearest tags: {', '.join(nearest)}" if nearest else ""
        click.echo(f"fouille: no article has the tag {tag[:80]!r}{hint}", err=True)
    if as_json:
        echo_json(result.to_dict())
    else:
        print_page(result, color=sys.stdout.isatty(), facets=facets)
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
    if hit.version_count > 1:
        others = ", ".join(f"{v.feed or v.url} ({v.published.date()})" for v in hit.versions)
        click.echo(f"   {hit.version_count} versions; also: {others}")
    if hit.explanation is not None:
        for line in why(hit.explanation):
            click.echo(f"   {line}")
    click.echo()


FIELDS = {
    "text": "text",
    "title": "title",
    "body_exact": "body, exact",
    "title_exact": "title, exact",
    "tag": "tag",
    "author": "author",
    "feed_title": "feed",
    "feed_url": "feed",
}


def why(explanation: Explanation) -> list[str]:
    """The lines of an explanation: the score, then one line per part."""
    head = f"why: score {explanation.score:.4g}"
    if explanation.freshness is not None:
        head += f" = relevance {explanation.relevance:.4g} × freshness {explanation.freshness:.3g}"
    lines = [head]
    for part in explanation.parts:
        where = FIELDS.get(part.field, part.field or "?")
        details = [f"tf {part.tf}"] if part.tf is not None else []
        if part.weight != 1:
            details.append(f"weight {part.weight:g}")
        extra = f" ({', '.join(details)})" if details else ""
        if part.field in ("tag", "author", "feed_title", "feed_url"):
            lines.append(f"  {part.clause}: matched in {where}, no score")
        else:
            lines.append(f"  {part.clause} → {part.term} in {where}: {part.score:.4g}{extra}")
    return lines


def print_page(result: SearchPage, *, color: bool, facets: bool = False) -> None:
    """Numbered hits with French dates; highlights in bold on a terminal."""
    if result.normalized is not None:
        click.echo(f"Query as searched: {result.normalized or '(no word)'}")
    if result.date_words:
        since = result.since.date().isoformat() if result.since else "…"
        until = result.until.date().isoformat() if result.until else "…"
        click.echo(f"Dates from the query: {' '.join(result.date_words)} ({since} to {until})")
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
    stories = ""
    if result.stories is not None and result.stories != result.total:
        stories = f" ({result.stories} stories)"
    click.echo(f"{result.total} result{plural}{stories} · {pages} · {result.took_ms:.0f} ms")
    if result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}")
    if facets:
        print_facets(result)


def print_facets(result: SearchPage) -> None:
    """The facet counts, one line per facet (over every match, not only this page)."""
    named = (
        ("Tags", result.facets.tags),
        ("Months", result.facets.months),
        ("Feeds", result.facets.feeds),
        ("Authors", result.facets.authors),
    )
    for name, counts in named:
        if counts:
            click.echo(f"{name}: " + ", ".join(f"{label} ({count})" for label, count in counts))
