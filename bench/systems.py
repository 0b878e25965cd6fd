"""The systems under test, behind one small interface.

Each system builds an index from a stream of records, adds (upserts) a few more, and answers a
query with a *result page*: the top 10 with a highlighted title and body snippet, the total, and
month and tag facet counts over all matches, which is what Fouille's web page shows. The
references use the same query strategy as Fouille (all words; any word when that finds nothing).
Plain Whoosh (one stemmed field) is a reference for building only: what Whoosh's own writer
does with the same articles.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .corpus import Record, month, published

# Field weights of both references: the title counts most, then the abstract, then the body.
WEIGHTS = {"title": 3.0, "summary": 1.5, "body": 1.0}
SNIPPET_CHARS = 200
FACET_TAGS = 20
_TOKEN_RE = re.compile(r"\w+")


def plain_terms(query: str) -> list[str]:
    """The words of a query for the references' query languages (apostrophes split words)."""
    return _TOKEN_RE.findall(query.lower())


class Searcher(ABC):
    """An open index answering result-page queries."""

    @abstractmethod
    def page(self, query: str) -> list[str]:
        """Build the first result page for `query`; the ranked article ids."""

    @abstractmethod
    def close(self) -> None:
        """Release the index."""


class System(ABC):
    """A search engine under test."""

    name: str
    label: str
    #: False for a build-only reference (no query, no startup step).
    searchable = True

    @abstractmethod
    def build(self, index_dir: Path, records: Iterable[Record]) -> int:
        """Create an index in `index_dir` (empty or absent) from `records`; the count indexed."""

    @abstractmethod
    def add(self, index_dir: Path, records: list[Record]) -> None:
        """Upsert `records` into the existing index and commit."""

    @abstractmethod
    def open(self, index_dir: Path) -> Searcher:
        """Open the index for searching."""

    def versions(self) -> dict[str, str]:
        """Library versions that matter for this system."""
        return {}

    def load(self) -> None:  # noqa: B027 (optional: nothing to import for some systems)
        """Import the system's libraries, so that a timed step does not count Python's imports
        (the startup figure does, on purpose)."""

    def segments(self, index_dir: Path) -> int | None:
        """How many segments the index on disk has (None where that means nothing)."""
        return None


# --------------------------------------------------------------------------- Fouille


class FouilleSystem(System):
    """Fouille through its real code: `search.Engine` and the indexer's writing helper."""

    name = "fouille"
    label = "Fouille"
    batch_size = 500

    @staticmethod
    def _engine(index_dir: Path, create: bool) -> Any:
        from search import Engine, Settings

        return Engine.open(Settings(index_dir=index_dir), create=create)

    @staticmethod
    def to_article(rec: Record) -> Any:
        """A record as the `search.Article` the indexer would hand to the engine."""
        from search import Article

        return Article(
            id=rec["id"],
            url=rec["url"],
            title=rec["title"],
            published=published(rec),
            body=rec["body"],
            summary=rec["summary"],
            tags=tuple(rec["tags"]),
            feed_url=rec["feed_url"],
            feed_title=rec["feed_title"],
        )

    @staticmethod
    def indexer_path() -> str:
        """Which writing path is used: the indexer's helper when it exists, else the writer."""
        try:
            from indexer.build import index_articles  # noqa: F401
        except ImportError:
            return "Engine.writer"
        return "indexer.build.index_articles"

    def _write(self, engine: Any, records: Iterable[Record]) -> int:
        articles = (self.to_article(r) for r in records)
        try:
            from indexer.build import index_articles
        except ImportError:
            count = 0
            with engine.writer(batch_size=self.batch_size) as writer:
                for article in articles:
                    writer.upsert(article)
                    count += 1
            return count
        result = index_articles(engine, articles)
        return _count_from(result)

    def build(self, index_dir: Path, records: Iterable[Record]) -> int:
        engine = self._engine(index_dir, create=True)
        try:
            return self._write(engine, records)
        finally:
            engine.close()

    def add(self, index_dir: Path, records: list[Record]) -> None:
        engine = self._engine(index_dir, create=False)
        try:
            self._write(engine, records)
        finally:
            engine.close()

    def open(self, index_dir: Path) -> Searcher:
        return FouilleSearcher(self._engine(index_dir, create=False))

    def load(self) -> None:
        import search  # noqa: F401

        with contextlib.suppress(ImportError):
            import indexer.build  # noqa: F401

    def rebuild(self, index_dir: Path) -> int:
        """`fouille reindex --rebuild`: re-analyse every stored article; the count."""
        engine = self._engine(index_dir, create=False)
        try:
            return int(engine.rebuild())
        finally:
            engine.close()

    def segments(self, index_dir: Path) -> int | None:
        """Segments of the live generation, from its Whoosh table of contents."""
        generation = (index_dir / "CURRENT").read_text(encoding="ascii").strip()
        return _whoosh_segments(index_dir / generation)

    def versions(self) -> dict[str, str]:
        from importlib.metadata import version

        out = {}
        for dist in ("whoosh3", "PyStemmer", "Unidecode"):
            try:
                out[dist] = version(dist)
            except Exception:  # a missing optional dependency is reported, not fatal
                out[dist] = "absent"
        return out


def _whoosh_segments(path: Path) -> int:
    from whoosh import index

    return len(index.open_dir(str(path))._read_toc().segments)


def _count_from(result: Any) -> int:
    """The number of articles written, from whatever the indexer's helper returns."""
    if isinstance(result, int):
        return result
    if isinstance(result, dict):
        return sum(v for k, v in result.items() if k in ("new", "updated", "unchanged"))
    total = 0
    for key in ("new", "updated", "unchanged"):
        value = getattr(result, key, 0)
        total += value if isinstance(value, int) else len(value)
    return total


class FouilleSearcher(Searcher):
    """Fouille's page 1, 10 hits, snippets and facets, rendered as the web page renders them."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def page(self, query: str) -> list[str]:
        result = self.engine.search(query, page=1, page_size=10)
        for hit in result.hits:
            hit.title_snippet.html()
            hit.snippet.html()
        _ = (result.total, result.facets.tags, result.facets.months)
        return [hit.id for hit in result.hits]

    def close(self) -> None:
        self.engine.close()


# --------------------------------------------------------------------------- SQLite FTS5

FTS5_SCHEMA = """
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE articles (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    canon TEXT, url TEXT, title TEXT, published TEXT, month TEXT, tags TEXT,
    feed_title TEXT, summary TEXT, body TEXT
);
CREATE VIRTUAL TABLE fts USING fts5(
    title, summary, body,
    content='articles', content_rowid='rid',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
    INSERT INTO fts(rowid, title, summary, body) VALUES (new.rid, new.title, new.summary, new.body);
END;
CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
    INSERT INTO fts(fts, rowid, title, summary, body)
    VALUES ('delete', old.rid, old.title, old.summary, old.body);
END;
CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN
    INSERT INTO fts(fts, rowid, title, summary, body)
    VALUES ('delete', old.rid, old.title, old.summary, old.body);
    INSERT INTO fts(rowid, title, summary, body) VALUES (new.rid, new.title, new.summary, new.body);
END;
"""
FTS5_UPSERT = """
INSERT INTO articles (id, canon, url, title, published, month, tags, feed_title, summary, body)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    canon = excluded.canon, url = excluded.url, title = excluded.title,
    published = excluded.published, month = excluded.month, tags = excluded.tags,
    feed_title = excluded.feed_title, summary = excluded.summary, body = excluded.body
"""
FTS5_TOP = """
SELECT rowid, highlight(fts, 0, '<mark>', '</mark>'), snippet(fts, 2, '<mark>', '</mark>', '…', 30)
FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 10
"""
FTS5_MONTHS = """
SELECT a.month, count(*) FROM fts JOIN articles a ON a.rid = fts.rowid
WHERE fts MATCH ? GROUP BY a.month ORDER BY a.month
"""
FTS5_TAGS = f"""
SELECT j.value, count(*) FROM fts JOIN articles a ON a.rid = fts.rowid, json_each(a.tags) j
WHERE fts MATCH ? GROUP BY j.value ORDER BY 2 DESC LIMIT {FACET_TAGS}
"""


def fts5_match(terms: list[str], conjunction: bool) -> str:
    """An FTS5 MATCH expression of quoted terms, all of them or any of them."""
    quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
    return " ".join(quoted) if conjunction else " OR ".join(quoted)


class Fts5System(System):
    """SQLite FTS5, unicode61 with remove_diacritics 2, bm25 with column weights."""

    name = "fts5"
    label = "SQLite FTS5"
    batch = 1000

    @staticmethod
    def db_path(index_dir: Path) -> Path:
        return index_dir / "fts5.sqlite"

    @staticmethod
    def _row(rec: Record) -> tuple[Any, ...]:
        return (
            rec["id"], rec["canon"], rec["url"], rec["title"], rec["published"], month(rec),
            json.dumps(rec["tags"], ensure_ascii=False), rec["feed_title"], rec["summary"],
            rec["body"],
        )  # fmt: skip

    def _upsert(self, con: sqlite3.Connection, records: Iterable[Record]) -> int:
        count = 0
        batch: list[tuple[Any, ...]] = []
        for rec in records:
            batch.append(self._row(rec))
            if len(batch) >= self.batch:
                with con:
                    con.executemany(FTS5_UPSERT, batch)
                count += len(batch)
                batch.clear()
        with con:
            con.executemany(FTS5_UPSERT, batch)
        return count + len(batch)

    def build(self, index_dir: Path, records: Iterable[Record]) -> int:
        index_dir.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.db_path(index_dir), isolation_level=None)
        try:
            con.executescript(FTS5_SCHEMA)
            weights = ", ".join(str(WEIGHTS[c]) for c in ("title", "summary", "body"))
            con.execute("INSERT INTO fts(fts, rank) VALUES ('rank', ?)", (f"bm25({weights})",))
            con.isolation_level = "DEFERRED"
            count = self._upsert(con, records)
            with con:
                con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return count
        finally:
            con.close()

    def add(self, index_dir: Path, records: list[Record]) -> None:
        con = sqlite3.connect(self.db_path(index_dir))
        try:
            con.execute("PRAGMA synchronous = NORMAL")
            self._upsert(con, records)
        finally:
            con.close()

    def open(self, index_dir: Path) -> Searcher:
        return Fts5Searcher(self.db_path(index_dir))

    def versions(self) -> dict[str, str]:
        return {"sqlite": sqlite3.sqlite_version}


class Fts5Searcher(Searcher):
    """One connection, reused for every query."""

    def __init__(self, path: Path) -> None:
        self.con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    def page(self, query: str) -> list[str]:
        terms = plain_terms(query)
        if not terms:
            return []
        rows: list[Any] = []
        for conjunction in (True, False):
            match = fts5_match(terms, conjunction)
            rows = self.con.execute(FTS5_TOP, (match,)).fetchall()
            if rows or len(terms) == 1:
                break
        if not rows:
            return []
        months = self.con.execute(FTS5_MONTHS, (match,)).fetchall()
        self.con.execute(FTS5_TAGS, (match,)).fetchall()
        _total = sum(n for _, n in months)
        rids = [r[0] for r in rows]
        marks = ",".join("?" * len(rids))
        found = dict(
            self.con.execute(
                f"SELECT rid, id FROM articles WHERE rid IN ({marks})", rids
            ).fetchall()
        )
        return [found[rid] for rid in rids]

    def close(self) -> None:
        self.con.close()


# --------------------------------------------------------------------------- tantivy


def _tantivy_analyzer() -> Any:
    from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(40))
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .filter(Filter.stemmer("french"))
        .build()
    )


class TantivySystem(System):
    """tantivy: simple tokenizer, lowercase, ASCII folding, then the French Snowball stemmer.

    Folding before stemming makes an accentless query stem like the accented text.
    """

    name = "tantivy"
    label = "tantivy"
    heap = 256_000_000

    @staticmethod
    def schema() -> Any:
        from tantivy import SchemaBuilder

        b = SchemaBuilder()
        b.add_text_field("id", stored=True, tokenizer_name="raw")
        for field in ("title", "summary", "body"):
            b.add_text_field(field, stored=True, tokenizer_name="fr")
        b.add_text_field("month", stored=True, fast=True, tokenizer_name="raw")
        b.add_text_field("tags", stored=True, fast=True, tokenizer_name="raw")
        b.add_text_field("url", stored=True, tokenizer_name="raw")
        b.add_date_field("published", stored=True, fast=True)
        return b.build()

    def _index(self, index_dir: Path) -> Any:
        from tantivy import Index

        index_dir.mkdir(parents=True, exist_ok=True)
        index = Index(self.schema(), path=str(index_dir), reuse=True)
        index.register_tokenizer("fr", _tantivy_analyzer())
        return index

    @staticmethod
    def _doc(rec: Record) -> Any:
        from tantivy import Document

        doc = Document()
        doc.add_text("id", rec["id"])
        for field in ("title", "summary", "body"):
            doc.add_text(field, rec[field])
        doc.add_text("month", month(rec))
        for tag in rec["tags"]:
            doc.add_text("tags", tag)
        doc.add_text("url", rec["url"])
        doc.add_date("published", published(rec))
        return doc

    def _write(self, index: Any, records: Iterable[Record], upsert: bool) -> int:
        writer = index.writer(heap_size=self.heap)
        count = 0
        for rec in records:
            if upsert:
                writer.delete_documents_by_term("id", rec["id"])
            writer.add_document(self._doc(rec))
            count += 1
        writer.commit()
        writer.wait_merging_threads()
        return count

    def build(self, index_dir: Path, records: Iterable[Record]) -> int:
        return self._write(self._index(index_dir), records, upsert=False)

    def add(self, index_dir: Path, records: list[Record]) -> None:
        self._write(self._index(index_dir), records, upsert=True)

    def open(self, index_dir: Path) -> Searcher:
        return TantivySearcher(self._index(index_dir))

    def load(self) -> None:
        import tantivy  # noqa: F401

    def versions(self) -> dict[str, str]:
        import tantivy

        return {"tantivy": str(tantivy.__version__)}

    def segments(self, index_dir: Path) -> int | None:
        meta = json.loads((index_dir / "meta.json").read_text(encoding="utf-8"))
        return len(meta["segments"])


class TantivySearcher(Searcher):
    """A reloaded index; a fresh searcher per query, as tantivy asks."""

    fields = ("title", "summary", "body")

    def __init__(self, index: Any) -> None:
        self.index = index
        self.index.reload()
        self.schema = index.schema
        self.aggs = {
            "months": {"terms": {"field": "month", "size": 1000}},
            "tags": {"terms": {"field": "tags", "size": FACET_TAGS}},
        }

    def _queries(self, terms: list[str]) -> Iterator[Any]:
        text = " ".join(terms)
        for conjunction in (True, False):
            yield self.index.parse_query(
                text,
                default_field_names=list(self.fields),
                field_boosts={f: WEIGHTS[f] for f in self.fields},
                conjunction_by_default=conjunction,
            )

    def page(self, query: str) -> list[str]:
        from tantivy import SnippetGenerator

        terms = plain_terms(query)
        if not terms:
            return []
        searcher = self.index.searcher()
        result = None
        for parsed in self._queries(terms):
            result = searcher.search(parsed, limit=10, count=True)
            if result.count or len(terms) == 1:
                break
        if result is None or not result.hits:
            return []
        title_gen = SnippetGenerator.create(searcher, parsed, self.schema, "title")
        body_gen = SnippetGenerator.create(searcher, parsed, self.schema, "body")
        body_gen.set_max_num_chars(SNIPPET_CHARS)
        ids = []
        for _score, address in result.hits:
            doc = searcher.doc(address)
            title_gen.snippet_from_doc(doc).to_html()
            body_gen.snippet_from_doc(doc).to_html()
            ids.append(doc["id"][0])
        searcher.aggregate(parsed, self.aggs)
        return ids

    def close(self) -> None:
        self.index = None


# --------------------------------------------------------------------------- plain Whoosh

_STEMMER: Any = None


def french_stem(word: str) -> str:
    """PyStemmer's French Snowball stemmer, by a module-level name: Whoosh pickles the schema
    (and so the analyzer's stem function) into its table of contents."""
    global _STEMMER
    if _STEMMER is None:
        import Stemmer

        _STEMMER = Stemmer.Stemmer("french")
    return str(_STEMMER.stemWord(word))


class WhooshSystem(System):
    """Whoosh's own writer, one stemmed field: a reference for building only.

    `text` (title, abstract and body) through Whoosh's `StemmingAnalyzer` with the French stop
    words and the French Snowball stemmer of PyStemmer (the stemmer Fouille uses), not stored;
    the id, title and body stored. One writer (`limitmb=256`), one commit at the end.
    """

    name = "whoosh"
    label = "plain Whoosh"
    searchable = False
    limitmb = 256

    @staticmethod
    def schema() -> Any:
        from whoosh.analysis import StemmingAnalyzer
        from whoosh.fields import ID, STORED, TEXT, Schema
        from whoosh.lang import stopwords_for_language

        analyzer = StemmingAnalyzer(
            stoplist=frozenset(stopwords_for_language("fr")), stemfn=french_stem
        )
        return Schema(
            id=ID(stored=True, unique=True),
            title=STORED(),
            body=STORED(),
            text=TEXT(analyzer=analyzer),
        )

    @staticmethod
    def _fields(rec: Record) -> dict[str, str]:
        text = "\n".join((rec["title"], rec["summary"], rec["body"]))
        return {"id": rec["id"], "title": rec["title"], "body": rec["body"], "text": text}

    def build(self, index_dir: Path, records: Iterable[Record]) -> int:
        from whoosh import index

        index_dir.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(index_dir), self.schema())
        writer = ix.writer(limitmb=self.limitmb)
        count = 0
        for rec in records:
            writer.add_document(**self._fields(rec))
            count += 1
        writer.commit()
        return count

    def add(self, index_dir: Path, records: list[Record]) -> None:
        from whoosh import index

        writer = index.open_dir(str(index_dir)).writer(limitmb=self.limitmb)
        for rec in records:
            writer.update_document(**self._fields(rec))
        writer.commit()

    def open(self, index_dir: Path) -> Searcher:
        raise NotImplementedError("plain Whoosh is a reference for building only")

    def load(self) -> None:
        self.schema()

    def segments(self, index_dir: Path) -> int | None:
        return _whoosh_segments(index_dir)

    def versions(self) -> dict[str, str]:
        from importlib.metadata import version

        return {"whoosh3": version("whoosh3"), "PyStemmer": version("PyStemmer")}


SYSTEMS: dict[str, type[System]] = {
    cls.name: cls for cls in (FouilleSystem, TantivySystem, Fts5System, WhooshSystem)
}
