"""`fouille search` as a user runs it: the real console script on a real index."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from faults import REPO, on_a_terminal, run_fouille

from search import Settings


@pytest.fixture
def index_dir(articles_index: Settings) -> Path:
    """The shared index of tests/articles.py (the commands here only read it)."""
    return articles_index.index_dir


def fouille(*args: str, cwd: Path = REPO, **settings: object) -> subprocess.CompletedProcess[str]:
    """`fouille ARGS` in a subprocess, with FOUILLE_* settings from keywords only."""
    return run_fouille(*args, cwd=cwd, **settings)


def test_hits_print_numbered_with_dates(index_dir: Path) -> None:
    done = fouille(
        "search", "vie privée", "--tag", "RGPD", "--since", "2024-01-01", "--index", str(index_dir)
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("1. La CNIL sanctionne un courtier en données personnelles")
    # Dates in the messages' language: English here (the C locale; French in test_i18n.py).
    assert "15 March 2024 · Camille Martin · Next · #RGPD, #Vie privée" in out
    assert "https://next.example/rgpd-cnil" in out
    assert "la vie privée des clients" in out
    assert "\x1b[" not in out  # no styling when the output is not a terminal
    assert "1 result · page 1/1" in out


def test_highlights_are_bold_on_a_terminal(index_dir: Path) -> None:
    output = on_a_terminal("search", "élection", "--index", str(index_dir))
    assert "\x1b[1mélections\x1b[0m" in output


def test_json_output_shape(index_dir: Path) -> None:
    done = fouille("search", "5G", "--sort", "date", "--json", "--index", str(index_dir))
    assert done.returncode == 0
    data = json.loads(done.stdout)
    assert {"query", "total", "page", "pages", "hits", "facets", "suggestion"} <= set(data)
    assert data["total"] == 2
    hit = data["hits"][1]
    assert {
        "id",
        "url",
        "title",
        "author",
        "published",
        "updated",
        "tags",
        "feed",
        "score",
        "snippet",
    } <= set(hit)
    assert hit["id"] == "reseau-5g"
    assert hit["published"] == "2023-07-20T08:00:00+00:00"
    assert "<mark>5G</mark>" in hit["title_html"]
    assert ["Télécoms", 2] in data["facets"]["tags"]
    assert ["2023-07", 1] in data["facets"]["months"]


def test_a_typo_shows_the_corrected_results(index_dir: Path) -> None:
    done = fouille("search", "evenemnt", "--index", str(index_dir))
    assert done.returncode == 0
    assert done.stdout.startswith("Showing results for: événement (nothing matched 'evenemnt';")
    assert "1. " in done.stdout
    data = json.loads(fouille("search", "evenemnt", "--json", "--index", str(index_dir)).stdout)
    assert (data["query"], data["corrected_from"], data["suggestion"]) == (
        "événement",
        "evenemnt",
        None,
    )


def test_as_typed_exits_1_with_a_suggestion(index_dir: Path) -> None:
    done = fouille("search", "evenemnt", "--as-typed", "--index", str(index_dir))
    assert done.returncode == 1
    assert "0 results" in done.stdout
    assert "Did you mean: événement" in done.stdout


def test_index_from_the_environment(index_dir: Path, tmp_path: Path) -> None:
    done = fouille("search", "hôpitaux", cwd=tmp_path, index=index_dir)
    assert done.returncode == 0
    assert "Cyberattaque contre deux hôpitaux" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", "x", "--index", "/nonexistent/fouille"), "run `fouille reindex`"),
        (("search", "x", "--since", "2024-13-45"), "invalid date"),
        (("search", "x", "--page", "0"), "page must be"),
        (("search", "x", "--limit", "100000"), "page size must be"),
        (("search", "x", "--config", "/nonexistent.toml"), "config file"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    index_dir: Path, args: tuple[str, ...], message: str
) -> None:
    extra = () if "--index" in args else ("--index", str(index_dir))
    done = fouille(*args, *extra)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ('"unbalanced', []),  # an unclosed quote: a phrase up to the end
        ('"élections professionnelles', ["elections-vote"]),
        ("x" * 10_000, []),
        ("((( OR", []),
        ("(((élection OR", ["elections-vote"]),
        ("-", []),
        ("hôpitaux -", ["hopitaux"]),
        ("\x1b[31m", []),
    ],
)
def test_malformed_queries_still_answer(index_dir: Path, query: str, found: list[str]) -> None:
    """Query text never errors: it is read leniently, and what it can mean is searched."""
    done = fouille("search", query, "--json", "--index", str(index_dir))
    assert done.stderr == ""
    assert done.returncode == (0 if found else 1)
    data = json.loads(done.stdout)
    assert data["query"] == query
    assert [hit["id"] for hit in data["hits"]] == found
