"""Our segment writer (`search.segments`) writes what Whoosh's own writer writes.

Whoosh stays the index on disk and the source of truth: a segment Fouille writes in bulk must
read, through Whoosh's own reader, exactly as the segment Whoosh's `IndexWriter` makes of
the same documents with the schema's analyzers: the same terms in every field, the same
postings (documents, weights, positions), term statistics, field lengths and stored fields.
"""

from __future__ import annotations

import json
import lzma
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.index import TOC

from search import Article
from search.analysis import tag_key
from search.documents import article_fields, clean_article, indexed_body
from search.inverter import Inverter
from search.schema import TITLE_REPEAT, build_schema
from search.segments import SegmentBuilder
from tests.articles import ARTICLES

DAY = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)

#: Texts at the edges of the analysis: elisions with every apostrophe, compounds, signs,
#: soft hyphens, ligatures, long words, non-Latin scripts, emoji, numbers.
EDGES = [
    "L’Assemblée a voté l'article d`hier et l´autre ; aujourd’hui c’est jusqu’au bout.",
    "Le Wi-Fi 7, la 5G et le e-commerce : porte-parole, Jean-Luc, week-end, vis-à-vis.",
    "C++ et C# contre Rust ; in\u00adfor\u00admatique et cœur, Œuvre, æther, Ærø.",
    "Un mot très long : " + "anticonstitutionnellement" * 4 + " puis fin.",
    "日本語のテキスト, Ελληνικά, русский текст, emoji 🙂🚀 et €, 12 000 €, 3,5 %, 2024-03-15.",
    "Les données personnelles, la donnée, donner, les dons ; journaux, journal, chevaux.",
]


def _edge_articles() -> list[Article]:
    return [
        Article(
            id=f"edge-{n}",
            url=f"https://edge.example/{n}",
            title=text[:60],
            body=text + "\n\n" + EDGES[(n + 1) % len(EDGES)],
            summary=text[:80],
            author=["Camille Martin", "", "Jean-Loup d’Ormesson"][n % 3],
            tags=("RGPD", "Vie privée", "Wi-Fi")[: n % 4],
            published=DAY,
            feed_url="https://edge.example/feed",
            feed_title="Edge",
        )
        for n, text in enumerate(EDGES)
    ]


def _whoosh_document(article: Article) -> dict[str, Any]:
    """The fields of an article as Whoosh's own writer is given them."""
    fields = article_fields(article)
    body = indexed_body(article)
    fields["body_exact"] = body
    fields["title_exact"] = article.title
    fields["text"] = (article.title + "\n") * TITLE_REPEAT + " ; ".join(article.tags)
    fields["text"] += "\n" + body
    return fields


def _write_both(root: Path, articles: Iterable[Article]) -> tuple[Any, Any]:
    articles = [clean_article(a) for a in articles]
    theirs, ours = root / "whoosh", root / "fouille"
    theirs.mkdir()
    ours.mkdir()
    index = whoosh_index.create_in(str(theirs), build_schema())
    writer = index.writer()
    for article in articles:
        writer.add_document(**_whoosh_document(article))
    writer.commit()
    index = whoosh_index.create_in(str(ours), build_schema())
    builder = SegmentBuilder(index, Inverter())
    for article in articles:
        builder.add(
            article_fields(article),
            title=article.title,
            tags=[(label, tag_key(label)) for label in article.tags],
            body=indexed_body(article),
            repeat_title=TITLE_REPEAT,
        )
    segment = builder.write()
    toc = index._read_toc()
    TOC(index.schema, [segment], toc.generation + 1).write(index.storage, index.indexname)
    return whoosh_index.open_dir(str(theirs)).reader(), whoosh_index.open_dir(str(ours)).reader()


def _postings(reader: Any, field: str, term: bytes) -> list[tuple[int, float, Any]]:
    fmt = reader.schema[field].format
    matcher = reader.postings(field, term)
    out = []
    while matcher.is_active():
        value = matcher.value()
        if fmt.fixed_value_size() == 0:
            value = None
        elif hasattr(fmt, "decode_positions") and value:
            value = (fmt.decode_frequency(value), fmt.decode_positions(value))
        out.append((matcher.id(), matcher.weight(), value))
        matcher.next()
    return out


def _stats(reader: Any, field: str, term: bytes) -> tuple[Any, ...]:
    info = reader.term_info(field, term)
    return (
        info.weight(),
        info.doc_frequency(),
        info.min_length(),
        info.max_length(),
        info.max_weight(),
        info.min_id(),
        info.max_id(),
    )


def _assert_same(theirs: Any, ours: Any) -> None:
    assert ours.doc_count_all() == theirs.doc_count_all()
    for field in theirs.schema.names():
        if not theirs.schema[field].indexed:
            continue
        terms = list(theirs.lexicon(field))
        assert list(ours.lexicon(field)) == terms, field
        for term in terms:
            assert _postings(ours, field, term) == _postings(theirs, field, term), (field, term)
            assert _stats(ours, field, term) == _stats(theirs, field, term), (field, term)
        assert ours.field_length(field) == theirs.field_length(field), field
        for doc in range(theirs.doc_count_all()):
            assert ours.doc_field_length(doc, field) == theirs.doc_field_length(doc, field)
    for doc in range(theirs.doc_count_all()):
        assert ours.stored_fields(doc) == theirs.stored_fields(doc)


def test_our_segments_read_as_whoosh_writes_them(tmp_path: Path) -> None:
    theirs, ours = _write_both(tmp_path, [*ARTICLES, *_edge_articles()])
    try:
        _assert_same(theirs, ours)
    finally:
        theirs.close()
        ours.close()


@pytest.mark.slow
def test_our_segments_read_as_whoosh_writes_them_on_a_real_corpus(
    corpus: Path, tmp_path: Path
) -> None:
    articles = []
    with lzma.open(corpus / "articles/orangesum.jsonl.xz", "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if n >= 300:
                break
            row = json.loads(line)
            articles.append(
                Article(
                    id=f"orangesum-{row['id']}",
                    url=f"https://actu.orange.fr/{row['id']}",
                    title=row.get("title") or "",
                    body=row.get("article") or "",
                    summary=row.get("heading") or "",
                    tags=("Actu", "Orange")[: n % 3],
                    published=datetime.fromisoformat(row["date"]).replace(tzinfo=UTC),
                )
            )
    theirs, ours = _write_both(tmp_path, articles)
    try:
        _assert_same(theirs, ours)
    finally:
        theirs.close()
        ours.close()
