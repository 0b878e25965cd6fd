"""Web hardening (issue 6), against the app behind waitress: security headers on every route
and every status, no open redirect, no path traversal through any parameter or static path,
and responses bounded in size.

Requests for odd paths go through `http.client`, which sends the path exactly as written
(httpx would normalise `..` away before it left the test).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest
from webserver import serve

from search import Settings
from web import create_app

MAX_RESPONSE = 1024 * 1024
REPO = Path(__file__).resolve().parents[1]
# Bits of files that must never come out of the server.
SECRETS = ("root:x:0:", "[metadata]", "def create_app", "SECURITY_HEADERS", "import ")

ROUTES = [
    ("GET", "/"),
    ("GET", "/search?q=données"),
    ("GET", "/search?q=données&page=2&sort=date&tag=RGPD"),
    ("GET", "/search"),  # redirects home
    ("GET", "/api/search?q=données"),
    ("GET", "/api/suggest?q=don"),
    ("GET", "/search.atom?q=données"),
    ("GET", "/opensearch.xml"),
    ("GET", "/healthz"),
    ("GET", "/static/fouille.css"),
    ("GET", "/static/fouille.js"),
    ("GET", "/static/fouille.svg"),
    ("GET", "/search?q=x&since=2024-13-45"),  # 400 page
    ("GET", "/api/search?q=x&page=-1"),  # 400 JSON
    ("GET", "/nowhere"),  # 404
    ("GET", "/static/nowhere.css"),  # 404
    ("POST", "/search?q=x"),  # 405
    ("HEAD", "/"),
    ("OPTIONS", "/"),
]


def request(base: str, method: str, path: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """One raw request; returns (status, headers, body)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read(MAX_RESPONSE + 1)
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def assert_security_headers(headers: dict[str, str], where: str) -> None:
    csp = headers.get("content-security-policy", "")
    directives = {d.strip().split()[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives.get("default-src") == "default-src 'self'", where
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, where  # styles too
    script = directives.get("script-src", directives["default-src"])
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, where
    assert "*" not in script.split(), where
    assert directives.get("object-src") == "object-src 'none'", where
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", where
    assert "base-uri" in directives, where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") in (
        "no-referrer",
        "strict-origin-when-cross-origin",
        "same-origin",
        "strict-origin",
    ), where
    assert headers.get("x-frame-options", "").upper() == "DENY", where


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_security_headers_on_every_route_and_status(
    live_server: str, method: str, path: str
) -> None:
    status, headers, body = request(live_server, method, quote(path, safe="/?=&"))
    assert status < 500, (path, status)
    assert_security_headers(headers, f"{method} {path} → {status}")
    assert len(body) <= MAX_RESPONSE
    if status == 200 and method == "GET":
        assert headers.get("content-type"), path


@pytest.fixture
def empty_site(tmp_path: Path) -> Iterator[str]:
    app = create_app(Settings(index_dir=tmp_path / "nothing-yet"))
    with serve(app) as base:
        yield base


@pytest.mark.parametrize("path", ["/", "/search?q=x", "/api/search?q=x", "/healthz"])
def test_security_headers_while_there_is_no_index(empty_site: str, path: str) -> None:
    status, headers, _ = request(empty_site, "GET", path)
    assert status == 503
    assert_security_headers(headers, path)


OPEN_REDIRECTS = [
    "//evil.example",
    "//evil.example/",
    "//evil.example/%2e%2e",
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
    "/\\evil.example",
    "/static//evil.example",
    "/static/%2F%2Fevil.example",
    "/search/",
    "/search?next=https://evil.example/",
    "/search?q=&next=//evil.example",
    "/search?redirect=https://evil.example&url=https://evil.example&return_to=//evil.example",
    "/api/search/",
    "/healthz/",
    "/?q=//evil.example",
    "/search?q=x&tag=//evil.example",
    "/http://evil.example",
    "/search.atom?q=x&page=https://evil.example",
]


@pytest.mark.parametrize("path", OPEN_REDIRECTS)
def test_no_open_redirect(live_server: str, path: str) -> None:
    status, headers, _ = request(live_server, "GET", path)
    assert status < 500, (path, status)
    location = headers.get("location")
    if location is not None:
        target = urlsplit(urljoin(live_server + "/", location))
        assert (target.scheme, target.netloc) == ("http", urlsplit(live_server).netloc), location
        assert not location.startswith(("//", "\\\\", "/\\")), location
        assert "evil.example" not in target.netloc


TRAVERSALS = [
    "/static/../web/__init__.py",
    "/static/../../setup.cfg",
    "/static/..%2f__init__.py",
    "/static/..%2F..%2Fsetup.cfg",
    "/static/%2e%2e/%2e%2e/setup.cfg",
    "/static/%2e%2e%2f%2e%2e%2fsetup.cfg",
    "/static/..%5c..%5csetup.cfg",
    "/static/....//....//setup.cfg",
    "/static/%252e%252e/setup.cfg",
    "/static//etc/passwd",
    "/static/%2Fetc%2Fpasswd",
    "/static/..%00/setup.cfg",
    "/static/fouille.css%00.py",
    "/static/%c0%ae%c0%ae/setup.cfg",
    "/../../../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/search?q=../../../../etc/passwd",
    "/search?q=x&feed=/etc/passwd",
    "/search?q=x&feed=file:///etc/passwd",
    "/search?q=x&author=../../setup.cfg",
    "/search?q=x&tag=../../../etc/passwd",
    "/api/search?q=x&since=../../etc/passwd",
    "/api/suggest?q=../../etc/passwd",
    "/search.atom?q=x&feed=/etc/passwd",
    "/opensearch.xml?template=/etc/passwd",
    "/healthz?index=/etc",
    "/search?q=x&index_dir=/etc",
    "/api/search?q=x&index=/",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_path_traversal(live_server: str, path: str) -> None:
    status, headers, body = request(live_server, "GET", path)
    if status in (301, 308):  # werkzeug merges slashes: follow that once, on this server only
        location = urlsplit(urljoin(live_server + "/", headers["location"]))
        assert location.netloc == urlsplit(live_server).netloc, headers["location"]
        status, headers, body = request(live_server, "GET", location.path)
    assert status in (200, 302, 400, 404), (path, status)
    text = body.decode("utf-8", "replace")
    for secret in SECRETS:
        assert secret not in text, (path, secret)
    if status == 200 and path.startswith("/static"):
        pytest.fail(f"{path} served a file")


def test_a_huge_request_line_or_header_is_refused_cleanly(live_server: str) -> None:
    """Past waitress's 256 kB of request headers: a 4xx (or a closed connection), not a 500."""
    parts = urlsplit(live_server)
    for line in (b"GET /search?q=" + b"a" * 400_000 + b" HTTP/1.1\r\n", b"GET / HTTP/1.1\r\n"):
        extra = b"X-Big: " + b"b" * 400_000 + b"\r\n" if line.startswith(b"GET / ") else b""
        data = b""
        with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
            # The server may answer and close before it has read everything: that is fine.
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                sock.sendall(line + b"Host: x\r\n" + extra + b"Connection: close\r\n\r\n")
            with contextlib.suppress(ConnectionResetError):
                while chunk := sock.recv(65536):
                    data += chunk
                    if len(data) > MAX_RESPONSE:
                        break
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
        assert 400 <= status < 500 or data == b"", data[:200]
        assert len(data) <= MAX_RESPONSE


@pytest.mark.parametrize(
    "path",
    [
        "/api/search?q=données&page_size=100",
        "/search?q=données&page_size=100",
        "/search.atom?q=données",
        "/api/suggest?q=d",
        "/search?tag=RGPD&tag=Europe&tag=IA&since=1900&until=2200",
    ],
)
def test_responses_are_bounded(live_server: str, path: str) -> None:
    status, headers, body = request(live_server, "GET", quote(path, safe="/?=&"))
    assert status == 200
    assert len(body) <= MAX_RESPONSE
    if "content-length" in headers:
        assert int(headers["content-length"]) <= MAX_RESPONSE


def test_page_size_cannot_exceed_the_limit(live_server: str, web_settings: Settings) -> None:
    too_many = web_settings.max_page_size + 1
    status, _, body = request(live_server, "GET", f"/api/search?q=a&page_size={too_many}")
    assert status == 400 and b"page" in body
