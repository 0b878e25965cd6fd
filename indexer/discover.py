"""Feed autodiscovery: the feeds an HTML page names in its `<link rel="alternate">` elements
(https://www.rssboard.org/rss-autodiscovery, and the same for Atom and JSON Feed)."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

#: The media types of feeds, and what to call them. (Not `application/json`: WordPress
#: names its REST API that way in the same kind of link.)
FEED_TYPES = {
    "application/rss+xml": "RSS",
    "application/atom+xml": "Atom",
    "application/feed+json": "JSON Feed",
    "application/rdf+xml": "RSS 1.0",
}
#: Only the start of a page is read: the links are in its head.
MAX_HTML_CHARS = 1_000_000


@dataclass(frozen=True)
class FeedLink:
    """A feed a page names: its absolute URL, its title, and its format."""

    url: str
    title: str
    kind: str


def discover(html: str, base_url: str) -> list[FeedLink]:
    """The feeds `html` names, in document order, without duplicates; relative addresses are
    resolved against the page's `<base href>`, else `base_url`."""
    parser = _LinkParser()
    try:
        parser.feed(html[:MAX_HTML_CHARS])
        parser.close()
    except AssertionError:  # html.parser on some broken markup; what was found stands
        pass
    base = urljoin(base_url, parser.base) if parser.base else base_url
    found: list[FeedLink] = []
    seen: set[str] = set()
    for href, title, kind in parser.links:
        url = urljoin(base, href.strip())
        if urlsplit(url).scheme not in ("http", "https") or url in seen:
            continue
        seen.add(url)
        found.append(FeedLink(url, " ".join(title.split())[:200], kind))
    return found


def decode_html(data: bytes, content_type: str = "") -> str:
    """An HTML page's text: the charset of its Content-Type, else UTF-8 (what feed links are
    written in; a wrong guess only affects titles)."""
    charset = ""
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
    try:
        return data.decode(charset or "utf-8", "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base = ""
        self.links: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("link", "base"):
            return
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "base":
            if not self.base and values.get("href"):
                self.base = values["href"]
            return
        rels = values.get("rel", "").lower().split()
        kind = FEED_TYPES.get(values.get("type", "").split(";")[0].strip().lower())
        if "alternate" in rels and kind and values.get("href", "").strip():
            self.links.append((values["href"], values.get("title", ""), kind))

    handle_startendtag = handle_starttag
