"""One language per surface (issue 14, item 7): the catalogue, the command line in the
locale's language, colours, `fouille search --help`, `fouille config --show` and the README's
settings table, and the web's pages and API errors by `Accept-Language`."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import httpx
import pytest
from articles import build_index
from chromium import headless_chromium
from faults import REPO, fouille_argv, fouille_env, on_a_terminal
from webserver import PAGE_SIZE, sample_articles, serve

from search import Settings
from search.config import environment_names
from search.errors import IndexNotFoundError
from search.i18n import Message, language_from_environ, localize
from web import create_app

FRENCH = "fr_FR.UTF-8"
ENGLISH = "en_US.UTF-8"


# --- the catalogue ---------------------------------------------------------------------------


def test_the_french_catalogue_says_every_message_of_the_code() -> None:
    """Every msgid of the code, the templates and the commands' help is in the French
    catalogue, translated (none missing, none fuzzy, the same parameters), and the committed
    .mo is compiled from the .po (tools/catalogue.py; see README, "Working on Fouille")."""
    pytest.importorskip("babel")
    from tools.catalogue import check

    assert check() == []


def test_click_still_asks_for_the_messages_we_translate() -> None:
    """fouille/click_messages.py lists click's own texts (`Usage:`, `Error: …`); each must
    still be a msgid of the installed click, or our translation would never be used."""
    import click

    from fouille.click_messages import MESSAGES, PLURALS

    source = "".join(
        p.read_text(encoding="utf-8") for p in Path(click.__file__).parent.glob("*.py")
    )
    missing = [
        msgid
        for msgid in [*MESSAGES, *(form for pair in PLURALS for form in pair)]
        if json.dumps(msgid) not in source and repr(msgid) not in source
    ]
    assert missing == []


def test_a_core_error_is_said_in_each_language() -> None:
    error = IndexNotFoundError("/srv/index")
    assert str(error).startswith("no index in /srv/index: run `fouille reindex`")
    assert localize(error.message, "fr").startswith("pas d’index dans /srv/index")
    assert localize(error.message, "en") == str(error)
    # A message stored as JSON (a feed's last error) reads back and still translates.
    back = Message.from_json(json.loads(json.dumps(error.message.to_json())))
    assert back is not None and localize(back, "fr") == localize(error.message, "fr")


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": FRENCH}, "fr"),
        ({"LANG": "fr_CA"}, "fr"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": FRENCH, "LC_ALL": ENGLISH}, "en"),
        ({"LANG": "C", "LC_MESSAGES": FRENCH}, "fr"),
        ({"LANG": ENGLISH, "LANGUAGE": "de:fr"}, "fr"),
        ({"LC_ALL": "C", "LANGUAGE": "fr"}, "en"),  # LANGUAGE is ignored in the C locale
    ],
)
def test_the_locale_variables_choose_as_gettext_does(environ: dict[str, str], lang: str) -> None:
    assert language_from_environ(environ) == lang


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def index_dir(articles_index: Settings) -> Path:
    """The shared index of tests/articles.py (the commands here only read it)."""
    return articles_index.index_dir


def run(*args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    """`python -m fouille ARGS` with the C locale, changed by `environ`."""
    env = fouille_env()
    env.update(environ)
    return subprocess.run(
        fouille_argv(*args),
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_search_speaks_the_locale_language(index_dir: Path) -> None:
    args = ("search", "vie privée", "--tag", "RGPD", "--since", "2024-01-01")
    french = run(*args, "--index", str(index_dir), LANG=FRENCH)
    english = run(*args, "--index", str(index_dir), LANG=ENGLISH)
    assert french.returncode == english.returncode == 0, french.stderr + english.stderr
    assert "15 mars 2024 · Camille Martin · Next" in french.stdout
    assert "15 March 2024 · Camille Martin · Next" in english.stdout
    assert re.search(r"^1 résultat · page 1/1 · ", french.stdout, re.M), french.stdout
    assert re.search(r"^1 result · page 1/1 · ", english.stdout, re.M), english.stdout
    # The archive's own text is never translated.
    assert "La CNIL sanctionne un courtier" in french.stdout
    assert "La CNIL sanctionne un courtier" in english.stdout


@pytest.mark.parametrize(
    ("environ", "option", "expected"),
    [
        ({"LANG": FRENCH}, (), "fouille : erreur : pas d’index dans "),
        ({"LANG": "C.UTF-8"}, (), "fouille: error: no index in "),
        ({"LANG": "de_DE.UTF-8"}, (), "fouille: error: no index in "),
        ({"LANG": FRENCH, "LC_ALL": ENGLISH}, (), "fouille: error: no index in "),
        ({"LANG": "C.UTF-8", "LC_MESSAGES": FRENCH}, (), "fouille : erreur : pas d’index"),
        ({"LANG": FRENCH}, ("--lang", "en"), "fouille: error: no index in "),
        ({"LANG": "C.UTF-8", "FOUILLE_LANG": "fr"}, (), "fouille : erreur : pas d’index"),
    ],
)
def test_an_error_is_one_line_in_the_language_asked(
    tmp_path: Path, environ: dict[str, str], option: tuple[str, ...], expected: str
) -> None:
    done = run("search", "x", "--index", str(tmp_path / "none"), *option, **environ)
    assert done.returncode == 2
    assert done.stderr.startswith(expected), done.stderr
    assert done.stderr.count("\n") == 1


def test_click_own_messages_follow_the_locale() -> None:
    french = run("search", "x", "--page", "deux", LANG=FRENCH)
    english = run("search", "x", "--page", "deux", LANG=ENGLISH)
    assert french.returncode == english.returncode == 2
    assert "Utilisation : fouille search [OPTIONS]" in french.stderr
    assert "Erreur : Valeur invalide pour '--page'" in french.stderr
    assert "Usage: fouille search [OPTIONS]" in english.stderr
    assert "Error: Invalid value for '--page'" in english.stderr


def test_reindex_says_a_failed_feed_in_the_locale_language(tmp_path: Path) -> None:
    """An indexer message (the reason a feed failed) and the report, in French and English."""
    feeds = {"FOUILLE_FEEDS": "http://127.0.0.1:1/feed"}  # nothing listens on port 1
    french = run("reindex", "--index", str(tmp_path / "fr"), LANG=FRENCH, **feeds)
    english = run("reindex", "--index", str(tmp_path / "en"), LANG=ENGLISH, **feeds)
    assert french.returncode == english.returncode == 1
    out_fr, out_en = french.stdout + french.stderr, english.stdout + english.stderr
    assert "en échec : connexion impossible à 127.0.0.1:1" in out_fr
    assert "1 flux : 0 lu, 1 en échec" in out_fr
    assert "failed: cannot connect to 127.0.0.1:1" in out_en
    assert "1 feed: 0 read, 1 failed" in out_en


def test_help_of_search_shows_the_query_syntax_in_the_locale_language() -> None:
    from fouille.search_cmd import QUERY_SYNTAX

    english = run("search", "--help", LANG=ENGLISH)
    french = run("search", "--help", LANG=FRENCH)
    assert english.returncode == french.returncode == 0
    assert "Query syntax:" in english.stdout
    assert "Syntaxe des requêtes" in french.stdout
    for typed, meaning in QUERY_SYNTAX:
        assert typed in english.stdout and typed in french.stdout
        assert " ".join(meaning.split()[:3]) in " ".join(english.stdout.split())
    assert "the exact phrase" in english.stdout
    assert "l’expression exacte" in french.stdout
    assert "--color [auto|always|never]" in english.stdout


def test_readme_query_syntax_is_the_help_s() -> None:
    """README's "Query syntax" table and `fouille search --help` say the same rows."""
    from fouille.search_cmd import QUERY_SYNTAX

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Query syntax", 1)[1].split("\n\n", 2)[1]
    rows = [
        tuple(cell.strip().replace("`", "") for cell in line.strip("|").split(" | "))
        for line in section.splitlines()[2:]
    ]
    assert rows == [tuple(row) for row in QUERY_SYNTAX]


BOLD = "\x1b[1m"


def test_highlights_are_bold_on_a_terminal_unless_no_color(index_dir: Path) -> None:
    search = ("search", "élection", "--index", str(index_dir))
    assert BOLD in on_a_terminal(*search)
    assert BOLD not in on_a_terminal(*search, NO_COLOR="1")
    assert BOLD not in on_a_terminal(*search, "--color", "never")
    # An explicit `--color always` wins over NO_COLOR, and over a pipe.
    assert BOLD in on_a_terminal(*search, "--color", "always", NO_COLOR="1")
    piped = run(*search, "--color", "always")
    assert piped.returncode == 0 and BOLD in piped.stdout
    assert BOLD not in run(*search).stdout
    assert BOLD not in run(*search, "--color", "auto").stdout


def test_a_bad_color_choice_is_a_clear_error() -> None:
    done = run("search", "x", "--color", "rainbow")
    assert done.returncode == 2
    assert "Invalid value for '--color'" in done.stderr
    assert "'rainbow' is not one of 'auto', 'always', 'never'" in done.stderr


# --- fouille config --show, and the README's settings table ----------------------------------

#: A value for each setting as an environment variable would give it: a new setting must be
#: added here, which is when its variable, `config --show` and the README are checked.
SAMPLES = {
    "index_dir": "/srv/fouille/index",
    "config_file": None,  # named by FOUILLE_CONFIG, which must name an existing file
    "feeds": "https://a.example/rss https://b.example/atom.xml",
    "page_size": "12",
    "max_page_size": "50",
    "max_query_length": "500",
    "fresh_half_life_days": "7",
    "connect_timeout": "5",
    "read_timeout": "20",
    "max_feed_bytes": "1000000",
    "fetch_workers": "4",
    "connections_per_host": "2",
    "user_agent": "Test/1.0",
    "host": "0.0.0.0",
    "port": "8080",
    "web_password": "correct horse",
    "base_url": "https://fouille.example.org/archive",
    "trusted_proxies": "1",
    "tracking_params": "utm_*, xtor",
    "workers": "2",
    "protected_words": "Qwant,Proton Mail",
    "synonyms": "Qwant,moteur de recherche français;VPN,réseau privé virtuel",
    "lang": "fr",
}


def setting_names() -> list[str]:
    return [f.name for f in fields(Settings)]


def test_every_setting_has_a_sample_here() -> None:
    assert sorted(SAMPLES) == sorted(setting_names())


@pytest.mark.parametrize("name", [n for n, v in SAMPLES.items() if v is not None])
def test_each_variable_config_show_names_sets_its_setting(name: str) -> None:
    """The variables `fouille config --show` lists for a setting are the ones that set it."""
    for variable in environment_names(name):
        origins = Settings.origins(environ={variable: SAMPLES[name]})  # type: ignore[dict-item]
        assert origins[name] == "environment", variable
        assert Settings.load(environ={variable: SAMPLES[name]}) != Settings(), variable  # type: ignore[dict-item]


def test_config_show_lists_every_setting_and_variable(tmp_path: Path) -> None:
    config = tmp_path / "fouille.toml"
    config.write_text('page_size = 7\n[[feeds]]\nurl = "https://u:pw@a.example/rss?key=K3Y"\n')
    done = run(
        "config",
        "--show",
        "--config",
        str(config),
        "--index",
        str(tmp_path / "index"),
        FOUILLE_WEB_PASSWORD="hunter2-secret",
        FOUILLE_READ_TIMEOUT="12",
    )
    assert done.returncode == 0, done.stderr
    table = {line.split()[0]: line for line in done.stdout.splitlines()[1:] if line[:1].strip()}
    assert sorted(table) == sorted(setting_names())
    for name in setting_names():
        for variable in environment_names(name):
            assert variable in table[name], (name, variable)
    assert re.search(r"\bpage_size\s+7\s+config file\b", table["page_size"])
    assert re.search(r"\bread_timeout\s+12\.0\s+environment\b", table["read_timeout"])
    assert re.search(r"\bindex_dir\s+\S+\s+option\b", table["index_dir"])
    assert "(set, hidden)" in table["web_password"]
    for secret in ("hunter2-secret", "K3Y", "pw@"):
        assert secret not in done.stdout + done.stderr
    assert "https://a.example/rss" in done.stdout

    as_json = run("config", "--json", "--config", str(config), LANG=FRENCH)
    rows = json.loads(as_json.stdout)["settings"]
    assert [row["name"] for row in rows] == setting_names()
    assert {row["origin"] for row in rows} <= {"default", "file", "environment", "option"}


def test_config_show_speaks_french() -> None:
    done = run("config", "--show", LANG=FRENCH)
    assert done.returncode == 0, done.stderr
    header = done.stdout.splitlines()[0].split()
    assert header[:2] == ["RÉGLAGE", "VALEUR"], header
    assert re.search(r"^page_size\s+10\s+défaut\s+FOUILLE_PAGE_SIZE$", done.stdout, re.M)


def test_readme_settings_table_lists_every_setting_and_variable() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    first_cells = [row.split(" | ")[0] for row in rows]
    named = {name for cell in first_cells for name in re.findall(r"`([a-z_]+)`", cell)}
    assert set(setting_names()) <= named
    for name in setting_names():
        for variable in environment_names(name):
            assert f"`{variable}`" in section, variable
    for variable in ("NO_COLOR", "LANG", "LC_ALL", "LC_MESSAGES"):
        assert variable in readme, variable


# --- the web: pages and API errors by Accept-Language ------------------------------------------


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The web sample behind waitress, with no `lang` setting: each reader's browser decides."""
    settings = build_index(
        tmp_path_factory.mktemp("i18n") / "index", sample_articles(), page_size=PAGE_SIZE
    )
    app = create_app(settings, config={"TESTING": True})
    with serve(app) as url:
        yield url
    app.extensions["fouille"].close()


@pytest.fixture(scope="module")
def french_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same, with `lang = "fr"`: the site speaks French unless a reader switches."""
    settings = build_index(
        tmp_path_factory.mktemp("i18n-fr") / "index",
        sample_articles(),
        page_size=PAGE_SIZE,
        lang="fr",
    )
    app = create_app(settings, config={"TESTING": True})
    with serve(app) as url:
        yield url
    app.extensions["fouille"].close()


def get(url: str, accept: str | None = None, **kwargs: Any) -> httpx.Response:
    headers = {"Accept-Language": accept} if accept is not None else {}
    return httpx.get(url, headers=headers, timeout=30, **kwargs)


def html_lang(response: httpx.Response) -> str:
    match = re.search(r'<html lang="([a-z]+)"', response.text)
    assert match, response.text[:300]
    return match.group(1)


@pytest.mark.parametrize(
    ("accept", "lang"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.5", "fr"),
        ("en-GB,en;q=0.8", "en"),
        ("de-DE,en;q=0.7,fr;q=0.5", "en"),
        ("de-DE,fr;q=0.7,en;q=0.5", "fr"),
        ("de-DE", "en"),  # neither language asked for: English
        (None, "fr"),  # no preference at all (curl, scripts): the archive's French
    ],
)
def test_pages_follow_accept_language(bilingual: str, accept: str | None, lang: str) -> None:
    page = get(f"{bilingual}/search?q=données", accept)
    assert page.status_code == 200
    assert html_lang(page) == lang
    footer = {
        "fr": "Fouille, recherche plein texte dans les flux RSS et Atom",
        "en": "Fouille, full-text search in RSS and Atom feeds",
    }
    assert footer[lang] in page.text
    other = "en" if lang == "fr" else "fr"
    assert footer[other] not in page.text
    assert "Accept-Language" in page.headers["Vary"]


def test_api_errors_follow_accept_language(bilingual: str) -> None:
    url = f"{bilingual}/api/search?q=données&page=deux"
    french, english = get(url, "fr"), get(url, "en-US")
    assert french.status_code == english.status_code == 400
    assert french.json() == {
        "error": {
            "code": 400,
            "message": "Le paramètre page doit être un nombre entier, pas 'deux'",
        }
    }
    assert english.json() == {
        "error": {"code": 400, "message": "The parameter page must be a whole number, not 'deux'"}
    }
    # The search JSON keeps its English keys whatever the language.
    found = get(f"{bilingual}/api/search?q=données", "fr").json()
    assert {"hits", "total", "page"} <= set(found)


def test_error_pages_follow_accept_language(bilingual: str) -> None:
    french, english = get(f"{bilingual}/nulle-part", "fr"), get(f"{bilingual}/nulle-part", "en")
    assert french.status_code == english.status_code == 404
    assert "Page introuvable" in french.text and "Cette page n’existe pas" in french.text
    assert "Page not found" in english.text and "This page does not exist" in english.text


def test_a_reader_switches_and_the_choice_is_remembered(bilingual: str) -> None:
    with httpx.Client(base_url=bilingual, headers={"Accept-Language": "fr"}, timeout=30) as http:
        assert html_lang(http.get("/")) == "fr"
        switched = http.get("/", params={"lang": "en"})
        assert html_lang(switched) == "en"
        assert "lang=en" in switched.headers["Set-Cookie"]
        assert html_lang(http.get("/search", params={"q": "données"})) == "en"
        error = http.get("/api/search", params={"q": "x", "page": "deux"}).json()["error"]
        assert error["message"].startswith("The parameter page must be a whole number")


def test_the_lang_setting_wins_over_the_browser(french_site: str) -> None:
    assert html_lang(get(f"{french_site}/", "en-US,en")) == "fr"
    assert html_lang(get(f"{french_site}/?lang=en", "en-US,en")) == "en"


def test_no_index_is_said_in_the_browser_language(tmp_path: Path) -> None:
    app = create_app(Settings(index_dir=tmp_path / "index"), config={"TESTING": True})
    with serve(app) as url:
        french, english = get(f"{url}/api/search?q=x", "fr"), get(f"{url}/api/search?q=x", "en")
    app.extensions["fouille"].close()
    assert french.status_code == english.status_code == 503
    assert french.json()["error"]["message"].startswith("pas d’index dans ")
    assert english.json()["error"]["message"].startswith("no index in ")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from headless_chromium()


@pytest.mark.browser
def test_chromium_reads_the_page_in_its_language_and_switches(browser: Any, bilingual: str) -> None:
    for locale, lang, label in (("en-US", "en", "Search"), ("fr-FR", "fr", "Rechercher")):
        context = browser.new_context(locale=locale)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{bilingual}/")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.get_by_role("button", name=label).count() >= 1
        if lang == "fr":
            page.locator("a.language-switch").click()
            page.wait_for_load_state()
            assert page.locator("html").get_attribute("lang") == "en"
            page.goto(f"{bilingual}/search?q=données")
            assert page.locator("html").get_attribute("lang") == "en"
        context.close()
