"""Running the real ``drawwatch`` command line in a subprocess, as cron or an operator would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def drawwatch(*args: str, env: dict[str, str], timeout: float = 120) -> Run:
    """Run ``python -m drawwatch ARGS`` with only the given DRAWWATCH_* settings (no user config file)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWWATCH_")}
    full_env.update(env)
    full_env.setdefault("DRAWWATCH_CONFIG", "")
    full_env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "drawwatch", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@contextmanager
def daemon(env: dict[str, str], *args: str) -> Iterator[subprocess.Popen[str]]:
    """``drawwatch run --interval 1 ARGS`` in the background; killed if still running at the end."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("DRAWWATCH_")}
    full.update(env, PYTHONPATH=str(ROOT), DRAWWATCH_CONFIG="")
    proc = subprocess.Popen(
        [sys.executable, "-m", "drawwatch", "run", "--interval", "1", *args],
        env=full,
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
