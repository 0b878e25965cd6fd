"""Fouille's web front end: the search page, a JSON API, OpenSearch and Atom.

`create_app()` is the factory; the views translate HTTP to `search.Engine` calls and back.
Nothing here imports Whoosh, and nothing in search/ imports this package.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from search import Engine, FouilleError, IndexNotFoundError, InvalidFilterError, Settings
from search.i18n import N_, Message

from . import language
from .errors import DEFAULT_MESSAGES, ParamError, wants_json
from .filters import register_filters

log = logging.getLogger(__name__)

EXTENSION = "fouille"

# No inline script or style anywhere: every page works with this policy (issue 4).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class EngineHolder:
    """Opens the `Engine` on first use, so an index built after start-up is picked up.

    While there is no index, every call retries `Engine.open` (cheap: a directory check).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def get(self) -> Engine:
        """The open engine.

        Raises:
            IndexNotFoundError: there is no index yet (becomes a 503).
        """
        engine = self._engine
        if engine is not None:
            return engine
        with self._lock:
            if self._engine is None:
                self._engine = Engine.open(self.settings)
                log.info("opened the index in %s", self.settings.index_dir)
            return self._engine

    def close(self) -> None:
        """Release the engine, if one was opened."""
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None


class JSONProvider(DefaultJSONProvider):
    """The API's JSON: French text stays readable (not \\u-escaped), keys keep their order."""

    ensure_ascii = False
    sort_keys = False


def create_app(settings: Settings | None = None, *, config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask application.

    Args:
        settings: Fouille settings; `Settings.load()` (config file and environment) when None.
        config: extra Flask configuration (e.g. ``{"TESTING": True}``).

    Returns:
        The WSGI application, with the HTML and JSON blueprints registered, behind the door
        when `web_password` is set (web/auth.py) and the origin rules (web/proxy.py).

    Raises:
        ConfigError: `web_password` is a malformed hash.
    """
    app = Flask(__name__)
    app.json = JSONProvider(app)
    if config:
        app.config.update(config)
    settings = settings if settings is not None else Settings.load()
    app.extensions[EXTENSION] = EngineHolder(settings)

    language.init_app(app, settings)
    register_filters(app)

    from .api import bp as api_bp
    from .articles import bp as articles_bp
    from .feeds import bp as feeds_bp
    from .views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(articles_bp)
    app.register_blueprint(feeds_bp)

    from . import auth, proxy

    auth.init_app(app, settings)
    app.wsgi_app = proxy.wrap(app.wsgi_app, settings, app.config)  # type: ignore[method-assign]

    app.after_request(_security_headers)
    _register_error_handlers(app)
    return app


def _security_headers(response: Response) -> Response:
    # Not `headers.setdefault`: werkzeug looks a header up by raising and catching an
    # HTTP exception when it is absent, and these five are absent from every response.
    headers = response.headers
    present = {name.lower() for name in headers.keys()}  # noqa: SIM118 (Headers, not dict)
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            headers.add(name, value)
    return response


def _register_error_handlers(app: Flask) -> None:
    from .errors import render_error

    @app.errorhandler(ParamError)
    def bad_param(exc: ParamError) -> Response:
        return render_error(400, exc.message)

    @app.errorhandler(InvalidFilterError)
    def bad_filter(exc: InvalidFilterError) -> Response:
        return render_error(400, exc.message)

    @app.errorhandler(IndexNotFoundError)  # not built yet, or removed while serving
    def no_index(exc: IndexNotFoundError) -> Response:
        response = render_error(503, exc.message)
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(
        FouilleError
    )  # any other situation the operator can fix (its message says how)
    def fouille_error(exc: FouilleError) -> Response:
        log.error("%s: %s", request.path, exc)
        return render_error(503, exc.message, title=Message(N_("Service unavailable")))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        message = exc.description or exc.name
        if code in DEFAULT_MESSAGES and message == type(exc).description:
            message = Message(DEFAULT_MESSAGES[code])
        response = render_error(code, message)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:  # werkzeug's Allow header
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        if app.testing and app.config.get("PROPAGATE_EXCEPTIONS") is not False:
            raise
        log.exception("unexpected error on %s", request.path)
        return render_error(500, Message(DEFAULT_MESSAGES[500]))


__all__ = ["EngineHolder", "create_app", "wants_json"]
