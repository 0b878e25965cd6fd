"""`fouille serve` and `fouille demo`: the web app on a real WSGI server (`web.server`).

`demo` sits here, not in `web/`, because it drives both siblings: the indexer builds the
sample index, the web app serves it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from search import Engine, FeedStats, FouilleError, IndexNotFoundError, Settings
from search.storage import Storage
from web import create_app
from web.feeds import HEALTH
from web.passwords import check_setting
from web.server import ServeError, default_workers, serve_app

from . import ui
from .cli import F, config_option, fail, index_option, load_settings, warn
from .ui import _


def _server_options(command: F) -> F:
    """--host, --port, --workers, then the shared --index and --config."""
    command = config_option(command)
    command = index_option(command)
    command = click.option(
        "--workers",
        type=click.IntRange(min=0),
        default=None,
        help="Server processes (gunicorn); 1 serves in one process (waitress).  "
        "[default: one per core, or FOUILLE_WORKERS]",
    )(command)
    command = click.option(
        "--port", type=int, default=None, help="Port to listen on.  [default: 8000]"
    )(command)
    return click.option(
        "--host", default=None, help="Interface to listen on.  [default: 127.0.0.1]"
    )(command)


@click.command()
@_server_options
@click.option(
    "--public",
    is_flag=True,
    help="Serve beyond this machine without a password: the archive is meant to be open.",
)
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    index_dir: str | None,
    config: str | None,
    public: bool,
) -> None:
    """Serve the search page, the JSON API, OpenSearch and Atom (gunicorn workers)."""
    settings = load_settings(config, host=host, port=port, workers=workers, index_dir=index_dir)
    check_exposure(settings, public=public)
    if not _has_index(settings):
        warn(
            _(
                "no index in {path} yet; pages answer 503 until "
                "`fouille reindex` has run (no restart needed)",
                path=settings.index_dir,
            )
        )
    run_server(settings)


@click.command()
@_server_options
def demo(
    host: str | None,
    port: int | None,
    workers: int | None,
    index_dir: str | None,
    config: str | None,
) -> None:
    """Index the bundled sample feed (when there is no index yet) and serve it."""
    settings = load_settings(config, host=host, port=port, workers=workers, index_dir=index_dir)
    if _has_index(settings):
        click.echo(_("Index already present in {path}: serving it as is.", path=settings.index_dir))
    else:
        click.echo(_("Indexing the bundled sample feed into {path}…", path=settings.index_dir))
        from indexer import index_sample  # here: `fouille serve` need not load the indexer

        try:
            count = index_sample(settings)
        except FouilleError as exc:
            fail(exc.message)
        click.echo(_("{count} articles indexed.", count=count))
    index_opt = (
        "" if settings.index_dir == Settings().index_dir else f" --index {settings.index_dir}"
    )
    click.echo(_("Try it from the command line too:"))
    click.echo(f'  fouille search{index_opt} "données personnelles"')
    click.echo(f"  fouille search{index_opt} --tag sécurité --sort date windows")
    run_server(settings)


def run_server(settings: Settings) -> None:
    """Serve the app on settings.host:settings.port until interrupted.

    Prints the URL once the port is listening (tests and scripts wait for that line).
    """
    app = create_app(settings)
    app.extensions[HEALTH] = feed_health_rows
    workers = settings.workers or default_workers()

    def ready(url: str) -> None:
        click.echo(
            _(
                "Fouille is serving {path} at {url}  (Ctrl+C to stop)",
                path=settings.index_dir,
                url=url,
            )
        )

    try:
        serve_app(
            app,
            host=settings.host,
            port=settings.port,
            workers=workers,
            on_ready=ready,
            generation=Storage(Path(settings.index_dir)).current,
        )
    except ServeError as exc:
        fail(_("{error}: try --port", error=ui.say(exc.message)))


def check_exposure(settings: Settings, *, public: bool) -> None:
    """Refuse to put the archive on the network without a password (issue 13): anything but
    a loopback address needs `web_password`, or `--public` to say it is meant to be open.
    A malformed password hash is refused too. Both are one-line errors (exit 2)."""
    try:
        check_setting(settings.web_password)
    except FouilleError as exc:
        fail(exc.message)
    if settings.web_password or public or is_loopback(settings.host):
        return
    fail(
        _(
            "refusing to serve {host} without a password: set web_password (see `fouille "
            "passwd`), or pass --public if the archive is meant to be open",
            host=settings.host or _("every address"),
        )
    )


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only (`localhost`, 127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # another name: it may resolve to anything


def feed_health_rows(settings: Settings, stats: Sequence[FeedStats]) -> list[dict[str, Any]]:
    """The /feeds page's rows: the indexer's view of each feed (imported on first use, so
    that `fouille serve` need not load the indexer)."""
    from indexer.health import feed_health

    return [row.to_dict() for row in feed_health(settings, stats)]


def _has_index(settings: Settings) -> bool:
    try:
        Engine.open(settings).close()
    except IndexNotFoundError:
        return False
    return True
