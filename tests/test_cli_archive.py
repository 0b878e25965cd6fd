"""Issue 14 from the terminal, as a user runs it (the real console script, a real index):
`fouille show`, `fouille related`, `fouille search --explain / --facets / --all-versions`,
dates in the query, and a tag the index does not have."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from archive_sample import ODD_ID, SECRET, VELO_PARAGRAPHS, VELO_TITLE, archive_articles
from faults import REPO, run_fouille

from search import Settings, article_key
from tests.articles import build_index


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings: Settings = build_index(tmp_path_factory.mktemp("cli") / "index", archive_articles())
    return settings.index_dir


def fouille(index_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_fouille(*args, "--index", str(index_dir), cwd=REPO)


def test_show_prints_the_article_in_full(index_dir: Path) -> None:
    done = fouille(index_dir, "show", "velo-lyon", "-q", "pistes cyclables")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == VELO_TITLE
    assert (
        "(updated " in lines[1] and "Claire Fontaine · Le Quotidien · #Mobilité, #Lyon" in lines[1]
    )
    assert lines[2].startswith("https://quotidien.example/articles/velo-lyon#:~:text=")
    for paragraph in VELO_PARAGRAPHS:
        assert paragraph in lines
    assert any(line.startswith("Related: ") for line in lines)
    assert "\x1b[" not in done.stdout


def test_show_json_is_the_api_shape(index_dir: Path) -> None:
    done = fouille(index_dir, "show", "velo-lyon", "--json")
    data = json.loads(done.stdout)
    assert data["id"] == "velo-lyon" and data["key"] == article_key("velo-lyon")
    assert data["paragraphs"] == list(VELO_PARAGRAPHS)
    assert len(data["related"]) == 5 and data["link"] == data["url"]


def test_show_takes_an_id_or_its_key(index_dir: Path) -> None:
    by_key = fouille(index_dir, "show", article_key(ODD_ID), "--json")
    assert by_key.returncode == 0, by_key.stderr
    assert json.loads(by_key.stdout)["id"] == ODD_ID
    assert json.loads(fouille(index_dir, "show", ODD_ID, "--json").stdout)["id"] == ODD_ID


def test_an_unknown_article_is_one_line_and_exit_1(index_dir: Path) -> None:
    done = fouille(index_dir, "show", "nope")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == "fouille: no article with id 'nope' (ids are in `search --json`)"
    assert fouille(index_dir, "related", "nope").returncode == 1


def test_related_lists_numbered_hits(index_dir: Path) -> None:
    done = fouille(index_dir, "related", "velo-lyon", "--limit", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1. ") and "\n2. " in done.stdout and "\n3. " not in done.stdout
    data = json.loads(fouille(index_dir, "related", "velo-lyon", "--json").stdout)
    assert data["id"] == "velo-lyon" and len(data["related"]) == 5
    assert "velo-lyon" not in [hit["id"] for hit in data["related"]]
    bad = fouille(index_dir, "related", "velo-lyon", "--limit", "0")
    assert bad.returncode == 2 and "--limit" in bad.stderr


def test_search_explain_says_why_part_by_part(index_dir: Path) -> None:
    done = fouille(index_dir, "search", "l’école OU cantines", "--explain")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Query as searched: ecole OU cantines\n")
    assert "   why: score " in out
    assert "     cantines → cantin in text: " in out and "(tf " in out
    assert "in title: " in out and "weight 2" in out


def test_search_explain_json_and_freshness(index_dir: Path) -> None:
    data = json.loads(fouille(index_dir, "search", "cantines", "--explain", "--json").stdout)
    assert data["normalized"] == "cantines"
    why = data["hits"][0]["explanation"]
    assert sum(part["score"] for part in why["parts"]) == pytest.approx(why["score"], abs=1e-3)
    fresh = fouille(index_dir, "search", "cantines", "--explain", "--sort", "fresh")
    assert " = relevance " in fresh.stdout and " × freshness " in fresh.stdout


def test_search_facets_names_feeds_and_authors(index_dir: Path) -> None:
    done = fouille(index_dir, "search", "métropole OU commerçants", "--facets")
    lines = done.stdout.splitlines()
    feeds = next(line for line in lines if line.startswith("Feeds: "))
    assert "Le Quotidien (" in feeds and "L’Hebdo (" in feeds
    authors = next(line for line in lines if line.startswith("Authors: "))
    assert "Claire Fontaine (" in authors and "Paul Renard (" in authors
    assert not any(
        line.startswith("Feeds: ")
        for line in fouille(index_dir, "search", "métropole").stdout.splitlines()
    )


def test_versions_are_grouped_unless_asked(index_dir: Path) -> None:
    grouped = fouille(index_dir, "search", "cantines bio")
    assert "   2 versions; also: Le Quotidien (" in grouped.stdout
    assert "2 results (1 story) · page 1/1" in grouped.stdout
    every = fouille(index_dir, "search", "cantines bio", "--all-versions")
    assert every.stdout.count("\n2. ") == 1 and "versions" not in every.stdout


def test_an_unknown_tag_names_the_nearest(index_dir: Path) -> None:
    done = fouille(index_dir, "search", "vélo", "--tag", "mobilte")
    assert done.returncode == 1
    assert done.stderr == "fouille: no article has the tag 'mobilte'; nearest tags: Mobilité\n"
    assert "0 results" in done.stdout
    json_done = fouille(index_dir, "search", "vélo", "--tag", "lyo", "--json")
    assert json.loads(json_done.stdout)["unknown_tags"] == [{"tag": "lyo", "nearest": ["Lyon"]}]
    assert fouille(index_dir, "search", "vélo", "--tag", "zzzz").stderr == (
        "fouille: no article has the tag 'zzzz'\n"
    )


def test_dates_in_the_query_are_said(index_dir: Path) -> None:
    done = fouille(index_dir, "search", "cantines depuis:2000 avant:2100")
    assert done.returncode == 0, done.stderr
    assert "Dates from the query: depuis:2000 avant:2100 (2000-01-01 to 2099-12-31)" in done.stdout
    assert (
        fouille(index_dir, "search", "cantines il y a 2 jours").returncode == 1
    )  # 3 and 6 days old


def test_no_secret_in_any_output(index_dir: Path) -> None:
    hit = json.loads(fouille(index_dir, "search", "retraites", "--json", "--explain").stdout)
    ident = hit["hits"][0]["id"]
    for args in (
        ("search", "retraites", "--explain", "--facets"),
        ("show", ident),
        ("related", ident),
    ):
        done = fouille(index_dir, *args)
        assert SECRET not in done.stdout + done.stderr and "motdepasse" not in done.stdout
