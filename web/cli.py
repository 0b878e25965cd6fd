"""`fouille serve` and `fouille demo`: the web app behind waitress, a real WSGI server."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from search import Engine, FeedError, FouilleError, IndexNotFoundError, Settings
from search.cli import fail, load_settings

from . import create_app

log = logging.getLogger(__name__)

THREADS = 8


def _server_options(command: click.Command) -> click.Command:
    options = (
        click.option("--host", default=None, help="Interface to listen on.  [default: 127.0.0.1]"),
        click.option("--port", type=int, default=None, help="Port to listen on.  [default: 8000]"),
        click.option(
            "--index",
            "index_dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="Index directory.  [default: ./index, or FOUILLE_INDEX]",
        ),
        click.option(
            "--config",
            type=click.Path(dir_okay=False),
            default=None,
            help="Config file (TOML).  [default: ./fouille.toml, or FOUILLE_CONFIG]",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


@click.command()
@_server_options
def serve(host: str | None, port: int | None, index_dir: Path | None, config: str | None) -> None:
    """Serve the search page, the JSON API and OpenSearch with waitress."""
    settings = load_settings(config, host=host, port=port, index_dir=index_dir)
    if not _has_index(settings):
        click.echo(
            f"fouille: no index in {settings.index_dir} yet; pages answer 503 until "
            "`fouille reindex` has run (no restart needed)",
            err=True,
        )
    run_server(settings)


@click.command()
@_server_options
def demo(host: str | None, port: int | None, index_dir: Path | None, config: str | None) -> None:
    """Index the bundled sample feed (when there is no index yet) and serve it."""
    settings = load_settings(config, host=host, port=port, index_dir=index_dir)
    if _has_index(settings):
        click.echo(f"Index already present in {settings.index_dir}: serving it as is.")
    else:
        click.echo(f"Indexing the bundled sample feed into {settings.index_dir}…")
        try:
            count = index_sample(settings)
        except FouilleError as exc:
            fail(str(exc))
        click.echo(f"{count} articles indexed.")
    index_opt = (
        "" if settings.index_dir == Settings().index_dir else f" --index {settings.index_dir}"
    )
    click.echo("Try it from the command line too:")
    click.echo(f'  fouille search{index_opt} "données personnelles"')
    click.echo(f"  fouille search{index_opt} --tag sécurité --sort date windows")
    run_server(settings)


def index_sample(settings: Settings) -> int:
    """Index the sample feed bundled with the indexer; returns the number of articles read.

    Raises:
        FouilleError: the index is locked, or the sample feed could not be read.
    """
    # The indexer owns the sample feed and how it is read: the same path as
    # `fouille reindex --sample`.
    from indexer import build
    from indexer.sources import resolve_sources

    report = build.reindex(settings, resolve_sources(settings, sample=True))
    if report.failed:
        raise FeedError(report.failed[0].url, report.failed[0].reason)
    totals = report.totals()
    return totals["new"] + totals["updated"] + totals["unchanged"]


def run_server(settings: Settings) -> None:
    """Start waitress on settings.host:settings.port and serve until interrupted."""
    from waitress import create_server

    app = create_app(settings)
    try:
        server = create_server(app, host=settings.host, port=settings.port, threads=THREADS)
    except OSError as exc:
        fail(f"cannot listen on {settings.host}:{settings.port} ({exc.strerror}): try --port")
    url = f"http://{_url_host(settings.host)}:{server.effective_port}/"
    click.echo(f"Fouille is serving {settings.index_dir} at {url}  (Ctrl+C to stop)")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        app.extensions["fouille"].close()


def _has_index(settings: Settings) -> bool:
    try:
        Engine.open(settings).close()
    except IndexNotFoundError:
        return False
    return True


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
