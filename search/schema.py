"""The index schema: what is stored for display and rebuilds, what is indexed and how."""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from .analysis import exact_analyzer, stem_analyzer

TITLE_REPEAT = 2

# Plain words search `text` (stemmed: title repeated for weight, tags, summary, body);
# phrases and prefixes search the exact fields; `title:` searches the title fields only.
TEXT_FIELD = "text"
EXACT_FIELDS = ("title_exact", "body_exact")
SPELLING_FIELDS = ("title_exact", "body_exact")


def build_schema() -> Schema:
    """The schema of a new index generation.

    The stored fields are enough to re-index an article without its feed. Repeating the
    title in `text` makes title matches weigh more within one BM25 field, which is several
    times faster to search than a disjunction over per-field terms.
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
