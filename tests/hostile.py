"""Hostile feeds written for the tests (issue 6), as bytes: each file mixes hostile entries
(marked with the word `zqpiege`) with ordinary ones (marked `zqnormal`) that must be indexed.

Everything that could run sets `window.__pwned` or opens a dialog; the browser test checks
that neither happens.
"""

from __future__ import annotations

from pathlib import Path

NORMAL_WORD = "zqnormal"
HOSTILE_WORD = "zqpiege"
BIG_TITLE_BYTES = 5 * 1024 * 1024
MANY_TAGS = 100_000
SECRET = "zqsecret-de-la-machine"
#: Ordinary entries each feed carries (the Atom one has one).
DEFAULT_NORMAL = 2
NORMAL_PER_FEED = {"atom": 1}

RSS_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
    "<title>{title}</title><link>https://hostile.example/</link><description>d</description>"
)
RSS_TAIL = "</channel></rss>"


def normal_items(feed: str, count: int) -> str:
    return "".join(
        f"<item><title>Article ordinaire {n} {NORMAL_WORD}</title>"
        f"<link>https://hostile.example/{feed}/normal-{n}</link>"
        f"<guid>https://hostile.example/{feed}/normal-{n}</guid>"
        f"<pubDate>Mon, 0{n + 1} Jun 2025 10:00:00 +0200</pubDate>"
        f"<description>Un texte sans histoire, {NORMAL_WORD} numéro {n}.</description>"
        f"<category>Ordinaire</category></item>"
        for n in range(count)
    )


def rss(feed: str, items: str) -> bytes:
    """An RSS document: two ordinary entries, then `items`."""
    head = RSS_HEAD.format(title=f"Flux {feed}")
    return (head + normal_items(feed, DEFAULT_NORMAL) + items + RSS_TAIL).encode("utf-8")


def entry(n: int, feed: str, *, title: str, body: str = "", link: str = "", extra: str = "") -> str:
    link = link or f"https://hostile.example/{feed}/{n}"
    return (
        f"<item><title>{title}</title><link>{link}</link>"
        f"<guid isPermaLink='false'>hostile-{feed}-{n}</guid>"
        f"<pubDate>Tue, 03 Jun 2025 10:00:00 +0200</pubDate>"
        f"<description>{body or HOSTILE_WORD}</description>{extra}</item>"
    )


def markup_feed() -> bytes:
    """Scripts, event handlers, javascript:/data:/vbscript: URLs, CSS injection, RTL overrides."""
    cdata = "<![CDATA[{}]]>".format
    items = [
        entry(
            1,
            "markup",
            title=cdata(f"<script>window.__pwned=1;alert(1)</script>Script {HOSTILE_WORD}"),
            body=cdata(
                f"<p>{HOSTILE_WORD}</p><script>window.__pwned=2</script>"
                '<img src=x onerror="window.__pwned=3;alert(3)">'
                '<svg onload="window.__pwned=4"><a xlink:href="javascript:alert(4)">x</a></svg>'
            ),
            link="javascript:window.__pwned=5;alert(5)",
            extra=(
                "<content:encoded>"
                + cdata(
                    f"<p>Corps {HOSTILE_WORD}</p>"
                    '<iframe src="data:text/html,&lt;script&gt;parent.__pwned=6&lt;/script&gt;">'
                    '</iframe><object data="javascript:alert(6)"></object>'
                    '<a href="javascript:window.__pwned=7" onclick="window.__pwned=8">clic</a>'
                    '<form action="javascript:alert(9)"><button>go</button></form>'
                    '<meta http-equiv="refresh" content="0;url=javascript:alert(10)">'
                )
                + "</content:encoded>"
                + "<dc:creator>"
                + cdata('<b onmouseover="window.__pwned=11">Mallory</b>')
                + "</dc:creator>"
                + "<category>"
                + cdata("<script>window.__pwned=12</script>")
                + "</category><category>javascript:alert(13)</category>"
                + '<category><![CDATA[<img src=x onerror="window.__pwned=14">]]></category>'
            ),
        ),
        entry(
            2,
            "markup",
            title=cdata(f"Données en data: {HOSTILE_WORD}"),
            link="data:text/html;base64,PHNjcmlwdD5hbGVydCgxNSk8L3NjcmlwdD4=",
            body=cdata('<a href="vbscript:msgbox(16)">vb</a> ' + HOSTILE_WORD),
        ),
        entry(
            3,
            "markup",
            title=cdata(f"</style><script>window.__pwned=17</script>CSS {HOSTILE_WORD}"),
            body=cdata(
                "<style>body{display:none!important} *{background:url('javascript:alert(18)')}"
                "</style>"
                '<div style="position:fixed;inset:0;z-index:99999;background:red">'
                f"Tout l’écran {HOSTILE_WORD}</div>"
                '<link rel="stylesheet" href="data:text/css,body{display:none}">'
            ),
            extra="<category><![CDATA[</style><style>body{display:none}</style>]]></category>",
        ),
        entry(
            4,
            "markup",
            title=f"\u202eRenversé {HOSTILE_WORD} \u202d\u2067isolé",
            body=f"Texte \u202e à l’envers {HOSTILE_WORD} \u200f\u061c fin",
            extra="<dc:creator>\u202eyrollaM</dc:creator><category>\u202eGAT</category>",
        ),
        entry(
            5,
            "markup",
            title=(
                f"&amp;lt;script&amp;gt;window.__pwned=19&amp;lt;/script&amp;gt; {HOSTILE_WORD}"
                " &lt;img src=x onerror=alert(20)&gt;"
            ),
            link=" \tjava\u00adscript:alert(21)",
            body="&lt;script&gt;alert(22)&lt;/script&gt; " + HOSTILE_WORD,
        ),
    ]
    return rss("markup", "".join(items))


def atom_markup_feed() -> bytes:
    """Atom: XHTML content with scripts, and a javascript: xml:base for relative links."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="javascript:alert(23)//">'
        "<title>Flux atome</title><id>urn:hostile:atom</id><updated>2025-06-03T10:00:00Z</updated>"
        "<entry><id>urn:hostile:atom:1</id><title type='html'>"
        f"&lt;script&gt;window.__pwned=24&lt;/script&gt;Atome {HOSTILE_WORD}</title>"
        "<link href='relatif'/><updated>2025-06-03T10:00:00Z</updated>"
        "<author><name>Ève</name><uri>javascript:alert(25)</uri></author>"
        "<content type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>"
        f"<script>window.__pwned=26</script><p onclick='alert(27)'>{HOSTILE_WORD}</p>"
        "<img src='x' onerror='window.__pwned=28'/></div></content></entry>"
        "<entry><id>urn:hostile:atom:2</id>"
        f"<title>Atome ordinaire {NORMAL_WORD}</title>"
        "<link href='https://hostile.example/atom/2'/><updated>2025-06-02T10:00:00Z</updated>"
        f"<summary>Rien à signaler, {NORMAL_WORD}.</summary></entry>"
        "</feed>"
    ).encode()


def huge_feed() -> bytes:
    """A 5 MB title and an entry with 100,000 tags."""
    title = f"Titre démesuré {HOSTILE_WORD} " + "interminable " * (BIG_TITLE_BYTES // 13)
    tags = "".join(f"<category>étiquette {n}</category>" for n in range(MANY_TAGS))
    items = entry(1, "huge", title=title) + entry(
        2, "huge", title=f"Cent mille étiquettes {HOSTILE_WORD}", extra=tags
    )
    return rss("huge", items)


def dates_feed() -> bytes:
    """Dates in year 0, 9999, beyond, before Christ, and not dates at all."""
    dates = [
        "Sat, 01 Jan 0000 00:00:00 +0000",
        "Fri, 31 Dec 9999 23:59:59 +0000",
        "Fri, 31 Dec 9999 23:59:59 -1400",
        "Mon, 01 Jan 0001 00:00:00 +1400",
        "0000-00-00T00:00:00Z",
        "9999-12-31T23:59:59-23:59",
        "-0044-03-15T12:00:00Z",
        "10000-01-01T00:00:00Z",
        "Thu, 32 Foo 2025 25:61:61 +9999",
        "99999999999999999999",
        "",
    ]
    items = "".join(
        f"<item><title>Date {n} {HOSTILE_WORD}</title><link>https://hostile.example/dates/{n}</link>"
        f"<guid>https://hostile.example/dates/{n}</guid><pubDate>{d}</pubDate>"
        f"<dc:date>{d}</dc:date><description>{HOSTILE_WORD} quand ?</description></item>"
        for n, d in enumerate(dates)
    )
    return rss("dates", items)


def bytes_feed() -> bytes:
    """Invalid UTF-8, NUL bytes and other control characters, bad character references."""
    good = rss("bytes", "")
    bad_items = (
        b"<item><title>Octets \xff\xfe invalides \xc3\x28 " + HOSTILE_WORD.encode() + b"</title>"
        b"<link>https://hostile.example/bytes/1</link><guid>hostile-bytes-1</guid>"
        b"<description>NUL \x00 ici \x01\x02\x1b[31m " + HOSTILE_WORD.encode() + b"</description>"
        b"</item><item><title>R\xc3\xa9f\xc3\xa9rences &#0; &#xD800; &#x10FFFF; &#xFFFE; "
        + HOSTILE_WORD.encode()
        + b"</title><link>https://hostile.example/bytes/2</link><guid>hostile-bytes-2</guid>"
        b"<description>\xed\xa0\x80 surrogate " + HOSTILE_WORD.encode() + b"</description></item>"
    )
    return good.replace(b"</channel>", bad_items + b"</channel>")


def laughs_feed() -> bytes:
    """Billion laughs: nested entities that expand to gigabytes if a parser lets them."""
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
        + "".join(
            f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">\n'
            for n in range(1, 10)
        )
        + "]>\n"
    )
    items = entry(1, "laughs", title=f"Rires {HOSTILE_WORD} &lol9;", body="&lol9; &lol9;")
    return rss("laughs", items).replace(b'<?xml version="1.0" encoding="utf-8"?>\n', head.encode())


def xxe_feed(secret_file: Path) -> bytes:
    """An external entity that names a local file: its content must never be indexed."""
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret_file}">]>\n'
    )
    items = entry(1, "xxe", title=f"Fichier {HOSTILE_WORD} &xxe;", body="&xxe;")
    return rss("xxe", items).replace(b'<?xml version="1.0" encoding="utf-8"?>\n', head.encode())


def write_all(folder: Path) -> dict[str, Path]:
    """Write every hostile feed in `folder`; returns name → path."""
    folder.mkdir(parents=True, exist_ok=True)
    secret = folder.parent / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    feeds = {
        "markup": markup_feed(),
        "atom": atom_markup_feed(),
        "huge": huge_feed(),
        "dates": dates_feed(),
        "bytes": bytes_feed(),
        "laughs": laughs_feed(),
        "xxe": xxe_feed(secret),
    }
    paths = {}
    for name, data in feeds.items():
        path = folder / f"{name}.xml"
        path.write_bytes(data)
        paths[name] = path
    return paths
