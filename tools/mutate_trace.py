"""A pytest plugin that records which tests run which lines of search/ (for tools/mutate.py).

Loaded with ``-p tools.mutate_trace``; writes the JSON file named by ``FOUILLE_MUTATE_TRACE``.
Lines run while a session- or module-scoped fixture is set up are credited to every test that
uses that fixture, so a mutant in index-building code selects the tests reading that index.
Only this process is traced: code that tests run in subprocesses (the CLI) is not seen.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable, Generator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEARCH = str(ROOT / "search") + os.sep

Tracer = Callable[[FrameType, str, Any], Any]


class _Recorder:
    def __init__(self) -> None:
        self.files: list[str] = []
        self.file_ids: dict[str, int] = {}
        self.code_tracers: dict[object, Tracer | None] = {}
        self.current: set[tuple[int, int]] = set()
        self.contexts: dict[str, set[tuple[int, int]]] = {}
        self.tests: list[str] = []
        self.durations: list[float] = []
        self.test_fixtures: list[list[str]] = []
        self.switch("<import>")

    def switch(self, context: str) -> str:
        previous = self.context if hasattr(self, "context") else "<import>"
        self.context = context
        self.current = self.contexts.setdefault(context, set())
        return previous

    def _tracer_for(self, code: Any) -> Tracer | None:
        filename = code.co_filename
        if not filename.startswith(SEARCH):
            return None
        fid = self.file_ids.get(filename)
        if fid is None:
            fid = self.file_ids[filename] = len(self.files)
            self.files.append(filename)
        recorder = self

        def local(frame: FrameType, event: str, arg: Any) -> Tracer:
            if event == "line":
                recorder.current.add((fid, frame.f_lineno))
            return local

        return local

    def global_trace(self, frame: FrameType, event: str, arg: Any) -> Tracer | None:
        code = frame.f_code
        try:
            return self.code_tracers[code]
        except KeyError:
            tracer = self.code_tracers[code] = self._tracer_for(code)
            return tracer

    def dump(self, path: str) -> None:
        lines: dict[str, dict[int, set[int]]] = {}
        by_context: dict[str, list[int]] = {}
        for index, fixtures in enumerate(self.test_fixtures):
            for context in [self.tests[index], *fixtures]:
                by_context.setdefault(context, []).append(index)
        for context, covered in self.contexts.items():
            users = by_context.get(context, [])
            for fid, line in covered:
                name = os.path.relpath(self.files[fid], ROOT)
                lines.setdefault(name, {}).setdefault(line, set()).update(users)
        imported = {
            os.path.relpath(self.files[fid], ROOT): sorted(
                line for f, line in self.contexts.get("<import>", ()) if f == fid
            )
            for fid in range(len(self.files))
        }
        data = {
            "imported": imported,
            "tests": self.tests,
            "durations": [round(d, 3) for d in self.durations],
            "lines": {
                name: {str(line): sorted(users) for line, users in sorted(per_line.items())}
                for name, per_line in sorted(lines.items())
            },
        }
        Path(path).write_text(json.dumps(data), encoding="utf-8")


_recorder = _Recorder()


# From the plugin's import on, before conftest.py imports search/: the module-level code
# that runs at import is recorded too ("<import>").
threading.settrace(_recorder.global_trace)
sys.settrace(_recorder.global_trace)


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, None, None]:
    if fixturedef.scope == "function":
        yield
        return
    previous = _recorder.switch(f"fixture:{id(fixturedef)}")
    try:
        yield
    finally:
        _recorder.switch(previous)


def _clear_caches() -> None:
    """Empty search/'s memoised functions, so that each test runs (and is credited with) the
    lines a cache would otherwise have run for an earlier test only."""
    for name, module in list(sys.modules.items()):
        if name == "search" or name.startswith("search."):
            for value in list(vars(module).values()):
                clear = getattr(value, "cache_clear", None)
                if callable(clear) and getattr(value, "__module__", None) == name:
                    clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    info = getattr(item, "_fixtureinfo", None)
    fixtures: list[str] = []
    if info is not None:
        for defs in info.name2fixturedefs.values():
            fixtures.extend(f"fixture:{id(d)}" for d in defs if d.scope != "function")
    _clear_caches()
    _recorder.tests.append(item.nodeid)
    _recorder.test_fixtures.append(fixtures)
    previous = _recorder.switch(item.nodeid)
    started = time.perf_counter()
    try:
        yield
    finally:
        _recorder.durations.append(time.perf_counter() - started)
        _recorder.switch(previous)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    sys.settrace(None)
    threading.settrace(None)  # type: ignore[arg-type]
    path = os.environ.get("FOUILLE_MUTATE_TRACE")
    if path and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        _recorder.dump(path)  # not after an interrupted run: it would select too few tests
