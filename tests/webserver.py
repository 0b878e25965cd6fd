"""Shared fixtures for the web tests: a real index in tmp_path, the app, and waitress on 127.0.0.1.

Test modules load these with `pytest_plugins = ["webserver"]` (and may import its helpers:
PYTEST_DONT_REWRITE, so that doing both does not warn).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from search import Article, Engine, Settings
from web import create_app

NOW = datetime.now(UTC).replace(microsecond=0)
FEED = "Le Veilleur numérique"
FEED_URL = "https://veilleur.example/flux.xml"
PAGE_SIZE = 3

# A string that must never run: every place a feed can put text carries it.
HOSTILE_TITLE = (
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">Données piégées'
)
HOSTILE_URL = "javascript:window.__pwned=6"


def _article(
    slug: str,
    title: str,
    body: str,
    tags: tuple[str, ...],
    days_ago: float,
    author: str = "Camille Martin",
) -> Article:
    return Article(
        id=f"veilleur-{slug}",
        url=f"https://veilleur.example/articles/{slug}",
        title=title,
        body=body,
        summary=body[:160],
        author=author,
        tags=tags,
        published=NOW - timedelta(days=days_ago),
        feed_url=FEED_URL,
        feed_title=FEED,
    )


def sample_articles() -> list[Article]:
    """Eleven small French articles, one of them hostile; 'données' matches six of them."""
    return [
        _article(
            "cnil-courtier",
            "La CNIL sanctionne un courtier en données personnelles",
            "La formation restreinte de la CNIL inflige une amende de deux millions d’euros à un "
            "courtier qui revendait des données personnelles sans consentement.",
            ("RGPD", "Vie privée"),
            2,
        ),
        _article(
            "fuite-operateur",
            "Fuite de données chez un opérateur : deux millions de clients concernés",
            "Un opérateur télécom reconnaît une fuite de données touchant noms, adresses et "
            "numéros de téléphone de ses abonnés à la fibre.",
            ("Sécurité", "Télécoms"),
            10,
            author="Léa Dubois",
        ),
        _article(
            "arcep-fibre",
            "L’Arcep publie son observatoire de la fibre optique",
            "Le déploiement de la fibre ralentit dans les zones rurales selon le régulateur des "
            "télécoms, qui s’inquiète des raccordements ratés.",
            ("Télécoms", "Fibre"),
            40,
            author="Léa Dubois",
        ),
        _article(
            "ai-act",
            "Intelligence artificielle : le Parlement européen adopte l’AI Act",
            "Le règlement encadre les systèmes d’intelligence artificielle selon leur niveau de "
            "risque ; les modèles génériques devront documenter leurs données d’entraînement.",
            ("IA", "Europe"),
            100,
        ),
        _article(
            "sante-cloud",
            "Les données de santé hébergées hors d’Europe inquiètent les hôpitaux",
            "Plusieurs hôpitaux s’interrogent sur l’hébergement des données de santé chez un "
            "fournisseur de cloud américain.",
            ("Santé", "Vie privée"),
            200,
        ),
        _article(
            "windows-faille",
            "Windows 11 : une mise à jour corrige une faille critique",
            "Microsoft publie un correctif pour une faille exploitée à distance dans le noyau ; "
            "les administrateurs sont invités à l’installer sans attendre.",
            ("Windows", "Sécurité"),
            5,
            author="Hugo Bernard",
        ),
        _article(
            "catalogue-libre",
            "Logiciels libres : l’État publie son catalogue",
            "Le socle interministériel des logiciels libres recense les outils recommandés aux "
            "administrations, de LibreOffice à Firefox.",
            ("Open source",),
            400,
            author="Hugo Bernard",
        ),
        _article(
            "rancongiciel-hopital",
            "Rançongiciel : un hôpital paralysé, les données des patients publiées",
            "Les pirates ont mis en ligne une partie des données des patients après le refus de "
            "l’hôpital de payer la rançon.",
            ("Sécurité", "Santé"),
            1,
        ),
        _article(
            "rgpd-bilan",
            "Le RGPD a cinq ans : bilan des sanctions",
            "Cinq ans après son entrée en application, le règlement a donné lieu à des centaines "
            "de sanctions en Europe ; les autorités manquent de moyens.",
            ("RGPD", "Justice"),
            600,
        ),
        _article(
            "data-act",
            "Données personnelles : ce que change le Data Act",
            "Le nouveau règlement européen sur les données ouvre l’accès aux données des objets "
            "connectés à leurs utilisateurs.",
            ("RGPD", "Europe"),
            20,
        ),
        Article(
            id="hostile-1",
            url=HOSTILE_URL,
            title=HOSTILE_TITLE,
            body=(
                "<script>window.__pwned=3</script> Ces données sont piégées "
                '<img src=x onerror="window.__pwned=4"> <a href="javascript:window.__pwned=5">'
                "cliquez</a> javascript:alert(1)"
            ),
            author='<b onmouseover="window.__pwned=7">Mallory</b>',
            tags=(
                "<script>window.__pwned=8</script>",
                '<img src=x onerror="window.__pwned=9">',
                "javascript:alert(1)",
            ),
            published=NOW - timedelta(days=3),
            feed_url="javascript:alert(2)",
            feed_title="<script>window.__pwned=10</script>",
        ),
    ]


def build_index(index_dir: Path, articles: Iterable[Article], **settings: object) -> Settings:
    """Create an index in `index_dir` holding `articles`; returns settings pointing at it."""
    config = Settings(index_dir=index_dir, page_size=PAGE_SIZE)._with(settings)
    engine = Engine.open(config, create=True)
    try:
        with engine.writer() as writer:
            for article in articles:
                writer.upsert(article)
    finally:
        engine.close()
    return config


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    """Settings for an index in tmp_path holding `sample_articles()` (3 hits a page)."""
    return build_index(tmp_path / "index", sample_articles())


@pytest.fixture
def app(web_settings: Settings) -> Iterator[Flask]:
    """The app on the sample index."""
    application = create_app(web_settings, config={"TESTING": True})
    yield application
    application.extensions["fouille"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A Flask test client on the sample index."""
    return app.test_client()


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve `app` with waitress on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    from waitress import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Close from inside the server's own loop: closing its sockets from this thread
        # races with its select() (EBADF).
        server.trigger.pull_trigger(server.close)
        thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The base URL of the app on the sample index, behind waitress."""
    with serve(app) as url:
        yield url
