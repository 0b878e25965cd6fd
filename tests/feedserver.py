"""A real HTTP server on 127.0.0.1 for the indexer tests: each path answers what a test set.

    with FeedServer() as server:
        server.route("/feed", body=rss, headers={"ETag": '"v1"'})
        url = server.url("/feed")

A route is either fixed (`status`, `body`, `headers`, `delay`) or a function of the request
(`server.route("/x", handler=lambda request: Reply(...))`). Every request is recorded, and
the server counts what is open at once (`max_connections`, `max_in_flight`): several
servers stand for several hosts in the politeness tests.
"""

from __future__ import annotations

import contextlib
import gzip
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).parent / "data"


@dataclass
class Reply:
    """What the server sends back."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds to wait after the headers, before the body (a slow server).
    delay: float = 0.0
    gzip: bool = False
    #: False: no Content-Length, the body ends when the connection closes.
    send_length: bool = True


@dataclass(frozen=True)
class Request:
    """A request the server received."""

    path: str
    headers: dict[str, str]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hung up (the indexer's timeouts and size caps, a killed process) is
        # what those tests want: printing it would land in whichever test captures stderr then.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class FeedServer:
    """A threaded HTTP server with per-path replies, started and stopped as a context.

    `latency`: seconds every reply waits before its headers (a distant server).
    """

    def __init__(self, *, latency: float = 0.0) -> None:
        self.routes: dict[str, Callable[[Request], Reply]] = {}
        self.requests: list[Request] = []
        self.latency = latency
        #: TCP connections and requests open at once, now and at most.
        self.connections = self.in_flight = 0
        self.max_connections = self.max_in_flight = 0
        self._count = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                server._open("connections", +1)

            def finish(self) -> None:
                server._open("connections", -1)
                super().finish()

            def do_GET(self) -> None:
                server._open("in_flight", +1)
                try:
                    self._reply()
                finally:
                    server._open("in_flight", -1)

            def _reply(self) -> None:
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()})
                server.requests.append(request)
                if server.latency:
                    server.closed.wait(server.latency)
                route = server.routes.get(self.path)
                reply = route(request) if route else Reply(404, b"not found")
                body = gzip.compress(reply.body) if reply.gzip else reply.body
                self.send_response(reply.status)
                headers = {"Content-Type": "application/rss+xml; charset=utf-8", **reply.headers}
                if reply.gzip:
                    headers["Content-Encoding"] = "gzip"
                if reply.send_length:
                    headers.setdefault("Content-Length", str(len(body)))
                else:
                    headers["Connection"] = "close"
                    self.close_connection = True
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if reply.delay:
                    self.wfile.flush()
                    server.closed.wait(reply.delay)  # cut short when the test is over
                # The client may give up (timeouts, size caps): that is what the test wanted.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.closed = threading.Event()
        self._httpd = _HTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def _open(self, what: str, change: int) -> None:
        with self._count:
            now = getattr(self, what) + change
            setattr(self, what, now)
            if now > getattr(self, f"max_{what}"):
                setattr(self, f"max_{what}", now)

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this server."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def route(
        self,
        path: str,
        *,
        handler: Callable[[Request], Reply] | None = None,
        **reply: object,
    ) -> None:
        """Answer `path` with a fixed `Reply(**reply)`, or with `handler(request)`."""
        fixed = Reply(**reply)  # type: ignore[arg-type]
        self.routes[path] = handler or (lambda request: fixed)

    def hits(self, path: str) -> list[Request]:
        """The requests made for `path`."""
        return [r for r in self.requests if r.path == path]


def rss(items: list[dict[str, str]], *, title: str = "Flux de test", extra: str = "") -> bytes:
    """A small RSS 2.0 document; each item is a mapping of element name → raw XML content."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:atom="http://www.w3.org/2005/Atom"><channel>',
        f"<title>{title}</title><link>https://exemple.fr/</link>",
        "<description>Actualités de test</description>",
        extra,
    ]
    for item in items:
        parts.append("<item>")
        parts.extend(f"<{name}>{value}</{name.split()[0]}>" for name, value in item.items())
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def item(n: int, *, title: str = "", body: str = "", date: str = "") -> dict[str, str]:
    """A plausible French RSS item number `n`."""
    return {
        "title": title or f"Article numéro {n} : l’été à la mer",
        "link": f"https://exemple.fr/articles/{n}",
        "guid": f"https://exemple.fr/articles/{n}",
        "pubDate": date or f"Mon, {n % 28 + 1:02d} Jun 2025 10:00:00 +0200",
        "description": body or f"Résumé de l’article {n}, écrit à Montréal.",
    }
