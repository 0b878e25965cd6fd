"""Issue 13's acceptance test: a subscriber feed behind HTTP Basic with a key in its URL,
served from 127.0.0.1, indexed; then every command and every route (logged in) is driven,
and neither a feed's password, its key, a header's value nor the site's password shows in
any output, log or response. That includes issue 14's feeds management: a subscriber feed
followed with `fouille feeds add` (its credentials in its URL, kept in feeds.toml), one
imported from OPML, `fouille feeds` and its JSON, exports, removals, the /feeds page and
/api/feeds, and the progress lines of a backfill.

Two ways round: the real `fouille` in subprocesses (what a user sees, the server's own
output included), and the same work in this process with every log record captured at
DEBUG (what a log file could hold).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import re
import signal
import stat
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import lxml.html
import pytest
from faults import fouille_argv, fouille_env
from feedserver import FeedServer, Reply, Request, rss

from fouille.reindex_cmd import _Progress
from fouille.serve_cmd import feed_health_rows
from indexer.build import index_articles, reindex
from indexer.feedlist import FEEDS_FILE_NAME
from indexer.fetch import STATE_FILE_NAME
from indexer.health import feed_health
from indexer.manage import export_opml
from indexer.sources import resolve_sources
from search import Article, Engine, Settings
from web import create_app
from web.feeds import HEALTH

pytestmark = pytest.mark.slow

FEED_PASSWORD = "motdepasse-abonne-31"
KEY = "SECRET123cle"
B_PASSWORD = "lectrice-pw-8841"
B_HEADER = "jeton-entete-5520"
WRONG_PASSWORD = "mauvais-mdp-0042"
WEB_PASSWORD = "porte-verrouillee-77"
#: The feed followed by command (`fouille feeds add`): credentials in its URL only.
C_PASSWORD = "bulletin-pw-6613"
C_KEY = "jetonC-90210"
TIMEOUT = 60.0
WORDPRESS = "<generator>https://wordpress.org/?v=6.5</generator>"


def basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


#: Everything that must never leave: the secrets, and the headers that carry them.
SECRETS = {
    "feed password": FEED_PASSWORD,
    "feed key": KEY,
    "second feed's password": B_PASSWORD,
    "second feed's header": B_HEADER,
    "a wrong password": WRONG_PASSWORD,
    "web password": WEB_PASSWORD,
    "feed Basic header": basic("abonne", FEED_PASSWORD),
    "second feed's Basic header": basic("lectrice", B_PASSWORD),
    "managed feed's password": C_PASSWORD,
    "managed feed's key": C_KEY,
    "managed feed's Basic header": basic("lecteur", C_PASSWORD),
}


@dataclass
class Seen:
    """Everything Fouille said, by where it came from."""

    texts: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, text: str | bytes) -> None:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        self.texts.append((where, text))

    def response(self, where: str, response: httpx.Response) -> None:
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        self.add(f"{where} → {response.status_code}", f"{headers}\n\n{response.text}")

    def leaks(self, secrets: dict[str, str]) -> list[str]:
        return [
            f"{what} in {where}"
            for where, text in self.texts
            for what, secret in secrets.items()
            if secret in text
        ]


def feed_routes(server: FeedServer) -> None:
    """Feed A: Basic abonne + the key in its URL, untitled (named after its host), with
    the key and tracking parameters in its links. Feed B: Basic from fouille.toml and a
    header. Both refuse anyone else with a 401."""

    def need(headers: dict[str, str], body: bytes):
        def handler(request: Request) -> Reply:
            if any(request.headers.get(k.lower()) != v for k, v in headers.items()):
                return Reply(401, b"abonnement requis", {"WWW-Authenticate": 'Basic realm="n"'})
            return Reply(200, body, {"ETag": '"v1"'})

        return handler

    a_items = [
        {
            "title": "Les abonnés lisent le texte intégral",
            "link": f"https://exemple.fr/abonnes/1?cle={KEY}&amp;utm_source=rss",
            "guid": "https://exemple.fr/abonnes/1",
            "pubDate": "Mon, 02 Jun 2025 10:00:00 +0200",
            "description": "Réservé aux abonnés : l’enquête complète.",
        },
        {
            "title": "Un article abonné sans guid",
            "link": "https://exemple.fr/abonnes/2?xtor=RSS-3",
            "pubDate": "Tue, 03 Jun 2025 10:00:00 +0200",
            "description": "Encore un texte pour les abonnés.",
        },
    ]
    server.route(
        f"/feed.xml?cle={KEY}",
        handler=need(
            {"Authorization": f"Basic {basic('abonne', FEED_PASSWORD)}"}, rss(a_items, title="")
        ),
    )
    b_items = [
        {
            "title": "La lettre des abonnées",
            "link": "https://lettre.exemple/numero/5",
            "guid": "https://lettre.exemple/numero/5",
            "pubDate": "Wed, 04 Jun 2025 10:00:00 +0200",
            "description": "Une lettre pour les abonnés et les abonnées.",
        }
    ]
    server.route(
        "/lettre.xml",
        handler=need(
            {"Authorization": f"Basic {basic('lectrice', B_PASSWORD)}", "X-Cle": B_HEADER},
            rss(b_items, title="La Lettre"),
        ),
    )


def secret_url(server: FeedServer, password: str = FEED_PASSWORD) -> str:
    return server.url(f"/feed.xml?cle={KEY}").replace("http://", f"http://abonne:{password}@")


def managed_routes(server: FeedServer) -> None:
    """Feed C, followed by command: Basic lecteur + a key, both in its URL; a WordPress feed
    of two pages (the third is a 404), so that a backfill walks it. Feed D, imported from
    OPML with the same credentials, answers 404."""
    auth = {"authorization": f"Basic {basic('lecteur', C_PASSWORD)}"}
    for page in (1, 2):
        items = [
            {
                "title": f"Le bulletin numéro {page}{n}",
                "link": f"https://bulletin.exemple/{page}{n}?jeton={C_KEY}",
                "guid": f"https://bulletin.exemple/{page}{n}",
                "pubDate": f"Thu, 0{page} May 2025 1{n}:00:00 +0200",
                "description": "Pour les lecteurs fidèles du bulletin.",
            }
            for n in range(2)
        ]
        body = rss(items, title="", extra=WORDPRESS)
        query = f"jeton={C_KEY}" + ("&paged=2" if page == 2 else "")

        def handler(request: Request, body: bytes = body) -> Reply:
            if request.headers.get("authorization") != auth["authorization"]:
                return Reply(401, b"abonnement requis")
            return Reply(200, body)

        server.route(f"/c/feed/?{query}", handler=handler)


def managed_url(server: FeedServer, path: str = "/c/feed/") -> str:
    url = server.url(f"{path}?jeton={C_KEY}")
    return url.replace("http://", f"http://lecteur:{C_PASSWORD}@")


def opml(server: FeedServer) -> str:
    """An OPML export of another reader: feed C (followed already) and feed D."""
    outlines = "".join(
        f'<outline text="{name}" type="rss" xmlUrl="{url.replace("&", "&amp;")}"/>'
        for name, url in (("C", managed_url(server)), ("D", managed_url(server, "/d.xml")))
    )
    return f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, FeedServer]]:
    root = tmp_path_factory.mktemp("prive")
    with FeedServer() as server:
        feed_routes(server)
        managed_routes(server)
        (root / "abonnements.opml").write_text(opml(server), encoding="utf-8")
        (root / "fouille.toml").write_text(
            'index_dir = "index"\n'
            'web_password = "${WEB_PW}"\n'
            f'[[feeds]]\nurl = "{secret_url(server)}"\n'
            f'[[feeds]]\nurl = "{server.url("/lettre.xml")}"\n'
            'username = "lectrice"\npassword = "${B_PW}"\nheaders = { X-Cle = "${B_HEADER}" }\n'
            f'[[feeds]]\nurl = "{secret_url(server, WRONG_PASSWORD)}"\nname = "Mauvais"\n',
            encoding="utf-8",
        )
        yield root, server


def env() -> dict[str, str]:
    out = fouille_env()
    out.update(WEB_PW=WEB_PASSWORD, B_PW=B_PASSWORD, B_HEADER=B_HEADER)
    return out


def fouille(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        fouille_argv(*args),
        cwd=root,
        env=env(),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def add_old_article(index_dir: Path, server: FeedServer) -> None:
    """An article as Fouille stored it before issue 13: the secret address kept whole."""
    host = server.url("/").split("/")[2]
    old = Article(
        id="https://exemple.fr/abonnes/ancien",
        url=f"https://exemple.fr/abonnes/ancien?cle={KEY}",
        title="Un ancien article des abonnés",
        body="Indexé par une version d’avant : le texte des abonnés.",
        published=datetime(2025, 5, 1, tzinfo=UTC),
        feed_url=secret_url(server),
        feed_title=f"abonne:{FEED_PASSWORD}@{host}",
    )
    with Engine.open(Settings(index_dir=index_dir)) as engine:
        index_articles(engine, [old])


def drive_routes(base: str, seen: Seen, label: str, feeds: FeedServer) -> None:
    """Every route, logged in through the form, then with Basic."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=TIMEOUT) as anonymous:
        for path in (
            "/",
            "/search?q=abonnés",
            "/api/search?q=abonnés",
            "/healthz",
            "/login",
            "/feeds",
            "/api/feeds",
        ):
            seen.response(f"{label} anonymous {path}", anonymous.get(path))
    with httpx.Client(base_url=base, follow_redirects=False, timeout=TIMEOUT) as browser:
        form = lxml.html.fromstring(browser.get("/login").text)
        fields = {i.get("name"): i.get("value") or "" for i in form.xpath("//form//input")}
        fields["password"] = WEB_PASSWORD
        logged = browser.post("/login", data=fields)
        assert logged.status_code == 303, logged.text[:300]
        seen.response(f"{label} login", logged)
        page = browser.get("/search?q=abonnés")
        assert page.status_code == 200
        assert len(lxml.html.fromstring(page.text).xpath("//article[@class='hit']")) == 4
        (atom,) = lxml.html.fromstring(page.text).xpath("//a[@type='application/atom+xml']/@href")
        host = feeds.url("/").split("/")[2]  # the subscriber feed's host: its name, untitled
        paths = [
            "/",
            "/search?q=abonnés",
            "/search?q=abonnés&sort=date&page=1",
            f"/search?q=abonnés&feed={host}",
            "/search?q=abonnés&feed=La Lettre",
            "/search?q=abonnés&since=pas-une-date",
            "/api/search?q=abonnés",
            "/api/search?q=abonnés&sort=fresh",
            f"/api/search?q=abonnés&feed=http://{host}/feed.xml",
            "/api/search?q=abonnés&page=0",
            "/api/suggest?q=abon",
            "/search.atom?q=abonnés",
            atom,
            "/opensearch.xml",
            "/healthz",
            "/login",
            "/static/fouille.css",
            "/nulle-part",
            "/feeds",
            "/api/feeds",
            f"/search?feed=http://{host}/c/feed/",
        ]
        for path in paths:
            seen.response(f"{label} {path}", browser.get(path))
        api = browser.get("/api/search?q=abonnés").json()
        assert api["total"] == 4
        assert {hit["feed_url"] for hit in api["hits"]} == {
            f"http://{host}/feed.xml",
            f"http://{host}/lettre.xml",
        }
        assert {hit["feed"] for hit in api["hits"]} == {host, "La Lettre"}
        # The health table names every feed by its public address, its error in one line.
        rows = {row["url"]: row for row in browser.get("/api/feeds").json()["feeds"]}
        public = {f"http://{host}{path}" for path in ("/feed.xml", "/lettre.xml", "/c/feed/")}
        assert public <= set(rows)
        assert rows[f"http://{host}/feed.xml"]["articles"] == 3  # the old article too
        assert rows[f"http://{host}/c/feed/"]["articles"] == 4
        assert any("check the feed's credentials" in (r["error"] or "") for r in rows.values())
        feeds_page = browser.get("/feeds")
        assert feeds_page.status_code == 200 and f"http://{host}/c/feed/" in feeds_page.text
        seen.response(f"{label} atom link, no session", httpx.get(base + atom))
        seen.response(f"{label} logout", browser.post("/logout", data={"csrf": fields["csrf"]}))
    auth = {"Authorization": f"Basic {basic('fouille', WEB_PASSWORD)}"}
    for path in ("/api/search?q=abonnés", "/search.atom?q=abonnés", "/healthz"):
        seen.response(f"{label} Basic {path}", httpx.get(base + path, headers=auth))


def test_no_command_route_or_log_gives_a_secret_away(
    workspace: tuple[Path, FeedServer], caplog: pytest.LogCaptureFixture
) -> None:
    root, server = workspace
    index_dir = root / "index"
    seen = Seen()

    # --- the commands, as a user runs them ------------------------------------------------
    for args in (
        ["feeds", "add", managed_url(server)],
        ["feeds", "import", "abonnements.opml", "--json"],
        ["feeds", "add", managed_url(server, "/nulle-part.xml")],
        ["feeds", "add", managed_url(server, "/nulle-part.xml"), "--json"],
    ):
        done = fouille(root, *args)
        assert done.returncode in (0, 2), done.stderr
        seen.add(" ".join(args[:2]), done.stdout + done.stderr)
    assert "1 feeds followed already" not in seen.texts[1][1]
    assert '"added": 1' in seen.texts[1][1] and '"already_followed": 1' in seen.texts[1][1]
    first = fouille(root, "reindex")
    assert first.returncode == 1, first.stdout + first.stderr  # the wrong password fails
    assert "check the feed's credentials" in first.stdout
    assert "2 new" in first.stdout and "1 new" in first.stdout
    for args in (
        ["reindex"],
        ["reindex", "--json"],
        ["reindex", "--quiet"],
        ["reindex", "--backfill", "--json"],
        ["reindex", "--force", "--feed", secret_url(server)],
        ["reindex", "--json", "--feed", secret_url(server, WRONG_PASSWORD)],
        ["reindex", "--rebuild", "--json"],
    ):
        done = fouille(root, *args)
        assert done.returncode in (0, 1), done.stderr
        assert "Traceback" not in done.stderr
        seen.add(" ".join(args[:3]), done.stdout + done.stderr)
    seen.add("reindex (first)", first.stdout + first.stderr)

    add_old_article(index_dir, server)
    searches = (
        ["search", "abonnés"],
        ["search", "abonnés", "--json"],
        ["search", "abonnés", "--feed", "La Lettre", "--json"],
        ["search", "abonnés", "--sort", "date", "--limit", "50"],
        ["search", "rien-de-tel-ici"],
        ["search", "abonnés", "--since", "pas-une-date"],
    )
    for args in searches:
        done = fouille(root, *args)
        assert done.returncode in (0, 1, 2), done.stderr
        seen.add(" ".join(args), done.stdout + done.stderr)
    found = json.loads(fouille(root, "search", "abonnés", "--json").stdout)
    assert found["total"] == 4  # the old article is found, and shown clean
    exported = root / "export.opml"
    d_public = server.url("/d.xml")
    for args in (
        ["feeds"],
        ["feeds", "list"],
        ["feeds", "--json"],
        ["feeds", "list", "--json"],
        ["feeds", "export"],
        ["feeds", "export", "-o", str(exported)],
        ["feeds", "add", managed_url(server)],
        ["feeds", "add", managed_url(server), "--no-check", "--json"],
        ["feeds", "remove", d_public, "--purge"],
        ["feeds", "remove", d_public, "--json"],
        ["feeds", "remove", managed_url(server, "/autre.xml")],
        ["feeds", "remove", secret_url(server)],
        ["feeds", "import", "abonnements.opml"],
    ):
        done = fouille(root, *args)
        assert done.returncode in (0, 2), done.stderr
        assert "Traceback" not in done.stderr
        seen.add(" ".join(args[:3]), done.stdout + done.stderr)
    seen.add("feeds export -o (the file)", exported.read_text(encoding="utf-8"))
    listed = json.loads(fouille(root, "feeds", "--json").stdout)["feeds"]
    host = server.url("/").split("/")[2]
    assert {row["url"] for row in listed} == {
        f"http://{host}/feed.xml",
        f"http://{host}/lettre.xml",
        f"http://{host}/c/feed/",
        d_public,
    }
    (c_row,) = [row for row in listed if row["url"] == f"http://{host}/c/feed/"]
    assert c_row["articles"] == 4 and c_row["backfill"]["complete"] is True
    whole = fouille(root, "feeds", "export", "--include-secrets")
    assert C_KEY in whole.stdout and C_PASSWORD in whole.stdout, "written whole on request"
    created = fouille(root, "token", "create", "lecteur")
    token = created.stdout.strip()
    assert created.returncode == 0 and token.startswith("fouille_")
    seen.add("token create (stderr)", created.stderr)
    for args in (["token", "list"], ["token", "list", "--json"], ["token", "revoke", "nobody"]):
        done = fouille(root, *args)
        seen.add(" ".join(args), done.stdout + done.stderr)
    hashed = fouille(root, "passwd", stdin=WEB_PASSWORD + "\n")
    seen.add("passwd", hashed.stdout + hashed.stderr)
    missing = subprocess.run(
        fouille_argv("reindex"),
        cwd=root,
        env={**env(), "B_PW": ""} | {"B_HEADER": B_HEADER},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    seen.add("reindex with a variable unset", missing.stdout + missing.stderr)

    # --- the server, as a user runs it -------------------------------------------------------
    process = subprocess.Popen(
        fouille_argv("serve", "--port", "0"),
        cwd=root,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if "serving" in line:
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(TIMEOUT)
        base = re.search(r"http://127\.0\.0\.1:\d+", "".join(output)).group(0)
        drive_routes(base, seen, "fouille serve", server)
        tokened = httpx.get(
            base + "/api/search?q=abonnés", headers={"Authorization": f"Bearer {token}"}
        )
        assert tokened.status_code == 200
        seen.response("fouille serve Bearer", tokened)
        seen.response(
            "fouille serve Atom ?token=", httpx.get(base + f"/search.atom?q=abonnés&token={token}")
        )
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
        reader.join(timeout=TIMEOUT)
    seen.add("fouille serve's own output", "".join(output))

    # --- the same in this process, every log record kept -------------------------------------
    caplog.set_level(logging.DEBUG)
    os.environ.update(WEB_PW=WEB_PASSWORD, B_PW=B_PASSWORD, B_HEADER=B_HEADER)
    try:
        settings = Settings.load(root / "fouille.toml")
    finally:
        for name in ("WEB_PW", "B_PW", "B_HEADER"):
            os.environ.pop(name, None)
    sources = resolve_sources(settings)
    shown = io.StringIO()
    progress = _Progress(len(sources), shown, tty=True)  # a line for every page and feed
    report = reindex(
        settings,
        sources,
        backfill=True,
        force=True,
        on_feed=progress.feed,
        on_page=progress.page,
    )
    assert "page 2" in shown.getvalue(), "the backfill's progress was shown"
    seen.add("reindex report (in process)", json.dumps(report.to_dict()))
    seen.add("reindex progress (in process)", shown.getvalue())
    with Engine.open(settings) as engine:
        stats = engine.feeds()
    seen.add("feed health (in process)", repr(feed_health(settings, stats)))
    seen.add("OPML export (in process)", export_opml(settings, stats)[0])
    app = create_app(settings)
    app.extensions[HEALTH] = feed_health_rows  # as `fouille serve` does
    from webserver import serve

    try:
        with serve(app) as base:
            drive_routes(base, seen, "in process", server)
            seen.response(
                "in process Atom ?token=",
                httpx.get(base + f"/search.atom?q=abonnés&token={token}"),
            )
    finally:
        app.extensions["fouille"].close()
    server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert server_side, "nothing was logged: the capture would prove nothing"
    seen.add(
        "logs",
        "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in server_side),
    )

    # --- the verdict --------------------------------------------------------------------------
    assert len(seen.texts) > 80
    assert seen.leaks(SECRETS) == []
    token_free = Seen([(w, t) for w, t in seen.texts if "Atom ?token=" not in w])
    assert token_free.leaks({"token": token}) == []


def test_only_private_files_keep_secrets(workspace: tuple[Path, FeedServer]) -> None:
    """What a reindex writes holds no secret but in the fetch state and the list of feeds
    followed by command, which only their owner can read; the web's secret and tokens are
    private too."""
    root, server = workspace
    index_dir = root / "fresh-index"
    subprocess.run(
        fouille_argv("feeds", "add", managed_url(server), "--index", str(index_dir)),
        cwd=root,
        env=env(),
        capture_output=True,
        timeout=TIMEOUT,
        check=True,
    )
    done = subprocess.run(
        fouille_argv("reindex", "--index", str(index_dir)),
        cwd=root,
        env=env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # the feed with the wrong password
    subprocess.run(
        fouille_argv("token", "create", "x", "--index", str(index_dir)),
        cwd=root,
        env=env(),
        capture_output=True,
        timeout=TIMEOUT,
        check=True,
    )
    create_app(Settings(index_dir=index_dir, web_password=WEB_PASSWORD)).extensions[
        "fouille"
    ].close()
    holding: dict[str, list[str]] = {}
    for path in sorted(index_dir.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found = [what for what, secret in SECRETS.items() if secret.encode() in data]
            if found:
                holding[path.name] = found
    managed = ["managed feed's password", "managed feed's key"]
    assert holding == {
        STATE_FILE_NAME: ["feed password", "feed key", "a wrong password", *managed],
        FEEDS_FILE_NAME: managed,
    }
    for name in (STATE_FILE_NAME, FEEDS_FILE_NAME, "web-secret", "web-tokens.json"):
        assert stat.S_IMODE((index_dir / name).stat().st_mode) == 0o600, name
