"""Reading a feed's body: streamed, decoded (gzip, deflate) by us, and stopped at the size
cap counted on the compressed *and* on the decompressed bytes (so a compression bomb stops
after `max_bytes`, not after it filled the memory), and at a deadline however slowly the
bytes come."""

from __future__ import annotations

import time
import zlib

import httpx

from search import FeedError
from search.i18n import N_, Message


def read_body(
    response: httpx.Response, *, max_bytes: int, url: str, deadline: float | None = None
) -> bytes:
    """Stream the body, decoding gzip/deflate ourselves, stopping at `max_bytes` either way,
    and at `deadline` (a `time.monotonic()` value) however slowly the bytes come.

    Raises:
        FeedError: too big, too slow, or an encoding we cannot (or fail to) decode.
    """
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FeedError(
            url,
            Message(
                N_("feed too large: {size} bytes (limit {limit})"),
                size=int(declared),
                limit=max_bytes,
            ),
        )
    decoder = _Decoder(response.headers.get("content-encoding", ""), url)
    raw_total = 0
    out = bytearray()
    try:
        # No chunk size: each network read comes back at once, so the deadline is checked.
        for chunk in response.iter_raw():
            if deadline is not None and time.monotonic() > deadline:
                raise FeedError(url, Message(N_("too slow: the body did not arrive in time")))
            raw_total += len(chunk)
            if raw_total > max_bytes:
                raise FeedError(
                    url, Message(N_("feed too large: over {limit} bytes (limit)"), limit=max_bytes)
                )
            out += decoder.decode(chunk, max_bytes - len(out) + 1)
            if len(out) > max_bytes:
                raise FeedError(url, _too_large_decompressed(max_bytes))
        out += decoder.flush(max_bytes - len(out) + 1)
    except httpx.TimeoutException as exc:
        raise FeedError(url, Message(N_("timed out reading the response"))) from exc
    except httpx.HTTPError as exc:
        raise FeedError(
            url, Message(N_("HTTP error while reading: {error}"), error=first_line(exc))
        ) from exc
    if len(out) > max_bytes:
        raise FeedError(url, _too_large_decompressed(max_bytes))
    return bytes(out)


def _too_large_decompressed(limit: int) -> Message:
    return Message(N_("feed too large: over {limit} bytes once decompressed"), limit=limit)


class _Decoder:
    """Incremental Content-Encoding decoder with a per-call output cap."""

    def __init__(self, encoding: str, url: str) -> None:
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FeedError(
                url, Message(N_("unsupported Content-Encoding: {encoding}"), encoding=encoding)
            )
        self.url = url
        self.coding = codings[0] if codings else ""
        self._z: zlib._Decompress | None = None
        if self.coding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS)
        self._first = True

    def decode(self, data: bytes, limit: int) -> bytes:
        if self._z is None:
            return data
        try:
            out = self._z.decompress(data, max(limit, 1))
        except zlib.error as exc:
            if self.coding == "deflate" and self._first:
                # Some servers send raw deflate (no zlib header) under "deflate".
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                self._first = False
                return self.decode(data, limit)
            raise FeedError(self.url, self._cannot(exc)) from exc
        self._first = False
        # With input left over (`unconsumed_tail`), `out` is `limit` bytes long: one more
        # than the caller allows, so it stops; the rest is never decompressed.
        return out

    def flush(self, limit: int) -> bytes:
        if self._z is None:
            return b""
        try:
            return self._z.flush(max(limit, 1))
        except zlib.error as exc:
            raise FeedError(self.url, self._cannot(exc)) from exc

    def _cannot(self, exc: zlib.error) -> Message:
        return Message(
            N_("cannot decompress the {coding} body: {error}"), coding=self.coding, error=str(exc)
        )


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (at most 200 characters), for a report."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
