"""``drawwatch eligibility`` through the command line: verdicts, JSON, and clear errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from drawwatch.cli import cli


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["eligibility", *args], env={"DRAWWATCH_CONFIG": ""})
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["--noc", "21231:14", "--on", "2024-03-01"], 0, "eligible      Science, Technology"),
        (["--noc", "21231:14", "--on", "2025-06-01"], 0, "STEM 2025: 21231 is not on the 2025 list"),
        (["--noc", "41200:6"], 0, "Researchers 2026: 6 of 12 months"),
        (["--nclc-french", "6", "--on", "2026-06-01"], 0, "needs 7"),
        (["--noc", "00012:24", "--on", "2026-06-01"], 0, "via 00012"),
        (["--noc", "2123:4"], 2, "NOC code must be 5 digits"),
        (["--noc", "21231"], 2, "--noc"),
        ([], 2, "give at least one --noc"),
        (["--noc", "21231:14", "--on", "2020-01-01"], 2, "error:"),
    ],
)
def test_eligibility_command(args: list[str], code: int, expected: str) -> None:
    exit_code, output = run(*args)
    assert exit_code == code, output
    assert expected in output


def test_json_lists_one_verdict_per_category() -> None:
    code, output = run("--noc", "21231:14", "--on", "2024-03-01", "--json")
    assert code == 0
    verdicts = {v["category"]: v for v in json.loads(output)}
    assert verdicts["stem"]["eligible"] is True
    assert verdicts["stem"]["qualifying_noc"]["code"] == "21231"
    assert verdicts["healthcare"]["eligible"] is False
