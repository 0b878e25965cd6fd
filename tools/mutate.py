"""Mutation testing for search/: do the fast tests notice when the core's code is changed?

Each mutant is one small change to one module (a comparison flipped, an operator swapped, a
constant moved, a condition negated, a return dropped, ``max``/``min`` or ``and``/``or``
swapped, a call removed). It is written into a private copy of the repository (the work tree is
never changed), then the fast tests that run the mutated line are run on it (``-x``, file order).
A failing run, a run that cannot import the mutated module, or one past its timeout kills the
mutant; a passing run lets it survive. Which tests run which line comes from one traced run of
the fast suite (``tools/mutate_trace.py``), cached in ``.mutate/`` until tests/ or search/ change.

Known equivalent mutants (no test can tell them apart from the original) are listed in
``tools/mutate_equivalent.toml`` and left out of the score.

    python -m tools.mutate                          # every module, 30 mutants each, seed 1
    python -m tools.mutate --module search/query.py --per-module 0   # all of one module
    python -m tools.mutate --list --module search/dates.py            # the mutants, not run
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import dataclasses
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT_FILE = ROOT / "tools" / "mutate_equivalent.toml"
CACHE = ROOT / ".mutate"
FAST = "not slow and not browser"
#: Seconds a mutant's tests may take at most (past it, the mutant counts as killed).
MAX_TIMEOUT = 240.0

_COMPARE_SWAP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_BINOP_SWAP: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
    ast.BitXor: ast.BitAnd,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
}
_LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}


@dataclass(frozen=True)
class Mutant:
    """One change to one module, with what identifies it independently of line numbers."""

    module: str  # "search/query.py"
    line: int
    end_line: int
    start: int  # byte offsets of the replaced span in the file
    end: int
    replacement: str
    kind: str
    function: str  # qualified name of the enclosing function or class, "" at module level
    original: str  # the original code, normalised by ast.unparse
    mutated: str
    in_body: bool  # inside a function body (else it runs at import time)
    source_line: str  # the text of the mutant's first line, stripped
    occurrence: int = 1  # the how-manieth mutant alike (same function, code and line text)

    @property
    def ident(self) -> str:
        return f"{self.module}:{self.line}:{self.start}:{self.kind}"

    def describe(self) -> str:
        where = f" in {self.function}" if self.function else ""
        change = f"`{self.original}` → `{self.mutated}`"
        return f"{self.module}:{self.line}{where}: {self.kind}: {change}"


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed, survived, equivalent, timeout, broken, uncovered
    seconds: float = 0.0
    tests: int = 0
    detail: str = ""


@dataclass
class _Context:
    function: list[str] = field(default_factory=list)
    in_body: bool = False


def _snippet(node: ast.AST) -> str:
    return " ".join(ast.unparse(node).split())


def _is_log_call(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in _LOG_METHODS
        and isinstance(func.value, ast.Name)
        and func.value.id.lower().lstrip("_") in {"log", "logger"}
    )


class _Finder:
    """Walks one module's tree and lists its mutants."""

    def __init__(self, module: str, source: bytes) -> None:
        self.module = module
        self.source = source
        self.line_starts = [0]
        for index, byte in enumerate(source):
            if byte == 0x0A:
                self.line_starts.append(index + 1)
        self.mutants: list[Mutant] = []

    def source_line(self, line: int) -> str:
        start = self.line_starts[line - 1]
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.source)
        return " ".join(self.source[start:end].decode().split())

    def offset(self, line: int, col: int) -> int:
        return self.line_starts[line - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def add(
        self,
        node: ast.AST,
        replacement: str,
        kind: str,
        mutated: str,
        ctx: _Context,
        *,
        original: str | None = None,
    ) -> None:
        start, end = self.span(node)
        self.mutants.append(
            Mutant(
                module=self.module,
                line=node.lineno,  # type: ignore[attr-defined]
                end_line=node.end_lineno,  # type: ignore[attr-defined]
                start=start,
                end=end,
                replacement=replacement,
                kind=kind,
                function=".".join(ctx.function),
                original=original if original is not None else _snippet(node),
                mutated=mutated,
                in_body=ctx.in_body,
                source_line=self.source_line(node.lineno),  # type: ignore[attr-defined]
            )
        )

    def expr_mutant(self, node: ast.expr, new: ast.expr, kind: str, ctx: _Context) -> None:
        text = ast.unparse(new)
        self.add(node, f"({text})", kind, " ".join(text.split()), ctx)

    # -- the walk ------------------------------------------------------------------------------
    def run(self, tree: ast.Module) -> list[Mutant]:
        self.body(tree.body, _Context())
        return self.mutants

    def body(self, statements: list[ast.stmt], ctx: _Context) -> None:
        for index, stmt in enumerate(statements):
            docstring = (
                index == 0
                and isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
            )
            if not docstring:
                self.statement(stmt, ctx)

    def statement(self, stmt: ast.stmt, ctx: _Context) -> None:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            for default in [*stmt.args.defaults, *stmt.args.kw_defaults]:
                if default is not None:
                    self.expr(default, ctx)
            inner = _Context([*ctx.function, stmt.name], True)
            self.body(stmt.body, inner)
            return
        if isinstance(stmt, ast.ClassDef):
            self.body(stmt.body, _Context([*ctx.function, stmt.name], ctx.in_body))
            return
        if isinstance(stmt, ast.If):
            if _snippet(stmt.test) in {"TYPE_CHECKING", "__name__ == '__main__'"}:
                return
            self.negate(stmt.test, ctx)
            self.expr(stmt.test, ctx)
            self.body(stmt.body, ctx)
            self.body(stmt.orelse, ctx)
            return
        if isinstance(stmt, ast.While):
            self.negate(stmt.test, ctx)
            self.expr(stmt.test, ctx)
            self.body(stmt.body, ctx)
            self.body(stmt.orelse, ctx)
            return
        if isinstance(stmt, ast.For | ast.AsyncFor):
            self.expr(stmt.iter, ctx)
            self.body(stmt.body, ctx)
            self.body(stmt.orelse, ctx)
            return
        if isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                self.expr(item.context_expr, ctx)
            self.body(stmt.body, ctx)
            return
        if isinstance(stmt, ast.Try):
            self.body(stmt.body, ctx)
            for handler in stmt.handlers:
                self.body(handler.body, ctx)
            self.body(stmt.orelse, ctx)
            self.body(stmt.finalbody, ctx)
            return
        if isinstance(stmt, ast.Return):
            if stmt.value is not None and not (
                isinstance(stmt.value, ast.Constant) and stmt.value.value is None
            ):
                self.add(stmt.value, "None", "return None", "None", ctx)
                self.expr(stmt.value, ctx)
            return
        if isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, ast.Call) and _is_log_call(stmt.value):
                return
            if isinstance(stmt.value, ast.Call | ast.Await) and ctx.in_body:
                self.add(stmt, "pass", "remove call", "pass", ctx)
            self.expr(stmt.value, ctx)
            return
        if isinstance(stmt, ast.Assign):
            names = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
            if "__all__" in names or "__slots__" in names:
                return
            self.expr(stmt.value, ctx)
            for target in stmt.targets:
                if not isinstance(target, ast.Name):
                    self.expr(target, ctx)
            return
        if isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.expr(stmt.value, ctx)
            return
        if isinstance(stmt, ast.AugAssign):
            swapped = _BINOP_SWAP.get(type(stmt.op))
            if swapped is not None:
                new = copy.deepcopy(stmt)
                new.op = swapped()
                text = ast.unparse(new)
                self.add(stmt, text, "operator", text, ctx)
            self.expr(stmt.value, ctx)
            return
        if isinstance(stmt, ast.Break):
            self.add(stmt, "continue", "break → continue", "continue", ctx)
            return
        if isinstance(stmt, ast.Continue):
            self.add(stmt, "break", "continue → break", "break", ctx)
            return
        if isinstance(stmt, ast.Raise | ast.Assert | ast.Delete | ast.Pass):
            return
        if isinstance(stmt, ast.Import | ast.ImportFrom | ast.Global | ast.Nonlocal):
            return
        if isinstance(stmt, ast.Match):
            self.expr(stmt.subject, ctx)
            for case in stmt.cases:
                self.body(case.body, ctx)
            return

    def negate(self, test: ast.expr, ctx: _Context) -> None:
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return  # the `not` removal covers it
        text = ast.unparse(test)
        self.add(test, f"not ({text})", "negate", f"not ({_snippet(test)})", ctx)

    def expr(self, node: ast.expr, ctx: _Context) -> None:
        for child in self._walk(node):
            self.mutate_expr(child, ctx)

    def _walk(self, node: ast.AST) -> Iterator[ast.AST]:
        """Every node of an expression, skipping f-strings, lambdas' insides stay in."""
        if isinstance(node, ast.JoinedStr):
            return
        yield node
        for child in ast.iter_child_nodes(node):
            yield from self._walk(child)

    def mutate_expr(self, node: ast.AST, ctx: _Context) -> None:
        if isinstance(node, ast.Compare):
            for index, op in enumerate(node.ops):
                swapped = _COMPARE_SWAP.get(type(op))
                if swapped is None:
                    continue
                new = copy.deepcopy(node)
                new.ops[index] = swapped()
                self.expr_mutant(node, new, "comparison", ctx)
        elif isinstance(node, ast.BinOp):
            binop = _BINOP_SWAP.get(type(node.op))
            if binop is not None:
                new = copy.deepcopy(node)
                new.op = binop()
                self.expr_mutant(node, new, "operator", ctx)
        elif isinstance(node, ast.BoolOp):
            new = copy.deepcopy(node)
            new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            self.expr_mutant(node, new, "and ↔ or", ctx)
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not | ast.USub | ast.Invert):
                self.expr_mutant(node, node.operand, f"drop {type(node.op).__name__.lower()}", ctx)
        elif isinstance(node, ast.IfExp):
            self.negate(node.test, ctx)
        elif isinstance(node, ast.comprehension):
            for condition in node.ifs:
                self.negate(condition, ctx)
        elif isinstance(node, ast.Name) and node.id in {"max", "min"}:
            other = "min" if node.id == "max" else "max"
            self.add(node, other, "max ↔ min", other, ctx)
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                new_value: object = not value
            elif isinstance(value, int):
                new_value = {0: 1, 1: 0}.get(value, value + 1)
            elif isinstance(value, float):
                new_value = 1.0 if value == 0 else value + 1.0
            else:
                return
            new = ast.Constant(new_value)
            self.expr_mutant(node, new, "constant", ctx)


def find_mutants(module: str, source: bytes) -> list[Mutant]:
    """Every mutant of one module, in source order."""
    tree = ast.parse(source, filename=module)
    found = sorted(_Finder(module, source).run(tree), key=lambda m: (m.start, m.end))
    seen: dict[tuple[str, ...], int] = {}
    out = []
    for mutant in found:
        key = (mutant.function, mutant.original, mutant.mutated, mutant.source_line)
        seen[key] = seen.get(key, 0) + 1
        out.append(dataclasses.replace(mutant, occurrence=seen[key]))
    return out


def apply(mutant: Mutant, source: bytes) -> bytes:
    return source[: mutant.start] + mutant.replacement.encode() + source[mutant.end :]


# -- equivalent mutants ----------------------------------------------------------------------------
def load_equivalents(path: Path = EQUIVALENT_FILE) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open("rb") as f:
        data = tomllib.load(f)
    entries: list[dict[str, str]] = data.get("equivalent", [])
    for entry in entries:
        missing = {"module", "function", "original", "mutated", "reason"} - set(entry)
        if missing:
            raise SystemExit(f"{path}: an entry lacks {', '.join(sorted(missing))}: {entry}")
    return entries


def equivalent_reason(mutant: Mutant, entries: list[dict[str, str]]) -> str | None:
    for entry in entries:
        if (
            entry["module"] == mutant.module
            and entry["function"] == mutant.function
            and " ".join(entry["original"].split()) == mutant.original
            and " ".join(entry["mutated"].split()) == mutant.mutated
            and " ".join(entry.get("line", "").split()) in mutant.source_line
            and int(entry.get("occurrence", mutant.occurrence)) == mutant.occurrence
        ):
            return entry["reason"]
    return None


# -- which tests run which line --------------------------------------------------------------------
@dataclass
class Coverage:
    tests: list[str]
    durations: list[float]
    lines: dict[str, dict[int, list[int]]]
    imported: dict[str, set[int]]

    def for_mutant(self, mutant: Mutant) -> list[int]:
        per_line = self.lines.get(mutant.module, {})
        span = range(mutant.line, mutant.end_line + 1)
        chosen: set[int] = set()
        for line in span:
            chosen.update(per_line.get(line, ()))
        at_import = any(line in self.imported.get(mutant.module, ()) for line in span)
        if not mutant.in_body or (not chosen and at_import):
            # Runs at import (a constant, a table built once): every test that runs any of
            # the module's code may see it, and so may the tests beside them in their files
            # (a test that only reads a constant runs no line of the module).
            chosen = {t for users in per_line.values() for t in users}
            files = {self.tests[t].split("::", 1)[0] for t in chosen}
            chosen |= {
                t for t, nodeid in enumerate(self.tests) if nodeid.split("::", 1)[0] in files
            }
        return sorted(chosen, key=lambda t: (self.durations[t], t))


def _newest_source(root: Path) -> float:
    paths = [*root.glob("search/**/*.py"), *root.glob("tests/**/*.py"), *root.glob("setup.cfg")]
    return max(p.stat().st_mtime for p in paths)


def load_coverage(root: Path, *, refresh: bool, keep: bool, basetemp: str) -> Coverage:
    path = CACHE / "coverage.json"
    stale = not keep and path.exists() and path.stat().st_mtime < _newest_source(root)
    if refresh or stale or not path.exists():
        CACHE.mkdir(exist_ok=True)
        (CACHE / ".gitignore").write_text("*\n")
        print("tracing the fast suite once to learn which tests run which lines…", flush=True)
        started = time.monotonic()
        env = dict(os.environ, FOUILLE_MUTATE_TRACE=str(path), PYTHONPATH=str(root))
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p"]
        command += ["tools.mutate_trace", "-m", FAST, f"--basetemp={basetemp}-trace"]
        result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        (CACHE / "trace.log").write_text(result.stdout + result.stderr)
        if not path.exists():
            sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
            raise SystemExit("the traced fast suite did not finish: fix the tests first")
        failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
        if failed:  # a failing test kills every mutant it is given: say so
            print("warning: tests failing without any mutant:", *failed, sep="\n  ")
        print(f"traced in {time.monotonic() - started:.0f} s", flush=True)
    data = json.loads(path.read_text(encoding="utf-8"))
    lines = {
        module: {int(line): users for line, users in per_line.items()}
        for module, per_line in data["lines"].items()
    }
    imported = {module: set(found) for module, found in data.get("imported", {}).items()}
    return Coverage(data["tests"], data["durations"], lines, imported)


# -- running one mutant ----------------------------------------------------------------------------
def _copy_tree(root: Path) -> Path:
    target = Path(tempfile.mkdtemp(prefix="fouille-mutate-"))
    ignore = shutil.ignore_patterns(
        ".git", ".mutate", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache",
        ".mypy_cache", ".hypothesis", "bench", "index",
    )  # fmt: skip
    for entry in root.iterdir():
        if entry.name in {".git", ".mutate", "bench", "index", ".hypothesis"}:
            continue
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name, ignore=ignore)
        elif entry.is_file():
            shutil.copy2(entry, target / entry.name)
    (target / "index").mkdir()
    # Tests import bench in places (test_bench_*): copy it without results.
    if (root / "bench").is_dir():
        shutil.copytree(root / "bench", target / "bench", ignore=ignore)
    return target


_PRELOAD = (
    "numpy", "whoosh.index", "whoosh.fields", "whoosh.query", "flask", "werkzeug", "jinja2",
    "lxml.html", "feedparser", "httpx", "click", "hypothesis", "Stemmer", "unidecode",
    "waitress", "_pytest.python", "_pytest.fixtures", "_pytest.assertion.rewrite",
)  # fmt: skip


def preload() -> None:
    """Import the third-party libraries once, so that each forked test run starts warm.

    Nothing of the repository is imported here: each run imports search/ afresh, mutated.
    """
    import importlib

    for name in _PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _pytest(
    tree: Path, nodeids: list[str], *, timeout: float, basetemp: str
) -> tuple[int | None, str]:
    """Run pytest on `nodeids` in a forked child (warm imports); None when it timed out."""
    args = ["-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-m", FAST]
    args += [f"--basetemp={basetemp}", *nodeids]
    with tempfile.TemporaryFile() as log:
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 3
            try:
                os.setsid()
                os.dup2(log.fileno(), 1)
                os.dup2(log.fileno(), 2)
                os.chdir(tree)
                os.environ["PYTHONPATH"] = str(tree)
                os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
                sys.dont_write_bytecode = True
                sys.path.insert(0, str(tree))
                import pytest

                code = int(pytest.main(args))
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
        deadline = time.monotonic() + timeout
        status: int | None = None
        try:
            while time.monotonic() < deadline:
                done, raw = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = os.waitstatus_to_exitcode(raw)
                    break
                time.sleep(0.05)
        finally:
            # The run itself past its timeout (or on Ctrl+C), and whatever it started.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            if status is None:
                os.waitpid(pid, 0)
        log.seek(0)
        output = log.read().decode(errors="replace")
    return status, output


def _function_ids(nodeids: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for nodeid in nodeids:
        seen.setdefault(nodeid.split("[", 1)[0], None)
    return list(seen)


def run_mutant(
    mutant: Mutant,
    tree: Path,
    coverage: Coverage,
    *,
    basetemp: str,
    max_tests: int,
    extra: list[str],
) -> Outcome:
    selected = coverage.for_mutant(mutant)
    if max_tests and len(selected) > max_tests:
        selected = selected[:max_tests]
    nodeids = [*extra, *(coverage.tests[t] for t in selected)]
    if not nodeids:
        return Outcome(mutant, "uncovered", detail="no fast test runs this line in-process")
    timeout = min(60 + 3 * sum(coverage.durations[t] for t in selected), MAX_TIMEOUT)
    target = tree / mutant.module
    original = target.read_bytes()
    mutated = apply(mutant, original)
    try:
        compile(mutated, str(target), "exec")
    except SyntaxError as exc:
        return Outcome(mutant, "broken", detail=f"does not compile: {exc}")
    started = time.monotonic()
    target.write_bytes(mutated)
    try:
        code, output = _pytest(tree, nodeids, timeout=timeout, basetemp=basetemp)
        if code == 4:  # a node id pytest cannot find again: run whole test functions
            nodeids = _function_ids(nodeids)
            code, output = _pytest(tree, nodeids, timeout=timeout, basetemp=basetemp)
    finally:
        target.write_bytes(original)
    seconds = time.monotonic() - started
    if code is None:
        return Outcome(mutant, "timeout", seconds, len(nodeids))
    if code == 0:
        return Outcome(mutant, "survived", seconds, len(nodeids))
    if code == 5:
        return Outcome(mutant, "uncovered", seconds, 0, "its tests are all deselected")
    failed = next((line for line in output.splitlines() if line.startswith("FAILED")), "")
    if code != 1:
        failed = failed or f"pytest exit status {code} (import or collection error)"
    return Outcome(mutant, "killed", seconds, len(nodeids), failed)


# -- the command -----------------------------------------------------------------------------------
def _modules(root: Path, chosen: list[str]) -> list[str]:
    if chosen:
        return [str(Path(m)) for m in chosen]
    return [
        str(p.relative_to(root))
        for p in sorted((root / "search").glob("*.py"))
        if p.name != "__init__.py"
    ]


def _sample(mutants: list[Mutant], per_module: int, seed: int, module: str) -> list[Mutant]:
    if not per_module or len(mutants) <= per_module:
        return mutants
    chosen = random.Random(f"{seed}:{module}").sample(mutants, per_module)
    return sorted(chosen, key=lambda m: (m.start, m.kind, m.mutated))


def _report(outcomes: list[Outcome], modules: list[str]) -> str:
    rows = [
        "| module | mutants | killed | equivalent | survived | score |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    total_counted = total_killed = total_mutants = total_equivalent = 0
    for module in modules:
        mine = [o for o in outcomes if o.mutant.module == module]
        if not mine:
            continue
        equivalent = sum(o.status == "equivalent" for o in mine)
        killed = sum(o.status in {"killed", "timeout"} for o in mine)
        counted = sum(o.status not in {"equivalent", "broken"} for o in mine)
        score = f"{100 * killed / counted:.1f}%" if counted else "-"
        rows.append(
            f"| `{module}` | {len(mine)} | {killed} | {equivalent} | {counted - killed} | {score} |"
        )
        total_counted += counted
        total_killed += killed
        total_mutants += len(mine)
        total_equivalent += equivalent
    score = f"{100 * total_killed / total_counted:.1f}%" if total_counted else "-"
    rows.append(
        f"| **all** | {total_mutants} | {total_killed} | {total_equivalent} "
        f"| {total_counted - total_killed} | **{score}** |"
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    summary = (__doc__ or "").split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m tools.mutate", description=summary)
    parser.add_argument("--module", action="append", default=[], help="search/x.py (repeatable)")
    parser.add_argument("--per-module", type=int, default=30, help="sample size; 0 = all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--line", type=int, action="append", default=[], help="only these lines")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--refresh", action="store_true", help="trace the fast suite again")
    parser.add_argument(
        "--keep-coverage",
        action="store_true",
        help="use the traced coverage even if tests/ or search/ changed since",
    )
    parser.add_argument(
        "--tests",
        action="append",
        default=[],
        help="also run these tests on every mutant (say, a new test file not traced yet)",
    )
    parser.add_argument("--max-tests", type=int, default=0, help="cap on tests per mutant")
    parser.add_argument("--basetemp", default="/tmp/pt-mutate")
    parser.add_argument("--json", type=Path, help="write every outcome to this file")
    parser.add_argument(
        "--resume",
        type=Path,
        help="a --json file of an earlier run: its killed mutants stay killed, the rest run again",
    )
    args = parser.parse_args(argv)

    root = ROOT
    modules = _modules(root, args.module)
    equivalents = load_equivalents()
    planned: list[Mutant] = []
    for module in modules:
        found = find_mutants(module, (root / module).read_bytes())
        if args.line:
            found = [m for m in found if m.line in args.line]
        planned += _sample(found, args.per_module, args.seed, module)
    if args.list:
        for mutant in planned:
            reason = equivalent_reason(mutant, equivalents)
            print(mutant.describe() + (f"  [equivalent: {reason}]" if reason else ""))
        print(f"{len(planned)} mutants")
        return 0

    # Ctrl+C stops the run (and cleans up) even when started in the background, where
    # SIGINT is ignored; the tests' own children then get its default back, as in a terminal.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    coverage = load_coverage(
        root, refresh=args.refresh, keep=args.keep_coverage, basetemp=args.basetemp
    )
    preload()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on kill too
    earlier: dict[tuple[str, str], dict[str, object]] = {}
    if args.resume:
        for entry in json.loads(args.resume.read_text(encoding="utf-8")):
            if entry["status"] in {"killed", "timeout"}:
                earlier[(entry["id"], entry["mutated"])] = entry
    tree = _copy_tree(root)
    outcomes: list[Outcome] = []
    started = time.monotonic()
    try:
        for number, mutant in enumerate(planned, 1):
            reason = equivalent_reason(mutant, equivalents)
            before = earlier.get((mutant.ident, mutant.mutated))
            if reason is not None:
                outcome = Outcome(mutant, "equivalent", detail=reason)
            elif before is not None:
                outcome = Outcome(mutant, str(before["status"]), detail=str(before["detail"]))
            else:
                outcome = run_mutant(
                    mutant,
                    tree,
                    coverage,
                    basetemp=args.basetemp,
                    max_tests=args.max_tests,
                    extra=args.tests,
                )
            outcomes.append(outcome)
            print(
                f"[{number}/{len(planned)}] {outcome.status:<10} {outcome.seconds:5.1f}s "
                f"{mutant.describe()}",
                flush=True,
            )
    except KeyboardInterrupt:
        print("interrupted: reporting what ran", file=sys.stderr)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    elapsed = time.monotonic() - started
    print()
    print(_report(outcomes, modules))
    survivors = [o for o in outcomes if o.status in {"survived", "uncovered"}]
    if survivors:
        print("\nsurvivors:")
        for outcome in survivors:
            note = " (no fast test runs it)" if outcome.status == "uncovered" else ""
            print(f"  {outcome.mutant.describe()}{note}")
    broken = [o for o in outcomes if o.status == "broken"]
    if broken:
        print(f"\n{len(broken)} mutants did not compile and were skipped")
    print(f"\n{len(outcomes)} mutants in {elapsed / 60:.1f} min")
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "id": o.mutant.ident,
                        "module": o.mutant.module,
                        "line": o.mutant.line,
                        "function": o.mutant.function,
                        "kind": o.mutant.kind,
                        "original": o.mutant.original,
                        "mutated": o.mutant.mutated,
                        "status": o.status,
                        "seconds": round(o.seconds, 2),
                        "tests": o.tests,
                        "detail": o.detail,
                    }
                    for o in outcomes
                ],
                ensure_ascii=False,
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
