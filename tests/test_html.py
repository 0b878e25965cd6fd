"""indexer.html: HTML → clean text. Cases live in tests/data/html (NAME.html → NAME.txt)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.html import html_to_text, normalize_whitespace, unescape_entities

CASES = Path(__file__).parent / "data" / "html"


@pytest.mark.parametrize("name", sorted(p.stem for p in CASES.glob("*.html")))
def test_html_cases(name):
    html = (CASES / f"{name}.html").read_text(encoding="utf-8")
    expected = (CASES / f"{name}.txt").read_text(encoding="utf-8").strip()
    assert html_to_text(html) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Caf&eacute;", "Café"),
        ("Caf&amp;eacute;", "Café"),
        ("L&amp;amp;rsquo;&amp;amp;eacute;t&amp;amp;eacute;", "L’été"),
        ("&#233;t&#xE9;", "été"),
        ("AT&T et R&D", "AT&T et R&D"),
        ("pas d'entité", "pas d'entité"),
    ],
)
def test_unescape_entities_also_when_double_escaped(text, expected):
    assert unescape_entities(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  a \t b  ", "a b"),
        ("a\u00a0:\u202fb", "a : b"),
        ("un\n\n\n\ndeux", "un\n\ndeux"),
        ("  un  \n  deux  ", "un\ndeux"),
        ("zéro\u200blargeur\ufeff", "zérolargeur"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("contr\x00\x07ôle", "contrôle"),
    ],
)
def test_normalize_whitespace(text, expected):
    assert normalize_whitespace(text) == expected


@pytest.mark.parametrize("html", ["", "   ", "<p></p>", "<script>x()</script>", "<!-- -->"])
def test_empty_html_gives_empty_text(html):
    assert html_to_text(html) == ""


def test_plain_text_is_kept():
    assert html_to_text("Une phrase sans balise, l’été.") == "Une phrase sans balise, l’été."


def test_xml_declaration_and_encoding_in_a_string_are_fine():
    html = '<?xml version="1.0" encoding="iso-8859-1"?><p>Déjà là</p>'
    assert html_to_text(html) == "Déjà là"


def test_huge_input_is_cut_and_fast():
    html = "<p>" + "mot " * 2_000_000 + "</p><p>FIN</p>"
    started = time.monotonic()
    text = html_to_text(html, max_chars=1_000_000)
    assert time.monotonic() - started < 5
    assert text.startswith("mot mot")
    assert "FIN" not in text
    assert len(text) <= 1_000_000


def test_deeply_nested_html_does_not_crash():
    html = "<div>" * 5000 + "profond" + "</div>" * 5000
    assert html_to_text(html) == "profond"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=20),
            st.sampled_from(
                [
                    "<p>",
                    "</p>",
                    "<br>",
                    "<script>",
                    "</script>",
                    "&amp;",
                    "&lt;",
                    "&eacute;",
                    "<div class='share'>",
                    "</div>",
                    "<li>",
                    "<",
                    ">",
                    "&",
                    "\x00",
                    "\u00a0",
                ]
            ),
        ),
        max_size=30,
    ).map("".join)
)
def test_any_input_gives_normalized_text(html):
    text = html_to_text(html)
    assert text == text.strip()
    assert "\n\n\n" not in text
    assert "\x00" not in text
    assert "  " not in text
