"""``drawwatch serve`` on the command line: clear errors for missing settings (no secret echoed), and the
web stack (Flask, waitress, itsdangerous) loaded only when the site runs, never for ``--help``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.commands import ROOT, clean_env, drawwatch

WEB = ("flask", "waitress", "werkzeug", "itsdangerous")
PROBE = """
import atexit, json, runpy, sys
heavy = set(sys.argv[1].split(","))
atexit.register(lambda: print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & heavy)), file=sys.stderr))
sys.argv = ["drawwatch", *sys.argv[2:]]
runpy.run_module("drawwatch", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("args", [("--help",), ("serve", "--help"), ("check", "--help")])
def test_help_loads_no_web_stack(args: tuple[str, ...]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(WEB), *args],
        env=clean_env({"DRAWWATCH_CONFIG": ""}),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == []
    if args == ("--help",):
        assert "  serve " in proc.stdout


SITE = "https://alerts.example.org"
KEY = "0123456789abcdef0"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "DRAWWATCH_PUBLIC_URL is not set"),
        ({"DRAWWATCH_PUBLIC_URL": SITE}, "DRAWWATCH_SECRET_KEYS is not set"),
        ({"DRAWWATCH_PUBLIC_URL": SITE, "DRAWWATCH_SECRET_KEYS": "short"}, "shorter than 16 characters"),
        ({"DRAWWATCH_PUBLIC_URL": SITE, "DRAWWATCH_SECRET_KEYS": KEY}, "DRAWWATCH_MAIL_URL is not set"),
        (
            {
                "DRAWWATCH_PUBLIC_URL": SITE,
                "DRAWWATCH_SECRET_KEYS": KEY,
                "DRAWWATCH_MAIL_URL": "tgram://hunter2-password/123",
            },
            "must be an apprise mailto:// or mailtos:// URL, got a tgram:// URL",
        ),
        ({"DRAWWATCH_PUBLIC_URL": "ftp://user:hunter2-password@x"}, "got an address with credentials"),
    ],
)
def test_serve_names_the_missing_setting(tmp_path: Path, env: dict[str, str], message: str) -> None:
    run = drawwatch(
        "serve", "--port", "0", env={"DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", **env}
    )

    assert run.code == 2, run.stderr
    assert message in run.stderr
    assert "hunter2" not in run.stderr + run.stdout
