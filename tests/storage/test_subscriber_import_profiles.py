"""Importing subscribers with a CRS profile (a CSV ``profile`` column of JSON, a TOML ``profile`` table), on
SQLite and PostgreSQL (its COPY path): the profile is stored and scored for today as ``subscribers add
--profile`` does, importing the file again changes nothing, a changed profile updates the subscriber, and a
bad profile names its row and the field and stores nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from drawwatch.app.importer import FileProblem, import_subscribers_file
from drawwatch.app.rescore import profile_json
from drawwatch.domain.clock import utcnow
from drawwatch.domain.crs import parse_profile, score_until
from drawwatch.storage.db import session_scope
from drawwatch.storage.models import Subscriber
from drawwatch.storage.subscribers import ScoreState, score_state, set_score
from tests.support.profiles import profile_data

PROFILE = profile_data(birth_date="1994-05-02")
CHANGED = PROFILE | {"canadian_work_years": 2}
SECRET = "tgram://987654321:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K/123456"
HEADER = "name,crs,categories,urls,profile\n"


def cell(profile: dict[str, Any]) -> str:
    """A profile as a quoted CSV cell of JSON."""
    return '"' + json.dumps(profile).replace('"', '""') + '"'


def csv_text(profile: dict[str, Any] = PROFILE) -> str:
    return HEADER + f"Ana,,stem,json://127.0.0.1:9/ana,{cell(profile)}\nBo,470,,json://127.0.0.1:9/bo,\n"


def toml_text(profile: dict[str, Any] = PROFILE) -> str:
    language = profile["first_language"]
    scores = ", ".join(f"{key} = {value}" for key, value in language["scores"].items())
    top = "".join(
        f"{key} = {json.dumps(value)}\n" for key, value in profile.items() if key != "first_language"
    )
    return (
        '[[subscribers]]\nname = "Ana"\ncategories = ["stem"]\nurls = ["json://127.0.0.1:9/ana"]\n'
        f"[subscribers.profile]\n{top}"
        f'[subscribers.profile.first_language]\ntest = "{language["test"]}"\n'
        f"test_date = {language['test_date']}\nscores = {{ {scores} }}\n\n"
        '[[subscribers]]\nname = "Bo"\ncrs = 470\nurls = ["json://127.0.0.1:9/bo"]\n'
    )


def write(tmp_path: Path, kind: str, text: str) -> Path:
    path = tmp_path / f"people.{kind}"
    path.write_text(text, encoding="utf-8")
    return path


def text_of(kind: str, profile: dict[str, Any] = PROFILE) -> str:
    return csv_text(profile) if kind == "csv" else toml_text(profile)


def expected(profile: dict[str, Any]) -> ScoreState:
    """What ``subscribers add --profile`` stores for this profile today."""
    parsed = parse_profile(profile)
    today = utcnow().date()
    result, until = score_until(parsed, today)
    return ScoreState(profile_json(parsed), result.total, today, until, result.rules.id, None)


def states(engine: Engine) -> dict[str, ScoreState | None]:
    with session_scope(engine) as session:
        ids = session.exec(
            select(col(Subscriber.name), col(Subscriber.id)).order_by(col(Subscriber.id))
        ).all()
        return {name: score_state(session, subscriber_id) for name, subscriber_id in ids}


KINDS = pytest.mark.parametrize("kind", ["csv", "toml"])


@KINDS
def test_an_imported_profile_is_stored_and_scored_as_add_profile_does(
    tmp_path: Path, engine: Engine, kind: str
) -> None:
    result = import_subscribers_file(engine, write(tmp_path, kind, text_of(kind)))

    assert (result.added, result.updated, result.unchanged) == (2, 0, 0)
    found = states(engine)
    assert found["Ana"] == expected(PROFILE)
    assert found["Bo"] == ScoreState(None, 470, None, None, None, None)


@KINDS
def test_importing_the_same_profiles_again_changes_nothing(tmp_path: Path, engine: Engine, kind: str) -> None:
    path = write(tmp_path, kind, text_of(kind))
    import_subscribers_file(engine, path)
    with session_scope(engine) as session:  # a round's day rescored it: the stored score is not the file's
        ana = session.exec(select(col(Subscriber.id)).where(col(Subscriber.name) == "Ana")).one()
        set_score(session, ana, crs=401, on=date(2026, 12, 1), until=None, rules="crs-2025-03-25", note="n")
    before = states(engine)

    again = import_subscribers_file(engine, path)

    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert states(engine) == before


@KINDS
def test_a_changed_profile_updates_the_subscriber(tmp_path: Path, engine: Engine, kind: str) -> None:
    import_subscribers_file(engine, write(tmp_path, kind, text_of(kind)))

    changed = import_subscribers_file(engine, write(tmp_path, kind, text_of(kind, CHANGED)))

    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 1)
    assert states(engine)["Ana"] == expected(CHANGED)
    assert expected(CHANGED).crs != expected(PROFILE).crs


def test_a_bare_crs_row_replaces_a_saved_profile_and_a_profile_replaces_a_bare_crs(
    tmp_path: Path, engine: Engine
) -> None:
    import_subscribers_file(engine, write(tmp_path, "csv", csv_text()))
    swapped = HEADER + f"Ana,455,stem,json://127.0.0.1:9/ana,\nBo,,,json://127.0.0.1:9/bo,{cell(PROFILE)}\n"

    result = import_subscribers_file(engine, write(tmp_path, "csv", swapped))

    assert (result.added, result.updated, result.unchanged) == (0, 2, 0)
    found = states(engine)
    assert found["Ana"] == ScoreState(None, 455, None, None, None, None)
    assert found["Bo"] == expected(PROFILE)


@pytest.mark.parametrize(
    ("kind", "text", "problem"),
    [
        (
            "csv",
            csv_text(PROFILE | {"education": "phd"}),
            "line 2: profile: education: 'phd' is not allowed; allowed: less_than_secondary",
        ),
        (
            "toml",
            toml_text(PROFILE | {"education": "phd"}),
            "subscriber 1: profile: education: 'phd' is not allowed; allowed: less_than_secondary",
        ),
        (
            "csv",
            csv_text(PROFILE | {"education": SECRET}),
            "line 2: profile: education: a tgram:// URL (not shown) is not allowed",
        ),
        ("csv", HEADER + f"Ana,,,json://127.0.0.1:9/ana,{SECRET}\n", "line 2: profile is not valid JSON"),
        (
            "csv",
            HEADER + f'Ana,,,json://127.0.0.1:9/ana,"""{SECRET}"""\n',
            "line 2: profile must be a JSON object of profile keys, got a JSON string",
        ),
        (
            "csv",
            HEADER + f"Ana,480,,json://127.0.0.1:9/ana,{cell(PROFILE)}\n",
            "line 2: give crs or profile, not both",
        ),
        (
            "csv",
            HEADER + "Ana,,,json://127.0.0.1:9/ana,\n",
            "line 2: crs or profile is required (give one of them)",
        ),
        (
            "toml",
            toml_text().replace('name = "Ana"\n', 'name = "Ana"\ncrs = 480\n'),
            "subscriber 1: give crs or profile, not both",
        ),
        (
            "csv",
            HEADER + f"Ana,,,json://127.0.0.1:9/ana,{cell(PROFILE | {'x': 'a' * 16_400})}\n",
            "line 2: profile is 16,",
        ),
    ],
)
def test_a_bad_profile_names_its_row_and_nothing_is_imported(
    tmp_path: Path, engine: Engine, kind: str, text: str, problem: str
) -> None:
    good = "Cy,455,,json://127.0.0.1:9/cy,\n" if kind == "csv" else ""
    with pytest.raises(FileProblem) as caught:
        import_subscribers_file(engine, write(tmp_path, kind, text + good))

    message = str(caught.value)
    assert problem in message, message
    assert "AAEhBOweik6ad9r" not in message
    assert states(engine) == {}


def test_a_profile_column_alone_may_replace_the_crs_column(tmp_path: Path, engine: Engine) -> None:
    text = f"name,urls,profile\nAna,json://127.0.0.1:9/ana,{cell(PROFILE)}\n"

    result = import_subscribers_file(engine, write(tmp_path, "csv", text))

    assert result.added == 1
    assert states(engine)["Ana"] == expected(PROFILE)


def test_many_profile_rows_take_the_bulk_path(tmp_path: Path, engine: Engine) -> None:
    rows = "".join(
        f"p{i},,,json://127.0.0.1:9/{i},{cell(PROFILE)}\n"
        if i % 2
        else f"p{i},{400 + i % 500},,json://127.0.0.1:9/{i},\n"
        for i in range(1200)
    )
    path = write(tmp_path, "csv", HEADER + rows)

    first = import_subscribers_file(engine, path)
    again = import_subscribers_file(engine, path)

    assert (first.added, again.unchanged) == (1200, 1200)
    found = states(engine)
    assert found["p1"] == found["p1199"] == expected(PROFILE)
    assert found["p2"] == ScoreState(None, 402, None, None, None, None)
