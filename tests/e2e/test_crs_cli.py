"""``drawwatch crs score`` and ``crs whatif`` through the real command line, on profile files in
tests/fixtures/crs (their expected scores are worked out by hand in the files' comments and below)."""

from __future__ import annotations

import json

import pytest

from drawwatch.domain.crs import rule_sets
from tests.support.commands import ROOT, drawwatch

pytestmark = pytest.mark.slow

FIXTURES = "tests/fixtures/crs"


def test_score_prints_the_total_the_rule_set_and_the_breakdown() -> None:
    run = drawwatch("crs", "score", f"{FIXTURES}/single.toml", "--on", "2026-06-01", env={})
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("CRS 379 on 2026-06-01 — rule set crs-2025-03-25")
    assert lines[-1].split()[:2] == ["Total", "379"] and lines[-1].endswith("crs-2025-03-25")
    age = next(line for line in lines if " age " in f" {line} ")
    assert age.split()[:3] == ["Core", "age", "110"]
    assert run.stderr == ""


def test_score_json_is_the_issue_shape_for_a_couple_in_json() -> None:
    # By hand, with-spouse column, crs-2025-03-25: core 80 + 119 + (29+22+22+29) + 0 + 46 = 347; spouse 10 +
    # 4×3 (PTE CLB 8) + 5 = 27; transferability: two_or_more × CLB 7 25 and × 2 yrs Canadian 50, capped to
    # 50 as 25 + 25; foreign 1-2 × CLB 7 13 and × 2 yrs Canadian 25; additional 15 + 15 (+ no job-offer points).
    run = drawwatch("crs", "score", f"{FIXTURES}/couple.json", "--on", "2026-06-01", "--json", env={})
    assert run.code == 0, run.stderr
    assert run.json() == {
        "total": 492,
        "rules": "crs-2025-03-25",
        "core": {
            "age": 80,
            "education": 119,
            "first_language": 102,
            "second_language": 0,
            "canadian_work": 46,
            "subtotal": 347,
        },
        "spouse": {"education": 10, "language": 12, "canadian_work": 5, "subtotal": 27},
        "transferability": {
            "education_language": 25,
            "education_canadian_work": 25,
            "foreign_work_language": 13,
            "foreign_work_canadian_work": 25,
            "certificate": 0,
            "subtotal": 88,
        },
        "additional": {
            "provincial_nomination": 0,
            "french": 0,
            "canadian_education": 15,
            "sibling": 15,
            "arranged_employment": 0,
            "subtotal": 30,
        },
    }
    # The same profile under the 2020-10-20 rules gets its 50 job-offer points.
    before = drawwatch(
        "crs", "score", f"{FIXTURES}/couple.json", "--on", "2024-06-01", "--json", env={}
    ).json()
    assert (before["total"], before["rules"], before["additional"]["arranged_employment"]) == (
        542,
        "crs-2020-10-20",
        50,
    )


def test_a_score_after_2026_11_03_keeps_json_clean_and_warns_on_stderr() -> None:
    run = drawwatch("crs", "score", f"{FIXTURES}/couple.json", "--on", "2026-12-03", "--json", env={})
    assert run.code == 0 and run.json()["rules"] == "crs-2025-03-25"
    assert "2026-11-03" in run.stderr and "could not be confirmed" in run.stderr


def test_whatif_ranks_moves_and_dates_the_drops() -> None:
    run = drawwatch("crs", "whatif", f"{FIXTURES}/single.toml", "--on", "2026-06-01", "--json", env={})
    assert run.code == 0, run.stderr
    out = run.json()
    assert (out["total"], out["rules"]) == (379, "crs-2025-03-25")
    gains = [m["gain"] for m in out["moves"]]
    assert gains == sorted(gains, reverse=True)
    by_key = {m["move"]: (m["gain"], m["total"]) for m in out["moves"]}
    assert by_key["provincial_nomination"] == (600, 979)
    assert by_key["french_nclc7"] == (62, 441)  # second language 4×3 + French bonus 50
    assert by_key["canadian_work"] == (53, 432)  # 40 + bachelor's × 1 yr Canadian 13
    assert [(c["date"], c["change"], c["total"]) for c in out["changes"][:3]] == [
        ("2027-03-14", -5, 374),  # 30th birthday: 110 -> 105
        ("2027-09-20", -149, 225),  # the IELTS result expires: 124 + 25 lost
        ("2028-03-14", -6, 219),  # 31st: 105 -> 99
    ]
    text = drawwatch("crs", "whatif", f"{FIXTURES}/single.toml", "--on", "2026-06-01", env={})
    assert text.code == 0
    assert "crs-2025-03-25" in text.stdout.splitlines()[0]
    assert "+600" in text.stdout and "2027-03-14" in text.stdout and "birthday: age 30" in text.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("score", f"{FIXTURES}/bad_ielts.toml"),
            f"error: {FIXTURES}/bad_ielts.toml: first_language.scores.listening: "
            "IELTS General Training listening scores run from 0 to 9 in steps of 0.5, got 9.5",
        ),
        (
            ("score", f"{FIXTURES}/unknown_key.json", "--json"),
            f"error: {FIXTURES}/unknown_key.json: canadian_experience: unknown key; allowed keys here: age, ",
        ),
        (("whatif", f"{FIXTURES}/broken.toml"), f"error: {FIXTURES}/broken.toml: not valid TOML: "),
        (
            ("score", f"{FIXTURES}/single.toml", "--on", "2015-06-01"),
            "error: no CRS rule set for 2015-06-01: drawwatch's rule sets start on 2016-11-19",
        ),
        (
            ("whatif", f"{FIXTURES}/bad_ielts.toml", "--json"),
            f"error: {FIXTURES}/bad_ielts.toml: first_language.scores.listening: ",
        ),
    ],
)
def test_a_bad_profile_or_date_is_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    run = drawwatch("crs", *args, env={})
    assert run.code == 2
    assert run.stdout == ""
    assert len(run.stderr.splitlines()) == 1 and run.stderr.startswith(message), run.stderr
    assert "Traceback" not in run.stderr


def test_help_names_every_rule_set_and_the_unconfirmed_change() -> None:
    run = drawwatch("crs", "--help", env={})
    assert run.code == 0
    text = " ".join(run.stdout.split())
    for rules in rule_sets():
        assert rules.id in text
    assert "2026-11-03" in text and "could not be confirmed" in text


def test_the_readme_example_profile_scores() -> None:
    # examples/profile.toml by hand on 2026-12-03 (age 30, with spouse): core 95 + 126 + (29+29+29+32) + 4×3
    # + 35 = 387; spouse 8 + 4×3 + 0 = 20; transferability 50 + 0 (capped) + 50 + 0 (capped) = 100; French 50.
    assert (ROOT / "examples" / "profile.toml").is_file()
    run = drawwatch("crs", "score", "examples/profile.toml", "--on", "2026-12-03", "--json", env={})
    assert run.code == 0, run.stderr
    assert (run.json()["total"], run.json()["rules"]) == (557, "crs-2025-03-25")
    assert json.loads(run.stdout)["transferability"]["subtotal"] == 100
