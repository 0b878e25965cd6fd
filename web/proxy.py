"""Where the site says it lives: the scheme, host and path of the absolute links it emits
(OpenSearch, Atom), and whether a request came over HTTPS (issue 13).

- `base_url` set: it is the only truth, whatever a request carries; a path in it
  (`https://example.org/fouille`) is the prefix of every link.
- `trusted_proxies = N`: the last N proxies' X-Forwarded-For/-Proto/-Host/-Port/-Prefix
  count (Werkzeug's ProxyFix); `base_url`, if also set, still pins scheme and host.
- neither: the Host header is never echoed into a link. Links name the address the server
  listens on (`host` and the port the WSGI server reports), over plain HTTP, which is what
  `fouille serve` speaks (behind anything that adds TLS, set `base_url`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from werkzeug.middleware.proxy_fix import ProxyFix

from search import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: Where the WSGI server says it listens (`http://127.0.0.1:8000`), in the app's config.
LISTENING = "FOUILLE_LISTENING"


def note_listening(app: Any, url: str) -> None:
    """Tell `app` (a Flask app) the address its server listens on, once it is bound: the
    origin of its absolute links when neither `base_url` nor a trusted proxy says better."""
    app.config[LISTENING] = url.rstrip("/")


class PinnedOrigin:
    """WSGI middleware: the request's scheme and Host as the settings say, not as sent."""

    def __init__(
        self, app: WSGIApplication, settings: Settings, config: dict[str, Any] | None = None
    ) -> None:
        self.app = app
        self.config = config if config is not None else {}
        self.trusted = settings.trusted_proxies > 0
        self.base = urlsplit(settings.base_url) if settings.base_url else None
        self.host = listening_host(settings.host)
        self.port = str(settings.port)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.base is not None:
            environ["wsgi.url_scheme"] = self.base.scheme
            environ["HTTP_HOST"] = self.base.netloc
            prefix = self.base.path.rstrip("/")
            if prefix:
                path = environ.get("PATH_INFO", "")
                # A proxy may pass the prefix on or strip it: both work.
                if path == prefix or path.startswith(prefix + "/"):
                    environ["PATH_INFO"] = path[len(prefix) :]
            # Also over an X-Forwarded-Prefix: base_url is the truth.
            environ["SCRIPT_NAME"] = prefix
        elif not self.trusted:
            # `fouille serve` speaks plain HTTP; gunicorn would take https from any local
            # client's X-Forwarded-Proto (its forwarded_allow_ips): nobody vouched for it.
            environ["wsgi.url_scheme"] = "http"
            listening = self.config.get(LISTENING)
            if listening:
                environ["HTTP_HOST"] = urlsplit(listening).netloc
            else:
                # Not run by `fouille serve`: the port the WSGI server reports (waitress's
                # is the bound one; gunicorn's may come from the Host header, hence above).
                port = str(environ.get("SERVER_PORT", ""))
                port = port if port.isdigit() else self.port
                environ["HTTP_HOST"] = self.host if port == "80" else f"{self.host}:{port}"
        return self.app(environ, start_response)


def wrap(app: Any, settings: Settings, config: dict[str, Any] | None = None) -> Any:
    """`app` (a WSGI callable) behind the origin rules of `settings`; `config` is the Flask
    app's, where `note_listening` leaves the server's address."""
    pinned = PinnedOrigin(app, settings, config)
    n = settings.trusted_proxies
    if n <= 0:
        return pinned
    return ProxyFix(pinned, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)


def listening_host(host: str) -> str:
    """How to write the address a server listens on in a URL (a wildcard as loopback, as
    `fouille serve` prints it; an IPv6 address in brackets)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
