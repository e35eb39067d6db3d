"""Subscribers with a CRS profile, on SQLite and PostgreSQL: only the profile subscribers whose stored score
is not known true on a round's day are scored again, with the age and rule set of that day, and the set-based
matching then compares the score of that day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, update
from sqlmodel import Session, col

from drawwatch.app.rescore import change_note, refresh_scores, save_profile
from drawwatch.domain.crs import parse_profile, score, score_until
from drawwatch.storage.db import session_scope
from drawwatch.storage.matching import matches
from drawwatch.storage.models import Subscriber
from drawwatch.storage.subscribers import SubscriberInput, add_subscriber, score_state
from tests.support.profiles import PROFILE_DATA
from tests.support.rows import general_round as a_round

PROFILE = PROFILE_DATA
EVE, BIRTHDAY, NEXT_DAY = date(2026, 8, 20), date(2026, 8, 21), date(2026, 8, 22)
PARSED = parse_profile(PROFILE)
BEFORE, AFTER = score(PARSED, EVE).total, score(PARSED, BIRTHDAY).total


def add(session: Session, name: str, crs: int) -> int:
    row = add_subscriber(
        session, SubscriberInput(name=name, crs=crs, categories=[], urls=["json://h/" + name])
    )
    assert row.id is not None
    return row.id


def with_profile(session: Session, name: str, on: date) -> int:
    subscriber_id = add(session, name, 0)
    save_profile(session, subscriber_id, PARSED, on)
    return subscriber_id


def test_the_age_points_drop_on_the_birthday_and_only_stale_scores_are_recomputed(engine: Engine) -> None:
    assert AFTER == BEFORE - 5
    with session_scope(engine) as session:
        bare = add(session, "Bo", BEFORE)
        ana = with_profile(session, "Ana", EVE)
    with session_scope(engine) as session:
        assert refresh_scores(session, on=EVE) == 0  # true on the eve, stored for it
        assert set(session.exec(matches(a_round(EVE, BEFORE)))) == {bare, ana}
    with session_scope(engine) as session:
        assert refresh_scores(session, on=BIRTHDAY) == 1  # the stored score stops being true today
        assert set(session.exec(matches(a_round(BIRTHDAY, BEFORE)))) == {bare}
        assert set(session.exec(matches(a_round(BIRTHDAY, AFTER)))) == {bare, ana}
    with session_scope(engine) as session:
        state = score_state(session, ana)
        assert state is not None
        assert (state.crs, state.score_on, state.score_rules) == (AFTER, BIRTHDAY, "crs-2025-03-25")
        assert state.score_until == score_until(PARSED, BIRTHDAY)[1]
        assert state.score_note == "5 points lower since your birthday on 2026-08-21"
        assert refresh_scores(session, on=NEXT_DAY) == 0  # still true: nothing to do
        bare_state = score_state(session, bare)
        assert bare_state is not None and (bare_state.crs, bare_state.profile) == (BEFORE, None)


def test_an_earlier_round_and_a_score_never_computed_are_rescored(engine: Engine) -> None:
    with session_scope(engine) as session:
        ana = with_profile(session, "Ana", NEXT_DAY)
        never = with_profile(session, "Cy", NEXT_DAY)
        session.exec(update(Subscriber).where(col(Subscriber.id) == never).values(score_on=None))
    with session_scope(engine) as session:
        assert refresh_scores(session, on=EVE) == 2  # stored for a later day / never
        for subscriber_id in (ana, never):
            state = score_state(session, subscriber_id)
            assert state is not None and (state.crs, state.score_on) == (BEFORE, EVE)
            assert state.score_until == BIRTHDAY
        state = score_state(session, ana)
        assert state is not None
        assert state.score_note == "5 points higher than on 2026-08-22, before your birthday on 2026-08-21"
        unscored = score_state(session, never)
        assert unscored is not None and unscored.score_note is None  # no old score to compare with


def test_the_notes_say_why() -> None:
    assert change_note(PARSED, EVE, NEXT_DAY) == "5 points lower since your birthday on 2026-08-21"
    assert change_note(PARSED, EVE, EVE) is None
    expiry = date(2027, 9, 20)  # the IELTS result of 2025-09-20 stops counting
    note = change_note(PARSED, date(2027, 9, 1), expiry)
    assert note is not None and note.endswith(
        "lower since 2027-09-20 (first_language: the IELTS General Training result of 2025-09-20 expires "
        "(two years))"
    )


def test_a_round_before_the_first_rule_set_leaves_the_stored_score(engine: Engine) -> None:
    with session_scope(engine) as session:
        ana = with_profile(session, "Ana", EVE)
    with session_scope(engine) as session:  # e.g. IRCC corrects a 2015 round
        assert refresh_scores(session, on=date(2015, 3, 1)) == 0
        state = score_state(session, ana)
        assert state is not None and (state.crs, state.score_on) == (BEFORE, EVE)
