"""Disk trouble (issue 6): an index directory that is read-only, and a disk that fills up during
a reindex and during a rebuild. `fouille reindex` says so in one line, without a traceback,
and the index as it was stays searchable.

The tests run as root, whom `chmod` does not stop: the faults are real mounts (a read-only
bind mount, a small tmpfs) made in a private mount namespace (`unshare -m`) that disappears
with the test. Where that cannot be arranged the tests skip and say why.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from faults import assert_no_traceback, fouille_argv, fouille_env, run_fouille

pytestmark = pytest.mark.slow

BEFORE = 40  # articles indexed before the trouble, all carrying the word "zqavant"


def write_feed(path: Path, prefix: str, count: int, marker: str, *, words: int = 10) -> Path:
    items = "".join(
        f"<item><title>Article {marker} numéro {n}</title>"
        f"<link>https://disk.example/{prefix}/{n}</link>"
        f"<guid>https://disk.example/{prefix}/{n}</guid>"
        f"<pubDate>Mon, 02 Jun 2025 10:00:00 +0200</pubDate>"
        f"<description>{'Un texte de remplissage pour le disque. ' * words} mot{n}</description>"
        "</item>"
        for n in range(count)
    )
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Disque</title>'
        f"<link>https://disk.example/</link><description>d</description>{items}</channel></rss>",
        encoding="utf-8",
    )
    return path


def _namespaces_work(tmp: Path) -> str:
    """Why private mounts cannot be made here ("" when they can)."""
    if os.geteuid() != 0:
        return "mounting needs root"
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "unshare(1) and mount(8) are needed"
    probe = tmp / "probe"
    probe.mkdir()
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         f"mount -t tmpfs -o size=64k none {probe} && touch {probe}/x"],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    return "" if done.returncode == 0 else f"cannot mount in a namespace: {done.stderr.strip()}"


@pytest.fixture
def prepared(tmp_path: Path) -> Path:
    """An index of BEFORE articles in tmp_path/index (skips when mounts are impossible)."""
    reason = _namespaces_work(tmp_path)
    if reason:
        pytest.skip(reason)
    index = tmp_path / "index"
    feed = write_feed(tmp_path / "before.xml", "before", BEFORE, "zqavant")
    done = run_fouille("reindex", "--index", str(index), "--feed", str(feed), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return index


def in_namespace(tmp: Path, setup: str, steps: dict[str, list[str]]) -> dict[str, dict]:
    """Run `setup` (shell) then each fouille command in one private mount namespace.

    Returns each step's {rc, out, err}; output files live outside the mounts.
    """
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    lines = ["set -u", setup]
    for name, args in steps.items():
        argv = " ".join(shlex.quote(a) for a in fouille_argv(*args))
        lines.append(f"{argv} >{out}/{name}.out 2>{out}/{name}.err; echo $? >{out}/{name}.rc")
    script = "\n".join(lines)
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        cwd=tmp,
        env=fouille_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {
        name: {
            "rc": int((out / f"{name}.rc").read_text()),
            "out": (out / f"{name}.out").read_text(),
            "err": (out / f"{name}.err").read_text(),
        }
        for name in steps
    }


def assert_one_line_error(step: dict, *words: str) -> None:
    assert_no_traceback(step["out"], step["err"])
    assert step["rc"] == 2, step
    lines = step["err"].strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fouille: "), lines
    assert any(word.lower() in lines[0].lower() for word in words), lines[0]


def assert_still_searchable(step: dict) -> None:
    assert step["rc"] == 0, step
    assert json.loads(step["out"])["total"] == BEFORE


def test_read_only_index_directory(prepared: Path, tmp_path: Path) -> None:
    index = str(prepared)
    feed = str(write_feed(tmp_path / "new.xml", "new", 5, "zqnouveau"))
    setup = f"mount --bind {index} {index} && mount -o remount,ro,bind {index} || exit 1"
    steps = in_namespace(
        tmp_path,
        setup,
        {
            "reindex": ["reindex", "--index", index, "--feed", feed],
            "rebuild": ["reindex", "--index", index, "--rebuild"],
            "search": ["search", "--json", "--limit", "100", "--index", index, "zqavant"],
            "new": ["search", "--json", "--index", index, "zqnouveau"],
        },
    )
    assert_one_line_error(steps["reindex"], "read-only")
    assert_one_line_error(steps["rebuild"], "read-only")
    assert_still_searchable(steps["search"])
    assert steps["new"]["rc"] == 1  # nothing was half-written


@pytest.mark.parametrize("room", ["tiny", "half"])
def test_disk_full_during_reindex_and_rebuild(prepared: Path, tmp_path: Path, room: str) -> None:
    """60 kB free (the first write fails), and half the index's size (a rebuild, which
    writes a whole new copy, fails half-way)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    used_kb = sum(p.stat().st_size for p in prepared.rglob("*") if p.is_file()) // 1024
    room_kb = 60 if room == "tiny" else max(used_kb // 2, 60)
    size_kb = used_kb + 64 + room_kb
    feed = str(write_feed(tmp_path / "big.xml", "big", 3000, "zqplein", words=30))
    index = str(mnt / "index")
    setup = f"mount -t tmpfs -o size={size_kb}k none {mnt} && cp -a {prepared} {index} || exit 1"
    steps = in_namespace(
        tmp_path,
        setup,
        {
            "reindex": ["reindex", "--index", index, "--feed", feed],
            "search": ["search", "--json", "--limit", "100", "--index", index, "zqavant"],
            "rebuild": ["reindex", "--index", index, "--rebuild"],
            "after": ["search", "--json", "--limit", "100", "--index", index, "zqavant"],
            "again": ["reindex", "--index", index, "--feed", feed],
            "last": ["search", "--json", "--limit", "100", "--index", index, "zqavant"],
        },
    )
    assert_one_line_error(steps["reindex"], "space")
    assert_still_searchable(steps["search"])
    assert_one_line_error(steps["rebuild"], "space")
    assert_still_searchable(steps["after"])
    assert_one_line_error(steps["again"], "space")  # still full: the same clear message
    assert_still_searchable(steps["last"])
