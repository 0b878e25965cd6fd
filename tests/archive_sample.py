"""A small archive for the tests of issue 14 (article pages, "why", versions, facets): two
feeds telling one story, an article published again under a new link, ids no URL path can
hold as they are, a subscriber feed with a secret, and the original pages those articles
link to (served on 127.0.0.1 by `tests/feedserver.py`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape

from search import Article

NOW = datetime.now(UTC).replace(microsecond=0)
#: Yesterday at noon (UTC): the day both feeds told the bicycle story.
YESTERDAY = (NOW - timedelta(days=1)).replace(hour=12, minute=0, second=0)
QUOTIDIEN = "https://quotidien.example/rss"
HEBDO = "https://hebdo.example/atom.xml"
SECRET = "SECRETKEY12345"
PRIVATE_FEED = f"https://abonne:motdepasse@prive.example/rss?cle={SECRET}"

VELO_TITLE = "Le plan vélo de la métropole lyonnaise divise les commerçants"
VELO_PARAGRAPHS = (
    "La métropole a présenté mardi son plan de mobilité pour les dix prochaines années. "
    "Le document compte plus de deux cents pages et sera soumis au vote en juin.",
    "Les commerçants de la presqu’île redoutent la fin du stationnement. Selon leur "
    "fédération, les nouvelles pistes cyclables supprimeraient quatre cents places de "
    "parking rue de la République.",
    "Les associations de cyclistes saluent au contraire un plan ambitieux, qu’elles "
    "jugent encore trop lent à se déployer dans les communes de l’est.",
)
CANTINE_BODY = (
    "La commune a décidé de servir des repas entièrement biologiques dans ses cantines "
    "scolaires dès la rentrée. Les parents d’élèves avaient lancé une pétition au printemps, "
    "signée par plus de mille familles. Le surcoût, estimé à quarante centimes par repas, "
    "sera pris en charge par la municipalité grâce à des économies sur l’éclairage public."
)
ODD_ID = "tag:quotidien.example,2024:/articles/42?x=1&y=2#frag é/ü %2F"


def _article(
    id: str,
    title: str,
    body: str,
    origin: str,
    *,
    feed_url: str = QUOTIDIEN,
    feed_title: str = "Le Quotidien",
    author: str = "Claire Fontaine",
    tags: tuple[str, ...] = (),
    days_ago: float = 1,
    **fields: object,
) -> Article:
    return Article(
        id=id,
        url=fields.pop("url", f"{origin}/articles/{id}"),  # type: ignore[arg-type]
        title=title,
        body=body,
        author=author,
        tags=tags,
        published=fields.pop("published", NOW - timedelta(days=days_ago)),  # type: ignore[arg-type]
        feed_url=feed_url,
        feed_title=feed_title,
        **fields,  # type: ignore[arg-type]
    )


def archive_articles(origin: str = "https://quotidien.example") -> list[Article]:
    """The archive; `origin` is where the original pages are served."""
    return [
        _article(
            "velo-lyon",
            VELO_TITLE,
            "\n\n".join(VELO_PARAGRAPHS),
            origin,
            tags=("Mobilité", "Lyon"),
            published=YESTERDAY + timedelta(hours=2),
            updated=YESTERDAY + timedelta(days=1, hours=1),
        ),
        # The same story the same day from another feed, which gives a summary only.
        _article(
            "hebdo-velo",
            VELO_TITLE,
            "Le plan de mobilité de la métropole inquiète les commerçants de la presqu’île.",
            origin,
            feed_url=HEBDO,
            feed_title="L’Hebdo",
            author="Paul Renard",
            tags=("Mobilité",),
            published=YESTERDAY,
        ),
        _article(
            "cantine-bio",
            "Des cantines entièrement bio à la rentrée",
            CANTINE_BODY,
            origin,
            tags=("Éducation",),
            days_ago=6,
        ),
        # Published again three days later under a new link and a new title.
        _article(
            "cantine-bio-2",
            "Repas bio : la commune franchit le pas",
            CANTINE_BODY,
            origin,
            tags=("Éducation",),
            days_ago=3,
        ),
        _article(
            "pistes-est",
            "Les pistes cyclables arrivent dans l’est lyonnais",
            "Trois communes de l’est lyonnais verront leurs premières pistes cyclables "
            "sécurisées avant la fin de l’année, annonce la métropole.",
            origin,
            author="Paul Renard",
            feed_url=HEBDO,
            feed_title="L’Hebdo",
            tags=("Mobilité",),
            days_ago=4,
        ),
        _article(
            "stationnement",
            "Le stationnement payant s’étend dans la presqu’île",
            "Les commerçants dénoncent une mesure qui éloigne les clients venus en voiture.",
            origin,
            author="Léa Martin",
            tags=("Lyon",),
            days_ago=8,
        ),
        _article(
            "velo-cargo",
            "Le vélo-cargo séduit les commerçants",
            "Livrer à vélo coûte moins cher en ville, disent les commerçants interrogés.",
            origin,
            author="Léa Martin",
            days_ago=12,
        ),
        _article(
            "tram-ligne",
            "Une nouvelle ligne de tramway pour la métropole",
            "La métropole lyonnaise prolonge son réseau de tramway vers l’est.",
            origin,
            days_ago=20,
        ),
        _article(
            "budget-mobilite",
            "Le budget mobilité de la métropole en hausse",
            "Les pistes cyclables et les parkings relais absorbent la moitié du budget.",
            origin,
            author="Paul Renard",
            days_ago=30,
        ),
        _article(ODD_ID, "Un identifiant qui ne tient dans aucune adresse", "Texte bref.", origin),
        _article(
            f"https://prive.example/articles/7?cle={SECRET}",
            "Réservé aux abonnés : la réforme des retraites",
            "Un article pour les abonnés seulement, sur la réforme des retraites.",
            origin,
            url=f"https://prive.example/articles/7?cle={SECRET}",
            feed_url=PRIVATE_FEED,
            feed_title="",
            author="Rédaction",
        ),
    ]


def original_page(article: Article, filler: int = 150) -> bytes:
    """The publisher's page of an article: much else before its text, as on a real site,
    so that landing on its passage needs the text fragment."""
    head = "".join(
        f"<p>Autre contenu du site, paragraphe {n} sans rapport.</p>" for n in range(filler)
    )
    text = "".join(
        f'<p class="text">{escape(p)}</p>' for p in article.body.split("\n\n") if p.strip()
    )
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(article.title)}</title></head><body>{head}"
        f"<h1>{escape(article.title)}</h1>{text}</body></html>"
    ).encode()
