"""`fouille serve` and `fouille demo`: the web app behind waitress, a real WSGI server.

`demo` sits here, not in `web/`, because it drives both siblings: the indexer builds the
sample index, the web app serves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from search import Engine, FeedStats, FouilleError, IndexNotFoundError, Settings
from web import create_app
from web.feeds import HEALTH

from .cli import F, config_option, fail, index_option, load_settings

#: waitress worker threads: searches run in parallel up to this many.
THREADS = 8


def _server_options(command: F) -> F:
    """--host, --port, then the shared --index and --config."""
    command = config_option(command)
    command = index_option(command)
    command = click.option(
        "--port", type=int, default=None, help="Port to listen on.  [default: 8000]"
    )(command)
    return click.option(
        "--host", default=None, help="Interface to listen on.  [default: 127.0.0.1]"
    )(command)


@click.command()
@_server_options
def serve(host: str | None, port: int | None, index_dir: str | None, config: str | None) -> None:
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
def demo(host: str | None, port: int | None, index_dir: str | None, config: str | None) -> None:
    """Index the bundled sample feed (when there is no index yet) and serve it."""
    settings = load_settings(config, host=host, port=port, index_dir=index_dir)
    if _has_index(settings):
        click.echo(f"Index already present in {settings.index_dir}: serving it as is.")
    else:
        click.echo(f"Indexing the bundled sample feed into {settings.index_dir}…")
        from indexer import index_sample  # here: `fouille serve` need not load the indexer

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


def run_server(settings: Settings) -> None:
    """Serve the app with waitress on settings.host:settings.port until interrupted.

    Prints the URL once the port is listening (tests and scripts wait for that line).
    """
    from waitress import create_server

    app = create_app(settings)
    app.extensions[HEALTH] = feed_health_rows
    try:
        server = create_server(app, host=settings.host, port=settings.port, threads=THREADS)
    except OSError as exc:
        fail(f"cannot listen on {settings.host}:{settings.port} ({exc.strerror}): try --port")
    url = f"http://{_url_host(settings.host)}:{server.effective_port}/"
    try:
        click.echo(f"Fouille is serving {settings.index_dir} at {url}  (Ctrl+C to stop)")
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        app.extensions["fouille"].close()


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


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
