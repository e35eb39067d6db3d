"""``drawwatch eligibility --json`` answers in JSON also when it refuses the date (exit status 2 kept)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from drawwatch.cli import cli


def test_json_error_for_a_date_before_category_based_selection() -> None:
    result = CliRunner().invoke(
        cli,
        ["eligibility", "--noc", "21231:14", "--on", "2023-05-30", "--json"],
        env={"DRAWWATCH_CONFIG": ""},
    )
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout) == {
        "error": "no category-based selection rules on 2023-05-30: category-based selection began on 2023-05-31"
    }
    assert result.stderr == ""


def test_without_json_the_refusal_stays_one_error_line() -> None:
    result = CliRunner().invoke(
        cli, ["eligibility", "--noc", "21231:14", "--on", "2023-05-30"], env={"DRAWWATCH_CONFIG": ""}
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: no category-based selection rules on 2023-05-30")
