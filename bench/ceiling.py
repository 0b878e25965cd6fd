"""The ceiling of the server stack: a trivial Flask page served exactly as `fouille serve`
serves Fouille (`web.server.serve_app`, same worker count), so that the HTTP figures of the
search page can be read against what the stack itself costs.

`python -m bench.ceiling [--host H] [--port P] [--workers N]` prints
"Ceiling page serving at URL" once the port listens, as `fouille serve` does.
"""

from __future__ import annotations

import argparse
import sys

from flask import Flask, request
from markupsafe import escape

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{query} – plafond</title></head>
<body><h1>Recherche</h1><p>Vous avez cherché : <b>{query}</b>.</p></body></html>
"""


def create_app() -> Flask:
    """A Flask app with one route: a small HTML page echoing `q` (escaped)."""
    app = Flask(__name__)

    @app.get("/")
    def page() -> str:
        return PAGE.format(query=escape(request.args.get("q", "")))

    return app


def main(argv: list[str] | None = None) -> int:
    from web.server import default_workers, serve_app

    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--workers", type=int, default=0, help="default: one per core")
    args = parser.parse_args(argv)

    def ready(url: str) -> None:
        print(f"Ceiling page serving at {url}", flush=True)

    serve_app(
        create_app(),
        host=args.host,
        port=args.port,
        workers=args.workers or default_workers(),
        on_ready=ready,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
