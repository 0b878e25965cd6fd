"""Helpers for the web tests: the sample archive they search, waitress on 127.0.0.1, and
reading result pages. The fixtures built on them (`web_settings`, `client`, `live_server`…)
are in conftest.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import lxml.html
from flask import Flask
from flask.testing import FlaskClient

from search import Article

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
    """Eleven small French articles, one of them hostile; 'données' is in seven of them."""
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


@contextmanager
def serve(app: Flask, **options: object) -> Iterator[str]:
    """Serve `app` with waitress on 127.0.0.1 (a free port) in a thread; yields the base URL.
    `options` go to waitress (`clear_untrusted_proxy_headers=False`…)."""
    from waitress import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4, **options)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Close from inside the server's own loop: closing its sockets from this thread
        # races with its select() (EBADF). A loop that has already stopped has closed its
        # trigger too: then there is nothing left to close.
        try:
            server.trigger.pull_trigger(server.close)
        except OSError:
            server.close()
        thread.join(timeout=5)


# --- reading pages ----------------------------------------------------------------------------


def page_of(client: FlaskClient, url: str, status: int = 200) -> lxml.html.HtmlElement:
    """GET `url`, check its status and that it is HTML, and parse it."""
    response = client.get(url)
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "text/html"
    return lxml.html.fromstring(response.data)


def hit_ids(doc: lxml.html.HtmlElement) -> list[str]:
    """The article ids of a result page's hits, in order."""
    return list(doc.xpath("//article[@class='hit']/@data-id"))


def query_of(href: str) -> dict[str, list[str]]:
    """The query parameters of a link."""
    return parse_qs(urlsplit(href).query)
