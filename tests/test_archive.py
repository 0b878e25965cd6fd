"""Article pages in the engine (issue 14): keys that carry any id through a URL path, the
stored text in paragraphs with the query's words marked, the text fragment that lands on the
passage, related articles, and secrets kept out of all of it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from archive_sample import ODD_ID, SECRET, VELO_PARAGRAPHS, VELO_TITLE, archive_articles

from search import Engine, article_id, article_key
from search.archive import (
    MAX_MARKS,
    best_passage,
    paragraphs,
    sentences,
    text_fragment,
    with_fragment,
)
from search.results import Snippet
from tests.corpora import article, open_index


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("archive")
    with open_index(path, archive_articles()) as engine:
        yield engine


@pytest.mark.parametrize(
    "ident",
    [
        "velo-lyon",
        ODD_ID,
        "https://site.example/a/b/?x=1&y=%2F#f",
        "日本語 / ü",
        "-",
        "abc",  # a key of 4 characters
        "abcde",  # of 7
        "a" * 2048,
        "\U0001f600 emoji",
    ],
)
def test_a_key_is_one_url_path_segment_and_gives_the_id_back(ident: str) -> None:
    key = article_key(ident)
    assert key and set(key) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    assert article_id(key) == ident


@pytest.mark.parametrize(
    "key",
    [
        "",
        "abc!",
        "a/b",
        "a=",  # padding is never part of a key
        "QR",  # decodes to "A" too, but the key of "A" is "QQ": not canonical
        "A",  # a length no encoding gives
        base64.urlsafe_b64encode(b"\xff\xfe").rstrip(b"=").decode(),  # not UTF-8
        base64.urlsafe_b64encode(b"a\x00b").rstrip(b"=").decode(),  # a NUL no id holds
        "A" * 20_000,
    ],
)
def test_anything_else_is_no_key(key: str) -> None:
    assert article_id(key) is None


def test_a_text_fragment_encodes_its_syntax_characters() -> None:
    assert text_fragment("fin-de-semaine, pluie & vent") == (
        "#:~:text=fin%2Dde%2Dsemaine%2C%20pluie%20%26%20vent"
    )
    long = "un deux trois quatre cinq six sept huit neuf dix onze"
    assert text_fragment(long) == "#:~:text=un%20deux%20trois%20quatre,huit%20neuf%20dix%20onze"
    assert text_fragment("le passage", "texte juste avant, le") == (
        "#:~:text=juste%20avant%2C%20le-,le%20passage"
    )
    assert text_fragment("   ") == ""


def test_the_page_holds_the_stored_text_in_its_paragraphs(archive: Engine) -> None:
    page = archive.article("velo-lyon")
    assert page is not None
    assert page.title == VELO_TITLE
    assert [p.text for p in page.paragraphs] == list(VELO_PARAGRAPHS)
    assert page.author == "Claire Fontaine" and page.feed == "Le Quotidien"
    assert page.tags == ("Mobilité", "Lyon")
    assert page.updated is not None and page.updated.date() > page.published.date()
    assert page.key == article_key("velo-lyon")
    assert not any(p.highlights for p in page.paragraphs)
    assert page.link == page.url and page.passage is None  # no query, no passage


def test_the_query_words_are_marked_in_any_inflection(archive: Engine) -> None:
    page = archive.article("velo-lyon", query="piste cyclable commerçant")
    assert page is not None
    marked = [p.text[s:e] for p in page.paragraphs for s, e in p.highlights]
    assert {"pistes", "cyclables", "commerçants"} <= set(marked)
    assert page.title_snippet.highlights  # "commerçants" in the title too
    assert "<mark>pistes</mark> <mark>cyclables</mark>" in page.paragraphs[1].html()


def test_the_link_lands_on_the_sentence_that_matched_best(archive: Engine) -> None:
    page = archive.article("velo-lyon", query="pistes cyclables parking")
    assert page is not None and page.passage == 1
    url, _, fragment = page.link.partition("#:~:text=")
    assert url == page.url
    prefix, start, end = (unquote(part) for part in fragment.replace("-,", ",").split(","))
    text = page.paragraphs[1].text
    sentence = text[text.index("Selon") :]
    assert sentence.startswith(start) and sentence.endswith(end)
    assert text[: text.index(sentence)].rstrip().endswith(prefix)
    assert "parking" in sentence  # the sentence with the most distinct matched words


def test_dates_in_the_query_are_not_words_to_mark(archive: Engine) -> None:
    page = archive.article("velo-lyon", query="depuis:lundi vélo")
    assert page is not None
    assert {page.title[s:e] for s, e in page.title_snippet.highlights} == {"vélo"}


def test_related_articles_leave_the_article_out(archive: Engine) -> None:
    page = archive.article("velo-lyon", related=5)
    assert page is not None
    related = [hit.id for hit in page.related]
    assert len(related) == 5 and "velo-lyon" not in related
    assert related[0] == "hebdo-velo"  # the same story, told by another feed
    assert related == [hit.id for hit in archive.more_like("velo-lyon")]
    assert archive.article("velo-lyon", related=0).related == ()  # type: ignore[union-attr]


def test_an_unknown_id_has_no_page(archive: Engine) -> None:
    assert archive.article("nope") is None
    assert archive.more_like("nope") == []


def test_any_id_has_a_page_by_its_key(archive: Engine) -> None:
    page = archive.article(ODD_ID)
    assert page is not None and article_id(page.key) == ODD_ID


def test_a_subscriber_feed_secret_appears_nowhere(archive: Engine) -> None:
    (hit,) = archive.search("réforme retraites").hits
    assert SECRET not in repr(hit)
    page = archive.article(hit.id)  # the id as hits show it: masked
    assert page is not None and page.id == hit.id
    assert SECRET not in repr(page.to_dict()) and "motdepasse" not in repr(page.to_dict())
    assert article_id(page.key) == hit.id


def test_paragraphs_split_on_blank_lines_only() -> None:
    assert paragraphs("un\n\n  deux\ntrois \n \n\nquatre\n") == ["un", "deux\ntrois", "quatre"]
    assert paragraphs("") == []


def test_sentences_end_at_their_punctuation() -> None:
    text = "Un vélo. Deux pistes ! Trois « parkings ». Fin"
    assert [text[s:e] for s, e in sentences(text)] == [
        "Un vélo.",
        "Deux pistes !",
        "Trois « parkings ».",
        "Fin",
    ]
    assert sentences("Fin. ") == [(0, 4)]  # nothing after the last one: no empty sentence
    assert sentences("") == []


def test_a_passage_of_eight_words_is_given_whole_and_of_nine_by_its_ends() -> None:
    eight = "un deux trois quatre cinq six sept huit"
    assert text_fragment(eight) == "#:~:text=" + eight.replace(" ", "%20")
    nine = eight + " neuf"
    assert text_fragment(nine) == ("#:~:text=un%20deux%20trois%20quatre,six%20sept%20huit%20neuf")


def test_a_fragment_replaces_the_urls_and_needs_both() -> None:
    assert (
        with_fragment("https://a.example/p#haut", "#:~:text=x") == "https://a.example/p#:~:text=x"
    )
    assert with_fragment("", "#:~:text=x") == ""
    assert with_fragment("https://a.example/p", "") == "https://a.example/p"


def test_the_best_passage_counts_a_word_that_opens_its_sentence() -> None:
    # Two sentences with two matched words each: the first wins the tie, and its first
    # word, at the very start of the sentence, counts.
    text = "Piste cyclable ici. Une piste et un vélo."
    spans = ((0, 5), (6, 14), (24, 29), (36, 40))
    passage = best_passage([Snippet(text, spans)], [["piste", "cyclable", "piste", "velo"]])
    assert passage == (0, 0, 19)
    # More distinct words win over more words.
    text = "Vélo vélo vélo. Vélo et piste."
    spans = ((0, 4), (5, 9), (10, 14), (16, 20), (24, 29))
    words = [["velo", "velo", "velo", "velo", "piste"]]
    assert best_passage([Snippet(text, spans)], words) == (0, 16, 30)
    assert best_passage([Snippet(text)], [[]]) is None


def test_an_article_marks_at_most_max_marks_words(tmp_path: Path) -> None:
    assert MAX_MARKS == 2000
    body = "\n\n".join(["vélo " * (MAX_MARKS // 2 + 100)] * 2)
    with open_index(tmp_path, [article("long", "Un long texte", body)]) as engine:
        page = engine.article("long", query="vélo")
    assert page is not None
    counts = [len(p.highlights) for p in page.paragraphs]
    assert counts == [MAX_MARKS // 2 + 100, MAX_MARKS // 2 - 100]


def test_the_longest_id_has_a_key_and_one_byte_more_has_none() -> None:
    longest = "\U0001f600" * 2048  # 2,048 characters of 4 bytes: the most an id holds
    key = article_key(longest)
    assert len(key) == 10_923 and article_id(key) == longest
    assert article_id(article_key(longest + "a")) is None
