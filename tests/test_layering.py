"""The layers hold: `search` imports neither `indexer`, `web` nor `fouille`; `indexer` and `web`
never import each other nor `fouille`, the command line above them all.

Imports are checked in a fresh interpreter (what this test process already loaded cannot hide
anything), and the source is read for import statements and import strings, so that a lazy
import inside a function is caught too.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: Each layer, and the layers it must never load.
FORBIDDEN = {
    "search": ("indexer", "web", "fouille"),
    "indexer": ("web", "fouille"),
    "web": ("indexer", "fouille"),
}

# Imports every module of a package in turn, and says which layers each one brought in.
PROBE = """
import importlib, json, sys
sys.path.insert(0, sys.argv[1])
forbidden = set(sys.argv[3].split(","))
seen = {}
for name in sys.argv[2].split(","):
    importlib.import_module(name)
    seen[name] = sorted({m.split(".")[0] for m in sys.modules} & forbidden)
print(json.dumps(seen))
"""


def modules(package: str) -> list[str]:
    """Every module of `package`, from its files (the package itself first)."""
    root = REPO / package
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return sorted(names, key=lambda name: (name != package, name))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_importing_a_layer_loads_no_layer_above_or_beside_it(layer: str) -> None:
    names = modules(layer)
    assert names[0] == layer and len(names) > 3
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(REPO), ",".join(names), ",".join(FORBIDDEN[layer])],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert set(seen) == set(names)
    # The first module after whose import a forbidden layer appeared is the culprit.
    culprits = {name: layers for name, layers in seen.items() if layers}
    assert not culprits, f"importing {next(iter(culprits))} loads {culprits}"


def imported_names(path: Path) -> list[tuple[int, str]]:
    """(line, module) for each import statement, and each string that names a module of this
    repository as an import path (`pkg.module` or `pkg.module:attr`), in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and IMPORT_STRING.fullmatch(node.value)
            and _is_our_module(node.value)
        ):
            found.append((node.lineno, node.value))
    return sorted(set(found))


IMPORT_STRING = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+(:[A-Za-z_]\w*)?")


def _is_our_module(text: str) -> bool:
    """Whether `pkg.module[:attr]` is a module of this repository (`fouille.toml` is not)."""
    path = REPO.joinpath(*text.partition(":")[0].split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _is_dynamic_import(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in ("import_module", "__import__", "find_spec")


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_module_names_a_forbidden_layer(layer: str) -> None:
    offences = []
    for path in sorted((REPO / layer).rglob("*.py")):
        for line, name in imported_names(path):
            top = re.split(r"[.:]", name)[0]
            if top in FORBIDDEN[layer]:
                offences.append(f"{path.relative_to(REPO)}:{line}: {name}")
    assert offences == []


def test_the_static_check_sees_imports_and_import_strings(tmp_path: Path) -> None:
    """The checker itself: each way of naming a module is found."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import web\n"
        "from indexer.build import reindex\n"
        "def f():\n"
        "    import fouille.cli\n"
        "    importlib.import_module('web')\n"
        "COMMANDS = {'serve': 'web.views:bp'}\n"
        "FILES = ('fouille.toml', 'web.svg', 'not.an import string')\n",
        encoding="utf-8",
    )
    assert imported_names(sample) == [
        (1, "web"),
        (2, "indexer.build"),
        (4, "fouille.cli"),
        (5, "web"),
        (6, "web.views:bp"),
    ]
