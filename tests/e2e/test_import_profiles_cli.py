"""``drawwatch subscribers import`` with CRS profiles end to end: a CSV ``profile`` column (JSON) and a TOML
``profile`` table give the score ``subscribers add --profile`` gives, importing again changes nothing, and a
bad profile names its line and field and imports nobody."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.support.commands import ROOT, drawwatch

pytestmark = pytest.mark.slow

PROFILE_TOML = (ROOT / "examples" / "profile.toml").read_text(encoding="utf-8")


def profile_cell() -> str:
    """examples/profile.toml as a quoted CSV cell of JSON (its dates as ISO text)."""
    data = tomllib.loads(PROFILE_TOML)
    return '"' + json.dumps(data, default=str).replace('"', '""') + '"'


def toml_file() -> str:
    """One [[subscribers]] entry whose profile table is examples/profile.toml's keys."""
    body = []
    for line in PROFILE_TOML.splitlines():
        if line.startswith("["):  # [first_language] → [subscribers.profile.first_language]
            line = "[subscribers.profile." + line[1:]
        body.append(line)
    return (
        '[[subscribers]]\nname = "Bo"\nurls = ["json://127.0.0.1:9/bo"]\n'
        "[subscribers.profile]\n" + "\n".join(body) + "\n"
    )


def shown(subscriber_id: int, env: dict[str, str]) -> dict[str, Any]:
    run = drawwatch("subscribers", "show", str(subscriber_id), "--json", env=env)
    assert run.code == 0, run.stderr
    data: dict[str, Any] = run.json()
    return data


def test_imported_profiles_score_as_add_profile_and_a_second_import_changes_nothing(
    tmp_path: Path, database_url: str
) -> None:
    env = {"DRAWWATCH_DATABASE_URL": database_url}
    people = tmp_path / "people.csv"
    people.write_text(
        f"name,crs,categories,urls,profile\nAna,,stem,json://127.0.0.1:9/ana,{profile_cell()}\n"
        "Cy,455,,json://127.0.0.1:9/cy,\n",
        encoding="utf-8",
    )
    more = tmp_path / "more.toml"
    more.write_text(toml_file(), encoding="utf-8")
    added = drawwatch(
        "subscribers", "add", "Di", "--profile", str(ROOT / "examples" / "profile.toml"), "--url",
        "json://127.0.0.1:9/di", env=env,
    )  # fmt: skip
    assert added.code == 0, added.stderr

    first = drawwatch("subscribers", "import", str(people), env=env)
    toml = drawwatch("subscribers", "import", str(more), env=env)
    again = drawwatch("subscribers", "import", str(people), env=env)

    assert first.stdout == f"imported {people}: 2 added, 0 updated, 0 unchanged\n", first.stderr
    assert toml.stdout == f"imported {more}: 1 added, 0 updated, 0 unchanged\n", toml.stderr
    assert again.stdout == f"imported {people}: 0 added, 0 updated, 2 unchanged\n", again.stderr
    by_add = shown(1, env)
    for subscriber_id in (2, 4):  # Ana (CSV), Bo (TOML)
        imported = shown(subscriber_id, env)
        assert imported["crs"] == by_add["crs"]
        assert imported["score"] == by_add["score"]
    assert "score" not in shown(3, env) and shown(3, env)["crs"] == 455


def test_a_bad_profile_names_its_line_and_field_and_nothing_is_imported(
    tmp_path: Path, database_url: str
) -> None:
    env = {"DRAWWATCH_DATABASE_URL": database_url}
    people = tmp_path / "people.csv"
    bad = profile_cell().replace("masters", "phd", 1)
    people.write_text(
        f"name,crs,urls,profile\nCy,455,json://127.0.0.1:9/cy,\nAna,,json://127.0.0.1:9/ana,{bad}\n",
        encoding="utf-8",
    )

    run = drawwatch("subscribers", "import", str(people), env=env)

    assert run.code == 2, run.stderr
    assert "nothing imported" in run.stderr
    assert "line 3: profile: education: 'phd' is not allowed; allowed: less_than_secondary" in run.stderr
    assert "Traceback" not in run.stderr
    listed = drawwatch("subscribers", "list", "--json", env=env)
    assert json.loads(listed.stdout[listed.stdout.index("[") :]) == []
