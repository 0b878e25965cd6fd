"""Serial versus parallel fetching of 128 real feeds (issue 11): the feed files of
`../shared/corpus/feeds`, read in place, served from 127.0.0.1 with an added latency per
request, fetched one after the other and then by the pool, in the same run.

    python -m bench.fetch                    # 32 hosts, 200 ms, the default pool
    python -m bench.fetch --hosts 8 --latency 0.2 --workers 8 --per-host 1

Every host is a server of its own (a port: the pool counts connections per host and port),
holding `feeds / hosts` feeds, as a reader following several feeds of each site would; each
server counts the requests it answers at once, and the run checks that none saw more than
`--per-host`. Two figures per mode: the fetch alone (the pool and the HTTP client, bodies
discarded: the issue's target), and `fouille reindex` end to end into a fresh index (fetch,
parse, write). A reindex parses and writes while the pool fetches, even with one fetching
thread, so its floor is the parsing and writing alone: the same files read from disk, the
last line.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from indexer.build import reindex
from indexer.fetch import FeedState, fetch, make_client
from indexer.pool import HostPool
from indexer.sources import Source
from search import Settings

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "feeds"
TARGET = 0.25


class Host:
    """One server on 127.0.0.1: its feeds by path, a fixed latency, and how many requests
    it answered at once (at most)."""

    def __init__(self, feeds: dict[str, Path], latency: float) -> None:
        self.feeds = feeds
        self.latency = latency
        self.now = self.most = 0
        self.lock = threading.Lock()
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with host.lock:
                    host.now += 1
                    host.most = max(host.most, host.now)
                try:
                    time.sleep(host.latency)
                    path = host.feeds.get(self.path)
                    body = path.read_bytes() if path else b"not found"
                    self.send_response(200 if path else 404)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    with host.lock:
                        host.now -= 1

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Host:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass(frozen=True)
class Timing:
    seconds: float
    fetched: int
    failed: int


@contextmanager
def hosts(files: list[Path], count: int, latency: float) -> Iterator[tuple[list[Host], list[str]]]:
    """`count` servers sharing `files` round-robin; yields them and the feeds' URLs."""
    shares: list[dict[str, Path]] = [{} for _ in range(count)]
    for n, path in enumerate(files):
        shares[n % count][f"/feed-{n}.xml"] = path
    with ExitStack() as stack:
        servers = [stack.enter_context(Host(share, latency)) for share in shares]
        urls = [
            f"http://127.0.0.1:{servers[n % count].port}/feed-{n}.xml" for n in range(len(files))
        ]
        yield servers, urls


def fetch_all(settings: Settings, urls: list[str]) -> Timing:
    """Fetch every URL through the pool (as a reindex does), bodies discarded."""
    client = make_client(settings)
    pool = HostPool(workers=settings.fetch_workers, per_host=settings.connections_per_host)
    started = time.perf_counter()
    try:
        for n, url in enumerate(urls):
            job = partial(fetch, client, url, FeedState(), max_bytes=settings.max_feed_bytes)
            pool.submit(n, url, job)
        failed = 0
        while pool.pending:
            failed += pool.next().error is not None
        return Timing(time.perf_counter() - started, len(urls) - failed, failed)
    finally:
        pool.close()
        client.close()


def reindex_all(settings: Settings, sources: list[Source], workdir: Path, name: str) -> Timing:
    """`fouille reindex` of every source into a fresh index."""
    settings = replace(settings, index_dir=workdir / f"index-{name}")
    started = time.perf_counter()
    report = reindex(settings, sources)
    totals = report.totals()
    return Timing(
        time.perf_counter() - started, totals["feeds"] - totals["failed"], totals["failed"]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fetch", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--feeds", type=int, default=128, help="feeds to serve (128)")
    parser.add_argument("--hosts", type=int, default=32, help="servers they are spread on (32)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request (0.2)")
    parser.add_argument("--workers", type=int, default=Settings().fetch_workers, help="pool size")
    parser.add_argument("--per-host", type=int, default=1, help="connections per host (1)")
    parser.add_argument("--no-reindex", action="store_true", help="time the fetch only")
    args = parser.parse_args(argv)

    if not CORPUS.is_dir():
        print(f"bench.fetch: skipped: {CORPUS} is absent (the shared corpus)")
        return 0
    files = sorted(CORPUS.rglob("*.xml"))[: args.feeds]
    base = Settings(fetch_workers=args.workers, connections_per_host=args.per_host)
    serial = replace(base, fetch_workers=1)
    print(
        f"{len(files)} feeds from {CORPUS} on {args.hosts} hosts (127.0.0.1, one port each), "
        f"{args.latency * 1000:.0f} ms per request; parallel: {args.workers} workers, "
        f"{args.per_host} connection(s) per host"
    )
    rows = []
    workdir = Path(tempfile.mkdtemp(prefix="fouille-bench-fetch-"))
    with hosts(files, args.hosts, args.latency) as (servers, urls):
        rows.append(("fetch", fetch_all(serial, urls), fetch_all(base, urls)))
        if not args.no_reindex:
            web = [Source(url) for url in urls]
            one = reindex_all(serial, web, workdir, "serial")
            many = reindex_all(base, web, workdir, "parallel")
            rows.append(("reindex", one, many))
        most = max(server.most for server in servers)
    floor = None
    if not args.no_reindex:
        local = [Source(str(path), path=path) for path in files]
        floor = reindex_all(base, local, workdir, "files")
    print()
    print("| what | serial (s) | parallel (s) | parallel / serial | feeds read (failed) |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, one, many in rows:
        print(
            f"| {name} | {one.seconds:.2f} | {many.seconds:.2f} | {many.seconds / one.seconds:.3f} "
            f"| {many.fetched} ({many.failed}) |"
        )
    if floor is not None:
        print(
            f"| reindex of the files (no network: parsing and writing alone) | | "
            f"{floor.seconds:.2f} | | {floor.fetched} ({floor.failed}) |"
        )
    print()
    print(f"most requests one host answered at once: {most} (allowed: {args.per_host})")
    fetch_ratio = rows[0][2].seconds / rows[0][1].seconds
    verdict = "met" if fetch_ratio <= TARGET and most <= args.per_host else "MISSED"
    print(f"target (fetch: parallel <= {TARGET:.2f} x serial, per-host limit held): {verdict}")
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
