"""The index schema: what is stored for display and rebuilds, what is indexed and how."""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from .analysis import exact_analyzer, stem_analyzer

#: How many times the title is written into `text`, so that a title word counts more there.
TITLE_REPEAT = 2

# Plain words search `text` (stemmed: the title TITLE_REPEAT times, tags, summary, body) and
# `title`; phrases and prefixes search the exact fields; `title:` searches the title fields only.
TEXT_FIELD = "text"
EXACT_FIELDS = ("title_exact", "body_exact")
SPELLING_FIELDS = ("title_exact", "body_exact")


def build_schema() -> Schema:
    """The schema of a new index generation.

    The stored fields are enough to re-index an article without its feed. A plain word is
    scored by BM25 over `text` (where the title is written TITLE_REPEAT times), plus its own
    BM25 in `title` weighted `query.TITLE_WEIGHT`: both make a title match count more.
    """
    stemmed = stem_analyzer()
    exact = exact_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        url=STORED(),
        title=TEXT(analyzer=stemmed, stored=True, phrase=False),
        title_exact=TEXT(analyzer=exact, phrase=True),
        text=TEXT(analyzer=stemmed, phrase=False),
        body=STORED(),
        body_exact=TEXT(analyzer=exact, phrase=True),
        summary=STORED(),
        author=TEXT(analyzer=exact, stored=True, phrase=True),
        tags=STORED(),
        tag=KEYWORD(commas=True, scorable=False),
        feed_url=ID(stored=True),
        feed_title=TEXT(analyzer=exact, stored=True, phrase=True),
        published=DATETIME(stored=True, sortable=True),
        updated=STORED(),
        content_hash=STORED(),
    )
