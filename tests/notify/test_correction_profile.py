"""A correction notice to a subscriber with a CRS profile states the profile's score on the corrected round's
day and its rule set, as round alerts do; a bare CRS number is stated as before."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from drawwatch.app.deliver import correction_context
from drawwatch.app.rescore import profile_json
from drawwatch.config import Settings
from drawwatch.domain.corrections import StoredChange
from drawwatch.domain.crs import parse_profile, score
from drawwatch.notify.correction import render_correction
from drawwatch.notify.render import Renderer
from drawwatch.storage.outbox import ClaimedAlert
from tests.support.profiles import PROFILE_DATA

PROFILE = parse_profile(PROFILE_DATA)
ROUND_DAY = date(2026, 8, 19)  # before the birthday
ON_THE_DAY, TODAY = score(PROFILE, ROUND_DAY).total, score(PROFILE, date(2026, 9, 1)).total
NOW = datetime(2026, 9, 1, 12, tzinfo=UTC)


def claimed(**changes: object) -> ClaimedAlert:
    alert = ClaimedAlert(
        alert_id=1,
        attempts=0,
        kind="correction",
        tie="clear",
        created_at=NOW,
        lease_until=NOW,
        subscriber_id=7,
        subscriber_name="Ana",
        subscriber_crs=TODAY,  # the stored score has moved on since the round
        subscriber_submitted_at=None,
        subscriber_language="en",
        subscriber_unsubscribe_token="tok",
        channel_id=1,
        channel_url="json://h/x",
        draw_id=1,
        round_number="437",
        round_date=ROUND_DAY,
        round_name="No Program Specified",
        round_category="general",
        round_list_version=None,
        round_crs=ON_THE_DAY - 2,
        round_invitations=1000,
        round_tie_break=None,
        round_tie_break_raw="",
        round_url="https://example.org/437",
        revision=2,
        subscriber_active=True,
        subscriber_quiet_hours=None,
        subscriber_timezone=None,
        subscriber_profile=profile_json(PROFILE),
    )
    return replace(alert, **changes)  # type: ignore[arg-type]


CHANGES = [StoredChange("crs", ON_THE_DAY - 4, ON_THE_DAY - 2)]


def test_the_notice_states_the_profiles_score_on_the_rounds_day() -> None:
    assert TODAY == ON_THE_DAY - 5
    ctx = correction_context(claimed(), CHANGES, Settings(database_url="sqlite://"))
    assert (ctx.subscriber_crs, ctx.score_rules, ctx.margin) == (ON_THE_DAY, "crs-2025-03-25", 2)
    message = render_correction(Renderer(), ctx)
    line = f"Your CRS: {ON_THE_DAY} on August 19, 2026, from your profile (rule set crs-2025-03-25)"
    assert line in message.text
    assert "<b>Your CRS:</b> " + line.removeprefix("Your CRS: ") in (message.html or "")
    assert f"your CRS {ON_THE_DAY} still clears the cut-off of {ON_THE_DAY - 2}, by 2 points" in message.text


def test_a_bare_number_is_stated_as_before() -> None:
    ctx = correction_context(
        claimed(subscriber_profile=None, subscriber_crs=ON_THE_DAY),
        CHANGES,
        Settings(database_url="sqlite://"),
    )
    assert (ctx.subscriber_crs, ctx.score_rules) == (ON_THE_DAY, None)
    assert "from your profile" not in render_correction(Renderer(), ctx).text
