"""`fouille feeds` as a user runs it: add (with autodiscovery), list, remove (and purge),
import and export OPML, against feeds served over real HTTP on 127.0.0.1 and a real index."""

from __future__ import annotations

import json
import stat
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from feedserver import item, rss

from fouille.cli import main
from indexer.build import index_articles
from indexer.feedlist import FEEDS_FILE_NAME
from indexer.fetch import STATE_FILE_NAME
from indexer.opml import read_opml
from search import Article, Engine, Settings

DATA = Path(__file__).parent / "data"
BLOG_PAGE = (
    "<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Le carnet</title>"
    "<base href='/carnet/'>"
    "<link rel='stylesheet' href='style.css'>"
    "<link rel='alternate' type='application/json' href='/wp-json/wp/v2/pages/2'>"
    "<link rel='alternate' type='application/rss+xml' title='Le carnet » Flux' href='feed.xml'>"
    "<link rel='alternate' type='application/rss+xml' title='Commentaires' href='/comments.xml'>"
    "</head><body><h1>Bienvenue</h1></body></html>"
).encode()


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


def fouille(index_dir: Path, *args: str, config: Path | None = None):
    """`fouille ARGS --index DIR` in this process; returns click's result."""
    extra = ["--config", str(config)] if config else []
    result = CliRunner().invoke(main, [*args, "--index", str(index_dir), *extra])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def listed(index_dir: Path, config: Path | None = None) -> list[dict]:
    result = fouille(index_dir, "feeds", "list", "--json", config=config)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["feeds"]


def managed(index_dir: Path) -> list[dict]:
    path = index_dir / FEEDS_FILE_NAME
    return tomllib.loads(path.read_text("utf-8")).get("feeds", []) if path.exists() else []


def stored_feeds(index_dir: Path) -> dict[str, int]:
    with Engine.open(Settings(index_dir=index_dir)) as engine:
        return {s.feed_url: s.articles for s in engine.feeds()}


def test_add_finds_the_feed_an_html_page_names(server, index_dir):
    server.route("/carnet/", body=BLOG_PAGE, headers={"Content-Type": "text/html"})
    server.route("/carnet/feed.xml", body=rss([item(1), item(2)], title="Le carnet"))
    result = fouille(index_dir, "feeds", "add", server.url("/carnet/"), "--tag", "Blogs")
    assert result.exit_code == 0, result.output
    feed_url = server.url("/carnet/feed.xml")  # relative to <base href>, not the page
    assert f"the feed it names is {feed_url}" in result.stdout
    assert server.url("/comments.xml") in result.stdout, "the other feeds are mentioned"
    assert "wp-json" not in result.stdout, "an application/json link is not a feed"
    (entry,) = managed(index_dir)
    assert entry | {"url": feed_url, "tags": ["Blogs"], "site": "https://exemple.fr/"} == entry
    assert "name" not in entry, "the feed's own title is used, and follows its changes"
    assert entry["added"].startswith("20")

    (row,) = listed(index_dir)
    assert (row["url"], row["origin"], row["result"], row["articles"]) == (
        feed_url,
        "managed",
        None,
        0,
    )
    assert fouille(index_dir, "reindex").exit_code == 0
    (row,) = listed(index_dir)
    assert row["name"] == "Le carnet"
    assert (row["result"], row["last_status"], row["articles"]) == ("ok", 200, 2)
    assert row["last_fetch"] and row["oldest"] and row["newest"]
    with Engine.open(Settings(index_dir=index_dir)) as engine:
        assert "Blogs" in engine.get("https://exemple.fr/articles/1").tags


def test_add_a_feed_directly_with_a_name_and_twice(server, index_dir):
    server.route("/rss", body=rss([item(1)], title="Titre du flux"))
    url = server.url("/rss")
    result = fouille(index_dir, "feeds", "add", url, "--name", "Mon flux", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data | {"url": url, "name": "Mon flux", "title": "Titre du flux"} == data
    assert data["found_on"] is None and data["entries"] == 1
    again = fouille(index_dir, "feeds", "add", url)
    assert again.exit_code == 0
    assert "Already followed (in feeds.toml)" in again.stdout
    assert len(managed(index_dir)) == 1


@pytest.mark.parametrize(
    ("path", "reply", "message"),
    [
        (
            "/accueil",
            {"body": b"<html><head><title>Accueil</title></head></html>", "headers": {}},
            "it names no feed",
        ),
        ("/absent", {"status": 404}, "HTTP 404"),
        ("/json", {"body": b'{"data": []}'}, "not a JSON Feed"),
    ],
)
def test_add_what_is_no_feed_is_a_one_line_error_and_adds_nothing(
    server, index_dir, path, reply, message
):
    server.route(path, **reply)
    result = fouille(index_dir, "feeds", "add", server.url(path))
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.splitlines()) == 1
    assert managed(index_dir) == []


def test_add_refuses_what_is_not_a_web_address(index_dir, tmp_path):
    result = fouille(index_dir, "feeds", "add", str(tmp_path / "flux.xml"))
    assert result.exit_code == 2 and "not an http(s) URL" in result.stderr


def test_remove_with_purge_leaves_no_article_behind(server, index_dir):
    server.route("/un", body=rss([item(1), item(2), item(3)], title="Un"))
    server.route("/deux", body=rss([item(4), item(5)], title="Deux"))
    for path in ("/un", "/deux"):
        assert fouille(index_dir, "feeds", "add", server.url(path)).exit_code == 0
    assert fouille(index_dir, "reindex").exit_code == 0
    assert stored_feeds(index_dir) == {server.url("/un"): 3, server.url("/deux"): 2}
    state = json.loads((index_dir / STATE_FILE_NAME).read_text())["feeds"]
    assert server.url("/un") in state

    result = fouille(index_dir, "feeds", "remove", server.url("/un"), "--purge")
    assert result.exit_code == 0, result.output
    assert "its 3 articles were deleted" in result.stdout
    assert stored_feeds(index_dir) == {server.url("/deux"): 2}
    with Engine.open(Settings(index_dir=index_dir)) as engine:
        assert engine.search("Montréal").total == 2
        assert all(a.feed_url != server.url("/un") for a in engine.articles())
    assert [f["url"] for f in managed(index_dir)] == [server.url("/deux")]
    state = json.loads((index_dir / STATE_FILE_NAME).read_text())["feeds"]
    assert server.url("/un") not in state, "its fetch state is forgotten"
    # And the next reindex does not bring it back.
    assert fouille(index_dir, "reindex").exit_code == 0
    assert stored_feeds(index_dir) == {server.url("/deux"): 2}
    assert len(server.hits("/un")) == 2, "fetched by `add` and by the first reindex only"


def test_remove_without_purge_keeps_the_articles_as_archive(server, index_dir):
    server.route("/un", body=rss([item(1)], title="Un"))
    fouille(index_dir, "feeds", "add", server.url("/un"))
    fouille(index_dir, "reindex")
    result = fouille(index_dir, "feeds", "remove", server.url("/un"))
    assert result.exit_code == 0 and "stay in the archive" in result.stdout
    (row,) = listed(index_dir)
    assert (row["origin"], row["followed"], row["articles"]) == ("archive", False, 1)
    # Purging a feed no longer followed deletes what the archive holds of it.
    result = fouille(index_dir, "feeds", "remove", server.url("/un"), "--purge")
    assert result.exit_code == 0 and "Deleted the 1 articles" in result.stdout
    assert listed(index_dir) == [], "the built-in feed does not come back either"
    result = fouille(index_dir, "reindex")
    assert result.exit_code == 2 and "no feed to read" in result.stderr


def test_remove_refuses_config_file_feeds_and_unknown_ones(server, index_dir, tmp_path):
    config = tmp_path / "fouille.toml"
    config.write_text(
        f'# mes flux\n[[feeds]]\nurl = "{server.url("/conf")}"  # commentaire\n', "utf-8"
    )
    before = config.read_text("utf-8")
    result = fouille(index_dir, "feeds", "remove", server.url("/conf"), config=config)
    assert result.exit_code == 2
    assert f"is listed in {config}: remove it there" in result.stderr
    assert config.read_text("utf-8") == before, "the user's config file is never written"
    result = fouille(index_dir, "feeds", "remove", server.url("/inconnu"), config=config)
    assert result.exit_code == 2 and "is not a followed feed" in result.stderr


def test_config_feeds_and_managed_feeds_are_both_read(server, index_dir, tmp_path):
    server.route("/conf", body=rss([item(1)], title="Configuré"))
    server.route("/ajout", body=rss([item(2)], title="Ajouté"))
    config = tmp_path / "fouille.toml"
    config.write_text(f'[[feeds]]\nurl = "{server.url("/conf")}"\nname = "Conf"\n', "utf-8")
    fouille(index_dir, "feeds", "add", server.url("/ajout"), config=config)
    assert fouille(index_dir, "reindex", config=config).exit_code == 0
    rows = listed(index_dir, config)
    assert [(r["name"], r["origin"], r["articles"]) for r in rows] == [
        ("Conf", "config", 1),
        ("Ajouté", "managed", 1),
    ]
    # Adding a feed of the config file says so and changes nothing.
    result = fouille(index_dir, "feeds", "add", server.url("/conf"), config=config)
    assert "Already followed (in the config file)" in result.stdout


def test_the_built_in_feed_gives_way_to_managed_feeds(server, index_dir):
    (row,) = listed(index_dir)
    assert (row["url"], row["origin"]) == ("https://next.ink/feed/", "default")
    result = fouille(index_dir, "feeds", "remove", "https://next.ink/feed/")
    assert result.exit_code == 2 and "built-in default feed" in result.stderr
    server.route("/rss", body=rss([item(1)]))
    fouille(index_dir, "feeds", "add", server.url("/rss"))
    assert [r["url"] for r in listed(index_dir)] == [server.url("/rss")]


def test_import_a_freshrss_export_then_export_round_trips(index_dir, tmp_path):
    source = DATA / "opml" / "freshrss.opml"
    result = fouille(index_dir, "feeds", "import", str(source))
    assert result.exit_code == 0, result.output
    assert "Imported 8 feeds" in result.stdout
    rows = {r["url"]: r for r in listed(index_dir)}
    assert len(rows) == 8 and all(r["origin"] == "managed" for r in rows.values())
    assert rows["https://next.ink/feed/"]["tags"] == ["Tech & numérique"]
    assert rows["https://next.ink/feed/"]["name"] == "Next"
    assert rows["https://www.lemonde.fr/rss/une.xml"]["site"] == "https://www.lemonde.fr/"
    assert all(r["result"] is None for r in rows.values()), "nothing is fetched on import"

    again = fouille(index_dir, "feeds", "import", str(source), "--json")
    assert json.loads(again.stdout) | {"added": 0, "already_followed": 8} == json.loads(
        again.stdout
    )

    # A plain export shows public addresses (issue 13: no query string, which may hold a
    # key); --include-secrets writes every URL whole, for a round trip.
    original = {f.url: f for f in read_opml(source.read_bytes()).feeds}
    shown = tmp_path / "public.opml"
    result = fouille(index_dir, "feeds", "export", "-o", str(shown))
    assert result.exit_code == 0 and "1 feed URLs were written as their public" in result.stderr
    public = {f.url: f for f in read_opml(shown.read_bytes()).feeds}
    liberation = "https://www.liberation.fr/arc/outboundfeeds/rss-all/"
    assert public[liberation].title == "Libération" and f"{liberation}?outputType=xml" in original
    assert set(public) == {u for u in original if "?" not in u} | {liberation}

    exported = tmp_path / "export.opml"
    result = fouille(index_dir, "feeds", "export", "--include-secrets", "-o", str(exported))
    assert result.exit_code == 0 and not result.stderr
    back = {f.url: f for f in read_opml(exported.read_bytes()).feeds}
    assert back == original, "URLs, names, sites and folders survive the round trip"

    # Another index imports the export and follows the same feeds.
    other = tmp_path / "autre"
    assert fouille(other, "feeds", "import", str(exported)).exit_code == 0
    assert [(r["url"], r["name"], r["tags"]) for r in listed(other)] == [
        (r["url"], r["name"], r["tags"]) for r in listed(index_dir)
    ]


def test_import_a_feedly_export_with_a_feed_already_followed(server, index_dir):
    fouille(index_dir, "feeds", "add", "https://next.ink/feed/", "--no-check")
    result = fouille(index_dir, "feeds", "import", str(DATA / "opml" / "feedly.opml"))
    assert result.exit_code == 0
    assert "Imported 4 feeds" in result.stdout and "1 were followed already" in result.stdout
    assert "skipped Lien mort: not an http(s) URL" in result.stderr
    tags = {r["url"]: r["tags"] for r in listed(index_dir)}
    assert tags["https://www.mediapart.fr/articles/feed"] == ["Enquêtes", "Presse indépendante"]


def test_import_what_is_not_opml_is_a_one_line_error(index_dir, tmp_path):
    bad = tmp_path / "abonnements.opml"
    bad.write_bytes(rss([item(1)]))
    result = fouille(index_dir, "feeds", "import", str(bad))
    assert result.exit_code == 2
    assert "not <opml>" in result.stderr and len(result.stderr.splitlines()) == 1
    result = fouille(index_dir, "feeds", "import", str(tmp_path / "absent.opml"))
    assert result.exit_code == 2 and "cannot read" in result.stderr
    assert managed(index_dir) == []


def test_secrets_in_feed_urls_are_never_shown(server, index_dir):
    server.route("/prive?token=s3cr3t-XYZ&lang=fr", status=500)
    secret = server.url("/prive?token=s3cr3t-XYZ&lang=fr").replace(
        "http://", "http://moi:motdepasse@"
    )
    assert fouille(index_dir, "feeds", "add", secret, "--no-check").exit_code == 0
    fouille(index_dir, "reindex")
    shown = fouille(index_dir, "feeds").output + fouille(index_dir, "feeds", "--json").output
    exported = fouille(index_dir, "feeds", "export")
    for text in (shown, exported.output):
        assert "s3cr3t" not in text and "motdepasse" not in text and "moi" not in text
    # The public address (search.urls): no user info, no query string at all.
    public = server.url("/prive")
    assert f"{public}\n" in shown and "token" not in shown and "lang=fr" not in shown
    assert "failed: HTTP 500" in shown
    assert "public address" in exported.stderr
    full = fouille(index_dir, "feeds", "export", "--include-secrets")
    assert "s3cr3t-XYZ" in full.stdout and "moi:motdepasse@" in full.stdout
    # The public address, as shown, names the feed for removal.
    assert next(r["url"] for r in listed(index_dir)) == public
    assert fouille(index_dir, "feeds", "remove", public).exit_code == 0
    assert managed(index_dir) == []


def test_a_damaged_feeds_file_is_an_error_not_a_loss(index_dir):
    index_dir.mkdir()
    path = index_dir / FEEDS_FILE_NAME
    path.write_text('[[feeds]]\nurl = "https://a.exemple/rss"\n[[feeds]\n', "utf-8")
    for args in (("feeds",), ("reindex",), ("feeds", "add", "https://b.exemple/", "--no-check")):
        result = fouille(index_dir, *args)
        assert result.exit_code == 2, args
        assert "feeds.toml is damaged" in result.stderr
    assert path.read_text("utf-8").endswith("[[feeds]\n"), "left as it was, for the user"


def test_group_options_apply_to_subcommands(server, index_dir):
    server.route("/rss", body=rss([item(1)]))
    result = CliRunner().invoke(
        main, ["feeds", "--index", str(index_dir), "add", server.url("/rss")]
    )
    assert result.exit_code == 0, result.output
    assert [f["url"] for f in managed(index_dir)] == [server.url("/rss")]


# --- feeds with secrets (issue 13 meets issue 14) ---------------------------------------------

KEY = "cle-4f9a2c"
PASSWORD = "motdepasse-42"


def test_feeds_toml_is_private_and_refuses_credentials_it_cannot_keep(server, index_dir):
    server.route(f"/prive.xml?cle={KEY}", body=rss([item(1)]))
    secret = server.url(f"/prive.xml?cle={KEY}").replace("http://", f"http://moi:{PASSWORD}@")
    assert fouille(index_dir, "feeds", "add", secret).exit_code == 0
    path = index_dir / FEEDS_FILE_NAME
    assert KEY in path.read_text("utf-8"), "the URL is kept whole: it is what is fetched"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert fouille(index_dir, "reindex").exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # username/password/headers belong in fouille.toml: said, not silently dropped.
    text = path.read_text("utf-8") + f'username = "moi"\npassword = "{PASSWORD}-bis"\n'
    path.write_text(text, "utf-8")
    for args in (("feeds",), ("reindex",), ("feeds", "add", "https://b.exemple/", "--no-check")):
        result = fouille(index_dir, *args)
        assert result.exit_code == 2, args
        assert "fouille.toml" in result.stderr and "username" in result.stderr
        assert PASSWORD not in result.output and KEY not in result.output
    assert path.read_text("utf-8") == text, "left as it was, for the user"


def test_purge_deletes_what_a_secret_address_stored_before_issue_13(server, index_dir):
    server.route(f"/prive.xml?cle={KEY}", body=rss([item(1), item(2)], title="Abonnés"))
    secret = server.url(f"/prive.xml?cle={KEY}")
    public = server.url("/prive.xml")
    # An archive written before issue 13 stored the feed's address as configured.
    old = Article(
        id="https://exemple.fr/ancien",
        url="https://exemple.fr/ancien",
        title="Un ancien article",
        body="Texte réservé aux abonnés.",
        published=datetime(2024, 1, 1, tzinfo=UTC),
        feed_url=secret,
        feed_title="Abonnés",
    )
    with Engine.open(Settings(index_dir=index_dir), create=True) as engine:
        index_articles(engine, [old])
    assert fouille(index_dir, "feeds", "add", secret).exit_code == 0
    assert fouille(index_dir, "reindex").exit_code == 0
    assert stored_feeds(index_dir) == {public: 3}, "one feed, under its public address"
    (row,) = listed(index_dir)
    assert (row["url"], row["articles"], row["name"]) == (public, 3, "Abonnés")

    result = fouille(index_dir, "feeds", "remove", public, "--purge")
    assert result.exit_code == 0, result.output
    assert "its 3 articles were deleted" in result.stdout and KEY not in result.output
    assert stored_feeds(index_dir) == {}
    assert managed(index_dir) == []


def test_purge_refuses_to_guess_between_feeds_of_one_public_address(server, index_dir):
    for n, topic in enumerate(("politique", "sport"), 1):
        server.route(f"/flux?cat={topic}", body=rss([item(n)], title=topic))
        assert fouille(index_dir, "feeds", "add", server.url(f"/flux?cat={topic}")).exit_code == 0
    assert fouille(index_dir, "reindex").exit_code == 0
    public = server.url("/flux")
    assert stored_feeds(index_dir) == {public: 2}

    result = fouille(index_dir, "feeds", "remove", public, "--purge")
    assert result.exit_code == 2 and "2 followed feeds" in result.stderr
    result = fouille(index_dir, "feeds", "remove", server.url("/flux?cat=sport"), "--purge")
    assert result.exit_code == 2 and "cannot be told apart" in result.stderr
    assert stored_feeds(index_dir) == {public: 2} and len(managed(index_dir)) == 2, "nothing"

    result = fouille(index_dir, "feeds", "remove", server.url("/flux?cat=sport"))
    assert result.exit_code == 0, result.output
    assert [f["url"] for f in managed(index_dir)] == [server.url("/flux?cat=politique")]
    assert fouille(index_dir, "feeds", "remove", public).exit_code == 0, "one left: it is named"
    assert managed(index_dir) == [] and stored_feeds(index_dir) == {public: 2}
