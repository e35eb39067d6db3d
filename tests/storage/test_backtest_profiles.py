"""The backtest of a subscriber with a CRS profile, on SQLite and PostgreSQL: each past round is judged at
the profile's score on that round's date (its age and rule set then), not at the score stored for today; a
round before the first rule set keeps the stored score; the stored score is left as it was; a bare-number
subscriber is judged as before."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from drawwatch.app.rescore import save_profile
from drawwatch.domain.clock import utcnow
from drawwatch.domain.crs import parse_profile, score
from drawwatch.storage.backtest import backtest
from drawwatch.storage.db import session_scope
from drawwatch.storage.models import Round
from drawwatch.storage.subscribers import SubscriberInput, add_subscriber, score_state
from tests.support.profiles import PROFILE_DATA

PROFILE = parse_profile(PROFILE_DATA)
EVE, BIRTHDAY, TODAY = date(2026, 8, 20), date(2026, 8, 21), date(2026, 9, 1)
BEFORE, AFTER = score(PROFILE, EVE).total, score(PROFILE, BIRTHDAY).total
OLD = date(2015, 3, 1)  # before the first rule set (2016-11-19)


def add_round(session: Session, number: int, day: date, cut_off: int) -> None:
    session.add(
        Round(
            number=str(number),
            number_int=number,
            date=day,
            name="No Program Specified",
            category="general",
            invitations=1000,
            crs=cut_off,
            url="https://example.org",
            first_seen_at=utcnow() + timedelta(days=1),
        )
    )


def add(session: Session, name: str, crs: int) -> int:
    row = add_subscriber(
        session, SubscriberInput(name=name, crs=crs, categories=[], urls=[f"json://h/{name}"])
    )
    assert row.id is not None
    return row.id


def test_each_round_is_judged_at_the_profiles_score_on_its_date(engine: Engine) -> None:
    assert AFTER == BEFORE - 5
    with session_scope(engine) as session:
        add_round(session, 1, OLD, AFTER)  # the stored score (AFTER) stands: at the cut-off
        add_round(session, 2, EVE, BEFORE)  # BEFORE on the eve: at the cut-off, no tie-break time
        add_round(session, 3, BIRTHDAY, BEFORE)  # AFTER from the birthday: 5 below
        add_round(session, 4, TODAY, AFTER - 2)  # AFTER: 2 above
        ana = add(session, "Ana", 0)
        save_profile(session, ana, PROFILE, TODAY)
        bo = add(session, "Bo", AFTER)
    with session_scope(engine) as session:
        verdicts = {v.number: v for v in backtest(session, ana)}
        bare = {v.number: v for v in backtest(session, bo)}
    assert [(n, verdicts[n].subscriber_crs, verdicts[n].margin, verdicts[n].would_alert) for n in "1234"] == [
        ("1", AFTER, 0, True),
        ("2", BEFORE, 0, True),
        ("3", AFTER, -5, False),
        ("4", AFTER, 2, True),
    ]
    assert verdicts["1"].score is None  # no rule set then: the stored score stands
    for n, day in (("2", EVE), ("3", BIRTHDAY), ("4", TODAY)):
        computed = verdicts[n].score
        assert computed is not None and computed.on == day and computed.rules.id == "crs-2025-03-25"
        assert computed.to_json() == score(PROFILE, day).to_json()
    assert verdicts["3"].reason == "below the cut-off by 5"
    assert verdicts["2"].standing == "tie_unknown" and verdicts["3"].standing == "below"
    # The bare number is judged as before, at its own number on every round.
    assert [(n, bare[n].subscriber_crs, bare[n].margin, bare[n].score) for n in "1234"] == [
        ("1", AFTER, 0, None),
        ("2", AFTER, AFTER - BEFORE, None),
        ("3", AFTER, AFTER - BEFORE, None),
        ("4", AFTER, 2, None),
    ]
    with session_scope(engine) as session:  # the rescoring was rolled back: the stored score is today's
        state = score_state(session, ana)
        assert state is not None and (state.crs, state.score_on) == (AFTER, TODAY)
