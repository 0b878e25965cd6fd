"""The query language (README, "Query syntax"): the syntax tree `parse` builds, then each
operator and field changing the result set end to end on a small literal corpus."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from search import Engine
from search.query import And, Not, Or, Phrase, Word, parse
from tests.corpora import NEXT, OTHER, article, ids, open_index


def w(text: str, field: str | None = None, prefix: bool = False) -> Word:
    return Word(text, field, prefix=prefix)


# --- structure -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a", w("a")),
        ("a b", And((w("a"), w("b")))),
        ("((a) b)", And((w("a"), w("b")))),
        ("(a (b c)) d", And((And((w("a"), And((w("b"), w("c"))))), w("d")))),
        ("(((a)))", w("a")),
        ("(a OR b) c", And((Or((w("a"), w("b"))), w("c")))),
        # OR binds looser than AND: a OR (b c).
        ("a OR b c", Or((w("a"), And((w("b"), w("c")))))),
        ("a b OR c", Or((And((w("a"), w("b"))), w("c")))),
        ("a OR b OR c", Or((w("a"), w("b"), w("c")))),
    ],
)
def test_grouping_and_precedence(text: str, tree: object) -> None:
    assert parse(text) == tree


@pytest.mark.parametrize("op", ["OR", "OU", "|", "||"])
def test_or_operators(op: str) -> None:
    assert parse(f"a {op} b") == Or((w("a"), w("b")))


@pytest.mark.parametrize("op", ["AND", "ET", "&", "&&"])
def test_and_operators_are_the_implicit_and(op: str) -> None:
    assert parse(f"a {op} b") == parse("a b") == And((w("a"), w("b")))


@pytest.mark.parametrize("text", ["NOT a", "SAUF a", "-a"])
def test_not_operators(text: str) -> None:
    assert parse(text) == Not(w("a"))
    assert parse(f"b {text}") == And((w("b"), Not(w("a"))))


@pytest.mark.parametrize("text", ["a or b", "a ou b", "a and b", "a et b", "a not b", "a sauf b"])
def test_operators_are_upper_case_only(text: str) -> None:
    """Lower-case `ou`, `et`… are words (stop words, in French) the user may search."""
    words = text.split()
    assert parse(text) == And(tuple(w(x) for x in words))


def test_exclusions_take_groups_and_phrases() -> None:
    assert parse("-(a b)") == Not(And((w("a"), w("b"))))
    assert parse('-"a b"') == Not(Phrase("a b"))
    assert parse("NOT NOT a") == Not(Not(w("a")))
    assert parse("- -x") == Not(w("x"))


def test_a_hyphen_inside_a_word_is_not_an_exclusion() -> None:
    assert parse("Wi-Fi") == w("Wi-Fi")
    assert parse("peut-être -x") == And((w("peut-être"), Not(w("x"))))


@pytest.mark.parametrize(
    ("prefix", "field"),
    [
        ("title", "title"),
        ("titre", "title"),
        ("Titre", "title"),
        ("TITLE", "title"),
        ("author", "author"),
        ("auteur", "author"),
        ("tag", "tag"),
        ("tags", "tag"),
        ("feed", "feed"),
        ("flux", "feed"),
        ("source", "feed"),
    ],
)
def test_every_field_prefix(prefix: str, field: str) -> None:
    assert parse(f"{prefix}:x") == w("x", field)
    assert parse(f'{prefix}:"x y"') == Phrase("x y", field)
    assert parse(f"{prefix}:x y") == And((w("x", field), w("y")))  # the field binds one word


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("couleur:bleu", And((w("couleur"), w("bleu")))),
        ("x:y", And((w("x"), w("y")))),
        ("http://exemple.fr", w("http://exemple.fr")),  # no letter right after the colon
        ("titre:", w("titre:")),  # nothing after the field: the text is a word
    ],
)
def test_an_unknown_field_prefix_is_searched_as_a_word(text: str, tree: object) -> None:
    assert parse(text) == tree


def test_prefixes() -> None:
    assert parse("cyber*") == w("cyber", prefix=True)
    assert parse("titre:cyber*") == w("cyber", "title", prefix=True)
    assert parse("a*b") == w("a*b")  # a star inside a word is not a prefix
    assert parse("*") is None
    assert parse("**") is None


def test_at_most_eight_prefixes_then_words() -> None:
    tree = parse(" ".join(f"p{n}*" for n in range(10)))
    assert isinstance(tree, And)
    assert [c.prefix for c in tree.children] == [True] * 8 + [False] * 2  # type: ignore[union-attr]
    assert [c.text for c in tree.children] == [f"p{n}" for n in range(10)]  # type: ignore[union-attr]


def test_at_most_sixty_four_clauses() -> None:
    tree = parse(" ".join(f"w{n}" for n in range(100)))
    assert isinstance(tree, And)
    assert tree.children == tuple(w(f"w{n}") for n in range(64))


def test_query_text_is_cut_at_two_thousand_characters() -> None:
    assert parse("x" * 5000) == w("x" * 2000)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ('"a b"', Phrase("a b")),
        ('"a b', Phrase("a b")),  # unterminated: to the end
        ('x "a b', And((w("x"), Phrase("a b")))),
        ('"Conseil d’État"', Phrase("Conseil d’État")),
        ('""', None),
        ('"   "', None),
        ('"a" "b"', And((Phrase("a"), Phrase("b")))),
        ('"a OR b"', Phrase("a OR b")),  # operators inside a phrase are words
    ],
)
def test_phrases(text: str, tree: object) -> None:
    assert parse(text) == tree


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("", None),
        ("   ", None),
        ("(((", None),
        (")))", None),
        ("OR", None),
        ("AND OR SAUF", None),
        ("NOT", None),
        ("-", None),
        ("a OR", w("a")),
        ("OR a", w("a")),
        ("a OR OR b", Or((w("a"), w("b")))),
        ("a NOT", w("a")),
        ("((((a", w("a")),
        (")a(", w("a")),
        ("((a OR b) AND (c", And((Or((w("a"), w("b"))), w("c")))),
        ("(" * 100 + "a" + ")" * 100, w("a")),
        ("a\x00b", And((w("a"), w("b")))),  # control characters separate words
        ("a\u202eb", And((w("a"), w("b")))),
        ("!!! ??? ...", None),
    ],
)
def test_garbage_gives_a_tree_or_nothing(text: str, tree: object) -> None:
    assert parse(text) == tree


def _nodes(node: object) -> Iterator[object]:
    yield node
    if isinstance(node, Not):
        yield from _nodes(node.child)
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from _nodes(child)


@hsettings(max_examples=300, deadline=None, database=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["(", ")", '"', "-", "*", "OR", "OU", "ET", "NOT", "SAUF", "titre:", "x:", "a"]
            ),
            st.text(max_size=8),
        ),
        max_size=80,
    ).map(" ".join)
)
def test_any_text_parses_to_a_well_formed_tree(text: str) -> None:
    tree = parse(text)
    if tree is None:
        return
    nodes = list(_nodes(tree))
    leaves = [n for n in nodes if isinstance(n, Word | Phrase)]
    assert leaves and len(leaves) <= 64
    for node in nodes:
        assert isinstance(node, Word | Phrase | Not | And | Or)
        if isinstance(node, And | Or):
            assert len(node.children) >= 2
    for leaf in leaves:
        assert leaf.field in (None, "title", "author", "tag", "feed")
        assert leaf.text.strip()
        if isinstance(leaf, Word):
            assert any(ch.isalnum() for ch in leaf.text)
    assert sum(1 for n in leaves if isinstance(n, Word) and n.prefix) <= 8


# --- end to end: each operator and field changes what is found -------------------------------

CORPUS = [
    article(
        "orange-fibre",
        "Orange déploie la fibre optique",
        "Le réseau avance dans les villes.",
        author="Camille Martin",
        tags=("Télécoms",),
        feed_url=NEXT,
        feed_title="Next",
    ),
    article(
        "free-fibre",
        "Free accélère",
        "La fibre arrive dans les campagnes.",
        author="Louis Bernard",
        tags=("Télécoms", "Vie privée"),
        feed_url=OTHER,
        feed_title="Autre source",
    ),
    article(
        "free-cuivre",
        "Le cuivre de Free",
        "Free ferme le réseau historique.",
        author="Martin Dupont",
        tags=("Réseaux",),
        feed_url=NEXT,
        feed_title="Next",
    ),
    article(
        "orange-cuivre",
        "Orange et le cuivre",
        "Le cuivre s’éteint chez Orange.",
        author="Inès Petit",
        tags=("Réseaux", "Vie privée"),
        feed_url=OTHER,
        feed_title="Autre source",
    ),
    article(
        "satellite",
        "Internet par satellite",
        "Une offre satellitaire pour les zones blanches ; la fibre optique attendra.",
        author="Inès Petit",
        tags=("Espace",),
        feed_url=NEXT,
        feed_title="Next",
    ),
    article(
        "lunettes",
        "Lunettes",
        "La fibre de verre et l’optique des lunettes.",
        author="Hugo Leroy",
        feed_url=NEXT,
        feed_title="Next",
    ),
    article("wifi-7", "Routeurs", "Le Wi-Fi 7 double le débit.", feed_url=NEXT),
    article(
        "wifi-far",
        "Routeurs",
        "Le Wi-Fi progresse. Sur 7 modèles testés, deux déçoivent.",
        feed_url=NEXT,
    ),
]
ALL = {a.id for a in CORPUS}
FIBRE = {"orange-fibre", "free-fibre", "satellite", "lunettes"}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with open_index(tmp_path_factory.mktemp("query"), CORPUS) as opened:
        yield opened


def found(engine: Engine, query: str) -> set[str]:
    page = engine.search(query, page_size=50)
    assert not page.fallback, query
    return set(ids(page))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("fibre", FIBRE),
        # words are ANDed, explicitly or not
        ("orange fibre", {"orange-fibre"}),
        ("orange ET fibre", {"orange-fibre"}),
        ("orange AND fibre", {"orange-fibre"}),
        ("orange && fibre", {"orange-fibre"}),
        # either word
        ("orange OU free", {"orange-fibre", "free-fibre", "free-cuivre", "orange-cuivre"}),
        ("orange OR free", {"orange-fibre", "free-fibre", "free-cuivre", "orange-cuivre"}),
        ("orange | free", {"orange-fibre", "free-fibre", "free-cuivre", "orange-cuivre"}),
        # exclusion
        ("fibre -orange", FIBRE - {"orange-fibre"}),
        ("fibre SAUF orange", FIBRE - {"orange-fibre"}),
        ("fibre NOT orange", FIBRE - {"orange-fibre"}),
        ('fibre -"fibre optique"', {"free-fibre", "lunettes"}),
        ("fibre -(orange OU free)", {"satellite", "lunettes"}),
        ("-orange", ALL - {"orange-fibre", "orange-cuivre"}),  # alone: everything else
        # grouping and precedence
        ("(orange OU free) cuivre", {"free-cuivre", "orange-cuivre"}),
        ("orange OU free cuivre", {"orange-fibre", "orange-cuivre", "free-cuivre"}),
        ("((cuivre) free)", {"free-cuivre"}),
        ("cuivre", {"free-cuivre", "orange-cuivre"}),
        # phrases
        ('"fibre optique"', {"orange-fibre", "satellite"}),
        ('"fibre optique', {"orange-fibre", "satellite"}),
        ("fibre optique", {"orange-fibre", "satellite", "lunettes"}),
        ('"optique fibre"', set()),
        # fields
        ("titre:fibre", {"orange-fibre"}),
        ("title:fibre", {"orange-fibre"}),
        ("TITRE:cuivre", {"free-cuivre", "orange-cuivre"}),
        ('titre:"fibre optique"', {"orange-fibre"}),
        ("titre:fib*", {"orange-fibre"}),
        ("titre:fibre OU titre:satellite", {"orange-fibre", "satellite"}),
        ("auteur:martin", {"orange-fibre", "free-cuivre"}),
        ("author:martin", {"orange-fibre", "free-cuivre"}),
        ('auteur:"Camille Martin"', {"orange-fibre"}),
        ('auteur:"martin camille"', set()),
        ("auteur:ines", {"orange-cuivre", "satellite"}),
        ("tag:Réseaux", {"free-cuivre", "orange-cuivre"}),
        ("tags:reseaux", {"free-cuivre", "orange-cuivre"}),
        ('tag:"vie privée"', {"free-fibre", "orange-cuivre"}),
        ("tag:vie-privee", {"free-fibre", "orange-cuivre"}),
        ("tag:vie", set()),  # a tag matches whole
        ("feed:autre", {"free-fibre", "orange-cuivre"}),
        ("flux:autre", {"free-fibre", "orange-cuivre"}),
        ("source:autre", {"free-fibre", "orange-cuivre"}),
        ('flux:"autre source"', {"free-fibre", "orange-cuivre"}),
        (f"feed:{OTHER}", {"free-fibre", "orange-cuivre"}),
        ("fibre -tag:télécoms", {"satellite", "lunettes"}),
        # an unknown field is two words
        ("cuivre:orange", {"orange-cuivre"}),
        # prefixes
        ("satell*", {"satellite"}),
        ("cuiv*", {"free-cuivre", "orange-cuivre"}),
        ("c*", set()),  # one letter is too short to expand
        # compounds inside phrases keep their positions
        ('"Wi-Fi 7"', {"wifi-7"}),
        ('"wifi 7"', {"wifi-7"}),
        ('"wi fi 7"', {"wifi-7"}),
        ("wi-fi 7", {"wifi-7", "wifi-far"}),
    ],
)
def test_operators_and_fields_change_the_results(engine: Engine, query: str, expected: set) -> None:
    assert found(engine, query) == expected


def test_the_ninth_prefix_is_searched_as_a_word(engine: Engine) -> None:
    eight = " OU ".join(["zz*"] * 7 + ["cuiv*"])
    assert found(engine, eight) == {"free-cuivre", "orange-cuivre"}
    nine = " OU ".join(["zz*"] * 8 + ["cuiv*"])
    assert found(engine, nine) == set()


def test_a_field_applies_to_a_group(engine: Engine) -> None:
    assert found(engine, "titre:(fibre OU cuivre)") == {
        "orange-fibre",
        "free-cuivre",
        "orange-cuivre",
    }


@pytest.mark.parametrize(
    "query",
    ["", "(((", '"', "OR", "- -", "*", "titre:", "\x00", "🙂", "日本語", "\ud800", "x" * 10_000],
)
def test_garbage_through_the_engine_never_raises(engine: Engine, query: str) -> None:
    page = engine.search(query)
    if query.strip():
        assert page.total == 0 and page.hits == ()
    else:
        assert page.total == len(CORPUS)  # no query: every article, newest first
