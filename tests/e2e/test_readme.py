"""The README runs as written: every `drawwatch …` line of its shell blocks, in order, in one sandbox.

As urlwatch tests its documentation's examples: a command the README shows must be accepted. The sandbox is a
temporary SQLite database, the copy of IRCC's feed that ships in the package, and local peers standing in for
the README's placeholders, so nothing leaves 127.0.0.1. A line that is not a drawwatch command (installs,
docker, kubectl) must be listed in NOT_RUN with the reason; a drawwatch line that cannot run here (the daemon)
is in SKIPPED. Where a README comment quotes the output ("0003 (head)"), the output must contain it.
"""

from __future__ import annotations

import re
import shlex
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

import pytest

from tests.support.commands import ROOT, drawwatch
from tests.support.webhook import WebhookServer

pytestmark = pytest.mark.slow

README = ROOT / "README.md"

# First words of README lines that are not drawwatch commands, and why the test does not run them.
NOT_RUN = {
    "python3": "installs into a new virtual environment (CI's clean clone does exactly this)",
    ".venv/bin/pytest": "the test suite itself",
    ".venv/bin/python": "benchmarks: they print figures and take minutes (benchmarks/)",
    "docker": "no Docker engine on the test machines (tests/e2e/test_wheel_install.py runs the image's steps)",
    "kubectl": "needs a Kubernetes cluster",
    "cd": "part of the Compose instructions",
    "install": "part of the Compose instructions",
    "export": "the sign-up site's settings, for `drawwatch serve` (skipped below)",
}
# drawwatch commands that cannot run to completion here, and where they are tested instead.
SKIPPED = {
    ("drawwatch", "run"): "the daemon runs until stopped (tests/e2e/test_daemon.py)",
    ("drawwatch", "serve"): "the sign-up site runs until stopped (tests/web/test_browser.py)",
}
# Exit codes other than 0 that the README's example data makes correct.
EXPECTED_EXIT = {
    ("drawwatch", "alerts", "retry", "17"): 1,  # no alert 17 in the sandbox: "Left alone: 17 (unknown, …)"
    ("drawwatch", "draws", "accept", "1"): 2,  # no feed is held in the sandbox: "no held feed 1"
    ("drawwatch", "draws", "reject", "1"): 2,
}


def shell_blocks(text: str) -> Iterator[tuple[int, str]]:
    """(line number, logical line) of every ```sh block, continuation lines joined."""
    in_block, pending, start = False, "", 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            in_block = line.strip() == "```sh"
            continue
        if not in_block:
            continue
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield start, pending + line
        pending = ""


def split_comment(line: str) -> tuple[str, str]:
    """The command part and the comment of a shell line (a # outside quotes, after whitespace)."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i], line[i + 1 :].strip()
    return line, ""


def commands(line: str) -> tuple[list[list[str]], str]:
    """The commands of one line (split at &&) and its trailing comment."""
    code, comment = split_comment(line)
    lexer = shlex.shlex(code, posix=True, punctuation_chars="&")
    lexer.whitespace_split = True
    result: list[list[str]] = []
    current: list[str] = []
    for word in lexer:
        if word == "&&":
            result.append(current)
            current = []
        else:
            current.append(word)
    if current:
        result.append(current)
    return result, comment


class Sandbox:
    """One database, working directory and set of peers for the whole README, so ids and rows carry over."""

    def __init__(self, tmp_path: Path, hook: WebhookServer) -> None:
        self.cwd = tmp_path / "work"
        self.cwd.mkdir()
        shutil.copytree(ROOT / "examples", self.cwd / "examples")  # the CRS calculator's example profile
        self.db = tmp_path / "drawwatch.db"
        feed = resources.files("drawwatch").joinpath("data/feed/ee_rounds_123_en.json")
        self.env = {
            "HOME": str(tmp_path / "home"),
            "DRAWWATCH_DATABASE_URL": f"sqlite:///{self.db}",
            "DRAWWATCH_FEED_URL": Path(str(feed)).resolve().as_uri(),
            "DRAWWATCH_RETRY_TIMES": "0",
        }
        self.hook = hook
        # The README's people.csv: two people, reaching the local webhook.
        (self.cwd / "people.csv").write_text(
            "name,crs,categories,urls,submitted_at\n"
            f"Bao,472,cec,{hook.url('/bao')},\n"
            f"Chloé,455,french healthcare,{hook.url('/chloe')},2026-02-11T09:00:00Z\n"
        )

    def substitute(self, argv: list[str]) -> list[str]:
        replacements: dict[str, Callable[[], str]] = {
            "TOKEN": self.first_token,
        }
        out = []
        for word in argv:
            word = word.replace("127.0.0.1:8080", f"127.0.0.1:{self.hook.port}")
            out.append(replacements[word]() if word in replacements else word)
        return out

    def first_token(self) -> str:
        with sqlite3.connect(self.db) as connection:
            (token,) = connection.execute(
                "SELECT unsubscribe_token FROM subscriber ORDER BY id LIMIT 1"
            ).fetchone()
        return token


def quoted_outputs(comment: str) -> list[str]:
    return re.findall(r'^"([^"]+)"', comment.strip())


def test_every_readme_command_runs_as_written(tmp_path: Path) -> None:
    lines = list(shell_blocks(README.read_text()))
    assert len(lines) > 20, "the README's shell blocks were not found"
    ran: list[str] = []
    with WebhookServer() as hook:
        sandbox = Sandbox(tmp_path, hook)
        for number, line in lines:
            parsed, comment = commands(line)
            if parsed and parsed[0][0] in NOT_RUN:
                continue  # the whole line: e.g. the quick start installs, then runs against IRCC itself
            for argv in parsed:
                where = f"README.md:{number}: {' '.join(argv)}"
                if argv[0] != "drawwatch":
                    assert argv[0] in NOT_RUN, (
                        f"{where}: not a drawwatch command; run it or list it in NOT_RUN"
                    )
                    continue
                if tuple(argv[:2]) in SKIPPED:
                    continue
                run = drawwatch(*sandbox.substitute(argv)[1:], env=sandbox.env, cwd=sandbox.cwd)
                expected = EXPECTED_EXIT.get(tuple(argv), 0)
                assert run.code == expected, (
                    f"{where}: exit {run.code}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
                )
                assert "Traceback" not in run.stderr, where
                for quoted in quoted_outputs(comment) if len(parsed) == 1 else []:
                    assert quoted in run.stdout, (
                        f"{where}: the README says it prints {quoted!r}:\n{run.stdout}"
                    )
                ran.append(" ".join(argv))
    assert any(c.startswith("drawwatch subscribers add") for c in ran)
    assert any(c.startswith("drawwatch notify test") for c in ran)
    assert hook.bodies, "`notify test` reached the local webhook"
