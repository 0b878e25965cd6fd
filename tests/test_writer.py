"""What the writer puts in a segment, seen through searches: fields that hold nothing in a
whole segment, upserts that replace, merges that keep every live article."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer.build import index_articles
from search import Article, Engine, Settings
from search import writer as writer_module
from search.documents import aware
from tests.corpora import article, ids, open_index


def test_a_segment_with_no_body_and_no_tags_anywhere(tmp_path: Path) -> None:
    articles = [article("t1", "Vélos électriques"), article("t2", "Trains de nuit")]
    with open_index(tmp_path, articles) as engine:
        assert ids(engine.search("vélos")) == ["t1"]
        assert ids(engine.search('"trains de nuit"')) == ["t2"]
        assert engine.search("électrique").total == 1
        assert engine.search("", tags=["Transport"]).total == 0
        assert engine.stats().articles == 2


def test_a_rebuild_removes_a_failed_rebuilds_leftover_generation(tmp_path: Path) -> None:
    articles = [
        article("t1", "Vélos électriques", "Un vélo."),
        article("t2", "Trains", "Un train."),
    ]
    with open_index(tmp_path, articles) as engine:
        root = tmp_path / "index"
        (current,) = [p for p in root.iterdir() if p.name.startswith("gen-")]
        leftover = root / "gen-000099"
        shutil.copytree(current, leftover)  # never opened by this engine
        assert engine.rebuild() == 2
        assert not leftover.exists()
        assert ids(engine.search("vélos")) == ["t1"]


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_an_error_in_a_writer_drops_the_uncommitted_articles_and_their_files(
    tmp_path: Path,
) -> None:
    with open_index(tmp_path, [article("t1", "Vélos électriques", "Un vélo.")]) as engine:
        before = files(tmp_path / "index")
        with pytest.raises(RuntimeError, match="coupure"), engine.writer() as writer:
            writer.upsert(article("t2", "Trains de nuit", "Un train."))
            raise RuntimeError("coupure")
        with pytest.raises(RuntimeError, match="avant tout"), engine.writer():
            raise RuntimeError("avant tout article")
        assert files(tmp_path / "index") == before
        assert ids(engine.search("trains")) == []
        assert ids(engine.search("vélos")) == ["t1"]


def test_dates_out_of_range_are_kept_within_1900_and_2200(tmp_path: Path) -> None:
    """A feed's year 1 or year 9999 would stretch the month facet over millennia: an
    article's dates are brought within 1 January 1900 and 1 January 2200."""
    articles = [
        article("futur", "Dépêche du futur", published=datetime(9999, 12, 31, tzinfo=UTC)),
        article("passe", "Dépêche du passé", published=datetime(1, 1, 1, tzinfo=UTC)),
        article("juste", "Dépêche bornée", published=datetime(2199, 12, 31, 23, tzinfo=UTC)),
    ]
    with open_index(tmp_path, articles) as engine:
        published = {a.id: a.published for a in map(engine.get, ("futur", "passe", "juste")) if a}
        newest = [hit.id for hit in engine.search("dépêche", sort="date").hits]
    assert published == {
        "futur": datetime(2200, 1, 1, tzinfo=UTC),
        "passe": datetime(1900, 1, 1, tzinfo=UTC),
        "juste": datetime(2199, 12, 31, 23, tzinfo=UTC),
    }
    assert newest == ["futur", "juste", "passe"]


def test_each_text_field_is_clipped_to_its_limit(tmp_path: Path) -> None:
    """An entry can be huge, the index must not be: each field keeps its first characters,
    up to its limit exactly (`search.documents.LIMITS`)."""
    sizes = {"title": 2000, "summary": 20_000, "author": 500, "feed_url": 4096}
    huge = article(
        "long",
        "t" * (sizes["title"] + 1),
        summary="s" * (sizes["summary"] + 1),
        author="a" * (sizes["author"] + 1),
        feed_url="https://x.example/" + "f" * sizes["feed_url"],
    )
    exact = article("juste", "t" * sizes["title"], summary="s" * sizes["summary"])
    with open_index(tmp_path, [huge, exact]) as engine:
        clipped, kept = engine.get("long"), engine.get("juste")
    assert clipped is not None and kept is not None
    assert {name: len(getattr(clipped, name)) for name in sizes} == sizes
    assert (len(kept.title), len(kept.summary)) == (sizes["title"], sizes["summary"])


def test_a_summary_the_body_does_not_hold_is_searched_too(tmp_path: Path) -> None:
    articles = [
        article("chapo", "Titre", "Le corps du texte.", summary="Un chapeau sur l'hydrogène."),
        article("repris", "Titre", "Le vent souffle. Suite du texte.", summary="Le vent souffle."),
    ]
    with open_index(tmp_path, articles) as engine:
        assert ids(engine.search("hydrogène")) == ["chapo"]
        # Held by the body already, the summary is not searched twice: one occurrence.
        (hit,) = engine.search("vent").hits
        assert [hit.snippet.text[s:e] for s, e in hit.snippet.highlights] == ["vent"]


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        (datetime(2024, 3, 1, 12), datetime(2024, 3, 1, 12, tzinfo=UTC)),
        ("2024-03-01T12:00:00+01:00", datetime(2024, 3, 1, 11, tzinfo=UTC)),
        ("", None),
        ("pas une date", None),
        (1709294400, None),  # what an index from elsewhere might hold: no date, no crash
        (None, None),
    ],
)
def test_a_stored_date_reads_as_an_aware_datetime_or_none(stored: object, read: object) -> None:
    assert aware(stored) == read


def _segments(index: Path) -> int:
    generation = (index / "CURRENT").read_text(encoding="ascii").strip()
    return len(whoosh_index.open_dir(str(index / generation)).reader().leaf_readers())


def test_a_bulk_import_commits_once_per_full_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three articles of 40 words fill a segment (`text` and `body_exact` count each word).
    monkeypatch.setattr(writer_module, "TOKEN_BUDGET", 3 * 2 * 40)
    body = " ".join(f"mot{i}" for i in range(39))
    articles = [article(f"a{n}", "Titre", body) for n in range(10)]
    committed: list[int] = []

    def stream() -> Iterator[Article]:
        for n, item in enumerate(articles):
            if n == 8:
                committed.append(engine.stats().articles)
                raise RuntimeError("coupure")
            yield item

    with Engine.open(Settings(index_dir=tmp_path / "index"), create=True) as engine:
        with pytest.raises(RuntimeError, match="coupure"):
            index_articles(engine, stream())
        # Two full segments were committed as they filled; the third was lost with the
        # crash, and nothing was committed more often than a segment fills.
        assert committed == [6]
        assert engine.stats().articles == 6
        assert _segments(tmp_path / "index") == 2
        # Run again: six unchanged, then a full segment of three and a last one of one.
        assert index_articles(engine, articles) == {"new": 4, "updated": 0, "unchanged": 6}
        assert engine.stats().articles == 10
        assert _segments(tmp_path / "index") == 4
        assert engine.search("mot7").total == 10


def test_a_phrase_past_the_65536th_word_is_found(tmp_path: Path) -> None:
    # Positions up to 65535 fit in 16 bits; the last word here is at position 65536.
    body = "mot " * 65535 + "fin ultime"
    with open_index(tmp_path, [article("long", "Un très long texte", body)]) as engine:
        assert ids(engine.search('"fin ultime"')) == ["long"]
        assert ids(engine.search('"ultime fin"')) == []


def test_articles_changed_again_on_both_sides_of_a_written_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two articles of 40 words fill a segment.
    monkeypatch.setattr(writer_module, "TOKEN_BUDGET", 2 * 2 * 40)
    body = " ".join(f"mot{i}" for i in range(39))

    def found(word: str) -> list[str]:  # every version: these articles are near-duplicates
        return sorted(ids(engine.search(word, collapse=False)))

    with Engine.open(Settings(index_dir=tmp_path / "index"), create=True) as engine:
        with engine.writer(batch_size=1000) as writer:  # one commit, at the end
            for n in range(3):
                writer.upsert(article(f"a{n}", "Titre", body))
            # a0 is in the segment written after a1; a2 in the one being built.
            writer.upsert(article("a0", "Titre", body + " changé"))
            writer.upsert(article("a2", "Titre", body + " changé"))
        assert engine.stats().articles == 3
        assert found("changé") == ["a0", "a2"]
        assert found("mot7") == ["a0", "a1", "a2"]
        # Committed now, each in its segment: change the first of the second one.
        with engine.writer() as writer:
            writer.upsert(article("a2", "Titre", body + " encore"))
        assert engine.stats().articles == 3
        assert found("encore") == ["a2"]
        assert found("changé") == ["a0"]
