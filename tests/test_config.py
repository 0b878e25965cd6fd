"""Settings flow from defaults, then the config file, then FOUILLE_* variables, then options."""

from __future__ import annotations

from pathlib import Path

import pytest

from search import ConfigError, FeedConfig, Settings


def test_defaults_follow_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.load(environ={})
    assert settings.index_dir == Path("index")
    assert settings.feeds == (FeedConfig("https://next.ink/feed/", "Next"),)


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "fouille.toml"
    config.write_text(
        'index_dir = "data/idx"\npage_size = 20\n'
        '[[feeds]]\nurl = "https://a.example/feed"\nname = "A"\ntags = ["Tech"]\n',
        encoding="utf-8",
    )
    settings = Settings.load(config, environ={"FOUILLE_PAGE_SIZE": "30"})
    assert settings.index_dir == tmp_path / "data" / "idx"
    assert settings.page_size == 30
    assert settings.feeds == (FeedConfig("https://a.example/feed", "A", ("Tech",)),)
    assert Settings.load(config, environ={}, page_size=5).page_size == 5
    env = {"FOUILLE_CONFIG": str(config), "FOUILLE_INDEX": "/srv/idx"}
    assert Settings.load(environ=env).index_dir == Path("/srv/idx")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("page_size = 'many'", "invalid value for page_size"),
        ("colour = 'blue'", "unknown setting 'colour'"),
        ("[[feeds]]\nname = 'no url'", "a feed needs a url"),
        ("not toml at all [", "cannot read config file"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "fouille.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        Settings.load(config, environ={})


def test_paths_given_as_strings_become_paths() -> None:
    assert Settings(index_dir="somewhere").index_dir == Path("somewhere")


# --- precedence, one setting at a time --------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "default", "in_file", "in_env", "override"),
    [
        ("page_size", 10, "20", "30", 40),
        ("max_page_size", 100, "200", "300", 400),
        ("port", 8000, "8001", "8002", 8003),
        ("host", "127.0.0.1", '"0.0.0.0"', "::1", "localhost"),
        ("fresh_half_life_days", 30.0, "7.5", "14", 2.0),
        ("read_timeout", 30.0, "5", "6.5", 7.0),
        ("user_agent", None, '"from-file"', "from-env", "from-option"),
    ],
)
def test_each_layer_wins_over_the_one_before(
    tmp_path: Path, name: str, default: object, in_file: str, in_env: str, override: object
) -> None:
    config = write(tmp_path / "fouille.toml", f"{name} = {in_file}\n")
    env = {f"FOUILLE_{name.upper()}": in_env}
    defaults = Settings()
    if default is not None:
        assert getattr(defaults, name) == default
    from_file = getattr(Settings.load(config, environ={}), name)
    from_env = getattr(Settings.load(config, environ=env), name)
    from_option = getattr(Settings.load(config, environ=env, **{name: override}), name)
    assert from_file == type(getattr(defaults, name))(in_file.strip('"'))
    assert from_env == type(getattr(defaults, name))(in_env)
    assert from_option == override
    # None means "option not given": the layers below show through.
    assert getattr(Settings.load(config, environ=env, **{name: None}), name) == from_env


def test_the_fouille_section_is_read_like_the_top_level(tmp_path: Path) -> None:
    config = write(tmp_path / "fouille.toml", "[fouille]\npage_size = 7\nport = 9000\n")
    settings = Settings.load(config, environ={})
    assert (settings.page_size, settings.port) == (7, 9000)
    assert settings.config_file == config


def test_the_config_file_comes_from_the_argument_then_the_environment_then_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = write(tmp_path / "given.toml", "page_size = 11\n")
    from_env = write(tmp_path / "env.toml", "page_size = 12\n")
    (tmp_path / "cwd").mkdir()
    write(tmp_path / "cwd" / "fouille.toml", "page_size = 13\n")
    monkeypatch.chdir(tmp_path / "cwd")
    env = {"FOUILLE_CONFIG": str(from_env)}
    assert Settings.load(given, environ=env).page_size == 11
    assert Settings.load(environ=env).page_size == 12
    assert Settings.load(environ={}).page_size == 13
    assert Settings.load(environ={}).config_file == Path("fouille.toml")
    monkeypatch.chdir(tmp_path)
    assert Settings.load(environ={}).config_file is None


@pytest.mark.parametrize("where", ["argument", "environment"])
def test_a_missing_config_file_is_a_clear_error(tmp_path: Path, where: str) -> None:
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError, match=r"nowhere\.toml not found") as info:
        if where == "argument":
            Settings.load(missing, environ={})
        else:
            Settings.load(environ={"FOUILLE_CONFIG": str(missing)})
    assert "\n" not in str(info.value)


def test_a_relative_index_dir_is_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "etc").mkdir()
    config = write(tmp_path / "etc" / "fouille.toml", 'index_dir = "../var/index"\n')
    monkeypatch.chdir(tmp_path / "etc")
    assert Settings.load(config, environ={}).index_dir == tmp_path / "etc" / ".." / "var" / "index"
    write(config, f'index_dir = "{tmp_path / "abs"}"\n')
    assert Settings.load(config, environ={}).index_dir == tmp_path / "abs"
    # From the environment or an option, a relative path is relative to where one runs.
    assert Settings.load(config, environ={"FOUILLE_INDEX": "rel"}).index_dir == Path("rel")
    assert Settings.load(config, environ={}, index_dir="opt").index_dir == Path("opt")


def test_index_dir_from_the_environment_has_two_names(tmp_path: Path) -> None:
    assert Settings.load(environ={"FOUILLE_INDEX": "a"}).index_dir == Path("a")
    assert Settings.load(environ={"FOUILLE_INDEX_DIR": "b"}).index_dir == Path("b")


def test_feeds_from_the_environment_are_urls_separated_by_spaces() -> None:
    feeds = " https://a.example/f  https://b.example/g "
    settings = Settings.load(environ={"FOUILLE_FEEDS": feeds})
    assert settings.feeds == (FeedConfig("https://a.example/f"), FeedConfig("https://b.example/g"))


def test_feeds_in_the_file_take_strings_tables_and_a_single_tag(tmp_path: Path) -> None:
    config = write(
        tmp_path / "fouille.toml",
        'feeds = ["https://a.example/f", {url = "https://b.example/g", name = "B", tags = "T"}]\n',
    )
    assert Settings.load(config, environ={}).feeds == (
        FeedConfig("https://a.example/f"),
        FeedConfig("https://b.example/g", "B", ("T",)),
    )


def test_empty_and_unknown_environment_variables_are_ignored() -> None:
    settings = Settings.load(environ={"FOUILLE_PAGE_SIZE": "", "FOUILLE_COLOUR": "blue"})
    assert settings.page_size == 10


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FOUILLE_PAGE_SIZE": "many"}, "invalid value for page_size: 'many'"),
        ({"FOUILLE_PORT": "http"}, "invalid value for port"),
        ({"FOUILLE_READ_TIMEOUT": "soon"}, "invalid value for read_timeout"),
        ({"FOUILLE_MAX_FEED_BYTES": "1e3"}, "invalid value for max_feed_bytes"),
    ],
)
def test_bad_environment_values_are_one_line_errors(env: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        Settings.load(environ=env)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"colour": "blue"}, "unknown setting 'colour'"),
        ({"page_size": "x"}, "invalid value for page_size"),
        ({"feeds": [{"name": "no url"}]}, "a feed needs a url"),
    ],
)
def test_bad_overrides_are_one_line_errors(overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        Settings.load(environ={}, **overrides)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "page_size = 'many'",
        "colour = 'blue'",
        "[[feeds]]\nname = 'no url'",
        "not toml at all [",
        "feeds = 5",
        "feeds = [5]",
        'page_size = ""',
        "[fouille]\nwhat = 1",
    ],
)
def test_every_config_error_is_one_line(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.load(write(tmp_path / "fouille.toml", text), environ={})
    assert str(info.value) and "\n" not in str(info.value)


def test_a_non_string_index_dir_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Settings.load(write(tmp_path / "fouille.toml", "index_dir = 5\n"), environ={})


def test_a_single_feed_string_is_one_feed_or_an_error(tmp_path: Path) -> None:
    config = write(tmp_path / "fouille.toml", 'feeds = "https://a.example/feed"\n')
    try:
        feeds = Settings.load(config, environ={}).feeds
    except ConfigError:
        return
    assert feeds == (FeedConfig("https://a.example/feed"),)


@pytest.mark.parametrize(
    "text",
    ["page_size = 0", "page_size = -5", "max_page_size = 0", "port = 99999", "port = 80.5",
     "page_size = true", "read_timeout = 'nan'", "read_timeout = -1", "fetch_workers = 0",
     "connections_per_host = 3", "workers = -1"],
)  # fmt: skip
def test_an_out_of_range_number_is_a_config_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError):
        Settings.load(write(tmp_path / "fouille.toml", text + "\n"), environ={})


def test_protected_words_and_synonyms_from_the_file_and_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "fouille.toml"
    config.write_text(
        'protected_words = ["Qwant", "Proton Mail"]\n'
        'synonyms = [["Qwant", "moteur de recherche français"]]\n',
        encoding="utf-8",
    )
    settings = Settings.load(config, environ={})
    assert settings.protected_words == ("Qwant", "Proton Mail")
    assert settings.synonyms == (("Qwant", "moteur de recherche français"),)
    env = {"FOUILLE_PROTECTED_WORDS": "Qwant, Proton Mail", "FOUILLE_SYNONYMS": "a,b;c, d ,e"}
    settings = Settings.load(environ=env)
    assert settings.protected_words == ("Qwant", "Proton Mail")
    assert settings.synonyms == (("a", "b"), ("c", "d", "e"))


@pytest.mark.parametrize(
    "line",
    [
        'synonyms = [["seul"]]',
        'synonyms = ["a", "b"]',
        'protected_words = ["' + "x" * 300 + '"]',
    ],
)
def test_a_bad_vocabulary_setting_is_a_clear_error(tmp_path: Path, line: str) -> None:
    config = tmp_path / "fouille.toml"
    config.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"protected_words|synonym"):
        Settings.load(config, environ={})


@pytest.mark.parametrize(("value", "ok"), [("0", True), ("10", True), ("11", False), ("-1", False)])
def test_trusted_proxies_are_zero_to_ten(value: str, ok: bool) -> None:
    env = {"FOUILLE_TRUSTED_PROXIES": value}
    if ok:
        assert Settings.load(environ=env).trusted_proxies == int(value)
    else:
        with pytest.raises(ConfigError, match=f"invalid value for trusted_proxies: '{value}'"):
            Settings.load(environ=env)


def test_vocabulary_terms_are_lists_of_at_most_200_characters(tmp_path: Path) -> None:
    config = tmp_path / "fouille.toml"
    config.write_text(f'protected_words = ["{"x" * 200}"]\n', encoding="utf-8")
    assert Settings.load(config, environ={}).protected_words == ("x" * 200,)
    config.write_text(f'protected_words = ["{"x" * 201}"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="at most 5000 terms of 200 characters"):
        Settings.load(config, environ={})
    config.write_text("[protected_words]\nqwant = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="protected_words must be a list of words"):
        Settings.load(config, environ={})
