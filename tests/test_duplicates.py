"""Near-duplicates (issue 14): the same story from two feeds, or published again under a new
link, is one result with "n versions"; totals still count every matching article."""

from __future__ import annotations

import json
import lzma
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from archive_sample import CANTINE_BODY, archive_articles

from search import Article, Engine
from search.analysis import analyze, terms
from search.arrays import term_hash
from search.duplicates import Clusters, clusters, keys
from tests.corpora import open_index

STORY = (
    "Le conseil municipal a voté jeudi soir la rénovation complète de la piscine "
    "olympique, fermée depuis trois ans. Les travaux, estimés à douze millions d’euros, "
    "commenceront à l’automne et dureront deux ans. L’opposition dénonce un chantier "
    "trop coûteux pour une commune de cette taille et réclame un référendum local."
)
#: A paragraph news agencies repeat under many stories.
AGENCY = (
    "La pandémie a fait au moins un million de morts dans le monde depuis fin décembre, "
    "selon un bilan établi par l’agence à partir de sources officielles lundi à midi."
)


def hashes(text: str, stemming: bool) -> np.ndarray:
    if stemming:  # one stem per content word, as the index gives them
        words = {pos: term for pos, term, _, _ in reversed(list(analyze(text)))}
        terms = [words[pos] for pos in sorted(words)]
    else:
        terms = [term for _, term, _, _ in analyze(text, stemming=False)]
    return np.array([term_hash(t) for t in terms], dtype=np.uint64)


def key(title: str, body: str) -> tuple[int, int]:
    return keys(hashes(title, True), hashes(body, False))


def test_a_copy_has_the_same_body_key() -> None:
    assert key("Un titre", STORY)[1] == key("Un autre titre tout différent", STORY)[1] != 0


def test_a_copy_with_a_word_edited_keeps_it_here() -> None:
    edited = STORY.replace("jeudi soir", "jeudi")
    assert key("Titre", edited)[1] == key("Titre", STORY)[1]


def test_stories_sharing_an_agency_paragraph_stay_apart() -> None:
    one = f"{AGENCY} Les cinémas rouvrent leurs salles en Bretagne, avec des jauges réduites."
    two = f"{AGENCY} Le championnat de football reprendra le mois prochain sans public."
    assert key("Titre", one)[1] != key("Titre", two)[1]


def test_a_short_body_has_no_body_key() -> None:
    assert key("Titre", "Trois mots seulement.")[1] == 0


def test_a_specific_title_is_a_key_whatever_the_body() -> None:
    title = "La piscine olympique de la ville sera rénovée dès l’automne"
    summary, full = "Le conseil a voté la rénovation.", STORY
    assert key(title, summary)[0] == key(title.upper(), full)[0] != 0  # case, body aside
    assert (
        key("La piscine olympique de la ville sera fermée cet hiver", full)[0]
        != key(title, full)[0]
    )
    # A series' title, four words whatever their accents: no key.
    assert key("Coronavirus : le point sur la pandémie dans le monde", STORY)[0] == 0


DAY = 86_400_000_000


def test_clusters_join_what_any_key_links() -> None:
    title = np.array([0, 5, 5, 0, 7, 7, 0, 9], dtype=np.uint64)
    body = np.array([1, 0, 0, 3, 3, 0, 1, 0], dtype=np.uint64)
    published = np.zeros(8, dtype=np.int64)
    assert clusters(title, body, published).tolist() == [0, 1, 1, 3, 3, 3, 0, 7]
    none = np.zeros(3, dtype=np.uint64)
    assert clusters(none, none, np.zeros(3, dtype=np.int64)).tolist() == [0, 1, 2]


def test_each_cluster_knows_its_members() -> None:
    title = np.array([0, 5, 5, 0, 7, 7, 0, 9], dtype=np.uint64)
    body = np.array([1, 0, 0, 3, 3, 0, 1, 0], dtype=np.uint64)
    found = Clusters.build(title, body, np.zeros(8, dtype=np.int64))
    assert found.shared.tolist() == [True, True, True, True, True, True, True, False]
    assert [found.of(d).tolist() for d in (6, 2, 4, 7)] == [[0, 6], [1, 2], [3, 4, 5], [7]]


def test_a_title_links_articles_days_apart_not_a_weekly_series() -> None:
    title = np.array([4, 4, 4, 4, 4], dtype=np.uint64)
    body = np.zeros(5, dtype=np.uint64)
    published = np.array([0, 2 * DAY, 7 * DAY, 14 * DAY, 15 * DAY], dtype=np.int64)
    assert clusters(title, body, published).tolist() == [0, 0, 2, 3, 3]


# --- through the engine ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with open_index(tmp_path_factory.mktemp("versions"), archive_articles()) as engine:
        yield engine


def test_two_feeds_telling_one_story_are_one_result(archive: Engine) -> None:
    page = archive.search("plan vélo métropole lyonnaise commerçants")
    assert page.total == 2 and page.stories == 1
    (hit,) = page.hits
    assert hit.version_count == 2
    (other,) = hit.versions
    assert {hit.id, other.id} == {"velo-lyon", "hebdo-velo"}
    assert other.feed in ("Le Quotidien", "L’Hebdo") and other.feed != hit.feed


def test_a_story_published_again_under_a_new_link_is_one_result(archive: Engine) -> None:
    page = archive.search("cantines bio", sort="date")
    assert page.total == 2 and [h.id for h in page.hits] == ["cantine-bio-2"]
    assert [v.id for v in page.hits[0].versions] == ["cantine-bio"]


def test_every_version_without_collapsing(archive: Engine) -> None:
    page = archive.search("cantines bio", collapse=False)
    assert {h.id for h in page.hits} == {"cantine-bio", "cantine-bio-2"}
    assert all(h.version_count == 1 and h.versions == () for h in page.hits)


def test_pages_count_stories_and_no_story_shows_twice(archive: Engine) -> None:
    seen: list[str] = []
    first = archive.search("métropole OU commerçants OU cantines", page_size=2)
    assert first.pages == -(-first.stories // 2)  # type: ignore[operator]
    for number in range(1, first.pages + 1):
        page = archive.search("métropole OU commerçants OU cantines", page_size=2, page=number)
        for hit in page.hits:
            seen += [hit.id, *(v.id for v in hit.versions)]
    assert len(seen) == len(set(seen)) == first.total


def test_the_json_lists_the_versions(archive: Engine) -> None:
    data = archive.search("cantines bio").to_dict()
    assert data["total"] == 2 and data["stories"] == 1
    (hit,) = data["hits"]
    assert hit["id"] == "cantine-bio"  # "cantines" in its title too
    assert hit["version_count"] == 2 and [v["id"] for v in hit["versions"]] == ["cantine-bio-2"]
    assert set(hit["versions"][0]) == {"id", "key", "url", "title", "feed", "published"}


def test_different_articles_are_never_grouped(archive: Engine) -> None:
    page = archive.search("métropole", page_size=50)
    grouped = {h.id: h.version_count for h in page.hits}
    story = {"velo-lyon", "hebdo-velo"}
    assert all(count == 1 for doc, count in grouped.items() if doc not in story)
    assert len(story & set(grouped)) == 1


def test_a_replaced_article_leaves_its_cluster(tmp_path: Path) -> None:
    articles = archive_articles()
    with open_index(tmp_path, articles) as engine:
        changed = next(a for a in articles if a.id == "cantine-bio-2")
        with engine.writer() as writer:
            writer.upsert(
                Article(
                    **{**changed.__dict__, "body": "Tout autre chose, réécrit.", "content_hash": ""}
                )
            )
        page = engine.search("cantines bio")
        assert page.stories == page.total  # no version any more
        assert all(h.version_count == 1 for h in page.hits)


@pytest.mark.slow
def test_known_duplicates_of_a_real_corpus(corpus: Path, tmp_path: Path) -> None:
    """OrangeSum holds the same articles twice under two ids (scraped twice), one of them
    with its title reworded; 400 others are around them."""
    wanted = {"359", "360", "8251", "8315", "33409", "34556"}
    records = []
    with lzma.open(corpus / "articles/orangesum.jsonl.xz", "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            row = json.loads(line)
            if str(row["id"]) in wanted or n < 400:
                records.append(row)
    articles = [
        Article(
            id=f"orangesum-{r['id']}",
            url=f"https://actu.orange.fr/{r['id']}",
            title=r.get("title") or "",
            body=r.get("article") or "",
            summary=r.get("heading") or "",
            published=datetime.fromisoformat(r["date"]).replace(tzinfo=UTC),
        )
        for r in records
    ]
    with open_index(tmp_path, articles) as engine:
        arrays = engine._snapshots.view().state.arrays
        label, shared = arrays.clusters().label, arrays.clusters().shared
        view = engine._snapshots.view()
        number = {view.stored(d)["id"]: d for d in range(arrays.count)}
        for a, b in (("359", "360"), ("8251", "8315"), ("33409", "34556")):
            assert label[number[f"orangesum-{a}"]] == label[number[f"orangesum-{b}"]]
        # Every cluster is one story: its articles share words of their titles.
        view = engine._snapshots.view()
        for cluster in np.unique(label[shared]):
            titles = [
                set(terms(view.stored(int(d))["title"])) for d in np.flatnonzero(label == cluster)
            ]
            assert set.intersection(*titles), [view.stored(int(d))["title"] for d in label]


def test_cantine_body_is_long_enough_for_a_key() -> None:
    assert key("Titre", CANTINE_BODY)[1] != 0


def test_keys_are_the_ones_segments_already_hold() -> None:
    # Keys are written into each segment's arrays and compared across segments written by
    # other versions: the hashing behind them must never change.
    title = np.array([11, 22, 33, 44, 55, 66], dtype=np.uint64)
    body = np.arange(1000, 1060, dtype=np.uint64) * np.uint64(2654435761)
    assert keys(title, body) == (12889409753336139310, 1287801594182268784)
