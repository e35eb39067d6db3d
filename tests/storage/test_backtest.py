"""The backtest on the real #437 feed copy, on SQLite and PostgreSQL: for a table of subscribers and every
stored round it agrees with the diff step's own selection (``matches`` and ``eligible_subscribers``), explains
each verdict, and settings that are not saved leave no row behind.

Rounds of the #437 copy used by name: #436 CEC at 523 (tie-break 2026-08-17 22:09:00 UTC), #74 general at 436
(no tie-break time published), and the three STEM rounds of 2023–24: #254 at 486, #274 at 481, #293 at 491.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

import drawwatch.storage.backtest as backtest_module
from drawwatch.app.derived import refresh_derived_categories
from drawwatch.domain.vocabulary import STANDINGS
from drawwatch.scrapers.feed import parse_feed
from drawwatch.storage.backtest import Verdict, backtest, backtest_settings
from drawwatch.storage.checks import finish_check, start_check
from drawwatch.storage.db import session_scope
from drawwatch.storage.matching import SETTINGS_CONDITIONS, eligible_subscribers, matches
from drawwatch.storage.models import Round, Subscriber, SubscriberCategory, SubscriberChannel
from drawwatch.storage.rounds import list_rounds, sync_rounds
from drawwatch.storage.subscribers import SubscriberInput, add_subscriber
from tests.support.feeds import feed_bytes

CEC_436_TIE_BREAK = datetime(2026, 8, 17, 22, 9, tzinfo=UTC)
LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)  # "subscribed before every round"
STEM_2023_24 = {"254": 486, "274": 481, "293": 491}
ALL = 1000  # more than the 438 rounds of the #437 copy


@dataclass
class Person:
    """A subscriber of the table: SubscriberInput fields, plus how their row is set up."""

    fields: dict[str, Any]
    created_after_rounds: bool = False
    derive_on: date | None = None  # derive "noc" categories from occupations by the lists in force then
    expected: dict[str, str] = field(default_factory=dict)  # round number -> the exact reason


PEOPLE: dict[str, Person] = {
    "stem 490": Person(
        {"crs": 490, "categories": ["stem"]},
        expected={
            "254": "eligible via STEM; 4 points above the cut-off",
            "274": "eligible via STEM; 9 points above the cut-off",
            "293": "below the cut-off by 1",
            "435": "not eligible for Provincial Nominee Program; below the cut-off by 270",
            "437": "not eligible for French-language proficiency",
        },
    ),
    "software engineer by occupation (2024 lists)": Person(
        {"crs": 490, "categories": [], "occupations": [("21231", 14)]},
        derive_on=date(2024, 1, 1),
        expected={
            "254": "eligible via STEM (21231 Software engineers and designers); 4 points above the cut-off",
            "293": "below the cut-off by 1",
        },
    ),
    "french by NCLC 8 (lists in force now)": Person(
        {"crs": 400, "categories": [], "nclc_french": 8},
        derive_on=date(2026, 8, 1),
        expected={"437": "eligible via French-language proficiency; 18 points above the cut-off"},
    ),
    "general rounds only": Person(
        {"crs": 480, "categories": []},
        expected={
            "74": "general round: open to every category; 44 points above the cut-off",
            "274": "not eligible for STEM; below the cut-off by 1",
            "437": "not eligible for French-language proficiency",
        },
    ),
    "cec at the cut-off, submitted before the tie-break": Person(
        {"crs": 523, "categories": ["cec"], "submitted_at": CEC_436_TIE_BREAK - timedelta(days=30)},
        expected={
            "436": "eligible via Canadian Experience Class; at the cut-off: submitted before the tie-break"
        },
    ),
    "cec at the cut-off, submitted after the tie-break": Person(
        {"crs": 523, "categories": ["cec"], "submitted_at": CEC_436_TIE_BREAK + timedelta(seconds=1)},
        expected={"436": "at the cut-off but submitted after the tie-break"},
    ),
    "cec at the cut-off, submission time not saved": Person(
        {"crs": 523, "categories": ["cec", "pnp"]},
        expected={
            "436": "eligible via Canadian Experience Class; at the cut-off: depends on the tie-break "
            "(submission time not saved)"
        },
    ),
    "at a cut-off without a published tie-break time": Person(
        {"crs": 436, "categories": [], "submitted_at": datetime(2017, 1, 1, tzinfo=UTC)},
        expected={
            "74": "general round: open to every category; at the cut-off: depends on the tie-break "
            "(the round's tie-break time is unknown)"
        },
    ),
    "inactive": Person(
        {"crs": 500, "categories": ["stem"], "active": False},
        expected={
            "274": "eligible via STEM; 19 points above the cut-off; inactive subscriber",
            "293": "eligible via STEM; 9 points above the cut-off; inactive subscriber",
            "437": "not eligible for French-language proficiency",
        },
    ),
    "created after the rounds": Person(
        {"crs": 500, "categories": ["stem"]},
        created_after_rounds=True,
        expected={"293": "eligible via STEM; 9 points above the cut-off; subscribed after this round"},
    ),
    "high score in many categories": Person({"crs": 900, "categories": ["pnp", "cec", "french", "stem"]}),
}


@pytest.fixture
def history(engine: Engine) -> Iterator[tuple[Engine, dict[str, int]]]:
    """The #437 copy stored, and the subscribers of PEOPLE (ids by name)."""
    ids: dict[str, int] = {}
    with session_scope(engine) as session:
        for name, person in PEOPLE.items():
            if not person.created_after_rounds:
                ids[name] = _add(session, name, person)
    with session_scope(engine) as session:
        check = start_check(session, "file:///437.json")
        sync_rounds(session, parse_feed(feed_bytes(437)).rounds, check=check)
        finish_check(session, check, outcome="ok")
    with session_scope(engine) as session:
        for name, person in PEOPLE.items():
            if person.created_after_rounds:
                ids[name] = _add(session, name, person)
        first_seen = session.exec(select(func.min(Round.first_seen_at))).one()
        for name, person in PEOPLE.items():
            when = first_seen + timedelta(minutes=5) if person.created_after_rounds else LONG_AGO
            session.exec(update(Subscriber).where(col(Subscriber.id) == ids[name]).values(created_at=when))
    yield engine, ids


def _add(session: Session, name: str, person: Person) -> int:
    row = add_subscriber(session, SubscriberInput(name=name, urls=["json://127.0.0.1:9/x"], **person.fields))
    assert row.id is not None
    if person.derive_on is not None:
        refresh_derived_categories(session, on=person.derive_on, subscriber_ids=[row.id])
    return row.id


def test_backtest_agrees_with_the_diff_step_on_every_round(history: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = history
    with session_scope(engine) as session:
        rounds = list_rounds(session)
        assert len(rounds) == 438
        selected = {round_.number: set(session.exec(matches(round_)).all()) for round_ in rounds}
        ties = {
            round_.number: {row.subscriber_id: row.tie for row in session.exec(eligible_subscribers(round_))}
            for round_ in rounds
        }
        verdicts = {name: backtest(session, subscriber_id, last=ALL) for name, subscriber_id in ids.items()}

    alerted_somewhere = set()
    for name, subscriber_id in ids.items():
        by_number = {v.number: v for v in verdicts[name]}
        assert [v.number for v in verdicts[name]] == [d.number for d in rounds]  # every round, newest first
        for round_ in rounds:
            verdict = by_number[round_.number]
            where = f"{name}, round {round_.number}"
            assert verdict.alerted_by_diff_step == (subscriber_id in selected[round_.number]), where
            if verdict.alerted_by_diff_step:
                alerted_somewhere.add(name)
                assert ties[round_.number][subscriber_id] == verdict.standing, where
            assert verdict.standing in STANDINGS
            assert verdict.margin == verdict.subscriber_crs - round_.crs
            # The standing and the score/tie-break conditions tell one story.
            assert verdict.conditions["score"] == (verdict.standing != "below"), where
            tied_out = verdict.conditions["score"] and not verdict.conditions["tie_break"]
            assert tied_out == (verdict.standing == "tie_not_invited"), where
            mentions_tie = verdict.standing == "tie_not_invited" or (
                verdict.would_alert and verdict.standing.startswith("tie_")
            )
            assert ("tie-break" in verdict.reason) == mentions_tie, where
            assert verdict.would_alert == all(verdict.conditions[c] for c in SETTINGS_CONDITIONS)
            assert verdict.reason, where
        for number, reason in PEOPLE[name].expected.items():
            assert by_number[number].reason == reason, f"{name}, round {number}"
    # Every subscriber but the inactive and the late one was picked by the diff step for some round.
    assert alerted_somewhere == set(ids) - {"inactive", "created after the rounds"}


def test_stem_490_and_the_three_stem_rounds_of_2023_24(history: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = history
    with session_scope(engine) as session:
        verdicts = backtest(session, ids["stem 490"], last=ALL)
    in_category = [v for v in verdicts if v.conditions["category"] and v.category != "general"]
    assert {v.number: v.crs for v in in_category} == STEM_2023_24
    assert all(v.category == "stem" and v.date.year in (2023, 2024) for v in in_category)
    by_number = {v.number: v for v in in_category}
    assert [(n, by_number[n].would_alert, by_number[n].margin) for n in ("254", "274", "293")] == [
        ("254", True, 4),
        ("274", True, 9),
        ("293", False, -1),
    ]
    assert by_number["293"].reason == "below the cut-off by 1"
    assert by_number["293"].standing == "below" and by_number["254"].standing == "clear"
    assert all(v.alerted_by_diff_step == v.would_alert for v in verdicts)  # active, subscribed before


def test_last_n_takes_the_newest_rounds(history: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = history
    with session_scope(engine) as session:
        verdicts = backtest(session, ids["stem 490"], last=3)
        one = backtest_settings(session, crs=490, categories=["stem"], last=1)
    assert [v.number for v in verdicts] == ["437", "436", "435"]
    assert [(v.number, v.date) for v in one] == [("437", date(2026, 8, 19))]


def _counts(session: Session) -> tuple[int, int, int]:
    return (
        session.exec(select(func.count()).select_from(Subscriber)).one(),
        session.exec(select(func.count()).select_from(SubscriberCategory)).one(),
        session.exec(select(func.count()).select_from(SubscriberChannel)).one(),
    )


TRANSIENT_CASES = {
    name: person
    for name, person in PEOPLE.items()
    if person.derive_on is None and person.fields.get("active", True)
}


@pytest.mark.parametrize("name", TRANSIENT_CASES)
def test_settings_not_saved_give_the_saved_subscribers_verdicts(
    history: tuple[Engine, dict[str, int]], name: str
) -> None:
    engine, ids = history
    fields = PEOPLE[name].fields
    with session_scope(engine) as session:
        before = _counts(session)
    with session_scope(engine) as session:
        unsaved = backtest_settings(
            session,
            crs=fields["crs"],
            categories=fields["categories"],
            submitted_at=fields.get("submitted_at"),
            last=ALL,
        )
        saved = backtest(session, ids[name], last=ALL)
    with session_scope(engine) as session:
        assert _counts(session) == before
        names = session.exec(select(Subscriber.name)).all()
    assert sorted(names) == sorted(PEOPLE)
    assert len(unsaved) == 438
    # The transient row existed "long before" every round and is active: the same as the saved ones here,
    # except the one subscribed after the rounds (whose settings, not subscription, are compared then).
    if PEOPLE[name].created_after_rounds:
        assert [_settings(v) for v in unsaved] == [_settings(v) for v in saved]
        assert all(v.alerted_by_diff_step == v.would_alert for v in unsaved)
    else:
        assert unsaved == saved


def _settings(verdict: Verdict) -> tuple[Any, ...]:
    conditions = {name: verdict.conditions[name] for name in SETTINGS_CONDITIONS}
    return verdict.number, verdict.margin, verdict.standing, verdict.would_alert, conditions


def test_settings_not_saved_keep_the_callers_work_and_leave_nothing_on_failure(
    history: tuple[Engine, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = history
    with session_scope(engine) as session:
        before = _counts(session)
    with session_scope(engine) as session:
        kept = add_subscriber(
            session, SubscriberInput(name="Kept", crs=300, categories=[], urls=["json://x/y"])
        )
        verdicts = backtest_settings(session, crs=300, last=5)
        assert len(verdicts) == 5 and session.get(Subscriber, kept.id) is not None
    with session_scope(engine) as session:
        assert _counts(session) == (before[0] + 1, before[1], before[2] + 1)
        assert session.exec(select(Subscriber.name).where(col(Subscriber.id) == kept.id)).one() == "Kept"

    def broken(*_: Any, **__: Any) -> list[Verdict]:
        raise RuntimeError("boom")

    monkeypatch.setattr(backtest_module, "backtest", broken)
    with session_scope(engine) as session:
        with pytest.raises(RuntimeError, match="boom"):
            backtest_settings(session, crs=490, categories=["stem", "cec"])
        assert _counts(session) == (before[0] + 1, before[1], before[2] + 1)  # gone at once, not at commit
    with session_scope(engine) as session:
        assert _counts(session) == (before[0] + 1, before[1], before[2] + 1)


def test_errors_and_an_empty_database(engine: Engine) -> None:
    with session_scope(engine) as session:
        subscriber_id = _add(session, "Sam", Person({"crs": 490, "categories": ["stem"]}))
    with session_scope(engine) as session:
        assert backtest(session, subscriber_id) == []  # no rounds stored yet
        assert backtest_settings(session, crs=490, categories=["stem"]) == []
        with pytest.raises(LookupError, match="no subscriber with id 999"):
            backtest(session, 999)
        with pytest.raises(ValueError, match="last must be at least 1, got 0"):
            backtest(session, subscriber_id, last=0)
        with pytest.raises(ValueError, match="crs must be between 0 and 1200, got 1500"):
            backtest_settings(session, crs=1500)
        with pytest.raises(ValueError, match="unknown category 'other'"):
            backtest_settings(session, crs=400, categories=["other"])
        with pytest.raises(ValueError, match="timezone-aware"):
            backtest_settings(session, crs=400, submitted_at=datetime(2026, 1, 1))
        assert _counts(session) == (1, 1, 1)
