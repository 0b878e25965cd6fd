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
