"""Queueing correction notices: who was told about a round, once per correction, and where they now stand.

One table: the state of a subscriber's round alert when IRCC corrects the round, the correction, and what
is queued.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import select

from drawwatch.storage.db import session_scope
from drawwatch.storage.matching import queue_corrections, queue_round_alerts
from drawwatch.storage.models import Alert, Round, Subscriber
from drawwatch.storage.outbox import claim_due, retry_alerts
from drawwatch.storage.subscribers import remove_subscriber
from tests.support.rows import URL_A, URL_B, new_round, new_subscriber
from tests.support.times import AFTER, BEFORE, T0

REVISION = 77  # the id of the check that recorded the correction (no check row is needed for queueing)


@dataclass(frozen=True)
class Case:
    alert_status: str  # the round alert's state when the correction arrives ("claimed": being sent)
    correction: dict[str, Any]  # new values of the round
    expected: list[str]  # the standing of each correction queued; [] = none
    subscriber: dict[str, Any] = field(default_factory=dict)


CASES: dict[str, Case] = {
    "sent, still clear": Case("sent", {"tie_break_raw": "x"}, ["clear"]),
    "sent, cut-off raised above the score": Case("sent", {"crs": 505}, ["below"]),
    "sent, cut-off raised to the score": Case("sent", {"crs": 500}, ["tie_unknown"]),
    "sent, at the cut-off, now submitted after": Case(
        "sent", {"crs": 500, "tie_break": BEFORE}, ["tie_not_invited"], {"submitted_at": AFTER}
    ),
    "sent, at the cut-off, submitted before": Case(
        "sent", {"crs": 500, "tie_break": AFTER}, ["tie_invited"], {"submitted_at": BEFORE}
    ),
    "ambiguous: may have arrived": Case("ambiguous", {"crs": 490}, ["clear"]),
    "being sent (claimed)": Case("claimed", {"crs": 490}, ["clear"]),
    "still pending: rendered from the corrected round": Case("pending", {"crs": 490}, []),
    "failed, waiting for a retry": Case("failed", {"crs": 490}, []),
    "dead: never arrived": Case("dead", {"crs": 490}, []),
    "cancelled": Case("cancelled", {"crs": 490}, []),
}


def alert_in_state(engine: Engine, case: Case) -> int:
    with session_scope(engine) as session:
        new_subscriber(session, **case.subscriber)
        round_ = new_round(session)
        queue_round_alerts(session, [round_], now=T0)
        draw_id = round_.id
    assert draw_id is not None
    with session_scope(engine) as session:
        if case.alert_status == "claimed":
            assert claim_due(session, worker="w", now=T0)
        elif case.alert_status != "pending":
            session.exec(update(Alert).values(status=case.alert_status))
    return draw_id


def correct(engine: Engine, draw_id: int, values: dict[str, Any], revision: int = REVISION) -> int:
    with session_scope(engine) as session:
        round_ = session.get_one(Round, draw_id)
        for name, value in values.items():
            setattr(round_, name, value)
        session.flush()
        return queue_corrections(session, round_, revision=revision, now=T0)


def corrections(engine: Engine) -> list[Alert]:
    with session_scope(engine) as session:
        rows = session.exec(select(Alert).where(Alert.kind == "correction").order_by(Alert.id)).all()
        session.expunge_all()
        return list(rows)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_who_gets_a_correction(engine: Engine, case: Case) -> None:
    draw_id = alert_in_state(engine, case)

    queued = correct(engine, draw_id, case.correction)

    rows = corrections(engine)
    assert queued == len(rows) == len(case.expected)
    assert [row.tie for row in rows] == case.expected
    assert all((r.status, r.revision, r.attempts) == ("pending", REVISION, 0) for r in rows)


def test_each_correction_is_queued_once_per_channel(engine: Engine) -> None:
    with session_scope(engine) as session:
        new_subscriber(session, urls=[URL_A, URL_B])
        round_ = new_round(session)
        queue_round_alerts(session, [round_], now=T0)
        draw_id = round_.id
        session.exec(update(Alert).values(status="sent"))
    assert draw_id is not None

    assert correct(engine, draw_id, {"crs": 490}) == 2
    assert correct(engine, draw_id, {"crs": 490}) == 0  # the same correction again (a retried check)
    assert correct(engine, draw_id, {"crs": 495}, revision=REVISION + 1) == 2  # a second correction
    rows = corrections(engine)
    channels = {row.channel_id for row in rows}
    assert len(channels) == 2
    assert sorted((r.channel_id, r.revision) for r in rows) == sorted(
        (channel, revision) for channel in channels for revision in (REVISION, REVISION + 1)
    )


def test_an_unsubscribed_subscriber_gets_no_correction(engine: Engine) -> None:
    draw_id = alert_in_state(engine, CASES["sent, still clear"])
    with session_scope(engine) as session:
        subscriber_id = session.exec(select(Subscriber.id)).one()
        remove_subscriber(session, subscriber_id)
    assert correct(engine, draw_id, {"crs": 490}) == 0


def test_retry_resends_only_what_an_operator_may_resend(engine: Engine) -> None:
    with session_scope(engine) as session:
        new_subscriber(session, urls=[URL_A, URL_B])
        new_subscriber(session, "Ben")
        round_ = new_round(session)
        queue_round_alerts(session, [round_], now=T0)
        ids = session.exec(select(Alert.id).order_by(Alert.id)).all()
        for alert_id, status in zip(ids, ("ambiguous", "sent", "dead"), strict=True):
            session.exec(update(Alert).where(Alert.id == alert_id).values(status=status))
    later = T0 + timedelta(hours=1)

    with session_scope(engine) as session:
        assert retry_alerts(session, [*ids, 999], now=later) == [ids[0], ids[2]]
        rows = {a.id: (a.status, a.next_attempt_at) for a in session.exec(select(Alert))}
    assert rows == {ids[0]: ("pending", later), ids[1]: ("sent", T0), ids[2]: ("pending", later)}
