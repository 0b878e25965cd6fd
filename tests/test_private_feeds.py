"""Subscriber feeds (issue 13): credentials in the URL, in fouille.toml or from the
environment; 401/403 reported; secrets kept out of reports, errors, the index and reprs;
tracking parameters removed from article links without changing ids."""

from __future__ import annotations

import base64
import json
import socket
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from feedserver import FeedServer, Reply, Request, item, rss

from fouille.cli import main
from indexer.build import index_articles
from indexer.fetch import STATE_FILE_NAME
from indexer.sources import resolve_sources
from search import Article, ConfigError, Engine, FeedConfig, Settings

PASSWORD = "motdepasse-42"
KEY = "SECRET123"
COOKIE = "abonnement=ck-7f3a9b"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def guarded(expected: dict[str, str], body: bytes):
    """A route that answers `body` only to a request carrying every `expected` header."""

    def handler(request: Request) -> Reply:
        for name, value in expected.items():
            if request.headers.get(name.lower()) != value:
                return Reply(401, b"who are you?", {"WWW-Authenticate": 'Basic realm="x"'})
        return Reply(200, body)

    return handler


def with_credentials(url: str, user: str = "abonne", password: str = PASSWORD) -> str:
    return url.replace("http://", f"http://{user}:{password}@", 1)


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fouille.toml"
    path.write_text(f'index_dir = "index"\n{text}', encoding="utf-8")
    return path


def run(config: Path, *args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(main, [*args, "--config", str(config)], env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


# --- configuration ------------------------------------------------------------------------------


def test_feed_credentials_come_from_the_file_and_the_environment(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        "[[feeds]]\n"
        'url = "https://next.ink/feed/complet"\n'
        'name = "Next"\n'
        'username = "abonne"\n'
        'password = "${NEXT_PASSWORD}"\n'
        'headers = { Cookie = "session=${NEXT_COOKIE}", X-Note = "$${pas une variable}" }\n',
    )
    env = {"NEXT_PASSWORD": PASSWORD, "NEXT_COOKIE": "ck-1"}
    (feed,) = Settings.load(config, environ=env).feeds
    assert (feed.username, feed.password) == ("abonne", PASSWORD)
    assert feed.headers == (("Cookie", "session=ck-1"), ("X-Note", "${pas une variable}"))


def test_any_string_setting_may_read_the_environment(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'web_password = "${FOUILLE_TEST_PW}"\n')
    assert Settings.load(config, environ={"FOUILLE_TEST_PW": "s3cret"}).web_password == "s3cret"
    assert Settings.load(environ={"FOUILLE_WEB_PASSWORD": "x"}).web_password == "x"


def test_a_missing_variable_is_a_one_line_error_naming_it(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, '[[feeds]]\nurl = "https://a.example/f"\npassword = "${NOPE}"\n'
    )
    with pytest.raises(ConfigError, match=r"\$\{NOPE\} is used but NOPE is not set") as info:
        Settings.load(config, environ={})
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "feed",
    [
        f'{{ url = "https://a.example/f", pasword = "{PASSWORD}" }}',
        f'{{ name = "no url", password = "{PASSWORD}" }}',
        f'{{ url = "https://a.example/f", headers = {{ Cookie = "{PASSWORD}\\n" }} }}',
        f'{{ url = "https://a.example/f", headers = {{ "Bad Name" = "{PASSWORD}" }} }}',
        f'{{ url = "https://a.example/f", password = "{PASSWORD}" }}',
        f'{{ url = "https://u:{PASSWORD}@a.example/f?cle={KEY}", tags = 5 }}',
    ],
)
def test_feed_errors_never_quote_a_secret(tmp_path: Path, feed: str) -> None:
    config = write_config(tmp_path, f"feeds = [{feed}]\n")
    with pytest.raises(ConfigError) as info:
        Settings.load(config, environ={})
    message = str(info.value)
    assert message and "\n" not in message
    assert PASSWORD not in message and KEY not in message


def test_no_repr_shows_a_secret(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        f'web_password = "{PASSWORD}-web"\n[[feeds]]\nurl = "https://u:{PASSWORD}@a.example/f?k={KEY}"\n'
        f'[[feeds]]\nurl = "https://b.example/f"\nusername = "u"\npassword = "{PASSWORD}"\n'
        f'headers = {{ Cookie = "{COOKIE}" }}\n',
    )
    settings = Settings.load(config, environ={})
    sources = resolve_sources(settings)
    for text in (repr(settings), repr(settings.feeds), repr(sources), str(sources)):
        assert PASSWORD not in text and KEY not in text and COOKIE not in text
    assert "https://a.example/f" in repr(settings.feeds[0])


def test_proxy_and_tracking_settings_are_checked(tmp_path: Path) -> None:
    env = {
        "FOUILLE_BASE_URL": "https://fouille.example.org/archive/",
        "FOUILLE_TRUSTED_PROXIES": "1",
        "FOUILLE_TRACKING_PARAMS": "utm_*, ref",
    }
    settings = Settings.load(environ=env)
    assert settings.base_url == "https://fouille.example.org/archive"
    assert settings.trusted_proxies == 1
    assert settings.tracking_params == ("utm_*", "ref")
    config = write_config(tmp_path, "tracking_params = []\n")
    assert Settings.load(config, environ={}).tracking_params == ()
    for name, value in [
        ("FOUILLE_BASE_URL", "ftp://x"),
        ("FOUILLE_BASE_URL", "https://u:p@x.example"),
        ("FOUILLE_BASE_URL", "https://x.example/?a=1"),
        ("FOUILLE_TRUSTED_PROXIES", "-1"),
        ("FOUILLE_TRUSTED_PROXIES", "two"),
    ]:
        with pytest.raises(ConfigError) as info:
            Settings.load(environ={name: value})
        assert "\n" not in str(info.value) and "u:p" not in str(info.value)


# --- fetching with credentials -------------------------------------------------------------------


def test_every_kind_of_credentials_is_sent(server: FeedServer, tmp_path: Path) -> None:
    server.route(
        f"/userinfo.xml?cle={KEY}",
        handler=guarded({"Authorization": basic("abonne", PASSWORD)}, rss([item(1)])),
    )
    server.route(
        "/configured.xml",
        handler=guarded({"Authorization": basic("lectrice", PASSWORD)}, rss([item(2)])),
    )
    server.route("/cookie.xml", handler=guarded({"Cookie": COOKIE}, rss([item(3)])))
    config = write_config(
        tmp_path,
        f'[[feeds]]\nurl = "{with_credentials(server.url(f"/userinfo.xml?cle={KEY}"))}"\n'
        f'[[feeds]]\nurl = "{server.url("/configured.xml")}"\nusername = "lectrice"\n'
        'password = "${FEED_PASSWORD}"\n'
        f'[[feeds]]\nurl = "{server.url("/cookie.xml")}"\n'
        'headers = { Cookie = "${FEED_COOKIE}" }\n',
    )
    result = run(
        config, "reindex", "--json", env={"FEED_PASSWORD": PASSWORD, "FEED_COOKIE": COOKIE}
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [f["status"] for f in report["feeds"]] == ["ok", "ok", "ok"]
    assert report["totals"]["new"] == 3
    # The key is the feed's address: it goes in the request line; the user info never does.
    assert [r.path for r in server.requests if "userinfo" in r.path] == [f"/userinfo.xml?cle={KEY}"]
    for text in (result.stdout, result.stderr):
        assert PASSWORD not in text and KEY not in text and COOKIE not in text
    assert report["feeds"][0]["url"] == server.url("/userinfo.xml")


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_fail_that_feed_only_in_one_line(
    server: FeedServer, tmp_path: Path, status: int
) -> None:
    server.route(f"/private.xml?cle={KEY}", status=status, body=b"no")
    server.route("/public.xml", body=rss([item(1)]))
    config = write_config(
        tmp_path,
        f'feeds = ["{with_credentials(server.url(f"/private.xml?cle={KEY}"))}", '
        f'"{server.url("/public.xml")}"]\n',
    )
    result = run(config, "reindex")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    (failed,) = [line for line in lines if "failed" in line and "private" in line]
    assert f"HTTP {status}" in failed
    assert "check the feed's credentials" in failed
    assert "1 new" in result.stdout  # the other feed was read and committed
    assert PASSWORD not in result.output and KEY not in result.output
    quiet = run(config, "reindex", "--quiet")
    assert quiet.exit_code == 1
    assert len(quiet.stderr.strip().splitlines()) == 1
    assert "check the feed's credentials" in quiet.stderr and PASSWORD not in quiet.stderr


def test_credentials_never_follow_a_redirect_to_another_host(tmp_path: Path) -> None:
    with FeedServer() as home, FeedServer() as elsewhere:
        elsewhere.route("/feed.xml", body=rss([item(1)]))
        home.route("/moved.xml", status=302, headers={"Location": elsewhere.url("/feed.xml")})
        home.route("/here.xml", status=302, headers={"Location": "/feed.xml"})
        home.route("/feed.xml", handler=guarded({"Cookie": COOKIE}, rss([item(2)])))
        config = write_config(
            tmp_path,
            f'[[feeds]]\nurl = "{with_credentials(home.url("/moved.xml"))}"\n'
            f'headers = {{ Cookie = "{COOKIE}" }}\n'
            f'[[feeds]]\nurl = "{home.url("/here.xml")}"\nheaders = {{ Cookie = "{COOKIE}" }}\n',
        )
        result = run(config, "reindex", "--json")
        assert result.exit_code == 0, result.output
        (away,) = elsewhere.hits("/feed.xml")
        assert "authorization" not in away.headers and "cookie" not in away.headers
        (same,) = home.hits("/feed.xml")
        assert same.headers["cookie"] == COOKIE
        (first,) = home.hits("/moved.xml")
        assert first.headers["authorization"] == basic("abonne", PASSWORD)


def test_credentials_never_go_to_an_older_page_on_another_host(tmp_path: Path) -> None:
    with FeedServer() as home, FeedServer() as elsewhere:
        older = rss([item(1)])
        elsewhere.route("/archive/1.xml", body=older)
        link = f'<atom:link rel="prev-archive" href="{elsewhere.url("/archive/1.xml")}"/>'
        home.route("/feed.xml", handler=guarded({"Cookie": COOKIE}, rss([item(2)], extra=link)))
        config = write_config(
            tmp_path,
            f'[[feeds]]\nurl = "{home.url("/feed.xml")}"\nheaders = {{ Cookie = "{COOKIE}" }}\n',
        )
        result = run(config, "reindex", "--backfill", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["feeds"][0]["pages"] == 2
        (away,) = elsewhere.hits("/archive/1.xml")
        assert "cookie" not in away.headers and "authorization" not in away.headers


def test_a_refused_connection_names_the_host_without_its_user_info(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = with_credentials(f"http://127.0.0.1:{port}/feed.xml?cle={KEY}")
    config = write_config(tmp_path, f'feeds = ["{url}"]\n')
    result = run(config, "reindex", "--json")
    assert result.exit_code == 1
    (feed,) = json.loads(result.stdout)["feeds"]
    assert feed["url"] == f"http://127.0.0.1:{port}/feed.xml"
    assert feed["reason"].startswith(f"cannot connect to 127.0.0.1:{port}")
    listed = run(config, "feeds").stdout + run(config, "feeds", "--json").stdout
    assert f"cannot connect to 127.0.0.1:{port}" in listed
    for text in (result.output, listed):
        assert PASSWORD not in text and KEY not in text and "abonne" not in text


def test_the_fetch_state_keeps_the_secret_address_for_its_owner_only(
    server: FeedServer, tmp_path: Path
) -> None:
    server.route(f"/feed.xml?cle={KEY}", body=rss([item(1)]), headers={"ETag": '"v1"'})
    config = write_config(tmp_path, f'feeds = ["{server.url(f"/feed.xml?cle={KEY}")}"]\n')
    assert run(config, "reindex").exit_code == 0
    state = tmp_path / "index" / STATE_FILE_NAME
    assert KEY in state.read_text(encoding="utf-8")  # it is the key of the feed's state
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert run(config, "reindex").exit_code == 0  # rewritten: still private
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert len(server.hits(f"/feed.xml?cle={KEY}")) == 2


# --- article links ---------------------------------------------------------------------------


def test_tracking_parameters_leave_links_but_ids_stay(server: FeedServer, tmp_path: Path) -> None:
    tracked = (
        "https://exemple.fr/articles/7?utm_source=rss&amp;utm_medium=flux&amp;xtor=RSS-3&amp;p=2"
    )
    raw = tracked.replace("&amp;", "&")
    entries = [
        {"title": "Sans guid", "link": tracked, "description": "Un article suivi."},
        {**item(8), "link": f"https://exemple.fr/articles/8?cle={KEY}&amp;fbclid=x1"},
    ]
    server.route(f"/feed.xml?cle={KEY}", body=rss(entries))
    config = write_config(tmp_path, f'feeds = ["{server.url(f"/feed.xml?cle={KEY}")}"]\n')
    assert run(config, "reindex").exit_code == 0
    with Engine.open(Settings(index_dir=tmp_path / "index")) as engine:
        # The id is the link as the feed gives it (what every earlier version stored).
        article = engine.get(raw)
        assert article is not None
        assert article.url == "https://exemple.fr/articles/7?p=2"
        eight = engine.get("https://exemple.fr/articles/8")
        assert eight is not None and eight.url == "https://exemple.fr/articles/8"
        assert eight.feed_url == server.url("/feed.xml")
    again = run(config, "reindex", "--json")
    assert json.loads(again.stdout)["totals"]["unchanged"] == 2


def test_the_tracking_list_is_read_from_the_settings(server: FeedServer, tmp_path: Path) -> None:
    server.route(
        "/feed.xml", body=rss([{**item(1), "link": "https://e.fr/a?utm_source=x&amp;ref=y"}])
    )
    config = write_config(
        tmp_path, f'tracking_params = ["ref"]\nfeeds = ["{server.url("/feed.xml")}"]\n'
    )
    assert run(config, "reindex").exit_code == 0
    with Engine.open(Settings(index_dir=tmp_path / "index")) as engine:
        assert engine.get(item(1)["guid"]).url == "https://e.fr/a?utm_source=x"


def test_articles_indexed_with_a_secret_address_are_shown_clean(make_index) -> None:
    """Before issue 13 the feed's address was stored as configured: a hit cleans it."""
    secret_feed = f"http://abonne:{PASSWORD}@127.0.0.1:8771/feed.xml?cle={KEY}"
    when = datetime(2025, 6, 1, tzinfo=UTC)
    old = [
        Article(
            id=f"https://exemple.fr/a/{n}?cle={KEY}",
            url=f"https://abonne:{PASSWORD}@exemple.fr/a/{n}?cle={KEY}&page=1",
            title=f"Article abonné numéro {n}",
            body="Le texte intégral réservé aux abonnés.",
            published=when,
            feed_url=secret_feed,
            feed_title=title,
        )
        for n, title in ((1, f"abonne:{PASSWORD}@127.0.0.1:8771"), (2, ""))
    ]
    new = Article(
        id="https://exemple.fr/a/3",
        url="https://exemple.fr/a/3",
        title="Article abonné numéro 3",
        body="Le texte intégral réservé aux abonnés.",
        published=when,
        feed_url="http://127.0.0.1:8771/feed.xml",
        feed_title="127.0.0.1:8771",
    )
    settings = make_index([*old, new])
    with Engine.open(settings) as engine:
        page = engine.search("abonnés")
        text = json.dumps(page.to_dict(), ensure_ascii=False)
        assert page.total == 3
        assert PASSWORD not in text and KEY not in text and "abonne:" not in text
        by_title = {hit.title: hit for hit in page.hits}
        first = by_title["Article abonné numéro 1"]
        assert first.feed_url == "http://127.0.0.1:8771/feed.xml"
        assert first.url == "https://exemple.fr/a/1?page=1"
        assert first.feed == "127.0.0.1:8771"
        assert by_title["Article abonné numéro 2"].feed == "http://127.0.0.1:8771/feed.xml"
        # One feed, stored under its old and its new address: one facet entry.
        assert page.facets.feeds == (("127.0.0.1:8771", 3),)


def test_index_articles_keeps_what_it_is_given(make_index) -> None:
    """The cleaning happens when feeds are read, not in the writer: articles added by code
    keep their fields (and are shown clean anyway)."""
    settings = make_index()
    article = Article(
        id="x",
        url="https://e.fr/x?utm_source=a",
        title="Titre",
        published=datetime(2025, 1, 1, tzinfo=UTC),
        feed_url=f"https://e.fr/feed?cle={KEY}",
    )
    with Engine.open(settings) as engine:
        index_articles(engine, [article])
        assert engine.get("x").feed_url == f"https://e.fr/feed?cle={KEY}"
        (hit,) = engine.search("titre").hits
        assert hit.feed_url == "https://e.fr/feed" and hit.url == "https://e.fr/x?utm_source=a"


def test_feed_config_equality_includes_the_credentials() -> None:
    assert FeedConfig("https://a.example/f") != FeedConfig("https://a.example/f", password="x")
