"""The packaged CRS rule sets: dated, sourced, read-notes recorded, and the unconfirmed 2026-11-03 change kept
out of every score."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from pathlib import Path

from drawwatch.domain.crs import parse_profile
from drawwatch.domain.crs.grid import rule_sets, rules_on
from drawwatch.domain.crs.whatif import whatif

ROOT = Path(__file__).resolve().parents[2]


def test_rule_sets_follow_each_other_without_gaps() -> None:
    sets = rule_sets()
    assert [r.id for r in sets] == ["crs-2016-11-19", "crs-2017-06-06", "crs-2020-10-20", "crs-2025-03-25"]
    for before, after in itertools.pairwise(sets):
        assert before.effective_to == after.effective_from - timedelta(days=1)
    assert sets[-1].effective_to is None
    for rules in sets:
        assert rules.id == f"crs-{rules.effective_from.isoformat()}"
        assert rules.sources and all(s.what for s in rules.sources)
        assert {"columns", "age", "transferability", "french"} <= set(rules.how_read)


def test_only_the_additional_points_differ_between_rule_sets() -> None:
    first, *others = rule_sets()
    for rules in others:
        assert (rules.core, rules.spouse, rules.transferability) == (
            first.core,
            first.spouse,
            first.transferability,
        )
    job = {r.id: r.additional.arranged_employment for r in rule_sets()}
    assert job["crs-2016-11-19"] == {"teer0_major_group_00": 200, "other_qualifying": 50}
    assert job["crs-2025-03-25"] is None


def test_the_reported_2026_change_is_recorded_without_values() -> None:
    pending = rules_on(date(2026, 12, 3)).pending_unconfirmed
    assert pending is not None and pending.reported_effective == date(2026, 11, 3)
    assert pending.values is None and "could not be confirmed" in pending.status


def test_nothing_reads_the_workspace_reference_at_run_time() -> None:
    code = "\n".join(p.read_text() for p in (ROOT / "drawwatch").rglob("*.py"))
    assert "/work/shared" not in code and "shared/crs" not in code


def test_whatif_moves_gain_something_and_come_most_points_first() -> None:
    profile = parse_profile(
        {
            "age": 31,
            "education": "bachelors",
            "spouse_status": "accompanying",
            "spouse": {"education": "bachelors"},
            "first_language": {
                "test": "ielts",
                "test_date": "2024-01-10",  # expired on 2026-01-10
                "scores": {"listening": 8.0, "reading": 7.0, "writing": 7.0, "speaking": 7.0},
            },
        }
    )
    result = whatif(profile, date(2026, 6, 1))
    gains = [m.gain for m in result.moves]
    assert gains == sorted(gains, reverse=True) and min(gains) > 0
    keys = {m.key: m for m in result.moves}
    # Retaking the expired IELTS with the same results: 4×29 + bachelor's × CLB 9 25 = 141 (with spouse column).
    assert keys["first_language.retake"].gain == 141
    # The spouse's test at CLB 9 in all four: 4×5 = 20.
    assert keys["spouse.test.clb9"].gain == 20
    assert "job_offer.other_qualifying" not in keys  # no job-offer points under crs-2025-03-25
    # Age given (no birth date) and the one dated result already expired: nothing ahead to foresee.
    assert result.changes == ()
