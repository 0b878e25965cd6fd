"""`fouille reindex`: fetch the feeds, grow the archive, print what was done (once, or
again and again with `--every`)."""

from __future__ import annotations

import re
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

import click

from indexer import build
from indexer.build import DEFAULT_MAX_PAGES, FeedReport, Report
from indexer.sources import Source, resolve_sources
from search import FouilleError, Settings

from . import ui
from .cli import config_option, echo_json, fail, index_option, json_option, load_settings, warn
from .ui import _, ngettext

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: When stderr is not a terminal (cron, systemd), a progress line at most this often (s).
PROGRESS_INTERVAL = 5.0


def parse_interval(text: str) -> timedelta:
    """`30m`, `1h30m`, `45s`, `2h`, `1d`, or a number of seconds → a timedelta.

    Raises:
        ValueError: not an interval, or shorter than a minute.
    """
    text = text.strip().lower().replace(" ", "")
    if text.isdigit():
        seconds = int(text)
    else:
        parts = re.findall(r"(\d+)([smhd])", text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise ValueError(_("not an interval: {text!r} (try 30m, 1h, 1h30m)", text=text))
        seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if seconds < 60:
        raise ValueError(_("the interval must be at least 1m: be polite to the feeds"))
    return timedelta(seconds=seconds)


class _Interval(click.ParamType):
    name = "interval"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            return parse_interval(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.command("reindex")
@config_option
@index_option
@click.option(
    "--feed",
    "feeds",
    multiple=True,
    metavar="URL|PATH",
    help="Read this feed instead of the configured ones; repeatable. A directory means every "
    "feed file below it.",
)
@click.option("--sample", is_flag=True, help="Index the bundled sample feed (works offline).")
@click.option(
    "--backfill",
    is_flag=True,
    help="Also walk each feed's older pages (RFC 5005 links, WordPress ?paged=N).",
)
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_PAGES,
    show_default=True,
    help="Most pages read per feed with --backfill.",
)
@click.option(
    "--rebuild",
    is_flag=True,
    help="Re-analyze the stored archive into a new index (after an analyzer change); feeds "
    "are then read only if --feed or --sample is given.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Fetch every feed now, in full, even those the server asked us to leave alone.",
)
@click.option(
    "--every",
    type=_Interval(),
    metavar="INTERVAL",
    help="Run again and again at this interval (30m, 1h…) until interrupted.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but failures.")
@json_option
def reindex(
    config: str | None,
    index_dir: str | None,
    feeds: tuple[str, ...],
    sample: bool,
    backfill: bool,
    max_pages: int,
    rebuild: bool,
    force: bool,
    every: timedelta | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Fetch the feeds and add new and changed articles to the index.

    Exit status: 0 when every feed was read, 1 when some failed (the rest is committed),
    2 when nothing could be done (bad configuration, index locked).
    """
    settings = load_settings(config, index_dir=index_dir)
    try:
        sources = (
            []
            if rebuild and not (feeds or sample)
            else resolve_sources(settings, feeds, sample=sample)
        )
    except FouilleError as exc:
        fail(exc.message)
    options = _Options(backfill=backfill, max_pages=max_pages, force=force, rebuild=rebuild)
    if every is None:
        sys.exit(_run_once(settings, sources, options, quiet=quiet, as_json=as_json))
    _run_forever(settings, sources, options, every, quiet=quiet, as_json=as_json)


@dataclass(frozen=True)
class _Options:
    """How each run reads the feeds (the options of `build.reindex`)."""

    backfill: bool
    max_pages: int
    force: bool
    rebuild: bool


def _run_once(
    settings: Settings,
    sources: list[Source],
    options: _Options,
    *,
    quiet: bool,
    as_json: bool,
    locked_is_fatal: bool = True,
) -> int:
    try:
        with _progress(len(sources), enabled=not quiet, quiet_tty=as_json) as progress:
            report = build.reindex(
                settings,
                sources,
                backfill=options.backfill,
                max_pages=options.max_pages,
                force=options.force,
                rebuild=options.rebuild,
                on_feed=progress.feed if progress else None,
                on_page=progress.page if progress else None,
            )
    except FouilleError as exc:
        return _cannot(exc.message, locked_is_fatal)
    except Exception as exc:
        # A read-only or full disk: the system refused, so say that in one line, not a traceback.
        cause = _os_error(exc)
        if cause is None:
            raise
        return _cannot(
            _(
                "cannot write the index in {path}: {reason}",
                path=settings.index_dir,
                reason=cause.strerror or cause,
            ),
            locked_is_fatal,
        )
    if as_json:
        echo_json({**report.to_dict(), "index_dir": str(settings.index_dir)})
    elif quiet:
        for feed in report.failed:
            warn(_feed_line(feed))
    else:
        _print_report(report, settings.index_dir)
    return report.exit_status


def _cannot(message: str, fatal: bool) -> int:
    if fatal:
        fail(message)
    warn(message)
    return 2


def _os_error(exc: BaseException | None) -> OSError | None:
    """The OSError behind `exc` (itself, or what it was raised from or while handling)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OSError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _run_forever(
    settings: Settings,
    sources: list[Source],
    options: _Options,
    every: timedelta,
    *,
    quiet: bool,
    as_json: bool,
) -> None:
    period = every.total_seconds()
    try:
        while True:
            started = time.monotonic()
            _run_once(
                settings, sources, options, quiet=quiet, as_json=as_json, locked_is_fatal=False
            )
            # A rebuild is a one-off; the loop then only fetches.
            options = replace(options, rebuild=False)
            delay = max(0.0, period - (time.monotonic() - started))
            if not quiet and not as_json:
                click.echo(
                    _("next run in {duration} (Ctrl-C to stop)", duration=_duration(delay)),
                    err=True,
                )
            time.sleep(delay)
    except KeyboardInterrupt:
        click.echo(_("stopped"), err=True)
        sys.exit(0)


class _Progress:
    """What a running reindex shows on stderr: feeds done, articles read, and the pages of
    a feed being backfilled. On a terminal, one line kept up to date; elsewhere (cron,
    systemd, a pipe), a plain line at most every `PROGRESS_INTERVAL` seconds, so that the
    logs of a long run show it is alive. Without colour (`NO_COLOR`, `--color never`) the
    live line is kept up to date with a carriage return and spaces, no escape sequence."""

    def __init__(self, total: int, stream: TextIO, *, tty: bool, ansi: bool = True) -> None:
        self.total = total
        self.stream = stream
        self.tty = tty
        self.ansi = ansi
        self.width = 0
        self.done = 0
        self.entries = 0
        self.new = 0
        self.current: FeedReport | None = None
        self.resumed: set[str] = set()
        self.last = time.monotonic()
        self.shown = False

    def page(self, feed: FeedReport) -> None:
        """A page of `feed` was stored."""
        if feed.resumed_at and feed.url not in self.resumed:
            self.resumed.add(feed.url)
            self.say(
                _(
                    "{feed}: backfill resumes at page {page}, where the last one stopped",
                    feed=_shorten(feed.label, 60),
                    page=feed.resumed_at,
                )
            )
        self.current = feed
        self.update()

    def feed(self, feed: FeedReport) -> None:
        """`feed` is done."""
        self.done += 1
        self.entries += feed.entries
        self.new += feed.new
        if self.current is feed:
            self.current = None
        self.update()

    def text(self) -> str:
        done = _(
            "{done}/{total} feeds done, {entries} entries read ({new} new)",
            done=self.done,
            total=self.total,
            entries=self.entries,
            new=self.new,
        )
        feed = self.current
        if feed is not None and feed.last_page > 1:
            page = _(
                "{feed}: page {page}, {entries} entries ({new} new)",
                feed=_shorten(feed.label, 40),
                page=feed.last_page,
                entries=feed.entries,
                new=feed.new,
            )
            return _("{done}; {feed}", done=done, feed=page)
        return done

    def update(self) -> None:
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.live(self.text()[:width])
        elif time.monotonic() - self.last >= PROGRESS_INTERVAL:
            self.say(self.text())

    def live(self, text: str) -> None:
        """Write `text` over the live line."""
        if self.ansi:
            self.stream.write("\r\x1b[K" + text)
        else:
            self.stream.write("\r" + text.ljust(self.width))
        self.width = len(text)
        self.stream.flush()
        self.shown = True

    def say(self, line: str) -> None:
        """A line of its own (above the live line on a terminal)."""
        self.clear()
        self.stream.write(_("reindex: {line}", line=line) + "\n")
        self.stream.flush()
        self.last = time.monotonic()

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K" if self.ansi else "\r" + " " * self.width + "\r")
            self.stream.flush()
            self.shown = False
            self.width = 0


@contextmanager
def _progress(total: int, *, enabled: bool, quiet_tty: bool) -> Iterator[_Progress | None]:
    """The progress display of one run (None when disabled). `quiet_tty`: no live line on a
    terminal (--json), plain lines only."""
    if not enabled:
        yield None
        return
    tty = sys.stderr.isatty() and not quiet_tty
    progress = _Progress(total, sys.stderr, tty=tty, ansi=ui.use_color(sys.stderr))
    try:
        yield progress
    finally:
        progress.clear()


def _print_report(report: Report, index_dir: Path) -> None:
    width = min(60, max((len(_shorten(f.label, 60)) for f in report.feeds), default=0))
    for feed in report.feeds:
        click.echo(f"{_shorten(feed.label, 60):<{width}}  {_feed_status(feed)}")
        for warning in feed.warnings:
            click.echo(f"{'':<{width}}    " + _("warning: {warning}", warning=ui.say(warning)))
    totals = report.totals()
    if report.rebuilt is not None:
        click.echo(_("rebuilt the index from {count} stored articles", count=report.rebuilt))
    if report.feeds:
        feeds = ngettext(
            "{count} feed: {ok} read, {failed} failed",
            "{count} feeds: {ok} read, {failed} failed",
            totals["feeds"],
            ok=totals["feeds"] - totals["failed"],
            failed=totals["failed"],
        )
        articles = ngettext(
            "{new} new, {updated} updated, {count} unchanged article in {path}",
            "{new} new, {updated} updated, {count} unchanged articles in {path}",
            totals["unchanged"],
            new=totals["new"],
            updated=totals["updated"],
            path=index_dir,
        )
        click.echo(
            _(
                "{feeds}; {articles} ({seconds:.1f} s)",
                feeds=feeds,
                articles=articles,
                seconds=report.seconds,
            )
        )
    else:
        click.echo(_("done in {seconds:.1f} s", seconds=report.seconds))


def _feed_status(feed: FeedReport) -> str:
    if feed.status == "failed":
        return _("failed: {reason}", reason=ui.say(feed.reason))
    if feed.status == "skipped":
        return _("skipped: {reason}", reason=ui.say(feed.reason))
    if feed.status == "not-modified":
        return _("not modified since the last run")
    text = _(
        "{new} new, {updated} updated, {unchanged} unchanged",
        new=feed.new,
        updated=feed.updated,
        unchanged=feed.unchanged,
    )
    if feed.duplicates:
        text += ", " + _("{count} already read from another feed", count=feed.duplicates)
    if feed.resumed_at:
        text += " " + _(
            "({pages} pages, backfill resumed at page {page})",
            pages=feed.pages,
            page=feed.resumed_at,
        )
    elif feed.pages > 1:
        text += " " + _("({pages} pages)", pages=feed.pages)
    return text


def _feed_line(feed: FeedReport) -> str:
    return f"{feed.label}: {_feed_status(feed)}"


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
