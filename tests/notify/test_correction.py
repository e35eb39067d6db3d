"""Correction notices: which changes matter (one table), and what the notice says for each standing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from drawwatch.domain.corrections import StoredChange, material_changes
from drawwatch.notify.correction import ChangeLine, CorrectionContext, change_line, render_correction
from drawwatch.notify.render import Renderer
from drawwatch.storage.rounds import FieldChange
from tests.support.messages import make_round

OLD_TIE = datetime(2026, 8, 17, 22, 9, tzinfo=UTC)
NEW_TIE = datetime(2026, 8, 17, 23, 9, tzinfo=UTC)

# (changes, the parsed tie-break time now) -> the fields a notice lists
MATERIAL: dict[str, tuple[list[FieldChange], datetime | None, list[str]]] = {
    "cut-off": ([FieldChange("crs", 523, 531)], OLD_TIE, ["crs"]),
    "invitations": ([FieldChange("invitations", 1000, 1500)], OLD_TIE, ["invitations"]),
    "date": ([FieldChange("date", date(2026, 8, 18), date(2026, 8, 19))], OLD_TIE, ["date"]),
    "category key": ([FieldChange("category", "general", "cec")], OLD_TIE, ["category"]),
    "tie-break time (raw text follows)": (
        [FieldChange("tie_break", OLD_TIE, NEW_TIE), FieldChange("tie_break_raw", "a", "b")],
        NEW_TIE,
        ["tie_break"],
    ),
    "raw tie-break text while none parses": (
        [FieldChange("tie_break_raw", "soon", "later")],
        None,
        ["tie_break_raw"],
    ),
    "raw text respelled, same parsed time": (
        [FieldChange("tie_break_raw", "Aug 17", "August 17")],
        OLD_TIE,
        [],
    ),
    "whitespace only": ([FieldChange("tie_break_raw", "Aug  17", " Aug 17 ")], None, []),
    "renamed": (
        [FieldChange("name", "Canadian Experience Class", "Canadian Experience Class (CEC)")],
        OLD_TIE,
        [],
    ),
    "page address, programs, run time": (
        [
            FieldChange("url", "https://a", "https://b"),
            FieldChange("programs", "CEC", "Canadian Experience Class"),
            FieldChange("run_at_raw", "x", "y"),
        ],
        OLD_TIE,
        [],
    ),
    "several, listed in a fixed order": (
        [FieldChange("tie_break", OLD_TIE, NEW_TIE), FieldChange("name", "a", "b"), FieldChange("crs", 1, 2)],
        NEW_TIE,
        ["crs", "tie_break"],
    ),
}


@pytest.mark.parametrize(("changes", "tie_break_now", "expected"), MATERIAL.values(), ids=MATERIAL.keys())
def test_which_changes_matter(
    changes: list[FieldChange], tie_break_now: datetime | None, expected: list[str]
) -> None:
    assert [c.field for c in material_changes(changes, tie_break_now=tie_break_now)] == expected


@pytest.mark.parametrize(
    ("field", "old", "new", "shown"),
    [
        ("crs", "523", "531", ChangeLine("crs", "Cut-off", "CRS 523", "CRS 531")),
        ("invitations", "1000", "1500", ChangeLine("invitations", "Invitations", "1,000", "1,500")),
        (
            "date",
            '"2026-08-18"',
            '"2026-08-19"',
            ChangeLine("date", "Date", "August 18, 2026", "August 19, 2026"),
        ),
        (
            "tie_break",
            '"2026-08-17T22:09:00+00:00"',
            "null",
            ChangeLine("tie_break", "Tie-break", "August 17, 2026 at 22:09:00 UTC", "not published"),
        ),
        (
            "category",
            '"general"',
            '"cec"',
            ChangeLine("category", "Type", "General (all programs)", "Canadian Experience Class"),
        ),
    ],
)
def test_stored_changes_are_shown_as_the_alert_showed_them(
    field: str, old: str, new: str, shown: ChangeLine
) -> None:
    assert change_line(StoredChange.decode(field, old, new)) == shown


ROUND = make_round(
    number="436",
    date=date(2026, 8, 18),
    name="Canadian Experience Class",
    category="cec",
    category_label="Canadian Experience Class",
    crs=531,
    invitations=1000,
    tie_break=NEW_TIE,
    tie_break_raw="August 17, 2026 at 23:09:00 UTC",
    url="https://www.canada.ca/en/immigration-refugees-citizenship/round-436.html",
)
CHANGES = (ChangeLine("crs", "Cut-off", "CRS 523", "CRS 531"),)


def notice(**overrides: Any) -> CorrectionContext:
    fields: dict[str, Any] = {
        "round": ROUND,
        "changes": CHANGES,
        "subscriber_name": "Bo",
        "subscriber_crs": 540,
        "standing": "clear",
        "unsubscribe_hint": "To stop these alerts: https://example.org/stop?token=T0K3N",
    }
    fields.update(overrides)
    return CorrectionContext(**fields)


STANDINGS: dict[str, tuple[dict[str, Any], str]] = {
    "clear": ({}, "still clears the cut-off of 531, by 9 points"),
    "below": (
        {"subscriber_crs": 530, "standing": "below"},
        "is 1 point below it: you were most likely not invited",
    ),
    "tie_unknown": ({"subscriber_crs": 531, "standing": "tie_unknown"}, "depends on the tie-breaking rule"),
    "tie_invited": ({"subscriber_crs": 531, "standing": "tie_invited"}, "you should have been invited"),
    "tie_not_invited": ({"subscriber_crs": 531, "standing": "tie_not_invited"}, "most likely not invited"),
}


# The subject puts the verdict first (where the subscriber now stands), then the round and the new cut-off.
SUBJECTS = {
    "clear": "You still qualify: round #436 corrected, cut-off 531 (you 540)",
    "below": "Below the new cut-off: round #436 corrected, cut-off 531 (you 530)",
    "tie_unknown": "Tie-break decides: round #436 corrected, you tie cut-off 531",
    "tie_invited": "Tie-break favours you: round #436 corrected, you tie cut-off 531",
    "tie_not_invited": "Tie-break goes against you: round #436 corrected, you tie cut-off 531",
}


@pytest.mark.parametrize("standing", STANDINGS)
def test_the_notice_says_what_changed_and_where_the_subscriber_now_stands(standing: str) -> None:
    overrides, sentence = STANDINGS[standing]
    message = render_correction(Renderer(), notice(**overrides))

    assert message.subject == SUBJECTS[standing]
    for body in (message.text, message.html):
        assert "Cut-off" in body and "CRS 523" in body and "CRS 531" in body
        assert sentence in " ".join(body.split())
        assert ROUND.url in body and "token=T0K3N" in body
    assert message.short is not None and "#436" in message.short and ROUND.url in message.short
    assert "token=T0K3N" in message.short


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"standing": "below"}, "contradicts CRS 540"),
        ({"subscriber_crs": 500, "standing": "clear"}, "contradicts CRS 500"),
        ({"changes": ()}, "needs at least one change"),
        ({"standing": "maybe"}, "standing must be one of"),
    ],
)
def test_a_notice_that_contradicts_itself_is_refused(overrides: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        notice(**overrides)


def test_an_operator_can_override_a_correction_template(tmp_path: Any) -> None:
    (tmp_path / "correction_subject.txt.j2").write_text("Round {{ round.number }} was corrected")
    message = render_correction(Renderer(tmp_path), replace(notice()))
    assert message.subject == "Round 436 was corrected"
