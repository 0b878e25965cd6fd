"""Network trouble on 127.0.0.1 (issue 6): each bad server costs its own feed only, within the
timeouts and the size cap, and the good feeds of the same run are indexed.

The real `fouille reindex --json` runs in a subprocess with small timeouts and a 1 MB cap.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from faults import (
    RawServer,
    assert_no_traceback,
    found,
    index_ids,
    read_request,
    run_fouille,
    serving,
)
from feedserver import FeedServer, item, rss

pytestmark = pytest.mark.slow

CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 2.0
MAX_BYTES = 1_000_000
# What one feed may cost at most: connecting, waiting, reading (with a margin for the CI).
PER_FEED_LIMIT = CONNECT_TIMEOUT + 2 * READ_TIMEOUT + 3.0


def _silent(conn: socket.socket, server: list[RawServer]) -> None:
    """Accept, read the request, and never answer."""
    read_request(conn)
    while not server[0].stopped():
        time.sleep(0.1)


def _trickle(conn: socket.socket, server: list[RawServer]) -> None:
    """A valid start, then one byte a second, for ever (each byte well within the read timeout)."""
    read_request(conn)
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
        b"Content-Length: 900000\r\n\r\n<?xml version='1.0'?><rss version='2.0'><channel>"
    )
    while not server[0].stopped():
        conn.sendall(b" ")
        time.sleep(1.0)


def _trickle_headers(conn: socket.socket, server: list[RawServer]) -> None:
    """A status line, then one more header line a second, for ever: the body never comes."""
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    n = 0
    while not server[0].stopped():
        n += 1
        conn.sendall(b"X-Encore-%d: oui\r\n" % n)
        time.sleep(1.0)


def _plain_http(conn: socket.socket, server: list[RawServer]) -> None:
    """Plain HTTP whatever comes in, e.g. a TLS ClientHello sent to an https:// URL."""
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def _endless(conn: socket.socket, server: list[RawServer]) -> None:
    """A feed whose items never end (no Content-Length: the body ends when we close)."""
    read_request(conn)
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n"
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>Sans fin</title>"
    )
    n = 0
    while not server[0].stopped():
        n += 1
        conn.sendall(
            f"<item><title>Article {n}</title><guid>endless-{n}</guid></item>".encode() * 50
        )


def _endless_chunked(conn: socket.socket, server: list[RawServer]) -> None:
    """The same with chunked transfer-encoding, which never announces a size."""
    read_request(conn)
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"<item><title>encore</title></item>" * 100
    while not server[0].stopped():
        conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))


def raw_server(behaviour) -> RawServer:  # type: ignore[no-untyped-def]
    holder: list[RawServer] = []
    server = RawServer(lambda conn: behaviour(conn, holder))
    holder.append(server)
    return server


def gzip_bomb(decompressed: int = 200 * 1024 * 1024) -> bytes:
    """A gzip stream of `decompressed` zero bytes (about 200 kB on the wire)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1024 * 1024)
    out = [z.compress(block) for _ in range(decompressed // len(block))]
    out.append(z.flush())
    return b"".join(out)


class TLSServer:
    """HTTPS on 127.0.0.1 with a self-signed certificate, which Fouille must refuse."""

    def __init__(self, tmp: Path) -> None:
        cert, key = tmp / "cert.pem", tmp / "key.pem"
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
                *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
            ],
            check=True,
            capture_output=True,
        )
        body = rss([item(900)])

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.httpd.serve_forever(poll_interval=0.05)

    def url(self) -> str:
        return f"https://127.0.0.1:{self.httpd.server_address[1]}/feed"

    def __enter__(self) -> TLSServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_each_bad_server_fails_alone_within_its_limits(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    good = FeedServer()
    good.route("/good-1", body=rss([item(n, title=f"Bonne nouvelle {n}") for n in (1, 2, 3)]))
    good.route("/good-2", body=rss([item(n, title=f"Autre nouvelle {n}") for n in (4, 5)]))
    good.route("/bomb", body=gzip_bomb(), headers={"Content-Encoding": "gzip"})
    good.route("/loop-a", status=302, headers={"Location": "/loop-b"})
    good.route("/loop-b", status=302, headers={"Location": "/loop-a"})
    good.route("/big", body=b"<rss>" + b" " * (MAX_BYTES + 10))
    silent = raw_server(_silent)
    trickle = raw_server(_trickle)
    trickle_headers = raw_server(_trickle_headers)
    endless = raw_server(_endless)
    chunked = raw_server(_endless_chunked)
    tls_silent = raw_server(_silent)
    plain = raw_server(_plain_http)
    self_signed = TLSServer(tmp_path)
    with serving(
        good, silent, trickle, trickle_headers, endless, chunked, tls_silent, plain, self_signed
    ):
        bad = {
            "silent": silent.url(),
            "trickle": trickle.url(),
            "trickle-headers": trickle_headers.url(),
            "endless": endless.url(),
            "endless-chunked": chunked.url(),
            "gzip-bomb": good.url("/bomb"),
            "redirect-loop": good.url("/loop-a"),
            "too-big": good.url("/big"),
            "https-to-http": plain.url(scheme="https"),
            "tls-silent": tls_silent.url(scheme="https"),
            "self-signed": self_signed.url(),
        }
        feeds = [good.url("/good-1"), *bad.values(), good.url("/good-2")]
        args = ["reindex", "--json", "--index", str(tmp_path / "index")]
        for url in feeds:
            args += ["--feed", url]
        started = time.monotonic()
        done = run_fouille(
            *args,
            cwd=tmp_path,
            timeout=len(bad) * PER_FEED_LIMIT,
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            max_feed_bytes=MAX_BYTES,
        )
        elapsed = time.monotonic() - started

    assert_no_traceback(done.stdout, done.stderr)
    assert done.returncode == 1, done.stderr  # some feeds failed, the rest is committed
    report = {feed["url"]: feed for feed in json.loads(done.stdout)["feeds"]}
    for name, url in bad.items():
        feed = report[url]
        assert feed["status"] == "failed", (name, feed)
        assert feed["reason"] and "\n" not in feed["reason"], (name, feed)
        assert feed["seconds"] < PER_FEED_LIMIT, (name, feed)
    assert "redirect loop" in report[bad["redirect-loop"]]["reason"]
    for name in ("gzip-bomb", "too-big", "endless", "endless-chunked"):
        assert "too large" in report[bad[name]]["reason"], report[bad[name]]
    for url in (good.url("/good-1"), good.url("/good-2")):
        assert report[url]["status"] == "ok"
    assert report[good.url("/good-1")]["new"] == 3
    assert report[good.url("/good-2")]["new"] == 2
    assert elapsed < len(bad) * PER_FEED_LIMIT
    index = tmp_path / "index"
    assert len(found(index, "nouvelle")) == 5
    assert index_ids(index) == {f"https://exemple.fr/articles/{n}" for n in range(1, 6)}
