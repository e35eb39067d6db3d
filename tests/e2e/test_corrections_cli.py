"""Corrections end to end: IRCC changes a round after drawwatch alerted on it.

A local HTTP server serves the real #434 copy (baseline), then #437 (rounds 435–437 new), then edited copies
of #437: #436's tie-break time corrected, #437 renamed, #436's cut-off raised. Each subscriber who got the
alert gets one correction notice per material change; a rename tells nobody; checking again sends nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.stack import Stack
from tests.support.databases import SQLITE_ONLY
from tests.support.feeds import feed_body, feed_bytes, feed_document

pytestmark = pytest.mark.slow


def edited_437(**rounds: dict[str, str]) -> bytes:
    """The #437 copy with fields of some rounds replaced: ``edited_437(r436={"drawCRS": "531"})``."""
    data: dict[str, Any] = feed_document(437)
    for key, fields in rounds.items():
        number = key.removeprefix("r")
        (entry,) = (r for r in data["rounds"] if r["drawNumber"] == number)
        entry.update(fields)
    return feed_body(data)


@SQLITE_ONLY
def test_a_correction_reaches_each_alerted_subscriber_once(stack: Stack) -> None:
    stack.feed.serve(feed_bytes(434))
    assert stack.run("check").code == 0
    bo = stack.add("Bo", 530, "--category", "cec", "--url", stack.hook.url("/bo"))
    stack.add("Cy", 540, "--category", "cec", "--url", stack.hook.url("/cy"))
    stack.add("Amira", 390, "--category", "french", "--url", stack.smtp.url(to="amira@example.org"))
    stack.add("Eve", 500, "--category", "cec", "--url", stack.hook.url("/eve"))  # below #436's 523: no alert
    stack.feed.serve(feed_bytes(437))
    assert stack.run("check").code == 0
    stack.hook.wait_for(2)
    stack.smtp.wait_for(1)

    # IRCC corrects #436's tie-break time: Bo and Cy were alerted on #436, Amira on #437, Eve on nothing.
    fixed = {"drawCutOff": "August 17, 2026 at 23:09:00 UTC"}
    stack.feed.serve(edited_437(r436=fixed))
    run = stack.run("check", "--json")
    assert run.code == 0, run.stderr
    summary = run.json()
    assert summary["changed_rounds"] == {"436": ["tie_break", "tie_break_raw"]}
    assert summary["alerts"] == {
        "queued": 0, "corrections": 2, "sent": 2, "failed": 0, "dead": 0, "ambiguous": 0,
    }  # fmt: skip
    notices = {r.path: r.body for r in stack.hook.requests.wait_for(4)[2:]}
    assert set(notices) == {"/bo", "/cy"}
    for body in notices.values():
        assert body["title"].startswith("You still qualify: round #436 corrected")
        text = body["message"]
        assert "August 17, 2026 at 22:09:00 UTC, now August 17, 2026 at 23:09:00 UTC" in text
        assert "still clears the cut-off of 523" in text
    assert len(stack.smtp.messages) == 1  # Amira's round was not touched

    # A rename (and a whitespace edit) notifies nobody; neither does checking again.
    renamed = {"drawName": "French language proficiency (2026-Version 2)"}
    stack.feed.serve(edited_437(r436=fixed, r437=renamed))
    quiet = stack.run("check", "--json").json()
    assert quiet["changed_rounds"] == {"437": ["name"]}
    assert quiet["alerts"]["corrections"] == 0 and quiet["alerts"]["sent"] == 0
    again = stack.run("check", "--json").json()
    assert again["changed_rounds"] == {} and again["alerts"]["sent"] == 0
    assert stack.received() == (1, 4, 0)

    # The cut-off is raised above Bo's score: Bo and Cy are told where they now stand.
    raised = {**fixed, "drawCRS": "535"}
    stack.feed.serve(edited_437(r436=raised, r437=renamed))
    summary = stack.run("check", "--json").json()
    assert summary["alerts"]["corrections"] == 2 and summary["alerts"]["sent"] == 2
    notices = {r.path: r.body["message"] for r in stack.hook.requests.wait_for(6)[4:]}
    assert "Cut-off: CRS 523, now CRS 535" in notices["/bo"]
    assert "your CRS 530 is 5 points below it" in notices["/bo"]
    assert "still clears the cut-off of 535, by 5 points" in notices["/cy"]

    alerts = stack.run("alerts", "list", "--json").json()
    mine = sorted((a["kind"], a["round"], a["status"]) for a in alerts if a["subscriber"] == bo)
    assert mine == [("correction", "436", "sent"), ("correction", "436", "sent"), ("round", "436", "sent")]
    assert stack.run("check", "--json").json()["alerts"]["sent"] == 0
    assert stack.received() == (1, 6, 0)


@SQLITE_ONLY
def test_a_correction_that_lowers_the_cut_off_alerts_the_newly_eligible(stack: Stack) -> None:
    stack.feed.serve(feed_bytes(434))
    assert stack.run("check").code == 0
    stack.add("Eve", 520, "--category", "cec", "--url", stack.hook.url("/eve"))
    stack.feed.serve(feed_bytes(437))
    assert stack.run("check", "--json").json()["alerts"]["sent"] == 0  # 520 < 523

    stack.feed.serve(edited_437(r436={"drawCRS": "519"}))
    summary = stack.run("check", "--json").json()

    assert summary["alerts"]["queued"] == 1 and summary["alerts"]["corrections"] == 0
    (alert,) = stack.hook.requests.wait_for(1)
    assert alert.path == "/eve"
    assert "clears the Canadian Experience Class cut-off of 519 by 1 point" in alert.body["message"]
    assert stack.run("check", "--json").json()["alerts"]["sent"] == 0
