"""`fouille serve` and `fouille demo`: the real commands, waitress on 127.0.0.1."""

from __future__ import annotations

import json
import queue
import re
import shlex
import signal
import socket
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from faults import fouille_argv, fouille_env

from search import Engine, Settings


def test_demo_indexes_the_sample_then_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fouille import serve_cmd as cli
    from fouille.cli import main

    served: list[Settings] = []
    monkeypatch.setattr(cli, "run_server", served.append)
    monkeypatch.chdir(tmp_path)
    index = tmp_path / "idx"
    result = CliRunner().invoke(cli.demo, ["--index", str(index), "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "articles indexed" in result.output
    examples = [
        shlex.split(line)[1:] for line in result.output.splitlines() if "fouille search" in line
    ]
    assert len(examples) == 2
    for example in examples:  # both printed commands find something in the sample
        assert example[:3] == ["search", "--index", str(index)]
        found = CliRunner().invoke(main, example)
        assert found.exit_code == 0, (example, found.output)
    (settings,) = served
    assert settings.index_dir == index and settings.port == 8123
    engine = Engine.open(settings)
    try:
        assert engine.stats().articles > 10
    finally:
        engine.close()
    again = CliRunner().invoke(cli.demo, ["--index", str(index)])
    assert "already" in again.output and "indexed." not in again.output


def test_serve_reports_a_busy_port(tmp_path: Path) -> None:
    from fouille import serve_cmd as cli

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            cli.serve, ["--index", str(tmp_path / "i"), "--port", str(port)]
        )
    assert result.exit_code == 2
    assert "try --port" in result.output


@pytest.mark.parametrize(("workers", "server"), [("1", "waitress"), ("2", "gunicorn")])
def test_fouille_serve_runs_until_interrupted(
    web_settings: Settings, workers: str, server: str
) -> None:
    """The real command, in one process (waitress) or with worker processes (gunicorn):
    prints its URL once listening, answers there, and on Ctrl+C stops cleanly (status 0)
    and frees the port. Every step waits for the server's own signal."""
    process = subprocess.Popen(
        fouille_argv(
            "serve", "--index", str(web_settings.index_dir), "--port", "0", "--workers", workers
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=fouille_env(),
        preexec_fn=_ctrl_c_stops,
    )  # fmt: skip
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process, lines), daemon=True)
    reader.start()
    output: list[str] = []
    try:
        url = _wait_for_url(lines, output)
        with urllib.request.urlopen(url + "healthz", timeout=WAIT) as response:
            assert json.load(response)["index"]["articles"] == 11
            assert response.headers["Server"].startswith(server)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=WAIT)
        finally:
            if process.poll() is None:
                process.kill()
        reader.join(timeout=WAIT)
    output += _drain(lines)
    assert process.returncode == 0, "".join(output)
    assert "Traceback" not in "".join(output)
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass


def _ctrl_c_stops() -> None:
    """Ctrl+C's default in the server, as in a terminal: a test run started in the background
    by a non-interactive shell ignores SIGINT, and its children would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


#: The longest wait for the server to do what it was asked (a deadline, not a pause).
WAIT = 60.0


def _read_lines(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)
    lines.put(None)


def _wait_for_url(lines: queue.Queue[str | None], output: list[str]) -> str:
    """The URL from the server's "serving … at URL" line, once it has printed it."""
    while True:
        line = lines.get(timeout=WAIT)
        assert line is not None, f"fouille serve exited: {''.join(output)}"
        output.append(line)
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if found:
            return found.group(0)


def _drain(lines: queue.Queue[str | None]) -> list[str]:
    out = []
    while not lines.empty():
        line = lines.get_nowait()
        if line is not None:
            out.append(line)
    return out


def test_fouille_serve_help_lists_the_options() -> None:
    from fouille.cli import main

    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--index", "--config"):
        assert option in result.output
