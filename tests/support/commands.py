"""Running the real ``drawwatch`` command line in a subprocess, as cron or an operator would."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.forkserver import fork_server, needs_fresh_interpreter

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def clean_env(values: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its DRAWWATCH_* settings, with the checkout on PYTHONPATH, then
    ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWWATCH_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(values or {})
    return env


def drawwatch(
    *args: str, env: dict[str, str], timeout: float = 120, fresh: bool = False, cwd: Path = ROOT
) -> Run:
    """Run ``drawwatch ARGS`` with only the given DRAWWATCH_* settings (no user config file).

    The command runs in a child forked from a process that imported drawwatch once
    (:mod:`tests.support.forkserver`): the command line's own entry point, without a second of imports each
    time. ``fresh`` (or a setting only a new interpreter reads) runs ``python -m drawwatch`` instead, for
    what only a new process shows: its imports, its start-up."""
    full_env = clean_env({"DRAWWATCH_CONFIG": "", **env, "PYTHONPATH": str(ROOT)})
    if not fresh and not needs_fresh_interpreter(env):
        return _forked(list(args), full_env, timeout, cwd)
    proc = subprocess.run(
        [sys.executable, "-m", "drawwatch", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def _forked(args: list[str], env: dict[str, str], timeout: float, cwd: Path) -> Run:
    server = fork_server()
    with tempfile.TemporaryDirectory(prefix="drawwatch-run-") as tmp:
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        out.touch()
        err.touch()
        code = server.wait(server.start(args, env, cwd, out, err), timeout)
        return Run(code, out.read_text(), err.read_text())


@contextmanager
def background(
    env: dict[str, str], *args: str, stdout: int = subprocess.PIPE
) -> Iterator[subprocess.Popen[str]]:
    """``drawwatch ARGS`` in the background; killed (and its pipes drained) if still running at the end."""
    full = clean_env({**env, "PYTHONPATH": str(ROOT), "DRAWWATCH_CONFIG": ""})
    proc = subprocess.Popen(
        [sys.executable, "-m", "drawwatch", *args],
        env=full,
        cwd=ROOT,
        text=True,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)


def daemon(env: dict[str, str], *args: str) -> AbstractContextManager[subprocess.Popen[str]]:
    """``drawwatch run --interval 1 ARGS`` in the background; killed if still running at the end."""
    return background(env, "run", "--interval", "1", *args)


def run_on_terminal(*args: str, env: dict[str, str], timeout: float = 120) -> tuple[int, str, str]:
    """Run ``drawwatch ARGS`` with stderr on a pseudo-terminal (stdout to a file): (code, stdout, stderr)."""
    primary, secondary = pty.openpty()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "drawwatch", *args],
            env=clean_env({"DRAWWATCH_CONFIG": "", **env}),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=secondary,
        )
        os.close(secondary)
        received = bytearray()
        while True:  # read while it runs: a full terminal buffer would block the child
            try:
                data = os.read(primary, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            received.extend(data)
        os.close(primary)
        code = proc.wait(timeout=timeout)
        out.seek(0)
        return code, out.read(), received.decode(errors="replace")
