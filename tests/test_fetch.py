"""indexer.fetch against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import socket
import time
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from feedserver import Reply, Request, item, rss

from indexer.fetch import FeedSkipped, FeedState, FeedStateStore, fetch, make_client
from search import VERSION, FeedError, Settings

FEED = rss([item(1), item(2)])


@pytest.fixture
def client():
    settings = Settings(connect_timeout=1.0, read_timeout=0.5)
    with make_client(settings) as c:
        yield c


def test_body_and_user_agent(server, client):
    server.route("/feed", body=FEED)
    result = fetch(client, server.url("/feed"))
    assert result.status == 200
    assert result.content == FEED
    agent = server.hits("/feed")[0].headers["user-agent"]
    assert "Fouille" in agent and VERSION in agent


def test_etag_and_last_modified_are_sent_back_and_304_has_no_body(server, client):
    def handler(request: Request) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        headers = {"ETag": '"v1"', "Last-Modified": "Mon, 02 Jun 2025 08:00:00 GMT"}
        return Reply(200, FEED, headers)

    server.route("/feed", handler=handler)
    state = FeedState()
    first = fetch(client, server.url("/feed"), state)
    assert first.content == FEED and not first.not_modified
    assert state.etag == '"v1"'

    second = fetch(client, server.url("/feed"), state)
    assert second.not_modified and second.content is None
    sent = server.hits("/feed")[1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Mon, 02 Jun 2025 08:00:00 GMT"
    assert state.etag == '"v1"', "a 304 keeps the validators"


def test_force_and_unconditional_fetches_send_no_validators(server, client):
    server.route("/feed", body=FEED, headers={"ETag": '"v1"'})
    state = FeedState()
    fetch(client, server.url("/feed"), state)
    fetch(client, server.url("/feed"), state, conditional=False)
    fetch(client, server.url("/feed"), state, force=True)
    assert [("if-none-match" in r.headers) for r in server.hits("/feed")] == [False] * 3


def test_temporary_redirect_chain_is_followed_but_not_remembered(server, client):
    server.route("/a", status=301, headers={"Location": "/b"})
    server.route("/b", status=302, headers={"Location": server.url("/c")})
    server.route("/c", body=FEED)
    state = FeedState()
    result = fetch(client, server.url("/a"), state)
    assert result.content == FEED
    assert result.url == server.url("/c")
    assert state.permanent_url == ""


def test_permanent_redirects_are_remembered(server, client):
    server.route("/old", status=301, headers={"Location": "/older"})
    server.route("/older", status=308, headers={"Location": "/new"})
    server.route("/new", body=FEED)
    state = FeedState()
    fetch(client, server.url("/old"), state)
    assert state.permanent_url == server.url("/new")

    fetch(client, server.url("/old"), state)
    assert len(server.hits("/old")) == 1, "the second fetch goes straight to the new URL"
    assert len(server.hits("/new")) == 2


def test_redirect_loop_is_an_error(server, client):
    server.route("/ping", status=302, headers={"Location": "/pong"})
    server.route("/pong", status=302, headers={"Location": "/ping"})
    with pytest.raises(FeedError, match="redirect loop"):
        fetch(client, server.url("/ping"))


def test_too_many_redirects_is_an_error(server, client):
    for n in range(10):
        server.route(f"/r{n}", status=302, headers={"Location": f"/r{n + 1}"})
    server.route("/r10", body=FEED)
    with pytest.raises(FeedError, match="more than 5 redirects"):
        fetch(client, server.url("/r0"))


def test_429_retry_after_skips_the_feed_until_then_unless_forced(server, client):
    server.route("/feed", status=429, headers={"Retry-After": "120"})
    state = FeedState()
    now = datetime.now(UTC)
    with pytest.raises(FeedError, match=r"429.*retry after"):
        fetch(client, server.url("/feed"), state, now=now)
    assert state.wait_until() == now + timedelta(seconds=120)

    with pytest.raises(FeedSkipped):
        fetch(client, server.url("/feed"), state, now=now + timedelta(seconds=60))
    assert len(server.hits("/feed")) == 1, "a skipped feed is not requested"

    server.route("/feed", body=FEED)
    assert fetch(client, server.url("/feed"), state, now=now + timedelta(seconds=60), force=True)
    assert fetch(client, server.url("/feed"), state, now=now + timedelta(seconds=121))


def test_503_retry_after_http_date(server, client):
    now = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(minutes=10), usegmt=True)
    server.route("/feed", status=503, headers={"Retry-After": later})
    state = FeedState()
    with pytest.raises(FeedError, match="503"):
        fetch(client, server.url("/feed"), state, now=now)
    assert state.wait_until() == now + timedelta(minutes=10)


def test_cache_control_max_age_delays_the_next_fetch(server, client):
    server.route("/feed", body=FEED, headers={"Cache-Control": "public, max-age=600"})
    state = FeedState()
    now = datetime.now(UTC)
    fetch(client, server.url("/feed"), state, now=now)
    with pytest.raises(FeedSkipped) as info:
        fetch(client, server.url("/feed"), state, now=now + timedelta(seconds=599))
    assert info.value.until == now + timedelta(seconds=600)
    fetch(client, server.url("/feed"), state, now=now + timedelta(seconds=601))
    assert len(server.hits("/feed")) == 2


def test_expires_delays_the_next_fetch_and_no_cache_does_not(server, client):
    now = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
    expires = format_datetime(now + timedelta(hours=1), usegmt=True)
    server.route("/feed", body=FEED, headers={"Expires": expires})
    state = FeedState()
    fetch(client, server.url("/feed"), state, now=now)
    assert state.wait_until() == now + timedelta(hours=1)

    server.route("/feed", body=FEED, headers={"Expires": expires, "Cache-Control": "no-cache"})
    fetch(client, server.url("/feed"), state, now=now + timedelta(hours=2))
    assert state.wait_until() is None


@pytest.mark.parametrize(("status", "reason"), [(500, "HTTP 500"), (404, "HTTP 404")])
def test_http_errors_are_one_line_feed_errors(server, client, status, reason):
    server.route("/feed", status=status, body=b"<html>oops</html>")
    with pytest.raises(FeedError) as info:
        fetch(client, server.url("/feed"))
    assert reason in info.value.reason
    assert "\n" not in str(info.value)


def test_slow_server_times_out_quickly(server, client):
    server.route("/slow", body=FEED, delay=3.0)
    started = time.monotonic()
    with pytest.raises(FeedError, match="timed out"):
        fetch(client, server.url("/slow"))
    assert time.monotonic() - started < 2.0


def test_refused_connection_is_a_feed_error(client):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FeedError, match="cannot connect"):
        fetch(client, f"http://127.0.0.1:{port}/feed")


def test_oversized_body_with_content_length_is_refused(server, client):
    server.route("/big", body=b"x" * 50_000)
    with pytest.raises(FeedError, match="too large"):
        fetch(client, server.url("/big"), max_bytes=10_000)


def test_oversized_body_without_content_length_is_cut(server, client):
    server.route("/big", body=b"<rss>" + b"x" * 300_000, send_length=False)
    with pytest.raises(FeedError, match="too large"):
        fetch(client, server.url("/big"), max_bytes=100_000)


def test_gzip_body_is_decoded(server, client):
    server.route("/gz", body=FEED, gzip=True)
    result = fetch(client, server.url("/gz"))
    assert result.content == FEED
    assert "gzip" in server.hits("/gz")[0].headers["accept-encoding"]


def test_gzip_bomb_is_stopped_at_the_decompressed_cap(server, client):
    bomb = b"\0" * 5_000_000
    assert len(gzip.compress(bomb)) < 100_000
    server.route("/bomb", body=bomb, gzip=True)
    with pytest.raises(FeedError, match="once decompressed"):
        fetch(client, server.url("/bomb"), max_bytes=1_000_000)


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_deflate_body_is_decoded(server, client, wbits):
    packer = zlib.compressobj(wbits=wbits)
    body = packer.compress(FEED) + packer.flush()
    server.route("/deflate", body=body, headers={"Content-Encoding": "deflate"})
    assert fetch(client, server.url("/deflate")).content == FEED


def test_unknown_content_encoding_is_an_error(server, client):
    server.route("/br", body=b"\x00\x01", headers={"Content-Encoding": "br"})
    with pytest.raises(FeedError, match="Content-Encoding"):
        fetch(client, server.url("/br"))


def test_state_store_round_trip_is_atomic(tmp_path):
    store = FeedStateStore.in_index(tmp_path)
    store.get("https://exemple.fr/feed").etag = '"abc"'
    store.save()
    assert [p.name for p in tmp_path.iterdir()] == ["feeds-state.json"]
    again = FeedStateStore.in_index(tmp_path)
    assert again.get("https://exemple.fr/feed").etag == '"abc"'
    assert json.loads((tmp_path / "feeds-state.json").read_text())["version"] == 1


def test_damaged_state_file_is_ignored(tmp_path):
    (tmp_path / "feeds-state.json").write_text("{not json")
    store = FeedStateStore.in_index(tmp_path)
    assert store.get("https://exemple.fr/feed") == FeedState()
