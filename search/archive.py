"""An archived article as its page shows it: the stored text in paragraphs with the query's
words marked, the passage that matched, and a link to the original that lands on it.

The link carries a text fragment (https://wicg.github.io/scroll-to-text-fragment/):
`#:~:text=start` or `#:~:text=start,end`, with the words of the passage that matched best.
Browsers that support it scroll to that passage and highlight it; others ignore it.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from . import urls
from .documents import indexed_body, stored_article
from .keys import article_key
from .reading import View
from .results import ArticlePage, Hit, Snippet
from .snippets import Highlighter, highlight

#: Words of a passage given whole in a text fragment; longer ones give their first and last.
FRAGMENT_WORDS = 8
EDGE_WORDS = 4
PREFIX_WORDS = 3
#: Highlights marked in one article at most (a long text full of one word).
MAX_MARKS = 2000
_SENTENCE_END = re.compile(r"(?<=[.!?…])[»”\")]*\s+")


def paragraphs(text: str) -> list[str]:
    """The paragraphs of a stored text (blank lines separate them, as `indexer.html` writes)."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def sentences(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a paragraph."""
    out = []
    start = 0
    for m in _SENTENCE_END.finditer(paragraph):
        out.append((start, m.start()))
        start = m.end()
    if start < len(paragraph):
        out.append((start, len(paragraph)))
    return out


def best_passage(parts: list[Snippet], words: list[list[str]]) -> tuple[int, int, int] | None:
    """(paragraph, start, end) of the sentence holding the most distinct matched words (the
    first such sentence on a tie), or None when nothing matched.

    Args:
        parts: each paragraph with its highlights.
        words: the folded matched word of each highlight, paragraph by paragraph.
    """
    best: tuple[int, int, tuple[int, int, int]] | None = None
    for n, (part, found) in enumerate(zip(parts, words, strict=True)):
        if not part.highlights:
            continue
        for start, end in sentences(part.text):
            inside = [
                w for (s, e), w in zip(part.highlights, found, strict=True) if start <= s < end
            ]
            if not inside:
                continue
            rank = (len(set(inside)), len(inside))
            if best is None or rank > best[:2]:
                best = (*rank, (n, start, end))
    return best[2] if best else None


def text_fragment(passage: str, before: str = "") -> str:
    """The `#:~:text=` fragment directive that finds `passage` in a page.

    The passage is given whole when short, else by its first and last words (`start,end`);
    the last words of `before` (the text just before it, in its paragraph) are its
    `prefix-`, so that the same opening words earlier in the page are not taken for it.
    Each part is percent-encoded, the `-`, `,` and `&` of the directive's syntax included.
    """
    words = passage.split()
    if not words:
        return ""
    lead = before.split()[-PREFIX_WORDS:]
    prefix = f"{_encoded(' '.join(lead))}-," if lead else ""
    if len(words) <= FRAGMENT_WORDS:
        return f"#:~:text={prefix}{_encoded(' '.join(words))}"
    start = " ".join(words[:EDGE_WORDS])
    end = " ".join(words[-EDGE_WORDS:])
    return f"#:~:text={prefix}{_encoded(start)},{_encoded(end)}"


def _encoded(text: str) -> str:
    return quote(text, safe="").replace("-", "%2D")


def with_fragment(url: str, fragment: str) -> str:
    """`url` pointing at `fragment` (an existing fragment of the URL is replaced)."""
    if not url or not fragment:
        return url
    return url.split("#", 1)[0] + fragment


def article_page(
    view: View, docnum: int, marker: Highlighter | None, query: str, related: tuple[Hit, ...]
) -> ArticlePage:
    """The page of a document: `marker` marks the query's words, `related` are shown below."""
    stored = view.stored(docnum)
    article = stored_article(stored)
    feed_url = article.feed_url
    secrets = urls.url_secrets(feed_url)
    public_id = urls.scrub(article.id, secrets)
    marked: list[Snippet] = []
    words: list[list[str]] = []
    budget = MAX_MARKS
    for text in paragraphs(indexed_body(article)):
        spans = marker.spans(text, limit=budget) if marker is not None and budget > 0 else []
        budget -= len(spans)
        marked.append(Snippet(text, tuple((s, e) for s, e, _ in spans)))
        words.append([w for _, _, w in spans])
    url = urls.public_link(article.url, secrets)
    passage = best_passage(marked, words)
    link = url
    if passage is not None:
        n, start, end = passage
        text = marked[n].text
        link = with_fragment(url, text_fragment(text[start:end], text[:start]))
    return ArticlePage(
        id=public_id,
        key=article_key(public_id),
        url=url,
        link=link,
        title=article.title,
        title_snippet=highlight(article.title, marker),
        author=article.author,
        published=article.published,
        updated=article.updated,
        tags=article.tags,
        feed=urls.public_label(article.feed_title, feed_url),
        feed_url=urls.public_feed_url(feed_url),
        paragraphs=tuple(marked),
        passage=passage[0] if passage is not None else None,
        query=query,
        related=related,
    )
