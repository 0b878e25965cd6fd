"""The index schema: what is stored for display and rebuilds, what is indexed and how."""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from .analysis import exact_analyzer, stem_analyzer

TITLE_BOOST = 3.0
TAGS_BOOST = 1.5

# Text fields searched for plain words (stemmed) and for phrases and prefixes (exact).
STEM_FIELDS = {"title": TITLE_BOOST, "body": 1.0, "tags_text": TAGS_BOOST}
EXACT_FIELDS = {"title_exact": TITLE_BOOST, "body_exact": 1.0}
SPELLING_FIELDS = ("title_exact", "body_exact")


def build_schema() -> Schema:
    """The schema of a new index generation.

    `body` holds the article text (else its summary); the stored fields are enough to
    re-index an article without its feed.
    """
    stemmed = stem_analyzer()
    exact = exact_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        url=STORED(),
        title=TEXT(analyzer=stemmed, stored=True, phrase=False, field_boost=TITLE_BOOST),
        title_exact=TEXT(analyzer=exact, phrase=True),
        body=TEXT(analyzer=stemmed, stored=True, phrase=False),
        body_exact=TEXT(analyzer=exact, phrase=True),
        summary=STORED(),
        author=TEXT(analyzer=exact, stored=True, phrase=True),
        tags=STORED(),
        tag=KEYWORD(commas=True, scorable=False),
        tags_text=TEXT(analyzer=stemmed, phrase=False, field_boost=TAGS_BOOST),
        feed_url=ID(stored=True),
        feed_title=TEXT(analyzer=exact, stored=True, phrase=True),
        published=DATETIME(stored=True, sortable=True),
        updated=STORED(),
        content_hash=STORED(),
    )
