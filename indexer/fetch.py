"""A polite, bounded HTTP client for feeds.

- connect and read timeouts, and a size cap counted on the compressed bytes *and* on the
  decompressed bytes (we stream and decode gzip/deflate ourselves, so a compression bomb
  is stopped after `max_bytes`, not after it filled the memory);
- redirects followed by hand, with a cap and loop detection; a chain of permanent redirects
  (301/308) is remembered in the feed's state and used from then on;
- conditional GET (ETag / Last-Modified, RFC 9110 §13.1), and the server's wishes honoured:
  `Cache-Control: max-age` / `Expires` (RFC 9111 §5.2/§5.3) and `Retry-After` on 429/503
  (RFC 9110 §10.2.3) make us skip the feed until then, unless forced;
- per-feed state kept in one JSON file beside the index (`indexer.state`), readable by its
  owner only; the body is read by `indexer.body`;
- a subscriber feed's credentials (user info in its URL, an Authorization or Cookie header)
  are sent to its own host only, never across a redirect to another one, and no error names
  them: a FeedError shows the feed's public address (issue 13).
"""

from __future__ import annotations

import base64
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import httpx

from search import FeedError, Settings
from search.i18n import N_, Message
from search.urls import public_feed_url, scrub, url_secrets

from .body import first_line, read_body
from .state import STATE_FILE_NAME, FeedState, FeedStateStore, fresh_until, retry_after

__all__ = [
    "STATE_FILE_NAME",
    "FeedSkipped",
    "FeedState",
    "FeedStateStore",
    "FetchResult",
    "fetch",
    "make_client",
    "read_body",
    "retry_after",
    "same_site",
]

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
#: A whole fetch (redirects and body) may take connect + this many read timeouts: a server
#: that trickles a byte just inside the read timeout would otherwise hold the run for ever.
BODY_TIME_FACTOR = 2
#: What a 401 or 403 means for a feed, said in its report.
CHECK_CREDENTIALS = N_(
    "check the feed's credentials (username and password, headers, or the key in its URL)"
)


@dataclass(frozen=True)
class FetchResult:
    """The outcome of a successful fetch.

    `content` is None when the server answered 304 Not Modified.
    """

    url: str
    status: int
    content: bytes | None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        """True for a 304: nothing to parse."""
        return self.content is None


class FeedSkipped(Exception):
    """The server asked us not to fetch this feed before `until`."""

    def __init__(self, url: str, until: datetime) -> None:
        self.message = Message(
            N_("{url}: not due before {time} UTC"), url=url, time=f"{until:%Y-%m-%d %H:%M}"
        )
        super().__init__(str.__str__(self.message))
        self.url = url
        self.until = until


def make_client(settings: Settings) -> httpx.Client:
    """An HTTP client with Fouille's timeouts and User-Agent; redirects are ours to follow."""
    timeout = httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        pool=settings.connect_timeout,
    )
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        headers={
            "User-Agent": settings.user_agent,
            "Accept": ACCEPT,
            # Only what we can decode ourselves, under the size cap.
            "Accept-Encoding": "gzip, deflate",
        },
    )


def fetch(
    client: httpx.Client,
    url: str,
    state: FeedState | None = None,
    *,
    max_bytes: int = 20 * 1024 * 1024,
    force: bool = False,
    conditional: bool = True,
    now: datetime | None = None,
    headers: Mapping[str, str] | None = None,
) -> FetchResult:
    """Fetch a feed politely.

    Args:
        client: from `make_client`.
        url: the configured URL (the remembered permanent redirect target is used instead);
            user info in it is sent as HTTP Basic, not in the request line.
        state: this feed's state, read and updated in place; None for a one-off fetch.
        max_bytes: the size cap, compressed and decompressed.
        force: ignore Cache-Control/Expires/Retry-After delays, and send no conditional headers.
        conditional: send the stored ETag/Last-Modified (False to always get the body).
        now: the current time (tests).
        headers: what the feed needs to let us in (Authorization, Cookie…); sent to the
            feed's own host only.

    Returns:
        The body, or a 304 result.

    Raises:
        FeedSkipped: the server asked us to come back later (and not `force`).
        FeedError: anything else that prevents getting the body, in one line, naming the
            feed by its public address and holding none of its secrets.
    """
    now = now or datetime.now(UTC)
    state = state if state is not None else FeedState()
    shown = public_feed_url(url)
    until = state.wait_until()
    if until is not None and until > now and not force:
        raise FeedSkipped(shown, until)

    request_url, credentials = _credentials(url, headers or {})
    secrets = url_secrets(url) | {v for v in credentials.values() if v}
    conditional_headers: dict[str, str] = {}
    if conditional and not force:
        if state.etag:
            conditional_headers["If-None-Match"] = state.etag
        if state.last_modified:
            conditional_headers["If-Modified-Since"] = state.last_modified

    deadline = _deadline(client)
    watchdog = _Watchdog(deadline)
    try:
        return _follow(
            client,
            request_url,
            state,
            conditional_headers,
            watchdog,
            max_bytes=max_bytes,
            now=now,
            credentials=credentials,
        )
    except FeedError as exc:
        reason = (
            Message(N_("too slow: no complete answer in time")) if watchdog.fired else exc.reason
        )
        # From the cause, not from `exc`: its message holds the address as configured.
        raise FeedError(shown, scrub(reason, secrets)) from exc.__cause__
    finally:
        watchdog.cancel()


def _credentials(url: str, headers: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """`url` without user info, and the headers that carry the credentials (the user info
    becomes HTTP Basic unless `headers` has an Authorization already)."""
    parts = urlsplit(url)
    credentials = dict(headers)
    if "@" not in parts.netloc:
        return url, credentials
    userinfo, _, host = parts.netloc.rpartition("@")
    if not any(name.lower() == "authorization" for name in credentials):
        user, _, password = userinfo.partition(":")
        pair = f"{unquote(user)}:{unquote(password)}".encode()
        credentials["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    return urlunsplit(parts._replace(netloc=host)), credentials


def same_site(origin: str, target: str) -> bool:
    """Whether credentials for `origin` may go to `target`: same host and port, and not from
    HTTPS down to plain HTTP (what browsers and requests do on a redirect)."""
    a, b = urlsplit(origin), urlsplit(target)
    default = {"http": 80, "https": 443}
    try:
        a_port = a.port or default.get(a.scheme)
        b_port = b.port or default.get(b.scheme)
    except ValueError:
        return False
    if a.scheme == "https" and b.scheme != "https":
        return False
    if a.scheme == "http" and b.scheme == "https":
        # An upgrade to HTTPS on the same host keeps them (the default ports differ).
        return (a.hostname or "").lower() == (b.hostname or "").lower() and (
            a.port is None and b.port is None
        )
    return (a.hostname or "").lower() == (b.hostname or "").lower() and a_port == b_port


def _follow(
    client: httpx.Client,
    url: str,
    state: FeedState,
    headers: dict[str, str],
    watchdog: _Watchdog,
    *,
    max_bytes: int,
    now: datetime,
    credentials: Mapping[str, str],
) -> FetchResult:
    current = state.permanent_url or url
    if "@" in urlsplit(current).netloc:  # a state written before issue 13
        current = _credentials(current, {})[0]
    seen = {current}
    all_permanent = True
    for _ in range(MAX_REDIRECTS + 1):
        sent = {**headers, **credentials} if same_site(url, current) else headers
        with _stream(client, current, sent, watchdog.trace) as response:
            if response.status_code in REDIRECT_STATUSES:
                target = response.headers.get("location", "").strip()
                if not target:
                    raise FeedError(
                        url,
                        Message(
                            N_("HTTP {status} redirect without Location"),
                            status=response.status_code,
                        ),
                    )
                target = urljoin(current, target)
                if urlsplit(target).scheme not in ("http", "https"):
                    raise FeedError(
                        url, Message(N_("redirect to a non-HTTP URL: {url}"), url=target)
                    )
                if target in seen:
                    raise FeedError(url, Message(N_("redirect loop at {url}"), url=target))
                seen.add(target)
                all_permanent = all_permanent and response.status_code in (301, 308)
                current = target
                continue
            state.last_status = response.status_code
            state.last_fetched = now.isoformat()
            if all_permanent and current != (state.permanent_url or url):
                logger.info(
                    "%s moved permanently to %s", public_feed_url(url), public_feed_url(current)
                )
                state.permanent_url = current
            return _finish(
                url,
                current,
                response,
                state,
                max_bytes=max_bytes,
                now=now,
                deadline=watchdog.deadline,
            )
    raise FeedError(url, Message(N_("more than {count} redirects"), count=MAX_REDIRECTS))


class _Watchdog:
    """Shuts the connection down at the deadline, however slowly the server dribbles bytes:
    httpx's timeouts apply to each read, so a server sending a header line (or a body byte)
    every few seconds would otherwise hold the reindex for hours (issue 6)."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.fired = False
        self._socket: socket.socket | None = None
        self._timer: threading.Timer | None = None
        if deadline is not None:
            self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
            self._timer.daemon = True
            self._timer.start()

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """httpcore's trace hook: note the socket of each new connection (plain or TLS)."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                self._socket = sock

    def _fire(self) -> None:
        self.fired = True
        if self._socket is not None:
            with contextlib.suppress(OSError):
                # socket.socket's own shutdown, also on a TLS socket: the blocked read
                # returns and fails in the fetching thread, where it is reported.
                socket.socket.shutdown(self._socket, socket.SHUT_RDWR)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


@contextlib.contextmanager
def _stream(
    client: httpx.Client, url: str, headers: dict[str, str], trace: Any = None
) -> Iterator[httpx.Response]:
    extensions = {"trace": trace} if trace is not None else None
    try:
        with client.stream("GET", url, headers=headers, extensions=extensions) as response:
            yield response
    except httpx.ConnectTimeout as exc:
        raise FeedError(url, Message(N_("connection timed out ({host})"), host=_host(url))) from exc
    except httpx.TimeoutException as exc:
        raise FeedError(url, Message(N_("timed out waiting for the server"))) from exc
    except httpx.ConnectError as exc:
        raise FeedError(
            url,
            Message(
                N_("cannot connect to {host}: {error}"), host=_host(url), error=first_line(exc)
            ),
        ) from exc
    except httpx.InvalidURL as exc:
        raise FeedError(url, Message(N_("invalid URL: {error}"), error=first_line(exc))) from exc
    except httpx.UnsupportedProtocol as exc:
        raise FeedError(
            url, Message(N_("unsupported URL scheme: {error}"), error=first_line(exc))
        ) from exc
    except httpx.HTTPError as exc:
        raise FeedError(url, Message(N_("HTTP error: {error}"), error=first_line(exc))) from exc


def _finish(
    url: str,
    final_url: str,
    response: httpx.Response,
    state: FeedState,
    *,
    max_bytes: int,
    now: datetime,
    deadline: float | None = None,
) -> FetchResult:
    status = response.status_code
    headers = {k.lower(): v for k, v in response.headers.items()}
    if status in (429, 503):
        delay = retry_after(headers.get("retry-after", ""), now=now)
        if delay is not None:
            state.not_before = (now + delay).isoformat()
            raise FeedError(
                url,
                Message(
                    N_("HTTP {status} {reason}: retry after {time}"),
                    status=status,
                    reason=response.reason_phrase,
                    time=_when(now + delay),
                ),
            )
        raise FeedError(url, _http(status, response.reason_phrase))
    if status in (401, 403):
        raise FeedError(
            url,
            Message(
                N_("{error}: {hint}"),
                error=_http(status, response.reason_phrase or "error"),
                hint=Message(CHECK_CREDENTIALS),
            ),
        )
    if status == 304:
        state.not_before = fresh_until(headers, now)
        return FetchResult(final_url, status, None, headers)
    if status != 200:
        raise FeedError(url, _http(status, response.reason_phrase or "error"))

    content = read_body(response, max_bytes=max_bytes, url=url, deadline=deadline)
    state.etag = headers.get("etag", "")
    state.last_modified = headers.get("last-modified", "")
    state.not_before = fresh_until(headers, now)
    return FetchResult(final_url, status, content, headers)


def _deadline(client: httpx.Client) -> float | None:
    timeout = client.timeout
    if timeout.read is None:
        return None
    return time.monotonic() + (timeout.connect or 0.0) + BODY_TIME_FACTOR * timeout.read


def _http(status: int, reason: str) -> Message:
    return Message(N_("HTTP {status} {reason}"), status=status, reason=reason)


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _host(url: str) -> str:
    """A URL's host and port as an error names it: never its user info."""
    return urlsplit(url).netloc.rpartition("@")[2] or url
