"""Snippet shape (ellipses, fragments, length, the window chosen) and highlight offsets, with
`make_snippet` and `highlight` directly and through the hits of a real index."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from search import Engine, Snippet
from search.analysis import terms
from search.snippets import (
    COMMON,
    FLATTEN,
    Highlighter,
    flatten,
    highlight,
    highlighter,
    make_snippet,
)
from tests.corpora import article, open_index


def marker(query: str) -> Highlighter:
    """The highlighter of a query of plain words: its stems and its exact words."""
    return highlighter(frozenset(terms(query)), frozenset(terms(query, stemming=False)))


def marked(snippet: Snippet) -> list[str]:
    return [snippet.text[s:e] for s, e in snippet.highlights]


def filler(n: int) -> str:
    """`n` words that match nothing, with no sentence break."""
    return " ".join(f"mot{i % 10}" for i in range(n))


# --- shape -----------------------------------------------------------------------------------


def test_a_short_text_is_whole_with_no_ellipsis() -> None:
    assert make_snippet("La fibre arrive.", marker("fibre")) == Snippet(
        "La fibre arrive.", ((3, 8),)
    )


def test_nothing_matched_gives_the_opening_of_the_text() -> None:
    snippet = make_snippet(filler(80), marker("fibre"))
    assert snippet.highlights == ()
    assert snippet.text.startswith("mot0 mot1")
    assert snippet.text.endswith("…") and not snippet.text.startswith("…")
    assert len(snippet.text) <= 201
    assert make_snippet("Court.", marker("fibre")) == Snippet("Court.")
    assert make_snippet("Court.", None) == Snippet("Court.")
    assert make_snippet("", marker("fibre")) == Snippet("")


def test_a_match_inside_is_cut_with_ellipses_at_both_ends() -> None:
    snippet = make_snippet(filler(60) + " la fibre " + filler(60), marker("fibre"))
    assert snippet.text.startswith("…mot") and snippet.text.endswith("…")
    assert marked(snippet) == ["fibre"]
    assert " … " not in snippet.text
    # Some context before the match, and the window of about 200 characters.
    assert snippet.highlights[0][0] > 20
    assert 150 <= len(snippet.text) <= 202


def test_a_match_at_the_end_has_no_trailing_ellipsis() -> None:
    snippet = make_snippet(filler(80) + " la fibre", marker("fibre"))
    assert snippet.text.startswith("…") and snippet.text.endswith("la fibre")
    assert marked(snippet) == ["fibre"]


def test_a_match_at_the_start_has_no_leading_ellipsis() -> None:
    snippet = make_snippet("La fibre " + filler(80), marker("fibre"))
    assert snippet.text.startswith("La fibre") and snippet.text.endswith("…")
    assert snippet.highlights[0] == (3, 8)


def test_at_most_two_fragments_joined_by_an_ellipsis() -> None:
    text = f"{filler(60)} fibre {filler(80)} réseau {filler(80)} opérateur {filler(60)}"
    snippet = make_snippet(text, marker("fibre réseau opérateur"))
    fragments = snippet.text.split(" … ")
    assert len(fragments) == 2
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert marked(snippet) == ["fibre", "réseau"]  # the first two, in text order
    # Two fragments share the room of one and a half.
    assert all(len(f) <= 152 for f in fragments)
    assert len(snippet.text) <= 310


def test_a_second_fragment_only_when_it_adds_something() -> None:
    same_word = make_snippet(f"{filler(60)} fibre {filler(80)} fibre {filler(60)}", marker("fibre"))
    assert " … " not in same_word.text
    assert marked(same_word) == ["fibre"]
    # Two words seen again together still make a second fragment.
    pair = make_snippet(
        f"{filler(60)} fibre réseau {filler(80)} fibre réseau {filler(60)}",
        marker("fibre réseau"),
    )
    assert len(pair.text.split(" … ")) == 2
    assert marked(pair) == ["fibre", "réseau", "fibre", "réseau"]


def test_the_window_holds_the_densest_cluster() -> None:
    text = f"fibre {filler(80)} fibre réseau opérateur {filler(80)} réseau"
    snippet = make_snippet(text, marker("fibre réseau opérateur"))
    assert " … " not in snippet.text
    assert marked(snippet) == ["fibre", "réseau", "opérateur"]
    assert snippet.text.startswith("…") and snippet.text.endswith("…")


def test_a_fragment_starts_at_a_sentence_when_one_begins_just_before() -> None:
    sentence = "Une phrase assez longue précède le mot cherché, puis la fibre arrive."
    snippet = make_snippet(f"{filler(60)}. {sentence} {filler(60)}", marker("fibre"))
    assert snippet.text.startswith("…" + sentence)
    assert marked(snippet) == ["fibre"]


def test_line_and_paragraph_breaks_show_as_a_pilcrow_and_tabs_as_spaces() -> None:
    snippet = make_snippet("Titre\n\nLa\tfibre\narrive.", marker("fibre"))
    assert snippet.text == "Titre ¶ La fibre ¶ arrive."
    assert marked(snippet) == ["fibre"]


def test_paragraphs_do_not_run_together_in_a_cut_snippet() -> None:
    """The issue's "migration Pour la plupart": a break between two paragraphs stays seen."""
    text = f"{filler(40)} une migration\n\nPour la plupart, la fibre {filler(40)}"
    snippet = make_snippet(text, marker("fibre"))
    assert "migration ¶ Pour la plupart, la fibre" in snippet.text
    assert marked(snippet) == ["fibre"]
    assert snippet.text.startswith("…") and snippet.text.endswith("…")


def test_a_snippet_never_starts_or_ends_with_a_break() -> None:
    snippet = make_snippet("\n\nLa fibre arrive.\n\n", marker("fibre"))
    assert snippet.text == "La fibre arrive."
    assert marked(snippet) == ["fibre"]


def test_a_text_shorter_than_the_window_is_shown_whole() -> None:
    """Not "…complet de l’article 1…" for a 76-character body whose match is at its end."""
    body = "Le texte complet de l’article 1 du projet de loi sur la fibre optique rurale."
    snippet = make_snippet(body, marker("rurale"))
    assert snippet.text == body
    assert marked(snippet) == ["rurale"]


def test_a_match_near_the_end_uses_the_whole_window() -> None:
    snippet = make_snippet(filler(80) + " la fibre.", marker("fibre"))
    assert snippet.text.endswith("la fibre.")
    assert 190 <= len(snippet.text) <= 202


def test_a_custom_size_is_honoured() -> None:
    snippet = make_snippet(filler(60) + " la fibre " + filler(60), marker("fibre"), size=60)
    assert marked(snippet) == ["fibre"]
    assert len(snippet.text) <= 62


# --- offsets ---------------------------------------------------------------------------------

BEFORE = [
    "🙂", "€", "…", "œ", "Œ", "æ", "𝔘", "日本", "Ω", "—", "’", "ʼ", "‐", "e\u0301", "\u200b", "ß",
]  # fmt: skip


@pytest.mark.parametrize("prefix", BEFORE)
def test_highlight_offsets_are_right_after_any_character(prefix: str) -> None:
    text = f"{prefix * 3} La fibre {prefix} et le réseau {prefix}"
    expected = ["fibre", "réseau"]
    assert marked(make_snippet(text, marker("fibre réseau"))) == expected
    assert marked(highlight(text, marker("fibre réseau"))) == expected


@pytest.mark.parametrize("prefix", BEFORE)
def test_offsets_are_right_in_a_cut_snippet_too(prefix: str) -> None:
    text = f"{prefix} {filler(50)} {prefix * 5} la fibre {prefix} {filler(50)}"
    snippet = make_snippet(text, marker("fibre"))
    assert marked(snippet) == ["fibre"]
    assert snippet.text.startswith("…") and snippet.text.endswith("…")


@pytest.mark.parametrize("char", [char for char, _ in COMMON])
def test_french_punctuation_flattens_as_the_encoder_would(char: str) -> None:
    """The typographic characters replaced before encoding (for speed) give the bytes the
    encoder's error handler gives them: one per character, a word's edge where it was."""
    text = f"L{char}État{char * 2}fibre {char}œuvre"
    assert flatten(text) == text.encode("latin-1", "fouille-flatten").translate(FLATTEN)
    assert len(flatten(text)) == len(text)
    if char != "œ":  # œ is a letter: `Lœ` and `État` are one word
        assert marked(highlight(text, marker("état fibre"))) == ["État", "fibre"]


# --- highlight (titles) ---------------------------------------------------------------------


@pytest.mark.parametrize("query", ["élection", "election", "élections", "ELECTION"])
def test_highlight_marks_every_inflection(query: str) -> None:
    title = "Les élections et l’élection : ELECTIONS, Élection, électorale"
    snippet = highlight(title, marker(query))
    assert snippet.text == title
    assert marked(snippet) == ["élections", "élection", "ELECTIONS", "Élection"]


@pytest.mark.parametrize(
    ("query", "title", "expected"),
    [
        ("hôpital", "Deux hôpitaux et un hôpital", ["hôpitaux", "hôpital"]),
        ("oeuvre", "L’œuvre, les oeuvres, ŒUVRES", ["œuvre", "oeuvres", "ŒUVRES"]),
        ("wifi", "Le Wi-Fi, le wifi, le Wi‑Fi", ["Wi-Fi", "wifi", "Wi‑Fi"]),
        (
            "aujourd’hui",
            "Aujourd’hui, aujourd'hui, aujourdʼhui",
            ["Aujourd’hui", "aujourd'hui", "aujourdʼhui"],
        ),
        ("réseau", "Réseaux et résea", ["Réseaux"]),
        ("école", "L’école, l’écologie", ["école"]),
    ],
)
def test_highlight_marks_forms_and_nothing_else(query: str, title: str, expected: list) -> None:
    assert marked(highlight(title, marker(query))) == expected


@pytest.mark.parametrize("mark", ["‘", "`", "´"])
def test_every_apostrophe_the_analyzer_reads_is_highlighted(mark: str) -> None:
    title = f"Dès aujourd{mark}hui"
    assert marked(highlight(title, marker("aujourd’hui"))) == [f"aujourd{mark}hui"]


def test_a_soft_hyphen_does_not_stop_a_highlight() -> None:
    assert marked(highlight("L’infor\u00admatique", marker("informatique"))) == [
        "infor\u00admatique"
    ]


@pytest.mark.parametrize(
    ("query", "title", "expected"),
    [
        # Stems too short to tell words apart: only the words that begin like the query's.
        ("données", "Donnez vos données, la donnée, le don", ["données", "donnée"]),
        ("base", "La base, les bases, basé sur, tout en bas", ["base", "bases", "basé"]),
        # Protected words and synonyms come from the query's plan, not from here.
    ],
)
def test_highlights_follow_the_precision_rules(query: str, title: str, expected: list) -> None:
    from search.plan import compile_query
    from search.query import parse

    compiled = compile_query(parse(query))
    marker_ = highlighter(
        frozenset(compiled.stems), frozenset(compiled.words), frozenset(compiled.narrow)
    )
    assert marked(highlight(title, marker_)) == expected


def test_prefix_words_are_highlighted_by_their_start() -> None:
    prefix = highlighter(frozenset(), frozenset({"cyber*"}))
    assert marked(highlight("Cyberattaque et cybersécurité, pas cyb", prefix)) == [
        "Cyberattaque",
        "cybersécurité",
    ]


def test_no_highlighter_or_no_text() -> None:
    assert highlight("Un titre", None) == Snippet("Un titre")
    assert highlight("", marker("titre")) == Snippet("")


# --- through the hits of a real index --------------------------------------------------------


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    articles = [
        article(
            "emoji",
            "🙂 Les élections € et l’élection",
            "🙂🙂 Coût : 5 € … puis 𝔘 œ la fibre optique " + filler(60) + " le réseau.",
        ),
        article(
            "long",
            "Un long article",
            filler(60) + " la fibre " + filler(80) + " le satellite " + filler(60),
        ),
    ]
    with open_index(tmp_path_factory.mktemp("snippets"), articles) as opened:
        yield opened


def test_hit_snippets_mark_the_words_at_the_right_place(engine: Engine) -> None:
    hit = engine.search("fibre").hits[0]
    assert hit.id == "emoji"
    assert marked(hit.snippet) == ["fibre"]
    assert "<mark>fibre</mark> optique" in hit.snippet.html()
    assert hit.snippet.text.startswith("🙂🙂 Coût") and hit.snippet.text.endswith("…")


def test_hit_titles_mark_every_inflection(engine: Engine) -> None:
    hit = engine.search("élection").hits[0]
    assert hit.title_snippet.text == "🙂 Les élections € et l’élection"
    assert marked(hit.title_snippet) == ["élections", "élection"]
    assert hit.title_snippet.html() == "🙂 Les <mark>élections</mark> € et l’<mark>élection</mark>"


def test_hit_snippets_have_two_fragments_for_two_far_words(engine: Engine) -> None:
    hit = engine.search("fibre OU satellite").hits[0]
    assert hit.id == "long"
    assert len(hit.snippet.text.split(" … ")) == 2
    assert marked(hit.snippet) == ["fibre", "satellite"]


def test_phrases_and_prefixes_are_highlighted(engine: Engine) -> None:
    assert marked(engine.search('"fibre optique"').hits[0].snippet) == ["fibre", "optique"]
    assert marked(engine.search("satell*").hits[0].snippet) == ["satellite"]


def test_excluded_words_are_not_highlighted(engine: Engine) -> None:
    hit = engine.search("fibre -satellite").hits[0]
    assert hit.id == "emoji"
    assert marked(hit.snippet) == ["fibre"]
    hit = engine.search("fibre -réseau").hits[0]
    assert hit.id == "long"
    assert marked(hit.snippet) == ["fibre"]


# --- pinned shapes: where the window opens and closes, on texts read by hand ------------------

_PROSE = "le conseil municipal a voté hier soir un budget pour les écoles de la ville".split()


def prose(n: int, start: int = 0) -> str:
    return " ".join(_PROSE[(start + i) % len(_PROSE)] for i in range(n))


@pytest.mark.parametrize(
    ("text", "query", "shown", "words"),
    [
        (
            prose(40) + ". La fibre optique arrive dans le quartier nord. " + prose(60, 3) + ".",
            "fibre optique",
            "…a voté hier soir un budget pour. La fibre optique arrive dans le quartier nord. "
            "a voté hier soir un budget pour les écoles de la ville le conseil municipal a "
            "voté hier soir un budget pour les…",
            ((37, 42), (43, 50)),
        ),
        (
            prose(50) + " fibre " + prose(70, 5) + " optique " + prose(30, 2) + ".",
            "fibre optique",
            "…la ville le conseil municipal a voté fibre hier soir un budget pour les écoles de "
            "la ville le conseil municipal a voté hier soir un budget pour … un budget pour les "
            "écoles de la ville optique municipal a voté hier soir un budget pour les écoles de "
            "la ville le conseil municipal a voté hier…",
            ((38, 43), (185, 192)),
        ),
        (
            prose(30)
            + "\n"
            + prose(25, 4)
            + " la fibre "
            + prose(80, 1)
            + ". Ensuite "
            + prose(60, 7)
            + " le cuivre "
            + prose(40),
            "fibre cuivre",
            "…un budget pour les écoles de la la fibre conseil municipal a voté hier soir un "
            "budget pour les écoles de la ville le conseil municipal a voté … conseil municipal "
            "a voté hier soir le cuivre le conseil municipal a voté hier soir un budget pour les "
            "écoles de la ville le conseil municipal a…",
            ((36, 41), (183, 189)),
        ),
    ],
)
def test_the_windows_of_long_texts(
    text: str, query: str, shown: str, words: tuple[tuple[int, int], ...]
) -> None:
    snippet = make_snippet(text, marker(query))
    assert snippet.text == shown
    assert snippet.highlights == words


@pytest.mark.parametrize(
    ("text", "query", "word"),
    [
        ("L’in\xadformatique avance", "informatique", "in\xadformatique"),
        ("Un i\xadnformatique", "informatique", "i\xadnformatique"),
        ("Wi\xadFi partout", "wifi", "Wi\xadFi"),
        ("Vacances à ÀRLES cet été", "arles", "ÀRLES"),  # À is the first Latin-1 letter
        ("Le ÇA va", "ca", "ÇA"),
    ],
)
def test_soft_hyphens_and_capital_accents_are_marked_whole(
    text: str, query: str, word: str
) -> None:
    snippet = highlight(text, marker(query))
    assert [snippet.text[s:e] for s, e in snippet.highlights] == [word]


@pytest.mark.parametrize(
    ("text", "shown", "word"),
    [
        (
            "La fibre optique arrive. " + prose(60),
            "La fibre optique arrive. le conseil municipal a voté hier soir un budget pour les "
            "écoles de la ville le conseil municipal a voté hier soir un budget pour les écoles "
            "de la ville le conseil municipal a…",
            (3, 8),
        ),
        (
            "Fibre " + prose(60),
            "Fibre le conseil municipal a voté hier soir un budget pour les écoles de la ville le "
            "conseil municipal a voté hier soir un budget pour les écoles de la ville le conseil "
            "municipal a voté hier soir un…",
            (0, 5),
        ),
    ],
)
def test_a_match_near_the_start_shows_the_start_whole(
    text: str, shown: str, word: tuple[int, int]
) -> None:
    snippet = make_snippet(text, marker("fibre"))
    assert snippet.text == shown and snippet.highlights == (word,)


# --- where a window begins and ends, to the character ------------------------------------------


def test_a_window_starting_at_the_second_character_has_a_leading_ellipsis() -> None:
    # The match at 41 puts the window's start at 1 (40 characters of context before it);
    # no space before the match to start on: the snippet starts there, after an ellipsis.
    text = "x" + "—" * 40 + "réseau " + filler(60)
    snippet = make_snippet(text, marker("réseau"))
    assert snippet.text.startswith("…" + "—" * 40 + "réseau")
    assert marked(snippet) == ["réseau"]


def test_a_window_ends_mid_word_when_no_space_is_within_thirty_characters() -> None:
    # The window is [0, 200); the last space before 200 is at 169, 31 characters back: too
    # far to end on, so the snippet is cut at 200, inside the long word.
    text = "réseau " + "a" * 162 + " " + "b" * 40 + " fin " + filler(40)
    assert text.index(" ", 7) == 169
    snippet = make_snippet(text, marker("réseau"))
    assert snippet.text == text[:200] + "…"


def test_a_fragment_starts_at_the_sentence_or_line_its_window_opens_in() -> None:
    """A window opening just after ". " or a line break starts there, not a word later."""
    from search.snippets import _word_start

    lead = "x" * 50
    for text, pos, expected in [
        (f"{lead}. Début de phrase avec la fibre", 52, 52),  # ". " just before
        (f"{lead}\nDébut de ligne avec la fibre", 51, 51),  # the break just before
        (f"{lead}\nDébut de ligne avec la fibre", 50, 51),  # the window opens on the break
    ]:
        at = text.index("fibre")
        assert _word_start(text, pos, [(at, at + 5, "fibre")]) == expected, (text, pos)


def test_capitals_flatten_like_small_letters_from_a_to_z() -> None:
    assert marked(highlight("La Zone euro et l’Arcep", marker("zone arcep"))) == ["Zone", "Arcep"]
