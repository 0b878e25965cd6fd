"""A small set of French articles written for the tests, each with a purpose, and the one
way the suite builds an index from articles (`build_index`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from search import Article, Engine, Settings

FEED = "https://next.example/feed/"


def when(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


ARTICLES = [
    Article(
        id="rgpd-cnil",
        url="https://next.example/rgpd-cnil",
        title="La CNIL sanctionne un courtier en données personnelles",
        published=when("2024-03-15T09:30:00"),
        author="Camille Martin",
        tags=("RGPD", "Vie privée"),
        feed_url=FEED,
        feed_title="Next",
        body=(
            "La Commission nationale de l’informatique et des libertés a infligé une amende de "
            "2,5 millions d’euros. Selon la CNIL, la vie privée des clients n’a pas été respectée."
            "\n\nLe Conseil d’État sera saisi en appel, a indiqué l’entreprise."
        ),
    ),
    Article(
        id="elections-vote",
        url="https://next.example/elections-vote",
        title="Vote électronique : les élections professionnelles sous surveillance",
        published=when("2024-03-02T14:00:00"),
        author="Louis Bernard",
        tags=("Sécurité", "Vie privée"),
        feed_url=FEED,
        feed_title="Next",
        body=(
            "Les élections professionnelles se tiennent en ligne. L’ANSSI rappelle les "
            "exigences de sécurité du vote. Aujourd’hui, aucun incident n’a été signalé."
        ),
    ),
    Article(
        id="reseau-5g",
        url="https://next.example/reseau-5g",
        title="L’ARCEP publie la carte des réseaux 5G en Île-de-France",
        published=when("2023-07-20T08:00:00"),
        author="Camille Martin",
        tags=("Télécoms", "5G"),
        feed_url=FEED,
        feed_title="Next",
        body=(
            "Cet été, les opérateurs ont ouvert de nouvelles antennes. Le réseau de Free "
            "progresse à l’Est, celui d’Orange en Seine-Saint-Denis. Le Wi-Fi 7 arrive aussi."
        ),
    ),
    Article(
        id="windows-11",
        url="https://next.example/windows-11",
        title="Windows 11 abandonne les vieux processeurs x86",
        published=when("2022-10-05T10:00:00"),
        author="Louis Bernard",
        tags=("Windows",),
        feed_url="https://autre.example/atom.xml",
        feed_title="Autre source",
        body=(
            "Microsoft publie une mise à jour de Windows 11. Les développeurs C++ devront "
            "recompiler leurs œuvres pour ARM64. Le code open-source suit, peut-être."
        ),
    ),
    Article(
        id="hopitaux",
        url="https://next.example/hopitaux",
        title="Cyberattaque contre deux hôpitaux",
        published=when("2021-01-11T07:00:00"),
        author="Inès Petit",
        tags=("Sécurité", "Santé"),
        feed_url=FEED,
        feed_title="Next",
        body=(
            "Un hôpital de la région a dû fermer ses urgences. Le ministère de la Santé "
            "évoque un rançongiciel ; l’événement rappelle l’attaque de 2020."
        ),
    ),
    Article(
        id="conseil-etat",
        url="https://next.example/conseil-etat",
        title="Le Conseil d’État valide le fichier des passeports",
        published=when("2023-11-30T18:00:00"),
        author="Inès Petit",
        tags=("Justice", "Vie privée"),
        feed_url=FEED,
        feed_title="Next",
        body=(
            "Saisi par plusieurs associations, le Conseil d’État a rejeté le recours. "
            "La décision concerne des millions de données biométriques."
        ),
    ),
    Article(
        id="conseil-separe",
        url="https://next.example/conseil-separe",
        title="Un conseil municipal débat de l’état des routes",
        published=when("2020-05-04T12:00:00"),
        author="Hugo Leroy",
        tags=("Territoires",),
        feed_url=FEED,
        feed_title="Next",
        body="Le conseil a voté. L’état des routes inquiète les habitants de la commune.",
    ),
    Article(
        id="fresh-5g",
        url="https://next.example/fresh-5g",
        title="Un opérateur allume la 5G dans les campagnes",
        published=datetime.now(UTC) - timedelta(days=2),
        author="Hugo Leroy",
        tags=("Télécoms", "5G"),
        feed_url=FEED,
        feed_title="Next",
        body="La 5G arrive dans les villages ; le réseau mobile y était faible.",
    ),
]


def build_index(index_dir: Path, articles: Iterable[Article], **settings: object) -> Settings:
    """Create an index in `index_dir` holding `articles`, through the engine's writer.

    Args:
        index_dir: where the index goes (created).
        articles: what it holds.
        settings: other `Settings` fields (`page_size=3`…).

    Returns:
        Settings pointing at the new index.
    """
    config = Settings(index_dir=index_dir)._with(settings)
    with Engine.open(config, create=True) as engine, engine.writer() as writer:
        for article in articles:
            writer.upsert(article)
    return config
