"""The index schema: what is stored for display and rebuilds, what is indexed and how.

Four fields carry the text, all fed from one analysis (`search.inverter`):
- `text`: stems of the title (repeated `TITLE_REPEAT` times), the tags, the summary and the
  body: what plain words match and are ranked by;
- `title`: stems of the title alone, scored on their own next to `text`;
- `title_exact`, `body_exact`: every word folded but not stemmed: phrases, prefixes, exact
  forms and the spelling dictionary.
Their postings hold frequencies only; the positions that phrases need are in the arrays
beside each segment (`search.segments`), with per-document columns (dates, feeds, tags, the
near-duplicate keys of `search.duplicates`). `FORMAT` names this layout: an index written with
another one must be rebuilt (`fouille reindex --rebuild`).
"""

from __future__ import annotations

from typing import Any

from whoosh import formats
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from .analysis import exact_analyzer, stem_analyzer

#: The index layout's version, written in each generation: bump it when analysis or the
#: schema changes what is indexed.
FORMAT = 5
#: How many times the title is written into `text`, so that a title word counts more there.
TITLE_REPEAT = 2

TEXT_FIELD = "text"
EXACT_FIELDS = ("title_exact", "body_exact")
SPELLING_FIELDS = ("title_exact", "body_exact")


class Counts(formats.Frequency):  # type: ignore[misc]  # Whoosh is untyped
    """Whoosh's Frequency format without the per-posting value: the frequency is the
    posting's weight already, so storing it twice only made the index bigger."""

    posting_size = 0

    def decode_frequency(self, valuestring: Any) -> int:
        raise NotImplementedError("Counts postings carry their frequency as their weight")

    def decode_weight(self, valuestring: Any) -> float:
        raise NotImplementedError("Counts postings carry their frequency as their weight")


def _counted(field: TEXT) -> TEXT:
    field.format = Counts(field_boost=1.0)
    return field


def build_schema() -> Schema:
    """The schema of a new index generation (see the module docstring)."""
    stemmed = stem_analyzer()
    exact = exact_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        url=STORED(),
        title=_counted(TEXT(analyzer=stemmed, stored=True, phrase=False)),
        title_exact=_counted(TEXT(analyzer=exact, phrase=False)),
        text=_counted(TEXT(analyzer=stemmed, phrase=False)),
        body=STORED(),
        body_exact=_counted(TEXT(analyzer=exact, phrase=False)),
        summary=STORED(),
        author=TEXT(analyzer=exact, stored=True, phrase=False),
        tags=STORED(),
        tag=KEYWORD(commas=True, scorable=False),
        feed_url=ID(stored=True),
        feed_title=TEXT(analyzer=exact, stored=True, phrase=False),
        # Dates are filtered and sorted on the arrays (`search.postings`): Whoosh keeps the
        # value only, not eight index terms per article.
        published=STORED(),
        updated=STORED(),
        content_hash=STORED(),
    )
