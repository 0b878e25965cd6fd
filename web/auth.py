"""The locked door (issue 13): with `web_password` set, every route but `/healthz`, the login
form and static files needs the password, a session, or a token.

How a request gets in, first match wins:
- `Authorization: Basic` with user `fouille` and the password (or any user and a token);
- `Authorization: Bearer TOKEN` (tokens from `fouille token create`);
- on `/search.atom` only, `?token=TOKEN`, or the `key` that a results page puts in its Atom
  link: an HMAC of that search, so the link a feed reader keeps opens that feed and nothing
  else. A URL is written down in more places than a header (reader exports, proxies' logs):
  the trade-off is documented in the README. Fouille's own logs never hold a query string;
- the session cookie set by the French login form (HttpOnly, SameSite=Lax, Secure over
  HTTPS), whose POST carries a CSRF token.

Anonymous pages are sent to the login form; anonymous API, Atom and OpenSearch requests get a
401. Failed attempts slow the client down: see `Throttle`. Without `web_password` nothing
here runs, except that the login page says there is nothing to log into.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from search import Settings
from search.i18n import N_, Message

from . import passwords
from .errors import render_error, wants_json
from .language import _
from .tokens import TokenStore

log = logging.getLogger(__name__)

USER = "fouille"
REALM = "Fouille"
SECRET_FILE = "web-secret"
SESSION_COOKIE = "fouille_session"
SESSION_DAYS = 30
#: Endpoints anyone may reach.
OPEN_ENDPOINTS = frozenset({"static", "auth.login", "auth.logout", "api.healthz"})
#: Endpoints that answer machines: a 401 with a challenge rather than the login form.
MACHINE_ENDPOINTS = frozenset({"api.atom", "api.opensearch"})
ATOM_ENDPOINT = "api.atom"
EXTENSION = "fouille.auth"

bp = Blueprint("auth", __name__)


class Throttle:
    """Per-client slowdown after failed attempts.

    The first FREE failures cost nothing (a typo, a wrong paste); after that each failure
    closes the door to that client for twice as long as the one before, up to MAX_DELAY,
    and every attempt meanwhile is answered 429 with Retry-After — the password is not
    even checked. Nothing sleeps: a sleeping request would hold one of the server's few
    threads, so a guesser with as many connections would lock everyone out. A success
    clears the client's record. Clients are told apart by address (behind a proxy, set
    `trusted_proxies` so that this is the client's and not the proxy's); each worker
    process keeps its own records, and at most MAX_CLIENTS of them.
    """

    FREE = 5
    FIRST_DELAY = 2.0
    MAX_DELAY = 300.0
    FORGET_AFTER = 3600.0
    MAX_CLIENTS = 10_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._clients: OrderedDict[str, tuple[int, float, float]] = OrderedDict()

    def wait(self, client: str) -> float:
        """Seconds before `client` may try again (0: now)."""
        with self._lock:
            record = self._clients.get(client)
            if record is None:
                return 0.0
            _, until, last = record
            now = self.clock()
            if now - last > self.FORGET_AFTER:
                del self._clients[client]
                return 0.0
            return max(0.0, until - now)

    def failed(self, client: str) -> None:
        """Count one failed attempt of `client`."""
        with self._lock:
            now = self.clock()
            failures, _, last = self._clients.pop(client, (0, 0.0, now))
            if now - last > self.FORGET_AFTER:
                failures = 0
            failures += 1
            until = now
            if failures > self.FREE:
                until = now + min(
                    self.FIRST_DELAY * 2 ** (failures - self.FREE - 1), self.MAX_DELAY
                )
            self._clients[client] = (failures, until, now)
            while len(self._clients) > self.MAX_CLIENTS:
                self._clients.popitem(last=False)

    def succeeded(self, client: str) -> None:
        """Forget `client`'s failures."""
        with self._lock:
            self._clients.pop(client, None)


class Door:
    """What the app needs to check a request: the settings, the tokens, the keys."""

    def __init__(self, settings: Settings, secret: bytes) -> None:
        self.settings = settings
        self.tokens = TokenStore.in_index(settings.index_dir)
        self.throttle = Throttle()
        self.session_key = _derive(secret, "session", settings.web_password)
        self._links_key = _derive(secret, "atom-links", settings.web_password)
        # Basic auth sends the password with every request: a right one is remembered (as a
        # keyed digest, never in clear) so that scrypt runs once, not per request.
        self._remembered: set[bytes] = set()
        self._memo_key = secrets.token_bytes(32)

    def password_ok(self, password: str) -> bool:
        """Whether `password` is the site's password."""
        memo = hmac.new(self._memo_key, password.encode(), hashlib.sha256).digest()
        if memo in self._remembered:
            return True
        if passwords.verify(password, self.settings.web_password):
            if len(self._remembered) < 16:
                self._remembered.add(memo)
            return True
        return False

    def link_key(self, args: Mapping[str, Any] | MultiDict[str, Any]) -> str:
        """The `key` that opens the Atom feed of the search these URL arguments state."""
        digest = hmac.new(self._links_key, _scope(args).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode("ascii")


def _scope(args: Mapping[str, Any] | MultiDict[str, Any]) -> str:
    """What an Atom feed shows depends on: the query and the filters (not sort or paging,
    which the feed fixes itself)."""
    multi = args if isinstance(args, MultiDict) else MultiDict(args)
    tags = sorted({str(t).strip() for t in multi.getlist("tag") if str(t).strip()})
    scope = {name: str(multi.get(name, "")).strip() for name in ("q", "since", "until", "author")}
    scope["feed"] = str(multi.get("feed", "")).strip()
    return json.dumps({**scope, "tag": tags}, sort_keys=True, ensure_ascii=False)


def _derive(secret: bytes, purpose: str, password_setting: str) -> bytes:
    """A key for one purpose, from the server's secret and the password setting: a new
    password ends every session and every signed link."""
    message = f"{purpose}\x00{password_setting}".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()


# -- the app ----------------------------------------------------------------------------------


def init_app(app: Flask, settings: Settings) -> None:
    """Put the door on `app` when `settings.web_password` is set (and the login page, which
    says there is nothing to log into otherwise).

    Raises:
        ConfigError: `web_password` is a malformed hash.
    """
    app.register_blueprint(bp)
    app.context_processor(_template_helpers)
    if not settings.web_password:
        app.extensions[EXTENSION] = None
        return
    passwords.check_setting(settings.web_password)
    door = Door(settings, load_secret(Path(settings.index_dir)))
    app.extensions[EXTENSION] = door
    app.secret_key = door.session_key
    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(days=SESSION_DAYS),
    )
    app.session_interface = _Sessions()
    app.before_request(_check)
    app.after_request(_private)


def door() -> Door | None:
    """The app's door, or None when the site has no password."""
    found: Door | None = current_app.extensions.get(EXTENSION)
    return found


def authenticated() -> bool:
    """Whether this request may see the archive (always, on a site without a password)."""
    return door() is None or bool(g.get("fouille_user"))


class _Sessions(SecureCookieSessionInterface):
    """Flask's signed cookie session, Secure whenever the request came over HTTPS (directly,
    by `base_url`, or through a trusted proxy)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure) or super().get_cookie_secure(app)


def _client() -> str:
    return request.remote_addr or "?"


def _check() -> BaseResponse | None:
    """before_request: let the request in, or answer in its place."""
    the_door = door()
    assert the_door is not None
    g.fouille_user = None
    endpoint = request.endpoint or ""
    if endpoint in OPEN_ENDPOINTS:
        if endpoint == "api.healthz":  # open, but says more to someone who may know more
            user = _session_user()
            if user is None and _presented(endpoint) and not the_door.throttle.wait(_client()):
                user = _attempt(the_door)
            g.fouille_user = user
        return None
    user = _session_user()
    if user is None and _presented(endpoint):
        wait = the_door.throttle.wait(_client())
        if wait > 0:
            return _too_many(wait)
        user = _attempt(the_door)
        if user is None:
            return _unauthorized(endpoint, Message(N_("Credentials refused.")))
    if user is None:
        if endpoint in MACHINE_ENDPOINTS or wants_json():
            return _unauthorized(endpoint, Message(N_("Authentication required.")))
        target = request.full_path if request.query_string else request.path
        return redirect(url_for("auth.login", next=target), 303)
    g.fouille_user = user
    return None


def _session_user() -> str | None:
    return "session" if session.get("auth") is True else None


def _presented(endpoint: str) -> bool:
    """Whether the request carries credentials of some kind (right or wrong)."""
    if request.headers.get("Authorization"):
        return True
    return endpoint == ATOM_ENDPOINT and bool(request.args.get("token") or request.args.get("key"))


def _attempt(the_door: Door) -> str | None:
    """Who the request's credentials say the client is, if they are right; a failure is
    counted against the client."""
    user = _credentials_user(the_door)
    if user is None:
        the_door.throttle.failed(_client())
    else:
        the_door.throttle.succeeded(_client())
    return user


def _credentials_user(the_door: Door) -> str | None:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer":
            return _token_user(the_door, value)
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, password = decoded.partition(":")
        if user == USER and the_door.password_ok(password):
            return USER
        return _token_user(the_door, password)
    token = request.args.get("token", "")
    if token:
        return _token_user(the_door, token)
    key = request.args.get("key", "")
    if key and hmac.compare_digest(key.encode(), the_door.link_key(request.args).encode()):
        return "atom-link"
    return None


def _token_user(the_door: Door, token: str) -> str | None:
    name = the_door.tokens.check(token)
    return f"token:{name}" if name else None


def _unauthorized(endpoint: str, message: str) -> Response:
    response = render_error(401, message)
    # Feed readers and scripts may answer a Basic challenge; a browser's fetch() of the
    # JSON API should not pop a password dialog, so the API names Bearer.
    scheme = "Basic" if endpoint in MACHINE_ENDPOINTS else "Bearer"
    extra = ', charset="UTF-8"' if scheme == "Basic" else ""
    response.headers["WWW-Authenticate"] = f'{scheme} realm="{REALM}"{extra}'
    return response


def _too_many(wait: float) -> Response:
    seconds = max(1, int(wait + 0.999))
    response = render_error(
        429, Message(N_("Too many attempts: try again in {seconds} s."), seconds=seconds)
    )
    response.headers["Retry-After"] = str(seconds)
    return response


def _private(response: Response) -> Response:
    """after_request: nothing a password protects is kept by a shared cache."""
    if request.endpoint == "static":
        return response
    if request.endpoint in ("auth.login", "auth.logout") or response.status_code in (401, 429):
        response.headers["Cache-Control"] = "no-store"
        return response
    parts = [
        p.strip()
        for p in response.headers.get("Cache-Control", "").split(",")
        if p.strip() and p.strip().lower() not in ("public", "private")
    ]
    response.headers["Cache-Control"] = ", ".join(["private", *parts])
    response.vary.add("Cookie")
    response.vary.add("Authorization")
    return response


def logged_in() -> bool:
    """Whether a person is logged in (through the form) on a site with a password."""
    return door() is not None and _session_user() is not None


def _template_helpers() -> dict[str, Any]:
    return {
        "auth_enabled": door() is not None,
        "logged_in": logged_in(),
        "csrf_token": csrf_token,
        "atom_url": atom_url,
    }


def atom_url(params: Any) -> str:
    """The Atom link of a results page: with the `key` of this search when the site has a
    password, so that a feed reader can follow it without logging in."""
    from .views import search_url

    target = params.with_(sort="relevance")
    the_door = door()
    if the_door is None:
        return search_url(target, "api.atom")
    return search_url(target, "api.atom", key=the_door.link_key(target.url_args()))


def csrf_token() -> str:
    """This session's CSRF token (made on first use)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _csrf_ok() -> bool:
    sent = request.form.get("csrf", "")
    known = session.get("csrf")
    return isinstance(known, str) and bool(sent) and hmac.compare_digest(sent, known)


# -- the login form ---------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse:
    """The login form (GET), and its submission (POST)."""
    the_door = door()
    path = _next_path(request.values.get("next", ""))
    target = request.script_root + path
    if the_door is None or (request.method == "GET" and _session_user()):
        return redirect(target, 303)
    if request.method == "GET":
        return _form(path)
    if not _csrf_ok():
        return _form(path, _("The form has expired: type the password again."), 400)
    wait = the_door.throttle.wait(_client())
    if wait > 0:
        seconds = max(1, int(wait + 0.999))
        response = _form(
            path, _("Too many attempts: try again in {seconds} seconds.", seconds=seconds), 429
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    if not the_door.password_ok(request.form.get("password", "")):
        the_door.throttle.failed(_client())
        return _form(path, _("Wrong password."), 401)
    the_door.throttle.succeeded(_client())
    session.clear()  # a new session: nothing from before the login carries over
    session.permanent = True
    session["auth"] = True
    csrf_token()
    return redirect(target, 303)


@bp.post("/logout")
def logout() -> BaseResponse:
    """End the session (a POST with the CSRF token, so that no other site can log one out)."""
    if door() is not None and _csrf_ok():
        session.clear()
    return redirect(url_for("auth.login"), 303)


def _form(path: str, error: str = "", status: int = 200) -> Response:
    html = render_template("login.html", next=path, error=error, show_search=False)
    response = Response(html, status=status, mimetype="text/html")
    if status == 401:
        # Not Basic: a browser would open its own password dialog over the form.
        response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}"'
    return response


def _next_path(raw: str) -> str:
    """Where to go after logging in: a path of this site (`/` unless `raw` is one), never
    another site (`//evil.example`, `/\\evil.example`, `https:…`)."""
    if not raw or len(raw) > 2000 or not raw.startswith("/"):
        return "/"
    if raw.startswith(("//", "/\\")) or any(c in raw for c in "\r\n\t\\"):
        return "/"
    return raw


# -- the server's secret ----------------------------------------------------------------------


def load_secret(index_dir: Path) -> bytes:
    """The random secret that signs sessions and Atom links, kept in `web-secret` in the
    index folder (mode 0600) so that it survives restarts and is shared by every worker.

    Created once, atomically (a worker that loses the race reads the winner's). Where the
    folder cannot be written, a secret for this process only (sessions end with it).
    """
    path = index_dir / SECRET_FILE
    with contextlib.suppress(FileNotFoundError):
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    fresh = secrets.token_hex(32).encode()
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{SECRET_FILE}.", dir=index_dir)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(fresh)
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)  # only if absent: every process ends up with one secret
        finally:
            os.unlink(tmp)
        return path.read_bytes()
    except OSError as exc:
        log.warning(
            "cannot keep the session secret in %s (%s): sessions end when the server stops",
            path,
            exc.strerror or exc,
        )
        return fresh
