"""The scoring model (search/scoring.py) against a brute-force reference.

The reference reads nothing from the index: it analyses each article's text with the French
chain and applies the formulas of `search.scoring`'s docstring by hand, so a score means the
same thing for words, alternatives, phrases, prefixes and fields, whatever the index does.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from whoosh.util.numeric import byte_to_length, length_to_byte

from search import Article, Engine
from search.analysis import analyze, compound_terms, fold
from search.documents import indexed_body
from search.schema import TITLE_REPEAT
from search.scoring import K1, TITLE_WEIGHT, B
from tests.corpora import article, open_index

ARTICLES = [
    article("a", "La fibre optique arrive", "La fibre arrive dans les campagnes. Fibre, fibre."),
    article("b", "Le cuivre", "Le réseau cuivre ferme ; la fibre le remplace peu à peu."),
    article("c", "Réseaux et fibres", "Les réseaux de fibres optiques couvrent la ville."),
    article("d", "Wi-Fi 7 au bureau", "Le Wi-Fi 7 arrive. Le wifi de la maison suivra."),
    article("e", "Sécurité des réseaux", "La sécurité du réseau passe par la fibre optique."),
    article(
        "f", "Élections", "Les élections européennes auront lieu en juin.", tags=("Politique",)
    ),
    article("g", "Un long texte", " ".join(["Le texte parle de tout et de rien."] * 30) + " fibre"),
    article("h", "Cybersécurité", "La cybersécurité et la cyberdéfense, deux mots en cyber."),
    article(
        "i", "Optique", "La fibre optique, encore la fibre optique, toujours la fibre optique."
    ),
]


def _stems(text: str) -> list[str]:
    return [t for _, t, _, _ in analyze(text)]


def _exact(text: str) -> list[tuple[int, str]]:
    return [(p, t) for p, t, _, _ in analyze(text, stemming=False)]


class Reference:
    """BM25 over the articles' own text, as search/scoring.py defines it."""

    def __init__(self, articles: list[Article], deleted: list[Article]) -> None:
        # Statistics count deleted documents too (as Whoosh's do); results never hold them.
        self.count = len(articles) + len(deleted)
        self.deleted = {f"{a.id}~deleted" for a in deleted}
        articles = [*articles, *(replace(a, id=f"{a.id}~deleted") for a in deleted)]
        self.fields: dict[str, dict[str, Counter[str]]] = {}
        self.lengths: dict[str, dict[str, int]] = {}
        self.positions: dict[str, dict[str, list[tuple[int, str]]]] = {}
        for a in articles:
            body = indexed_body(a)
            tokens = {
                "text": _stems((a.title + "\n") * TITLE_REPEAT + " ; ".join(a.tags) + "\n" + body),
                "title": _stems(a.title),
                "body_exact": [t for _, t in _exact(body)],
                "title_exact": [t for _, t in _exact(a.title)],
            }
            for name, terms in tokens.items():
                self.fields.setdefault(name, {})[a.id] = Counter(terms)
                self.lengths.setdefault(name, {})[a.id] = len(terms)
            self.positions.setdefault("body_exact", {})[a.id] = _exact(body)
            self.positions.setdefault("title_exact", {})[a.id] = _exact(a.title)

    def bm25(
        self, field: str, tf_of: Callable[[str], int], weight: float = 1.0
    ) -> dict[str, float]:
        tfs = {d: min(tf_of(d), 255) for d in self.fields[field] if tf_of(d)}
        df = len(tfs)
        if not df:
            return {}
        idf = math.log(1 + (self.count - df + 0.5) / (df + 0.5))
        average = max(sum(self.lengths[field].values()) / self.count, 1.0)
        out = {}
        for d, tf in tfs.items():
            if d in self.deleted:
                continue
            length = byte_to_length(length_to_byte(self.lengths[field][d]))
            out[d] = weight * idf * (K1 + 1) * tf / (tf + K1 * (1 - B + B * length / average))
        return out

    def term(self, field: str, term: str, weight: float = 1.0) -> dict[str, float]:
        return self.bm25(field, lambda d: self.fields[field][d][term], weight)

    def word(self, spelling: str) -> dict[str, float]:
        """One plain word: the best of its spellings (a compound: the whole or its parts)."""
        joined, parts = compound_terms(spelling)
        options = [_add(self.term("text", s), self.term("title", s, TITLE_WEIGHT)) for s in joined]
        if parts:
            options.append(_all([_best([self.stem(s) for s in part]) for part in parts]))
        return _best(options)

    def stem(self, s: str) -> dict[str, float]:
        return _add(self.term("text", s), self.term("title", s, TITLE_WEIGHT))

    def phrase(self, words: list[str], field: str, weight: float) -> dict[str, float]:
        def occurrences(d: str) -> int:
            at = {(p, t) for p, t in self.positions[field][d]}
            starts = [p for p, t in self.positions[field][d] if t == words[0]]
            return sum(all((p + i, w) in at for i, w in enumerate(words)) for p in starts)

        return self.bm25(field, occurrences, weight)

    def prefix(self, start: str) -> dict[str, float]:
        vocabulary = {
            t for f in ("body_exact", "title_exact") for c in self.fields[f].values() for t in c
        }
        return _best(
            [
                _add(self.term("body_exact", w), self.term("title_exact", w, TITLE_WEIGHT))
                for w in vocabulary
                if w.startswith(start)
            ]
        )


def _add(*maps: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for m in maps:
        for d, s in m.items():
            out[d] = out.get(d, 0.0) + s
    return out


def _best(maps: list[dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for m in maps:
        for d, s in m.items():
            out[d] = max(out.get(d, 0.0), s)
    return out


def _all(maps: list[dict[str, float]]) -> dict[str, float]:
    if not maps:
        return {}
    common = set(maps[0]).intersection(*maps[1:])
    return {d: sum(m[d] for m in maps) for d in common}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Reference]]:
    path: Path = tmp_path_factory.mktemp("reference")
    with open_index(path, ARTICLES) as engine:
        # A replaced article leaves a deleted document behind: N, df and lengths count it.
        changed = replace(ARTICLES[1], body=ARTICLES[1].body + " Cuivre encore.", content_hash="")
        with engine.writer() as writer:
            writer.upsert(changed)
        live = [changed if a.id == changed.id else a for a in ARTICLES]
        yield engine, Reference(live, deleted=[ARTICLES[1]])


def scores(engine: Engine, query: str) -> dict[str, float]:
    page = engine.search(query, page_size=100)
    return {hit.id: hit.score for hit in page.hits}


def assert_same(found: dict[str, float], expected: dict[str, float]) -> None:
    assert set(found) == set(expected)
    for doc, score in expected.items():
        assert found[doc] == pytest.approx(score, rel=1e-5), doc


@pytest.mark.parametrize(
    "word", ["fibre", "fibres", "réseau", "reseaux", "optique", "cuivre", "élections"]
)
def test_a_word_scores_its_text_and_title_bm25(
    indexed: tuple[Engine, Reference], word: str
) -> None:
    engine, ref = indexed
    assert_same(scores(engine, word), ref.word(word))


@pytest.mark.parametrize("word", ["Wi-Fi", "wifi", "sécurité", "securite"])
def test_spellings_of_one_word_take_the_best(indexed: tuple[Engine, Reference], word: str) -> None:
    engine, ref = indexed
    assert_same(scores(engine, word), ref.word(word))


def test_and_or_and_exclusion_add_up(indexed: tuple[Engine, Reference]) -> None:
    engine, ref = indexed
    assert_same(scores(engine, "fibre optique"), _all([ref.word("fibre"), ref.word("optique")]))
    assert_same(
        scores(engine, "cuivre OU élections"), _add(ref.word("cuivre"), ref.word("élections"))
    )
    without = {d: s for d, s in ref.word("fibre").items() if d not in ref.word("optique")}
    assert_same(scores(engine, "fibre -optique"), without)


@pytest.mark.parametrize("phrase", ["fibre optique", "la fibre", "wi fi 7"])
def test_a_phrase_is_one_term_of_the_exact_fields(
    indexed: tuple[Engine, Reference], phrase: str
) -> None:
    engine, ref = indexed
    words = [fold(w) for w in phrase.split()]
    expected = _add(
        ref.phrase(words, "body_exact", 1.0), ref.phrase(words, "title_exact", TITLE_WEIGHT)
    )
    assert_same(scores(engine, f'"{phrase}"'), expected)


def test_a_quoted_word_is_an_exact_word(indexed: tuple[Engine, Reference]) -> None:
    engine, ref = indexed
    expected = _add(
        ref.term("body_exact", "fibres"), ref.term("title_exact", "fibres", TITLE_WEIGHT)
    )
    assert_same(scores(engine, '"fibres"'), expected)


def test_a_prefix_scores_its_best_word(indexed: tuple[Engine, Reference]) -> None:
    engine, ref = indexed
    assert_same(scores(engine, "cyber*"), ref.prefix("cyber"))


def test_title_keeps_the_title_part_only(indexed: tuple[Engine, Reference]) -> None:
    engine, ref = indexed
    assert_same(scores(engine, "titre:fibre"), ref.term("title", "fibr"))
    assert_same(
        scores(engine, 'titre:"fibre optique"'),
        ref.phrase(["fibre", "optique"], "title_exact", 1.0),
    )


def test_metadata_clauses_match_without_scoring(indexed: tuple[Engine, Reference]) -> None:
    engine, ref = indexed
    assert_same(scores(engine, "tag:politique élections"), ref.word("élections"))
    assert set(scores(engine, "tag:politique")) == {"f"}
    assert scores(engine, "tag:politique") == {"f": 0.0}
