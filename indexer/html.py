"""HTML → clean text for indexing: pure functions, no I/O.

Feed bodies are HTML fragments of every quality. We parse them with lxml's forgiving HTML
parser, drop what a reader never sees as article text (scripts, styles, iframes, navigation,
share widgets), keep paragraph breaks as blank lines and normalize the rest of the whitespace.
"""

from __future__ import annotations

import html as _html
import re

import lxml.etree
import lxml.html

#: Inputs longer than this are cut before parsing: a feed body is never legitimately bigger,
#: and lxml's cost grows with the input.
MAX_HTML_CHARS = 2_000_000

#: Elements whose whole subtree is dropped.
DROPPED_TAGS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "noscript", "template", "nav",
        "object", "embed", "applet", "svg", "math", "canvas", "form", "button", "select",
        "textarea", "input", "head", "title", "meta", "link", "audio", "video", "map",
    }
)  # fmt: skip

#: class/id words that mark share buttons, social widgets and similar furniture.
_WIDGET = re.compile(
    r"(?:^|[\s_-])(?:share|sharing|sharedaddy|sharethis|addtoany|a2a_kit|social|socials|"
    r"feedflare|jp-relatedposts|related-posts|yarpp|newsletter-signup|wp-share|print-link)"
    r"(?:$|[\s_-])",
    re.IGNORECASE,
)

#: Elements that make a paragraph of their own (blank line before and after).
BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote",
        "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "figure",
        "figcaption", "address", "hr", "details", "summary", "fieldset", "center", "body",
    }
)  # fmt: skip
#: Elements that start a new line without a blank line.
LINE_TAGS = frozenset({"li", "dt", "dd", "tr", "caption", "option"})
#: Table cells are separated by a space so that their words do not stick together.
CELL_TAGS = frozenset({"td", "th"})

_PARA = "\n\n"
_HSPACE = re.compile(r"[^\S\n]+")  # any Unicode whitespace except newline (incl. NBSP, U+202F)
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff\ufffe]")
_INVISIBLE_BLOCKS = re.compile(
    r"<(script|style|noscript|template|iframe)\b.*?(?:</\1\s*>|$)|<!--.*?(?:-->|$)",
    re.IGNORECASE | re.DOTALL,
)
_BLANK_LINES = re.compile(r"\n{3,}")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_TAG = re.compile(
    r"</?(?:p|br|div|span|a|em|strong|b|i|u|img|h[1-6]|ul|ol|li|blockquote|table|tr|td|"
    r"figure|iframe|script|style|section|article|sup|sub|small|code|pre)\b[^<>]*>",
    re.IGNORECASE,
)


def normalize_whitespace(text: str) -> str:
    """Collapse spaces within lines, strip lines, keep at most one blank line between paragraphs.

    Invisible and control characters (except newlines) are removed; NBSP and other Unicode
    spaces become plain spaces.
    """
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_HSPACE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub(_PARA, "\n".join(lines)).strip()


def unescape_entities(text: str, *, rounds: int = 3) -> str:
    """Decode HTML entities, again and again while some remain (double-escaped feeds).

    `Caf&amp;eacute;` → `Café`. Stops after `rounds` passes or when nothing changes.
    """
    for _ in range(rounds):
        if "&" not in text or not _ENTITY.search(text):
            break
        decoded = _html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def looks_like_html(text: str) -> bool:
    """True when `text` holds HTML tags or entities (so it needs `html_to_text`)."""
    return bool(_TAG.search(text) or ("&" in text and _ENTITY.search(text)))


def html_to_text(html: str, *, max_chars: int = MAX_HTML_CHARS) -> str:
    """Readable text from an HTML fragment or page.

    Paragraphs are separated by a blank line, list items and `<br>` by a newline. HTML that
    was escaped twice (tags showing as `&lt;p&gt;`) is decoded and parsed once more.

    Args:
        html: the HTML; any quality, any size (cut at `max_chars`).
        max_chars: the input size cap.

    Returns:
        The text, whitespace normalized; "" for empty input.
    """
    text = _html_to_text_once(html[:max_chars])
    # Escaped twice: after one pass the text still shows tags (`<p>`) → parse again.
    if _TAG.search(text):
        text = _html_to_text_once(text)
    return normalize_whitespace(unescape_entities(text))


def _html_to_text_once(html: str) -> str:
    if "<" not in html:
        return normalize_whitespace(unescape_entities(html))
    html = _INVISIBLE.sub("", html)
    if not html.strip():
        return ""
    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, huge_tree=True
    )
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return _strip_tags(html)
    _drop_furniture(root)
    text = normalize_whitespace(_render(root))
    # libxml2 gives up below a few thousand nested elements and returns an empty tree.
    return text or _strip_tags(html)


def _strip_tags(html: str) -> str:
    """Last resort for HTML that lxml cannot build a tree from."""
    html = _INVISIBLE_BLOCKS.sub(" ", html)
    return normalize_whitespace(unescape_entities(re.sub(r"<[^>]*>", " ", html)))


def _drop_furniture(root: lxml.html.HtmlElement) -> None:
    doomed = []
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.lower() in DROPPED_TAGS:
            doomed.append(el)
            continue
        marks = f"{el.get('class', '')} {el.get('id', '')}"
        if marks.strip() and _WIDGET.search(marks):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is not None:  # a dropped ancestor already took it
            el.drop_tree()  # keeps the element's tail text


def _render(root: lxml.html.HtmlElement) -> str:
    out: list[str] = []
    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in BLOCK_TAGS:
                out.append(_PARA)
            elif tag in LINE_TAGS or tag == "br":
                out.append("\n")
            elif tag in CELL_TAGS:
                out.append(" ")
            if el.text and tag:
                out.append(el.text)
        else:
            if tag in BLOCK_TAGS:
                out.append(_PARA)
            elif tag in CELL_TAGS:
                out.append(" ")
            if el.tail and el is not root:
                out.append(el.tail)
    return "".join(out)
