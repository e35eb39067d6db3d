"""Subscribers with a CRS profile end to end: the real command line, real feed copies with added rounds, a
json:// webhook, on SQLite and PostgreSQL.

The profile is examples/profile.toml with a birth date making the subscriber 30 on 2026-08-21, two days
after the newest round of the #437 copy (2026-08-19): turning 30 costs 5 points of age. Rounds #438
(2026-08-20) and #439 (2026-08-21) are cloned from #437 (French, with a tie-break time) at the cut-off the
profile scores on 2026-08-20.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from drawwatch.cli.crs import load_profile
from drawwatch.domain.crs import score
from tests.e2e.stack import Stack
from tests.support.commands import ROOT
from tests.support.feeds import feed_body, feed_bytes, with_new_rounds

pytestmark = pytest.mark.slow

BIRTHDAY = date(2026, 8, 21)


def write_profile(folder: Path) -> Path:
    text = (ROOT / "examples" / "profile.toml").read_text(encoding="utf-8")
    assert "birth_date = 1996-03-14" in text
    path = folder / "profile.toml"
    path.write_text(text.replace("birth_date = 1996-03-14", "birth_date = 1996-08-21"), encoding="utf-8")
    return path


def rounds_at(*cut_offs: int) -> bytes:
    """The #437 copy with rounds #438, #439, … added a day apart from 2026-08-20 at these cut-offs."""
    numbers = [str(438 + n) for n in range(len(cut_offs))]
    document = with_new_rounds(437, numbers)
    for entry in document["rounds"][: len(numbers)]:
        entry["drawCRS"] = str(cut_offs[int(entry["drawNumber"]) - 438])
    return feed_body(document)


def test_alerted_at_the_score_before_the_birthday_not_after_and_told_why(
    stack: Stack, tmp_path: Path
) -> None:
    profile = write_profile(tmp_path)
    before = score(load_profile(profile), date(2026, 8, 20)).total
    after = score(load_profile(profile), BIRTHDAY).total
    assert after == before - 5  # the age points at 30
    stack.feed.serve(feed_bytes(437))
    assert stack.run("check").code == 0  # baseline: history, no alerts

    hook = stack.hook.url("/hook")
    added = stack.run(
        "subscribers", "add", "Ana", "--profile", str(profile), "--category", "french", "--url", hook
    )
    assert added.code == 0, added.stderr
    ana = int(added.stdout)
    bare = stack.add("Bo", before, "--category", "french", "--url", stack.hook.url("/bare"))

    stack.feed.serve(rounds_at(before, before))  # 2026-08-20 and 2026-08-21, same cut-off
    run = stack.run("check", "--json")
    assert run.code == 0, run.stderr
    assert run.json()["alerts"]["queued"] == 3  # Ana for #438 only; Bo (a bare number) for both
    assert run.json()["alerts"]["sent"] == 3

    alerts = stack.run("alerts", "list", "--json").json()
    assert sorted((a["subscriber"], a["round"]) for a in alerts) == sorted(
        [(ana, "438"), (bare, "438"), (bare, "439")]
    )
    requests = stack.hook.requests.snapshot()
    (ana_alert,) = [str(r.body) for r in requests if r.path == "/hook"]
    assert "#438" in ana_alert
    assert f"Your CRS: {before} on August 20, 2026, from your profile (rule set crs-2025-03-25)" in ana_alert
    assert "Your next score change: 5 points lower from your birthday on 2026-08-21" in ana_alert
    bare_alerts = [str(r.body) for r in requests if r.path == "/bare"]
    assert len(bare_alerts) == 2
    assert not any("from your profile" in text for text in bare_alerts)

    shown = stack.run("subscribers", "show", str(ana), "--json").json()
    assert shown["crs"] == after
    assert shown["score"]["on"] == "2026-08-21" and shown["score"]["rules"] == "crs-2025-03-25"
    assert shown["score"]["note"] == "5 points lower since your birthday on 2026-08-21"
    assert shown["score"]["breakdown"]["total"] == after
    text = stack.run("subscribers", "show", str(ana)).stdout
    assert (
        f"CRS:          {after} from the profile on 2026-08-21\n                rule set crs-2025-03-25;"
        in text
    )
    assert "Last change:  5 points lower since your birthday on 2026-08-21" in text
    assert "subtotal" in text and "Total" in text  # the breakdown, as `crs score` prints it

    # A later round at the lower score alerts Ana, and says what changed since her last alert and why.
    stack.feed.serve(rounds_at(before, before, after))
    later = stack.run("check", "--json")
    assert later.code == 0, later.stderr
    newest = [str(r.body) for r in stack.hook.requests.snapshot() if r.path == "/hook"][-1]
    assert "#440" in newest
    assert f"Your CRS: {after} on August 22, 2026" in newest
    assert "— 5 points lower since your birthday on 2026-08-21" in newest


def test_a_bad_profile_names_the_field_and_stores_nothing(stack: Stack, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('birth_date = 1996-08-21\neducation = "phd"\n', encoding="utf-8")
    hook = stack.hook.url("/hook")
    run = stack.run("subscribers", "add", "Ana", "--profile", str(bad), "--url", hook)
    assert run.code == 2
    assert "education" in run.stderr and "'phd' is not allowed" in run.stderr and "masters" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert stack.run("subscribers", "list", "--json").json() == []

    both = stack.run("subscribers", "add", "Ana", "--crs", "500", "--profile", str(bad), "--url", hook)
    assert both.code == 2 and "--crs" in both.stderr
    neither = stack.run("subscribers", "add", "Ana", "--url", hook)
    assert neither.code == 2 and "--profile" in neither.stderr

    good = stack.add("Bo", 480, "--url", hook)
    edit = stack.run("subscribers", "edit", str(good), "--profile", str(bad))
    assert edit.code == 2 and "education" in edit.stderr
    (stored,) = stack.run("subscribers", "list", "--json").json()
    assert (
        stored["crs"] == 480 and "score" not in stack.run("subscribers", "show", str(good), "--json").json()
    )

    # Saving a good profile, then a bare number again.
    profile = write_profile(tmp_path)
    assert stack.run("subscribers", "edit", str(good), "--profile", str(profile)).code == 0
    shown = stack.run("subscribers", "show", str(good), "--json").json()
    assert shown["score"]["rules"] and shown["crs"] == shown["score"]["breakdown"]["total"]
    assert stack.run("subscribers", "edit", str(good), "--crs", "470").code == 0
    shown = stack.run("subscribers", "show", str(good), "--json").json()
    assert shown["crs"] == 470 and "score" not in shown
