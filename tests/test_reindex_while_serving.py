"""The app while the index changes under it: built after start, reindexed, committed to
again and again while waitress serves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask.testing import FlaskClient
from webserver import FEED, PAGE_SIZE, hit_ids, page_of, sample_articles

from search import Article, Engine, Settings


def test_an_index_built_after_start_is_picked_up(
    empty_client: FlaskClient, make_index: Callable[..., Settings]
) -> None:
    assert empty_client.get("/healthz").status_code == 503
    assert empty_client.get("/opensearch.xml").status_code == 200  # needs no index
    make_index(sample_articles()[:4], page_size=PAGE_SIZE)  # where the app looks: tmp_path/index
    assert empty_client.get("/healthz").get_json()["index"]["articles"] == 4
    assert empty_client.get("/search?q=données").status_code == 200


def test_a_reindex_while_serving_is_visible_on_the_next_request(
    own_client: FlaskClient, own_web_settings: Settings
) -> None:
    assert own_client.get("/api/search?q=quantique").get_json()["total"] == 0
    before = own_client.get("/healthz").get_json()["index"]["articles"]
    # A separate Engine, as `fouille reindex` in another process would use.
    engine = Engine.open(own_web_settings)
    try:
        with engine.writer() as writer:
            writer.upsert(
                Article(
                    id="veilleur-quantique",
                    url="https://veilleur.example/articles/quantique",
                    title="Un ordinateur quantique français atteint 100 qubits",
                    body="La jeune pousse annonce une puce quantique refroidie à l’hélium.",
                    tags=("Recherche",),
                    published=datetime.now(UTC),
                    feed_url="https://veilleur.example/flux.xml",
                    feed_title=FEED,
                )
            )
    finally:
        engine.close()
    data = own_client.get("/api/search?q=quantique").get_json()
    assert [hit["id"] for hit in data["hits"]] == ["veilleur-quantique"]
    assert hit_ids(page_of(own_client, "/search?q=quantique")) == ["veilleur-quantique"]
    assert own_client.get("/healthz").get_json()["index"]["articles"] == before + 1


def test_concurrent_requests_while_reindexing(
    own_live_server: str, own_web_settings: Settings
) -> None:
    """waitress threads search while another engine commits: every answer is a 200."""
    import json
    import threading
    import urllib.error
    import urllib.request

    # The app opens its engine on the first request. Opening an index at the moment another
    # engine commits is a different situation, pinned by test_concurrency.py's
    # test_searches_from_fresh_engines_never_fail_during_commits; here, as on a server that
    # has been running, the engine is open before the commits start.
    with urllib.request.urlopen(own_live_server + "/healthz", timeout=30) as resp:
        assert json.load(resp)["index"]["articles"] == 11
    statuses: list[int] = []
    totals: list[int] = []

    def get(path: str) -> bytes:
        try:
            with urllib.request.urlopen(own_live_server + path, timeout=30) as resp:
                statuses.append(resp.status)
                return resp.read()
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
            return b"{}"

    def hammer() -> None:
        for _ in range(15):
            totals.append(json.loads(get("/api/search?q=donn%C3%A9es")).get("total", -1))
            get("/search?q=donn%C3%A9es&page=2")

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    engine = Engine.open(own_web_settings)
    try:
        for n in range(5):
            with engine.writer() as writer:
                writer.upsert(extra(n))
    finally:
        engine.close()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 120
    assert min(totals) >= 7
    with urllib.request.urlopen(f"{own_live_server}/api/search?q=donn%C3%A9es") as resp:
        assert resp.headers["Server"] == "waitress"
        assert resp.headers["X-Frame-Options"] == "DENY"


def test_many_reindexes_while_serving_never_repeat_a_hit(
    own_client: FlaskClient, own_web_settings: Settings
) -> None:
    """Each commit is seen by the next request, also after Whoosh merges segments."""
    engine = Engine.open(own_web_settings)
    try:
        for n in range(1, 13):
            with engine.writer() as writer:
                writer.upsert(extra(n))
            data = own_client.get("/api/search?q=données&page_size=50").get_json()
            ids = [hit["id"] for hit in data["hits"]]
            assert len(ids) == len(set(ids)), f"commit {n}: repeated hits"
            assert data["total"] == 7 + n
    finally:
        engine.close()


def extra(n: int) -> Article:
    """One more article on 'données', as a reindex would bring."""
    return Article(
        id=f"extra-{n}",
        url=f"https://veilleur.example/articles/extra-{n}",
        title=f"Des données en plus, numéro {n}",
        published=datetime.now(UTC),
        feed_url="https://veilleur.example/flux.xml",
        feed_title=FEED,
    )
