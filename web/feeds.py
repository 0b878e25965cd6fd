"""The feeds page (`/feeds`) and its JSON (`/api/feeds`): each feed followed, what the
archive holds of it, and how its last fetch went.

What the archive holds comes from the engine. How the fetches went is the indexer's to
say, and this package never imports the indexer: whoever starts the app (`fouille serve`)
puts a function in `app.extensions[HEALTH]` that turns the engine's per-feed counts into
rows (the dicts of `fouille feeds --json`). Without it the page lists the feeds of the
archive, and says that their fetch history is not available here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Response, current_app, jsonify, render_template

from search import FeedStats, IndexNotFoundError, Settings
from search.formatting import format_date
from search.i18n import N_

from . import EXTENSION, EngineHolder, language
from .language import _

bp = Blueprint("feeds", __name__)

#: `app.extensions` key of the health function: (settings, per-feed stats) → rows.
HEALTH = "fouille.feeds"
HealthRows = Callable[[Settings, Sequence[FeedStats]], list[dict[str, Any]]]

try:
    _PARIS: tzinfo = ZoneInfo("Europe/Paris")
except ZoneInfoNotFoundError:  # no time zone database: UTC, and the page says so
    _PARIS = UTC

#: How the page says each outcome of a fetch (msgids).
RESULTS = {
    "ok": N_("read"),
    "not-modified": N_("unchanged since the previous fetch"),
    "skipped": N_("put off at the server's request"),
    "failed": N_("failing"),
}


def feed_rows() -> tuple[list[dict[str, Any]], bool]:
    """The rows of the table, and whether they carry the fetch history."""
    holder: EngineHolder = current_app.extensions[EXTENSION]
    try:
        stats = holder.get().feeds()
    except IndexNotFoundError:
        stats = []
    health: HealthRows | None = current_app.extensions.get(HEALTH)
    if health is not None:
        return health(holder.settings, stats), True
    return [_archive_row(s) for s in stats], False


def _archive_row(stats: FeedStats) -> dict[str, Any]:
    """A row of the JSON shape for a feed known only from the archive."""
    return {
        "url": stats.feed_url,
        "name": stats.title or stats.feed_url,
        "origin": "archive",
        "followed": None,
        "tags": [],
        "site": "",
        "articles": stats.articles,
        "oldest": stats.oldest.isoformat() if stats.oldest else None,
        "newest": stats.newest.isoformat() if stats.newest else None,
        "last_fetch": None,
        "last_status": None,
        "result": None,
        "error": None,
        "backfill": None,
    }


@bp.get("/feeds")
def page() -> str:
    """The feeds' health table."""
    rows, with_history = feed_rows()
    followed = [row for row in rows if row.get("followed")]
    return render_template(
        "feeds.html",
        rows=rows,
        with_history=with_history,
        followed=len(followed),
        failing=sum(1 for row in followed if row.get("result") == "failed"),
        articles=sum(int(row.get("articles") or 0) for row in rows),
        results=RESULTS,
    )


@bp.get("/api/feeds")
def api() -> Response:
    """The same table as JSON: `{"feeds": [...], "history": bool}`."""
    rows, with_history = feed_rows()
    return jsonify({"feeds": rows, "history": with_history})


@bp.app_template_filter("iso_date")
def iso_date(value: str | None) -> str:
    """An ISO 8601 time → `2 juin 2025`, `2 June 2025` (Paris time); "" for none or garbage."""
    moment = _parse(value)
    return format_date(moment, language.current()) if moment else ""


@bp.app_template_filter("iso_time")
def iso_time(value: str | None) -> str:
    """An ISO 8601 time → `2 juin 2025 à 12:05`, `2 June 2025 at 12:05` (Paris time)."""
    moment = _parse(value)
    if moment is None:
        return ""
    return _("{date} at {time:%H:%M}", date=format_date(moment, language.current()), time=moment)


def _parse(value: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(_PARIS)
