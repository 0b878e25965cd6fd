"""The locked door (issue 13): the real app behind waitress on 127.0.0.1, with a password.

Anonymous pages get the French login form, anonymous API/Atom/OpenSearch requests a 401; the
password (form, HTTP Basic) or a token (Bearer, Basic, `?token=` on Atom) opens every route;
a wrong one gets a 401, and after a few a 429; a token revoked with `fouille token revoke`
stops working at the next request of the running server.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import lxml.html
import pytest
from articles import build_index
from click.testing import CliRunner
from faults import fouille_serve, run_fouille
from flask import Flask
from webserver import PAGE_SIZE, sample_articles, serve

from search import ConfigError, Settings
from web import create_app
from web.auth import EXTENSION, SECRET_FILE, Door, Throttle
from web.passwords import hash_password, verify
from web.tokens import TOKENS_FILE, TokenStore

PASSWORD = "correct cheval batterie agrafe"
#: Cheaper than the default so that the suite stays quick; the format is the same.
HASH = hash_password(PASSWORD, n=2**12)

PAGES = ["/", "/search?q=données", "/search?q=cnil&tag=RGPD&sort=date", "/nulle-part"]
MACHINE = [
    "/api/search?q=données",
    "/api/suggest?q=donn",
    "/search.atom?q=données",
    "/opensearch.xml",
]


def basic(user: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Clock:
    """A monotonic clock the test moves by hand (no sleeping, no timing)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def locked_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    index_dir = tmp_path_factory.mktemp("locked") / "index"
    return build_index(
        index_dir, sample_articles(), page_size=PAGE_SIZE, web_password=HASH, lang="fr"
    )


@pytest.fixture(scope="module")
def locked_app(locked_settings: Settings) -> Iterator[Flask]:
    app = create_app(locked_settings)
    yield app
    app.extensions["fouille"].close()


@pytest.fixture(scope="module")
def locked_url(locked_app: Flask) -> Iterator[str]:
    with serve(locked_app) as url:
        yield url


@pytest.fixture
def clock(locked_app: Flask) -> Clock:
    """Each test starts with no failed attempt on record, on a clock of its own."""
    fake = Clock()
    door: Door = locked_app.extensions[EXTENSION]
    door.throttle = Throttle(clock=fake)
    return fake


@pytest.fixture
def http(locked_url: str, clock: Clock) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=locked_url, follow_redirects=False, timeout=30) as client:
        yield client


@pytest.fixture
def token(locked_settings: Settings) -> str:
    return TokenStore.in_index(locked_settings.index_dir).create(f"t-{uuid.uuid4().hex[:8]}")


def login_form(client: httpx.Client, path: str = "/login") -> dict[str, str]:
    response = client.get(path)
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.text)
    (form,) = doc.xpath("//form[@class='login-form']")
    return {field.get("name"): field.get("value") or "" for field in form.xpath(".//input")}


def log_in(client: httpx.Client, password: str = PASSWORD, path: str = "/login") -> httpx.Response:
    fields = login_form(client, path)
    fields["password"] = password
    return client.post("/login", data=fields)


# --- anonymous ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_pages_get_the_login_form(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 303
    target = response.headers["Location"]
    assert target.startswith("/login?next=")
    form = http.get(target)
    assert form.status_code == 200
    doc = lxml.html.fromstring(form.text)
    assert doc.xpath("string(//h1)") == "Archive privée"
    assert doc.xpath("//label[@for='password']/text()") == ["Mot de passe"]
    assert doc.xpath("//button/text()") == ["Se connecter"]
    assert [unquote(v) for v in doc.xpath("//input[@name='next']/@value")] == [path]
    # Nothing of the archive: no hit, no title, no feed name, no figure.
    assert doc.xpath("//article") == []
    # The random CSRF token may hold "11" (or any word): it is not archive content.
    for token in doc.xpath("//input[@name='csrf']"):
        token.drop_tree()
    page = lxml.html.tostring(doc, encoding="unicode")
    for word in ("CNIL", "Veilleur", "Camille", "Europe", "11"):
        assert word not in page


@pytest.mark.parametrize("path", MACHINE)
def test_anonymous_machine_requests_get_401(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    if path.startswith("/api/"):
        assert challenge == 'Bearer realm="Fouille"'
        assert response.json() == {"error": {"code": 401, "message": "Authentification requise."}}
    else:  # feed readers and browsers adding a search engine may answer a Basic challenge
        assert challenge.startswith('Basic realm="Fouille"')
    assert "Veilleur" not in response.text and "CNIL" not in response.text


def test_healthz_is_open_and_says_only_whether_the_index_is_up(http: httpx.Client) -> None:
    anonymous = http.get("/healthz")
    assert anonymous.status_code == 200
    assert anonymous.json() == {"status": "ok"}
    full = http.get("/healthz", headers=basic("fouille", PASSWORD))
    assert full.json()["index"]["articles"] == 11


def test_healthz_without_an_index_says_so_and_nothing_more(tmp_path: Path) -> None:
    app = create_app(Settings(index_dir=tmp_path / "index", web_password=HASH))
    with serve(app) as url:
        response = httpx.get(url + "/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert str(tmp_path) not in response.text


def test_static_files_are_open(http: httpx.Client) -> None:
    for name in ("fouille.css", "fouille.js", "fouille.svg"):
        assert http.get(f"/static/{name}").status_code == 200


# --- the right credentials ---------------------------------------------------------------------


@pytest.mark.parametrize("path", [*PAGES[:3], *MACHINE, "/healthz"])
def test_the_password_opens_every_route(http: httpx.Client, path: str) -> None:
    response = http.get(path, headers=basic("fouille", PASSWORD))
    assert response.status_code == 200, response.text[:300]


def test_a_token_opens_every_route(http: httpx.Client, token: str) -> None:
    for path in [*PAGES[:3], *MACHINE]:
        assert http.get(path, headers=bearer(token)).status_code == 200, path
        # HTTP Basic with the token as password: for readers that only know Basic.
        assert http.get(path, headers=basic("lecteur", token)).status_code == 200, path
    # In the URL, on Atom only: a reader that sends no header at all.
    assert http.get("/search.atom", params={"q": "cnil", "token": token}).status_code == 200
    assert http.get("/api/search", params={"q": "cnil", "token": token}).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        basic("fouille", "wrong"),
        basic("fouille", PASSWORD + " "),
        basic("admin", PASSWORD),  # the password goes with the user name fouille
        bearer("fouille_not-a-token"),
        {"Authorization": "Bearer"},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Digest whatever"},
    ],
)
def test_wrong_credentials_get_401(http: httpx.Client, headers: dict[str, str]) -> None:
    for path in ("/api/search?q=cnil", "/search?q=cnil", "/search.atom?q=cnil"):
        response = http.get(path, headers=headers)
        assert response.status_code == 401, path
        assert "CNIL" not in response.text


def test_a_revoked_token_stops_working_at_once(
    http: httpx.Client, locked_settings: Settings, tmp_path: Path
) -> None:
    """Created and revoked by the real command while the server runs: no restart."""
    index = str(locked_settings.index_dir)
    name = f"lecteur-{uuid.uuid4().hex[:6]}"
    created = run_fouille("token", "create", name, "--index", index, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    value = created.stdout.strip()
    assert value.startswith("fouille_") and len(value) > 40
    assert "shown this once" in created.stderr
    assert http.get("/api/search?q=cnil", headers=bearer(value)).status_code == 200
    listed = run_fouille("token", "list", "--index", index, "--json", cwd=tmp_path)
    assert name in [t["name"] for t in json.loads(listed.stdout)["tokens"]]
    assert value not in listed.stdout
    revoked = run_fouille("token", "revoke", name, "--index", index, cwd=tmp_path)
    assert revoked.returncode == 0, revoked.stderr
    assert http.get("/api/search?q=cnil", headers=bearer(value)).status_code == 401
    assert http.get("/search.atom", params={"q": "x", "token": value}).status_code == 401
    again = run_fouille("token", "revoke", name, "--index", index, cwd=tmp_path)
    assert again.returncode == 2 and again.stderr.count("\n") == 1


def test_a_revoked_token_stops_working_in_every_worker(make_index, tmp_path: Path) -> None:
    """`fouille serve` with gunicorn worker processes: each one re-reads the token file."""
    settings = make_index(sample_articles())
    store = TokenStore.in_index(settings.index_dir)
    value = store.create("lecteur")
    with fouille_serve(settings.index_dir, "--workers", "2", web_password=HASH) as base:
        # New connections each time: both workers answer some of them.
        for _ in range(6):
            assert httpx.get(base + "/api/search?q=cnil", headers=bearer(value)).is_success
        store.revoke("lecteur")
        for _ in range(6):
            response = httpx.get(base + "/api/search?q=cnil", headers=bearer(value))
            assert response.status_code == 401


def test_tokens_are_kept_hashed_by_their_owner_only(
    locked_settings: Settings, locked_app: Flask, token: str
) -> None:
    # The app's secret (sessions, CSRF, signed Atom links) is made when the app is.
    path = locked_settings.index_dir / TOKENS_FILE
    assert token not in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = locked_settings.index_dir / SECRET_FILE
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


# --- the login form ------------------------------------------------------------------------------


def test_logging_in_sets_a_session_cookie_then_logging_out_ends_it(http: httpx.Client) -> None:
    wrong = log_in(http, "pas le bon", path="/login?next=/search?q=cnil")
    assert wrong.status_code == 401
    assert "Mot de passe incorrect." in wrong.text
    assert "WWW-Authenticate" in wrong.headers and "Basic" not in wrong.headers["WWW-Authenticate"]
    response = log_in(http, path="/login?next=/search?q=cnil")
    assert response.status_code == 303
    assert response.headers["Location"] == "/search?q=cnil"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("fouille_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on 127.0.0.1: a Secure cookie would be dropped
    page = http.get("/search?q=cnil")
    assert page.status_code == 200 and "CNIL" in page.text
    assert http.get("/api/search?q=cnil").status_code == 200
    doc = lxml.html.fromstring(page.text)
    (logout,) = doc.xpath("//form[@class='logout']")
    fields = {i.get("name"): i.get("value") for i in logout.xpath(".//input")}
    assert http.post("/logout", data=fields).status_code == 303
    assert http.get("/search?q=cnil").status_code == 303
    assert http.get("/api/search?q=cnil").status_code == 401


@pytest.mark.parametrize("csrf", [None, "", "forged"])
def test_the_login_form_needs_its_csrf_token(http: httpx.Client, csrf: str | None) -> None:
    fields = login_form(http)
    if csrf is None:
        del fields["csrf"]
    else:
        fields["csrf"] = csrf
    fields["password"] = PASSWORD
    response = http.post("/login", data=fields)
    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.text
    assert http.get("/api/search?q=cnil").status_code == 401


def test_a_login_post_from_another_site_has_no_token(locked_url: str, clock: Clock) -> None:
    """A forged form elsewhere posts the password without this browser's session."""
    response = httpx.post(
        locked_url + "/login", data={"password": PASSWORD, "csrf": "x", "next": "/"}
    )
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers or "auth" not in response.headers["Set-Cookie"]


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "evil", "/a\r\nb"]
)
def test_after_logging_in_one_stays_on_the_site(http: httpx.Client, target: str) -> None:
    response = log_in(http, path="/login?" + httpx.QueryParams({"next": target}).__str__())
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("settings", "headers"),
    [
        ({"base_url": "https://fouille.example.org"}, {}),
        ({"trusted_proxies": 1}, {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.1.2.3"}),
    ],
)
def test_the_cookie_is_secure_over_https(
    make_index, settings: dict[str, Any], headers: dict[str, str]
) -> None:
    """HTTPS as the browser sees it: by `base_url`, or as a trusted proxy says."""
    app = create_app(make_index(sample_articles(), web_password=HASH, **settings))
    with serve(app, clear_untrusted_proxy_headers=False) as url:
        response = httpx.get(url + "/login", headers=headers)
        plain = httpx.get(url + "/login")
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in plain.headers["Set-Cookie"]) is ("base_url" in settings)


# --- slowing guessers down -----------------------------------------------------------------------


def test_failed_attempts_close_the_door_for_a_while(http: httpx.Client, clock: Clock) -> None:
    wrong = basic("fouille", "devinette")
    for _ in range(Throttle.FREE + 1):
        assert http.get("/api/search?q=x", headers=wrong).status_code == 401
    # Now even the right password is not heard: the guesser learns nothing.
    for headers in (wrong, basic("fouille", PASSWORD)):
        refused = http.get("/api/search?q=x", headers=headers)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == str(int(Throttle.FIRST_DELAY))
    form = log_in(http)
    assert form.status_code == 429 and "Trop de tentatives" in form.text
    assert form.headers["Retry-After"] == str(int(Throttle.FIRST_DELAY))
    clock.now += Throttle.FIRST_DELAY
    assert http.get("/api/search?q=x", headers=basic("fouille", PASSWORD)).status_code == 200
    # A success clears the record: the next mistake is free again.
    assert http.get("/api/search?q=x", headers=wrong).status_code == 401
    assert http.get("/api/search?q=x", headers=basic("fouille", PASSWORD)).status_code == 200


def test_the_delay_doubles_and_is_per_client() -> None:
    clock = Clock()
    throttle = Throttle(clock=clock)
    for _ in range(Throttle.FREE):
        throttle.failed("10.0.0.1")
        assert throttle.wait("10.0.0.1") == 0
    delays = []
    for _ in range(4):
        throttle.failed("10.0.0.1")
        delays.append(throttle.wait("10.0.0.1"))
    assert delays == [2.0, 4.0, 8.0, 16.0]
    assert throttle.wait("10.0.0.2") == 0  # another client is not slowed down
    for _ in range(20):
        throttle.failed("10.0.0.1")
    assert throttle.wait("10.0.0.1") == Throttle.MAX_DELAY
    clock.now += Throttle.FORGET_AFTER + Throttle.MAX_DELAY + 1
    assert throttle.wait("10.0.0.1") == 0


# --- caching and logs ----------------------------------------------------------------------------


def test_nothing_behind_the_door_is_cacheable_by_a_shared_cache(http: httpx.Client) -> None:
    auth = basic("fouille", PASSWORD)
    for path in ["/search?q=cnil", "/api/search?q=cnil", "/api/suggest?q=donn", "/search.atom"]:
        response = http.get(path, headers=auth)
        control = [p.strip() for p in response.headers["Cache-Control"].split(",")]
        assert "private" in control and "public" not in control, path
        vary = {v.strip().lower() for v in response.headers["Vary"].split(",")}
        assert {"cookie", "authorization"} <= vary
    assert "max-age=" in http.get("/api/suggest?q=donn", headers=auth).headers["Cache-Control"]
    assert http.get("/login").headers["Cache-Control"] == "no-store"
    assert http.get("/api/search").headers["Cache-Control"] == "no-store"


def test_no_token_or_password_reaches_the_logs(
    http: httpx.Client, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    page = http.get("/search?q=cnil", headers=bearer(token))
    key = re.search(r"key=([\w-]+)", page.text).group(1)
    for response in (
        http.get("/search.atom", params={"q": "cnil", "token": token}),
        http.get("/search.atom", params={"q": "cnil", "key": key}),
        http.get("/search.atom", params={"q": "cnil", "token": token, "since": "hier"}),
        http.get("/api/search", params={"q": "x", "page": "0"}, headers=bearer(token)),
        http.get("/nulle-part", headers=basic("fouille", PASSWORD)),
        http.get("/api/search", headers=basic("fouille", "faux-" + PASSWORD)),
    ):
        assert response.status_code in (200, 400, 401, 404)
    # What the server side logged (the test's own HTTP client logs its requests).
    server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in server_side)
    for secret in (token, key, PASSWORD):
        assert secret not in text


# --- the Atom link of a results page -------------------------------------------------------------


def test_the_atom_link_of_a_page_opens_that_feed_and_nothing_else(http: httpx.Client) -> None:
    page = http.get("/search?q=données&tag=RGPD", headers=basic("fouille", PASSWORD))
    doc = lxml.html.fromstring(page.text)
    (link,) = doc.xpath("//link[@type='application/atom+xml']/@href")
    assert doc.xpath("//a[@type='application/atom+xml']/@href") == [link]
    feed = http.get(link)  # a feed reader: no cookie, no header
    assert feed.status_code == 200
    assert feed.headers["Content-Type"].startswith("application/atom+xml")
    assert feed.text.count("<entry>") >= 1
    params = dict(httpx.URL(link).params)
    assert http.get("/search.atom", params={**params, "q": "windows"}).status_code == 401
    assert http.get("/search.atom", params={**params, "tag": "Santé"}).status_code == 401
    assert http.get("/api/search", params=params).status_code == 401
    assert http.get("/search", params=params).status_code == 303


# --- settings ---------------------------------------------------------------------------------


def test_a_clear_password_in_the_settings_works_too(make_index) -> None:
    settings = make_index(sample_articles(), web_password="en clair")
    with serve(create_app(settings)) as url:
        assert httpx.get(
            url + "/api/search?q=cnil", headers=basic("fouille", "en clair")
        ).is_success
        assert (
            httpx.get(url + "/api/search?q=cnil", headers=basic("fouille", "x")).status_code == 401
        )


def test_a_malformed_hash_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="fouille passwd") as info:
        create_app(Settings(index_dir=tmp_path, web_password="scrypt$1$2$3$x$y"))
    assert "\n" not in str(info.value) and "$x$y" not in str(info.value)


def test_fouille_passwd_prints_a_hash_of_what_it_reads(tmp_path: Path) -> None:
    done = run_fouille("passwd", cwd=tmp_path, timeout=60, input_text=f"{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    value = done.stdout.strip()
    assert value.startswith("scrypt$32768$8$1$") and PASSWORD not in done.stdout + done.stderr
    assert verify(PASSWORD, value) and not verify(PASSWORD + "!", value)
    assert hash_password(PASSWORD) != value  # salted
    empty = run_fouille("passwd", cwd=tmp_path, input_text="\n")
    assert empty.returncode == 2


def test_without_a_password_nothing_changes(client: Any) -> None:
    """The session's shared app: open pages, no cookie, no login (and its index, checked
    unchanged at the end of the run, gets no secret file)."""
    response = client.get("/search?q=cnil")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert "private" not in response.headers.get("Cache-Control", "")
    assert client.get("/login").status_code == 303
    assert client.get("/healthz").get_json()["index"]["articles"] == 11
    doc = lxml.html.fromstring(client.get("/search?q=cnil").data)
    (link,) = doc.xpath("//link[@type='application/atom+xml']/@href")
    assert "key=" not in link


# --- fouille serve ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.10", False),
        ("fouille.example.org", False),
    ],
)
def test_which_addresses_are_loopback(host: str, loopback: bool) -> None:
    from fouille.serve_cmd import is_loopback

    assert is_loopback(host) is loopback


def test_serve_refuses_the_network_without_a_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fouille import serve_cmd

    served: list[Settings] = []
    monkeypatch.setattr(serve_cmd, "run_server", served.append)
    monkeypatch.chdir(tmp_path)
    for var in ("FOUILLE_WEB_PASSWORD", "FOUILLE_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    args = ["--index", str(tmp_path / "i"), "--host", "0.0.0.0"]
    refused = CliRunner().invoke(serve_cmd.serve, args)
    assert refused.exit_code == 2
    (line,) = refused.stderr.strip().splitlines()
    assert "refusing to serve 0.0.0.0 without a password" in line and "--public" in line
    assert not served
    assert CliRunner().invoke(serve_cmd.serve, [*args, "--public"]).exit_code == 0
    with_password = CliRunner().invoke(serve_cmd.serve, args, env={"FOUILLE_WEB_PASSWORD": HASH})
    assert with_password.exit_code == 0
    assert CliRunner().invoke(serve_cmd.serve, args[:2]).exit_code == 0  # 127.0.0.1
    assert len(served) == 3 and served[1].web_password == HASH
    bad = CliRunner().invoke(serve_cmd.serve, args, env={"FOUILLE_WEB_PASSWORD": "scrypt$x"})
    assert bad.exit_code == 2 and "fouille passwd" in bad.stderr
