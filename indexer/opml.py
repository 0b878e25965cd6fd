"""OPML (http://opml.org/spec2.opml), the list of subscriptions every feed reader imports and
exports: feeds are `<outline>`s with an `xmlUrl`, grouped in folders (outlines holding
outlines) that Fouille reads as tags, as it reads the `category` attribute."""

from __future__ import annotations

import email.utils
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from search import FouilleError
from search.i18n import N_, Message

#: The largest OPML file read (a reader's export of thousands of feeds is a few MB).
MAX_OPML_BYTES = 10 * 1024 * 1024
#: Folders deeper than this are read as if they were at this depth.
MAX_DEPTH = 32
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class OpmlError(FouilleError):
    """A file that cannot be read as OPML."""


@dataclass(frozen=True)
class OpmlFeed:
    """A subscription: the feed's URL, its title, its site, and its folders and categories."""

    url: str
    title: str = ""
    site: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpmlDocument:
    """The subscriptions of one file, and the outlines skipped (with why)."""

    title: str
    feeds: list[OpmlFeed]
    skipped: list[str]


def read_opml(data: bytes) -> OpmlDocument:
    """The subscriptions in an OPML document (1.0, 1.1 or 2.0; attribute names in any case).

    Raises:
        OpmlError: too large, not XML, not OPML, or declaring entities (refused: no reader
            writes them, and they are how XML files blow up their readers).
    """
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(
            N_("OPML file too large: {size} bytes (limit {limit})"),
            size=len(data),
            limit=MAX_OPML_BYTES,
        )
    if b"<!ENTITY" in data:
        raise OpmlError(N_("the OPML file declares XML entities: refused"))
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(N_("not an OPML file: {error}"), error=str(exc)) from exc
    if _local(root.tag) != "opml":
        raise OpmlError(
            N_("not an OPML file: the document is <{tag}>, not <opml>"), tag=_local(root.tag)
        )
    body = next((child for child in root if _local(child.tag) == "body"), None)
    if body is None:
        raise OpmlError(N_("not an OPML file: it has no <body>"))
    head = next((child for child in root if _local(child.tag) == "head"), None)
    title_element = None if head is None else head.find("title")
    title = " ".join((title_element.text or "").split()) if title_element is not None else ""

    feeds: list[OpmlFeed] = []
    skipped: list[str] = []
    seen: set[str] = set()
    # Depth-first, in document order, without recursion (a file may nest deeply).
    stack: list[tuple[ET.Element, tuple[str, ...]]] = [
        (child, ()) for child in reversed(list(body))
    ]
    while stack:
        element, folders = stack.pop()
        if _local(element.tag) != "outline":
            continue
        attrs = {_local(name).lower(): value for name, value in element.attrib.items()}
        name = _clean(attrs.get("title") or attrs.get("text") or "")
        xml_url = attrs.get("xmlurl", "").strip()
        if not xml_url:
            inner = folders if not name or len(folders) >= MAX_DEPTH else (*folders, name)
            stack.extend((child, inner) for child in reversed(list(element)))
            continue
        url = _web_url(xml_url)
        if not url:
            skipped.append(
                Message(
                    N_("{name}: not an http(s) URL ({url})"),
                    name=name or xml_url[:80],
                    url=xml_url[:80],
                )
            )
            continue
        if url in seen:
            continue
        seen.add(url)
        tags = _unique([*folders, *_categories(attrs.get("category", ""))])
        site = _web_url(attrs.get("htmlurl", "").strip())
        feeds.append(OpmlFeed(url, name, site, tags))
    return OpmlDocument(title, feeds, skipped)


def write_opml(
    feeds: Iterable[OpmlFeed], *, title: str = "Fouille", now: datetime | None = None
) -> str:
    """An OPML 2.0 document: a feed with tags goes in the folder of its first tag (readers
    import folders as categories) and lists them all in `category`."""
    now = now or datetime.now(UTC)
    folders: dict[str, list[OpmlFeed]] = {}
    loose: list[OpmlFeed] = []
    for feed in feeds:
        if feed.tags:
            folders.setdefault(feed.tags[0], []).append(feed)
        else:
            loose.append(feed)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{escape(_xml_text(title))}</title>",
        f"    <dateCreated>{email.utils.format_datetime(now, usegmt=True)}</dateCreated>",
        "    <docs>http://opml.org/spec2.opml</docs>",
        "  </head>",
        "  <body>",
    ]
    for folder, members in folders.items():
        label = quoteattr(_xml_text(folder))
        lines.append(f"    <outline text={label} title={label}>")
        lines.extend(f"      {_outline(feed)}" for feed in members)
        lines.append("    </outline>")
    lines.extend(f"    {_outline(feed)}" for feed in loose)
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _outline(feed: OpmlFeed) -> str:
    name = quoteattr(_xml_text(feed.title or feed.url))
    attrs = [f'type="rss" text={name} title={name} xmlUrl={quoteattr(_xml_text(feed.url))}']
    if feed.site:
        attrs.append(f"htmlUrl={quoteattr(_xml_text(feed.site))}")
    if feed.tags:
        # RSS 2.0 category syntax: slash-delimited paths, comma-separated; a slash or a
        # comma inside a tag would split it, so it becomes a space.
        paths = ",".join("/" + re.sub(r"[/,]", " ", tag) for tag in feed.tags)
        attrs.append(f"category={quoteattr(_xml_text(paths))}")
    return f"<outline {' '.join(attrs)}/>"


def _categories(value: str) -> list[str]:
    """`/Tech/Linux,/Politique` → the last step of each path: Linux, Politique."""
    out = []
    for path in value.split(","):
        steps = [s.strip() for s in path.split("/") if s.strip()]
        if steps:
            out.append(_clean(steps[-1]))
    return out


def _web_url(url: str) -> str:
    """An http(s) URL; `feed://…` and `feed:https://…` (old browser schemes) are mapped."""
    lowered = url.lower()
    if lowered.startswith("feed:"):
        rest = url[5:]
        url = rest if rest.lower().startswith(("http://", "https://")) else "http:" + rest
        lowered = url.lower()
    return url if lowered.startswith(("http://", "https://")) and len(url) <= 4096 else ""


def _unique(tags: list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out = []
    for tag in tags:
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    return tuple(out)


def _clean(text: str) -> str:
    return " ".join(text.split())[:200]


def _xml_text(text: str) -> str:
    return _XML_UNSAFE.sub("", text)


def _local(tag: str) -> str:
    """An element or attribute name without its namespace."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""
