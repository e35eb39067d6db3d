"""``drawwatch subscribers import`` end to end: importing a file again adds nobody twice (a row's set of
notification URLs says who it is), and the counts it prints. Its progress bar: test_progress_cli.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.commands import drawwatch
from tests.support.databases import SQLITE_ONLY
from tests.support.rows import PEOPLE_CSV

pytestmark = pytest.mark.slow

TOML = """[[subscribers]]
name = "Ana"
crs = 480
categories = ["stem"]
urls = ["json://127.0.0.1:9/ana"]
submitted_at = "2026-03-01T18:34:05Z"

[[subscribers]]
name = "Bo"
crs = 470
categories = "pnp cec"
urls = ["mailto://bo:pw@example.org", "json://127.0.0.1:9/bo"]

[[subscribers]]
name = "Cy"
crs = 455
urls = ["json://127.0.0.1:9/cy"]
"""
PROGRESS_TEXT = ("Checking", "Storing", "%")


def people(tmp_path: Path, text: str = PEOPLE_CSV, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def listed(env: dict[str, str]) -> list[dict[str, object]]:
    run = drawwatch("subscribers", "list", "--json", env=env)
    assert run.code == 0, run.stderr
    rows: list[dict[str, object]] = json.loads(run.stdout[run.stdout.index("[") :])
    return rows


def test_importing_a_csv_twice_leaves_one_subscriber_per_row(tmp_path: Path, database_url: str) -> None:
    env = {"DRAWWATCH_DATABASE_URL": database_url}
    path = people(tmp_path)

    first = drawwatch("subscribers", "import", str(path), env=env)
    again = drawwatch("subscribers", "import", str(path), env=env)
    path.write_text(PEOPLE_CSV.replace("Cy,455", "Cy,462"), encoding="utf-8")
    changed = drawwatch("subscribers", "import", str(path), env=env)

    assert first.code == 0, first.stderr
    assert first.stdout == f"imported {path}: 3 added, 0 updated, 0 unchanged\n"
    assert again.stdout == f"imported {path}: 0 added, 0 updated, 3 unchanged\n"
    assert changed.stdout == f"imported {path}: 0 added, 1 updated, 2 unchanged\n"
    for run in (first, again, changed):  # piped: no progress bar, not even its label
        assert not any(text in run.stderr for text in PROGRESS_TEXT), run.stderr
    rows = listed(env)
    assert [(r["name"], r["crs"], r["categories"]) for r in rows] == [
        ("Ana", 480, ["stem"]),
        ("Bo", 470, ["cec", "pnp"]),
        ("Cy", 462, []),
    ]


@SQLITE_ONLY
def test_toml_and_csv_rows_are_the_same_people_and_json_gives_the_counts(
    tmp_path: Path, database_url: str
) -> None:
    env = {"DRAWWATCH_DATABASE_URL": database_url}
    assert drawwatch("subscribers", "import", str(people(tmp_path)), env=env).code == 0

    run = drawwatch("subscribers", "import", "--json", str(people(tmp_path, TOML, "people.toml")), env=env)

    assert run.code == 0, run.stderr
    assert run.json() == {
        "file": str(tmp_path / "people.toml"),
        "added": 0,
        "updated": 0,
        "unchanged": 3,
        "ids": [1, 2, 3],
    }
    assert len(listed(env)) == 3


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (
            "people.csv",
            PEOPLE_CSV + "Bo again,400,,mailto://bo:pw@example.org  json://127.0.0.1:9/bo,\n",
            "line 5: same notification URLs as line 3 (one subscriber per set of URLs)",
        ),
        (
            "people.toml",
            TOML + '\n[[subscribers]]\nname = "Ana again"\ncrs = 1\nurls = ["json://127.0.0.1:9/ana"]\n',
            "subscriber 4: same notification URLs as subscriber 1 (one subscriber per set of URLs)",
        ),
    ],
)
def test_two_rows_with_the_same_urls_name_both_and_nothing_is_stored(
    tmp_path: Path, database_url: str, name: str, text: str, problem: str
) -> None:
    env = {"DRAWWATCH_DATABASE_URL": database_url}

    run = drawwatch("subscribers", "import", str(people(tmp_path, text, name)), env=env)

    assert run.code == 2 and problem in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert listed(env) == []


@SQLITE_ONLY
def test_a_row_matching_several_stored_subscribers_is_refused_with_its_line(
    tmp_path: Path, database_url: str
) -> None:
    env = {"DRAWWATCH_DATABASE_URL": database_url}
    for _ in range(2):  # the duplicates an import made before imports were idempotent
        assert (
            drawwatch(
                "subscribers", "add", "Cy", "--crs", "455", "--url", "json://127.0.0.1:9/cy", env=env
            ).code
            == 0
        )

    run = drawwatch("subscribers", "import", str(people(tmp_path)), env=env)

    assert run.code == 2, run.stderr
    assert "line 4: its notification URLs are those of several active subscribers (1, 2)" in run.stderr
    assert len(listed(env)) == 2


def test_help_states_who_a_row_is() -> None:
    run = drawwatch("subscribers", "import", "--help", env={})

    assert run.code == 0
    text = " ".join(run.stdout.split())
    assert "A row's set of notification URLs says who it is" in text
    assert "two rows with the same set in one file: an error naming both lines" in text
