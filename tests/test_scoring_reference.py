"""The scoring model (search/scoring.py) against a brute-force reference.

The reference reads nothing from the index: it analyses each article's text with the French
chain and applies the formulas of `search.scoring`'s docstring by hand, so a score means the
same thing for words (their stems and their exact forms, a short stem only where it counts),
alternatives, protected words and synonyms, phrases, prefixes and fields, whatever the index
does.
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
from search.analysis import (
    analyze,
    compound_pieces,
    fold,
    inflections,
    narrowing,
    tag_key,
    word_stems,
)
from search.documents import indexed_body
from search.schema import TITLE_REPEAT
from search.scoring import EXACT_TITLE_WEIGHT, EXACT_WEIGHT, K1, TITLE_WEIGHT, B
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
    # `données` and `donner` share the stem `don`, too short to tell them apart.
    article("j", "Fuite de données", "Les données des clients ont fui ; une donnée perdue."),
    article("k", "Donnez votre avis", "Il faut donner son avis sur le don.", tags=("Dons",)),
    article("l", "Les données ouvertes", "Un jeu de données.", tags=("Données publiques",)),
    # A protected word and its synonym.
    article("m", "L’IA au bureau", "L’intelligence artificielle arrive au bureau."),
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
        self.tag_words: dict[str, list[str]] = {}
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
            self.tag_words[a.id] = [w for tag in a.tags for w in tag_key(tag).split()]
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

    def word(self, spelling: str, title_only: bool = False) -> dict[str, float]:
        """One plain word: the best of its spellings (a compound: the whole or its parts),
        each its stem part plus its exact forms."""
        joined, parts, whole, part_words = compound_pieces(spelling)
        options = []
        if joined:
            options.append(self.plain(joined, whole, title_only))
        if parts:
            options.append(
                _all([self.plain(p, w, title_only) for p, w in zip(parts, part_words, strict=True)])
            )
        return _best(options)

    def plain(self, stems: list[str], word: str, title_only: bool = False) -> dict[str, float]:
        """max_s [bm25_text(s) + TITLE_WEIGHT · bm25_title(s)] + exact(F): the best stem,
        only where a short stem counts, plus the word's forms."""
        best = _best([self.stem(s, title_only) for s in stems])
        narrow = narrowing(word, stems)
        if narrow:
            fields = ["title_exact"] if title_only else ["body_exact", "title_exact"]

            def counts(d: str) -> bool:
                found = [t for f in fields for t in self.fields[f][d]]
                found += [] if title_only else self.tag_words[d]
                return any(t.startswith(narrow) and set(word_stems(t)) & set(stems) for t in found)

            best = {d: s for d, s in best.items() if counts(d)}
        return _add(best, self.exact(set(inflections(word)), title_only))

    def stem(self, s: str, title_only: bool = False) -> dict[str, float]:
        if title_only:
            return self.term("title", s)
        return _add(self.term("text", s), self.term("title", s, TITLE_WEIGHT))

    def exact(self, forms: set[str], title_only: bool = False) -> dict[str, float]:
        """exact(F): the forms as one pseudo-term of the exact fields (tf: the sum of their
        occurrences, df: the documents holding any)."""

        def tf_of(field: str) -> Callable[[str], int]:
            return lambda d: sum(self.fields[field][d][f] for f in forms)

        if title_only:
            return self.bm25("title_exact", tf_of("title_exact"), EXACT_WEIGHT)
        return _add(
            self.bm25("body_exact", tf_of("body_exact"), EXACT_WEIGHT),
            self.bm25("title_exact", tf_of("title_exact"), EXACT_WEIGHT * EXACT_TITLE_WEIGHT),
        )

    def protected(self, run: str) -> dict[str, float]:
        """A protected word: its exact form only (a compound: joined, or all its parts)."""
        tokens = list(analyze(run, stemming=False))
        whole = [t for _, t, s, e in tokens if (s, e) == (0, len(run))][-1]
        parts = [t for _, t, s, e in tokens if (s, e) != (0, len(run))]
        options = [self.exact({whole})]
        if len(parts) > 1:
            options.append(_all([self.exact({p}) for p in parts]))
        return _best(options)

    def exact_phrase(self, words: list[str], title_only: bool = False) -> dict[str, float]:
        """A phrase as a pseudo-term of the exact fields: exact(p)."""
        if title_only:
            return self.phrase(words, "title_exact", EXACT_WEIGHT)
        return _add(
            self.phrase(words, "body_exact", EXACT_WEIGHT),
            self.phrase(words, "title_exact", EXACT_WEIGHT * EXACT_TITLE_WEIGHT),
        )

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
        return _best([self.exact({w}) for w in vocabulary if w.startswith(start)])


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
    "word", ["fibre", "fibres", "réseau", "reseaux", "optique", "cuivre", "élections", "avis"]
)
def test_a_word_scores_its_stem_and_its_exact_forms(
    indexed: tuple[Engine, Reference], word: str
) -> None:
    engine, ref = indexed
    assert_same(scores(engine, word), ref.word(word))


@pytest.mark.parametrize("word", ["sécurité", "securite", "cybersécurité"])
def test_spellings_of_one_word_take_the_best(indexed: tuple[Engine, Reference], word: str) -> None:
    engine, ref = indexed
    assert_same(scores(engine, word), ref.word(word))


@pytest.mark.parametrize("word", ["données", "donnée", "donner"])
def test_a_short_stem_counts_only_in_words_that_begin_alike(
    indexed: tuple[Engine, Reference], word: str
) -> None:
    """`données` (stem `don`): its stem counts in j and l (a tag too), not in k's `donner`."""
    engine, ref = indexed
    assert_same(scores(engine, word), ref.word(word))
    if word == "données":
        assert set(scores(engine, word)) == {"j", "l"}


@pytest.mark.parametrize("word", ["Wi-Fi", "wifi", "WI-FI"])
def test_a_protected_word_scores_its_exact_form_only(
    indexed: tuple[Engine, Reference], word: str
) -> None:
    engine, ref = indexed
    assert_same(scores(engine, word), ref.protected(word))


def test_a_synonym_is_an_alternative(indexed: tuple[Engine, Reference]) -> None:
    """`IA` (protected) or its synonym "intelligence artificielle" (a phrase): the best."""
    engine, ref = indexed
    expected = _best([ref.protected("IA"), ref.exact_phrase(["intelligence", "artificielle"])])
    assert_same(scores(engine, "IA"), expected)
    assert set(expected) == {"m"}


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
    assert_same(scores(engine, f'"{phrase}"'), ref.exact_phrase(words))


def test_a_quoted_word_is_an_exact_word(indexed: tuple[Engine, Reference]) -> None:
    engine, ref = indexed
    assert_same(scores(engine, '"fibres"'), ref.exact({"fibres"}))


def test_a_prefix_scores_its_best_word(indexed: tuple[Engine, Reference]) -> None:
    engine, ref = indexed
    assert_same(scores(engine, "cyber*"), ref.prefix("cyber"))


def test_title_keeps_the_title_part_only(indexed: tuple[Engine, Reference]) -> None:
    engine, ref = indexed
    assert_same(scores(engine, "titre:fibre"), ref.word("fibre", title_only=True))
    assert_same(scores(engine, "titre:données"), ref.word("données", title_only=True))
    assert_same(
        scores(engine, 'titre:"fibre optique"'),
        ref.exact_phrase(["fibre", "optique"], title_only=True),
    )


def test_metadata_clauses_match_without_scoring(indexed: tuple[Engine, Reference]) -> None:
    engine, ref = indexed
    assert_same(scores(engine, "tag:politique élections"), ref.word("élections"))
    assert set(scores(engine, "tag:politique")) == {"f"}
    assert scores(engine, "tag:politique") == {"f": 0.0}
