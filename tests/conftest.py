"""Fixtures shared by the whole suite.

Indexes: `engine` (empty, this test's own), `make_index` (this test's own, holding given
articles), and two built once per session for tests that only read — `articles_index`
(tests/articles.py) and `web_settings` (the web sample, tests/webserver.py). A test that
writes to an index, or removes it, uses its own: `make_index`, `own_web_settings`,
`own_client`, `own_live_server`. A session index that changed by the end of the run fails it.
Feeds: `server`, a local feed server (tests/feedserver.py) for this test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from articles import ARTICLES, build_index
from feedserver import FeedServer
from flask import Flask
from flask.testing import FlaskClient
from webserver import PAGE_SIZE, sample_articles, serve

from search import Article, Engine, Settings
from web import create_app

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"

MakeIndex = Callable[..., Settings]
#: The web sample's site speaks French (`lang`), whatever the client asks: the page tests
#: read the French texts. tests/test_i18n.py tests the choice of language itself.
SITE_LANGUAGE = "fr"
#: The locale and colour variables, taken out of this process for the suite: the messages
#: of in-process commands are English, and colour follows only what a test sets.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "FOUILLE_LANG", "NO_COLOR")


@pytest.fixture(scope="session", autouse=True)
def english_locale() -> Iterator[None]:
    """The whole suite runs in the C locale, whatever the developer's is."""
    saved = {name: os.environ.get(name) for name in (*LOCALE_VARIABLES, "LANG")}
    for name in LOCALE_VARIABLES:
        os.environ.pop(name, None)
    os.environ["LANG"] = "C.UTF-8"
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at an empty index directory of this test's own."""
    return Settings(index_dir=tmp_path / "index")


@pytest.fixture
def corpus() -> Path:
    """../shared/corpus beside the repository; the test is skipped when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    return CORPUS


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A feed server on 127.0.0.1 for this test (it routes what the test gives it)."""
    with FeedServer() as s:
        yield s


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """A real, empty index on disk."""
    with Engine.open(settings, create=True) as opened:
        yield opened


@pytest.fixture
def make_index(tmp_path: Path) -> MakeIndex:
    """Build an index of this test's own: `make_index(articles, name="index", **settings)`
    returns settings pointing at it (`name` is its directory in tmp_path)."""

    def make(articles: Iterable[Article] = (), name: str = "index", **fields: object) -> Settings:
        return build_index(tmp_path / name, articles, **fields)

    return make


def _snapshot(index_dir: Path) -> dict[str, tuple[int, int]]:
    """Every file of an index with its size and modification time."""
    return {
        str(path.relative_to(index_dir)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(index_dir.rglob("*"))
        if path.is_file()
    }


def _read_only(settings: Settings) -> Iterator[Settings]:
    before = _snapshot(settings.index_dir)
    yield settings
    assert _snapshot(settings.index_dir) == before, (
        f"a test wrote to the shared read-only index {settings.index_dir}: give it its own"
    )


@pytest.fixture(scope="session")
def articles_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """tests/articles.py's ARTICLES, indexed once for the session: only for tests that read."""
    yield from _read_only(build_index(tmp_path_factory.mktemp("articles") / "index", ARTICLES))


# --- the web app on the sample archive ---------------------------------------------------------


@pytest.fixture(scope="session")
def web_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The web sample (`sample_articles()`, 3 hits a page) indexed once for the session: only
    for tests that read."""
    index_dir = tmp_path_factory.mktemp("web") / "index"
    yield from _read_only(
        build_index(index_dir, sample_articles(), page_size=PAGE_SIZE, lang=SITE_LANGUAGE)
    )


def _app(settings: Settings) -> Iterator[Flask]:
    application = create_app(settings, config={"TESTING": True})
    yield application
    application.extensions["fouille"].close()


@pytest.fixture(scope="session")
def app(web_settings: Settings) -> Iterator[Flask]:
    """The app on the shared sample index."""
    yield from _app(web_settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A Flask test client on the shared sample index."""
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The base URL of the app on the shared sample index, behind waitress."""
    with serve(app) as url:
        yield url


@pytest.fixture
def empty_client(tmp_path: Path) -> Iterator[FlaskClient]:
    """A test client on an app started while there is no index yet (in tmp_path/index)."""
    settings = Settings(index_dir=tmp_path / "index", page_size=PAGE_SIZE, lang=SITE_LANGUAGE)
    for application in _app(settings):
        yield application.test_client()


@pytest.fixture
def own_web_settings(make_index: MakeIndex) -> Settings:
    """The web sample in an index of this test's own, free to change or remove."""
    return make_index(sample_articles(), page_size=PAGE_SIZE, lang=SITE_LANGUAGE)


@pytest.fixture
def own_app(own_web_settings: Settings) -> Iterator[Flask]:
    """The app on this test's own copy of the sample index."""
    yield from _app(own_web_settings)


@pytest.fixture
def own_client(own_app: Flask) -> FlaskClient:
    """A Flask test client on this test's own copy of the sample index."""
    return own_app.test_client()


@pytest.fixture
def own_live_server(own_app: Flask) -> Iterator[str]:
    """This test's own copy of the sample index, served by waitress."""
    with serve(own_app) as url:
        yield url
