"""The result objects as front ends read them: snippet pieces, and the JSON shapes (rounded
figures, dates as ISO text)."""

from __future__ import annotations

from pathlib import Path

from search.results import Explanation, ScorePart, Snippet
from tests.corpora import article, filler, open_index


def test_snippet_pieces_cover_the_text_once() -> None:
    assert Snippet("vélo", ((0, 4),)).parts() == [("vélo", True)]
    assert Snippet("un vélo", ((3, 7),)).parts() == [("un ", False), ("vélo", True)]
    assert Snippet("vélo rouge", ((0, 4),)).parts() == [("vélo", True), (" rouge", False)]
    assert Snippet("").parts() == []
    assert str(Snippet("un <b>vélo</b>", ((7, 11),))) == "un <b>vélo</b>"


def test_explanations_round_to_four_places() -> None:
    part = ScorePart("vélo", "velo", "text", 2.0, 1, 1.234567)
    why = Explanation(parts=(part,), relevance=1.234567, freshness=1.987654, score=2.45397)
    shape = why.to_dict()
    assert shape["relevance"] == 1.2346 and shape["freshness"] == 1.9877
    assert shape["score"] == 2.454


def test_the_json_of_a_page_and_its_hits(tmp_path: Path) -> None:
    articles = [article("velo", "Le vélo à Lyon", "Le vélo progresse."), *filler()]
    with open_index(tmp_path, articles) as engine:
        page = engine.search("vélo", collapse=False)
        stats = engine.stats()
    shape = page.to_dict()
    assert shape["took_ms"] == round(page.took_ms, 2)
    (hit,) = shape["hits"]
    assert hit["score"] == round(page.hits[0].score, 4) and hit["version_count"] == 1
    assert hit["versions"] == []
    assert stats.to_dict()["oldest"] == stats.oldest.isoformat()  # type: ignore[union-attr]
    assert stats.to_dict()["newest"] == "2024-01-15T12:00:00+00:00"
    assert stats.to_dict()["generation"] == stats.generation >= 1
