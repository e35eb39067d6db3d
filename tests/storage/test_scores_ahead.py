"""Scores computed ahead (drawwatch.app.rescore.prepare_ahead), on SQLite and PostgreSQL: a round on the day
the stored scores end is matched at them with nothing rescored in Python, and the next preparing stores them
with the same score, end and note as rescoring in Python gives; a profile changed since, a day past the
horizon or no budget leave the Python path."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine

from drawwatch.app.rescore import AHEAD_DAYS, prepare_ahead, refresh_scores, save_profile
from drawwatch.domain.crs import parse_profile, score, score_until
from drawwatch.storage.db import session_scope
from drawwatch.storage.matching import matches
from drawwatch.storage.subscribers import SubscriberInput, add_subscriber, score_state
from tests.support.profiles import BIRTHDAY, EVE, PROFILE_DATA, profile_data
from tests.support.rows import general_round as a_round

PARSED = parse_profile(PROFILE_DATA)
BEFORE, AFTER = score(PARSED, EVE).total, score(PARSED, BIRTHDAY).total
WEEK_BEFORE = BIRTHDAY - timedelta(days=AHEAD_DAYS)


def add(engine: Engine, name: str, profile: dict[str, object] = PROFILE_DATA, on: date = EVE) -> int:
    with session_scope(engine) as session:
        row = add_subscriber(
            session, SubscriberInput(name=name, crs=0, categories=[], urls=["json://h/" + name])
        )
        assert row.id is not None
        save_profile(session, row.id, parse_profile(profile), on)
        return row.id


def test_a_score_computed_ahead_is_matched_then_stored_as_rescoring_would_compute_it(engine: Engine) -> None:
    ana = add(engine, "Ana")
    assert prepare_ahead(engine, WEEK_BEFORE, budget_seconds=60) == 1
    assert prepare_ahead(engine, WEEK_BEFORE, budget_seconds=60) == 0  # done: not computed twice
    bo = add(engine, "Bo")  # the same profile, not prepared: the Python path
    with session_scope(engine) as session:
        assert refresh_scores(session, on=BIRTHDAY) == 1  # only Bo is scored in Python
        assert set(session.exec(matches(a_round(BIRTHDAY, AFTER + 1)))) == set()
        assert set(session.exec(matches(a_round(BIRTHDAY, AFTER)))) == {ana, bo}
        assert set(session.exec(matches(a_round(EVE, BEFORE)))) == {ana}  # Bo's stored score is BIRTHDAY's
        stored = score_state(session, ana)
    assert stored is not None and (stored.crs, stored.score_on) == (BEFORE, EVE)  # not written yet
    assert prepare_ahead(engine, BIRTHDAY, budget_seconds=60) == 0  # stores it; nothing new is due
    with session_scope(engine) as session:
        ahead, python = score_state(session, ana), score_state(session, bo)
    assert ahead is not None and python is not None
    assert (ahead.crs, ahead.score_on, ahead.score_until, ahead.score_rules, ahead.score_note) == (
        python.crs, python.score_on, python.score_until, python.score_rules, python.score_note,
    )  # fmt: skip
    assert (ahead.crs, ahead.score_on) == (AFTER, BIRTHDAY)
    assert ahead.score_until == score_until(PARSED, BIRTHDAY)[1]
    assert ahead.score_note == "5 points lower since your birthday on 2026-08-21"
    with session_scope(engine) as session:
        assert refresh_scores(session, on=BIRTHDAY) == 0
        assert set(session.exec(matches(a_round(BIRTHDAY, AFTER)))) == {ana, bo}


def test_a_round_on_a_later_day_still_inside_the_ahead_score_applies_it(engine: Engine) -> None:
    ana = add(engine, "Ana")
    assert prepare_ahead(engine, WEEK_BEFORE, budget_seconds=60) == 1
    later = BIRTHDAY + timedelta(days=30)
    with session_scope(engine) as session:
        assert refresh_scores(session, on=later) == 0
        assert set(session.exec(matches(a_round(later, AFTER)))) == {ana}
        assert set(session.exec(matches(a_round(later, AFTER + 1)))) == set()


def test_what_is_not_applied(engine: Engine) -> None:
    ana = add(engine, "Ana")
    far = add(engine, "Cy", profile_data(birth_date="1996-12-01"), on=WEEK_BEFORE)  # 30 in December
    assert prepare_ahead(engine, WEEK_BEFORE, budget_seconds=0) == 0  # no budget, nothing done
    assert prepare_ahead(engine, WEEK_BEFORE, budget_seconds=60) == 1  # Ana; Cy's change is months away
    with session_scope(engine) as session:  # Ana's profile changes: the score computed ahead is moot
        save_profile(session, ana, parse_profile(profile_data(canadian_work_years=2)), EVE)
    with session_scope(engine) as session:
        assert refresh_scores(session, on=BIRTHDAY) == 1  # Ana, in Python, from her new profile
        state, cy = score_state(session, ana), score_state(session, far)
    expected = score(parse_profile(profile_data(canadian_work_years=2)), BIRTHDAY).total
    assert state is not None and state.crs == expected != AFTER
    assert cy is not None and cy.score_on == WEEK_BEFORE
