"""Reminders end to end: the real command line, a feed copy and a json:// webhook, on SQLite and PostgreSQL.

The profile's dates are set from today (UTC), so each run checks the same situation: the 30th birthday
(5 points of age) in 5 days and the Express Entry profile's 12 months ending in 3 (both due: within a week),
the English result expiring in 20 days (due in 13). Each due reminder is delivered once, to opted-in
subscribers only.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from drawwatch.cli.crs import load_profile
from drawwatch.domain.crs import score
from tests.e2e.stack import Stack
from tests.support.feeds import feed_bytes
from tests.support.profiles import profile_data

pytestmark = pytest.mark.slow


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def write_profile(folder: Path, today: date) -> tuple[Path, date, date, date]:
    birthday, expires, result_expires = (today + timedelta(days=n) for n in (5, 3, 20))
    data = profile_data(
        birth_date=_years_before(birthday, 30).isoformat(),
        profile_created=_years_before(expires, 1).isoformat(),
    )
    data["first_language"] = {
        **data["first_language"],
        "test_date": _years_before(result_expires, 2).isoformat(),
    }
    path = folder / "profile.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path, birthday, expires, result_expires


def test_each_due_reminder_arrives_once_and_only_when_asked_for(stack: Stack, tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    profile, birthday, expires, result_expires = write_profile(tmp_path, today)
    parsed = load_profile(profile)
    assert parsed.first_language.valid_until() == result_expires
    before, after = score(parsed, birthday - timedelta(days=1)).total, score(parsed, birthday).total
    assert before - after == 5

    hook = stack.hook.url("/ana")
    added = stack.run("subscribers", "add", "Ana", "--profile", str(profile), "--url", hook, "--reminders")
    assert added.code == 0, added.stderr
    ana = int(added.stdout)
    quiet = stack.run("subscribers", "add", "Bo", "--profile", str(profile), "--url", stack.hook.url("/bo"))
    assert quiet.code == 0, quiet.stderr  # the same profile, not opted in
    assert (
        "Reminders:    on (looked at by the next check)" in stack.run("subscribers", "show", str(ana)).stdout
    )

    stack.feed.serve(feed_bytes(437))
    first = stack.run("check", "--json")
    assert first.code == 0, first.stderr
    assert first.json()["reminders_queued"] == 2
    bodies = [str(r.body) for r in stack.hook.requests.snapshot()]
    paths = [r.path for r in stack.hook.requests.snapshot()]
    assert paths == ["/ana", "/ana"]
    (drop,) = [b for b in bodies if "drops" in b]
    assert f"Your CRS drops 5 points on {birthday:%B} {birthday.day}, {birthday.year} (birthday)" in drop
    assert f"you reach age 30, and your CRS score drops by 5 points: from {before} to {after}" in drop
    (ending,) = [b for b in bodies if "Express Entry profile expires" in b]
    assert f"{expires:%B} {expires.day}, {expires.year}" in ending

    # Again, later: nothing new is due, nothing is sent twice.
    again = stack.run("check", "--json")
    assert again.code == 0 and again.json()["reminders_queued"] == 0
    assert len(stack.hook.requests.snapshot()) == 2
    listed = stack.run("alerts", "list", "--json").json()
    assert sorted((a["kind"], a["event_on"], a["round"], a["status"]) for a in listed) == [
        ("birthday", birthday.isoformat(), None, "sent"),
        ("profile_expiry", expires.isoformat(), None, "sent"),
    ]
    text = stack.run("alerts", "list").stdout
    assert f"birthday reminder for {birthday.isoformat()}  subscriber {ana} (Ana)" in text
    shown = stack.run("subscribers", "show", str(ana))
    assert f"Reminders:    on (next on {(result_expires - timedelta(days=7)).isoformat()})" in shown.stdout
    assert stack.run("subscribers", "show", str(ana), "--json").json()["reminders"] is True


def test_reminders_need_a_profile_and_can_be_turned_off(stack: Stack, tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    profile, *_ = write_profile(tmp_path, today)
    hook = stack.hook.url("/hook")
    bare = stack.run("subscribers", "add", "Ana", "--crs", "480", "--url", hook, "--reminders")
    assert bare.code == 2 and "--reminders needs a CRS profile" in bare.stderr
    assert stack.run("subscribers", "list", "--json").json() == []

    bo = stack.add("Bo", 480, "--url", hook)
    refused = stack.run("subscribers", "edit", str(bo), "--reminders")
    assert refused.code == 2 and "--profile" in refused.stderr
    assert stack.run("subscribers", "show", str(bo), "--json").json()["reminders"] is False

    assert stack.run("subscribers", "edit", str(bo), "--profile", str(profile), "--reminders").code == 0
    assert stack.run("subscribers", "edit", str(bo), "--no-reminders").code == 0
    stack.feed.serve(feed_bytes(437))
    run = stack.run("check", "--json")
    assert run.code == 0 and run.json()["reminders_queued"] == 0
    assert stack.hook.requests.snapshot() == []
    assert "Reminders:    off" in stack.run("subscribers", "show", str(bo)).stdout
