"""The alert outbox: who a round alerts (docs/design.md, "Who gets an alert"), queueing, claiming with leases,
retries with backoff, and exactly-once delivery with concurrent senders; on SQLite and PostgreSQL.

Time is never waited for: every lease and backoff is checked by passing explicit ``now`` values.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from drawwatch.domain.clock import utcnow
from drawwatch.domain.vocabulary import ALERT_STATUSES
from drawwatch.storage.db import make_engine, session_scope
from drawwatch.storage.matching import eligibility_where, eligible_subscribers, matches, queue_round_alerts
from drawwatch.storage.models import Alert, Round, Subscriber, SubscriberChannel
from drawwatch.storage.outbox import (
    MAX_BACKOFF_SECONDS,
    ClaimedAlert,
    alert_counts,
    claim_due,
    list_alerts,
    mark_failed,
    mark_sent,
    next_due_at,
    release,
    retry_delay,
)
from drawwatch.storage.subscribers import SubscriberInput, import_subscribers
from tests.support.rows import URL_A, URL_B, new_round, new_subscriber
from tests.support.times import AFTER, BEFORE, T0, TIE_BREAK, TORONTO


def ties_queued(session: Session, draw_id: int) -> list[str]:
    return sorted(session.exec(select(Alert.tie).where(Alert.draw_id == draw_id)).all())


# --- who gets an alert ---------------------------------------------------------------------------------


@dataclass
class Case:
    """A STEM subscriber at CRS 500 (one channel) unless ``subscriber`` says otherwise, and a round."""

    subscriber: dict[str, Any]
    round: dict[str, Any]
    expected: list[str]  # the tie value of each alert row queued (one per channel); [] = no alert
    round_seen_before_subscriber: bool = False


ELIGIBILITY: dict[str, Case] = {
    # round category (a STEM subscriber)
    "stem round, above the cut-off": Case({}, {"category": "stem", "crs": 480}, ["clear"]),
    "french round": Case({}, {"category": "french", "crs": 400}, []),
    "general round": Case({}, {"category": "general", "crs": 480}, ["clear"]),
    "pnp round": Case({}, {"category": "pnp", "crs": 480}, []),
    "cec round": Case({}, {"category": "cec", "crs": 480}, []),
    "cec round, subscriber stem+cec": Case({"categories": ["stem", "cec"]}, {"category": "cec"}, ["clear"]),
    "general round, no categories": Case({"categories": []}, {"category": "general"}, ["clear"]),
    "stem round, no categories": Case({"categories": []}, {"category": "stem"}, []),
    # score against the cut-off
    "below the cut-off": Case({}, {"crs": 501}, []),
    "below, submitted before the tie-break": Case({"submitted_at": BEFORE}, {"crs": 501}, []),
    "above, submitted after the tie-break": Case({"submitted_at": AFTER}, {"crs": 499}, ["clear"]),
    # exactly at the cut-off: the tie-breaking rule
    "at, submitted before the tie-break": Case({"submitted_at": BEFORE}, {"crs": 500}, ["tie_invited"]),
    "at, submitted at the tie-break": Case({"submitted_at": TIE_BREAK}, {"crs": 500}, ["tie_invited"]),
    "at, submitted after the tie-break": Case({"submitted_at": AFTER}, {"crs": 500}, []),
    "at, submission time unknown": Case({"submitted_at": None}, {"crs": 500}, ["tie_unknown"]),
    "at, tie-break unknown": Case({"submitted_at": AFTER}, {"crs": 500, "tie_break": None}, ["tie_unknown"]),
    "at, both unknown": Case({"submitted_at": None}, {"crs": 500, "tie_break": None}, ["tie_unknown"]),
    # 13:35 in Toronto is 18:35 UTC, after the 18:34 tie-break, although "13:35" < "18:34" as text
    "at, submitted after in another zone": Case(
        {"submitted_at": AFTER.astimezone(TORONTO)}, {"crs": 500}, []
    ),
    "at, submitted before in another zone": Case(
        {"submitted_at": (TIE_BREAK - timedelta(minutes=1)).astimezone(TORONTO)},
        {"crs": 500},
        ["tie_invited"],
    ),
    "general round at, submitted before": Case(
        {"submitted_at": BEFORE}, {"category": "general", "crs": 500}, ["tie_invited"]
    ),
    "general round at, submitted after": Case(
        {"submitted_at": AFTER}, {"category": "general", "crs": 500}, []
    ),
    # who the subscriber is
    "inactive subscriber": Case({"active": False}, {}, []),
    "subscriber created after the round was first seen": Case({}, {}, [], round_seen_before_subscriber=True),
    "two channels": Case({"urls": [URL_A, URL_B]}, {}, ["clear", "clear"]),
    "two channels, at, unknown": Case({"urls": [URL_A, URL_B]}, {"crs": 500}, ["tie_unknown", "tie_unknown"]),
}


@pytest.mark.parametrize("case", ELIGIBILITY.values(), ids=ELIGIBILITY.keys())
def test_eligibility(engine: Engine, case: Case) -> None:
    with session_scope(engine) as session:
        extra: dict[str, Any] = {}
        if case.round_seen_before_subscriber:
            extra["first_seen_at"] = utcnow() - timedelta(minutes=1)
        round_ = new_round(session, **case.round, **extra)
        subscriber_id = new_subscriber(session, **case.subscriber)
        new_subscriber(session, "bystander", crs=300, categories=["pnp"])  # never eligible here
        queued = queue_round_alerts(session, [round_])

    with session_scope(engine) as session:
        assert queued == len(case.expected)
        assert ties_queued(session, round_.id) == case.expected  # type: ignore[arg-type]
        assert set(session.exec(select(Alert.subscriber_id)).all()) <= {subscriber_id}
        # The select the INSERT is built from and the channel-less one agree with what was queued.
        eligible = session.exec(eligible_subscribers(round_)).all()
        assert sorted(row.tie for row in eligible) == case.expected
        assert session.exec(matches(round_)).all() == ([subscriber_id] if case.expected else [])
        # The column form (a set-based query over the draw table, for backtests) is the same predicate.
        over_rounds = select(col(Subscriber.id)).where(col(Round.id) == round_.id, eligibility_where(Round))
        assert session.exec(over_rounds).all() == ([subscriber_id] if case.expected else [])


def reference_ties(subscriber: dict[str, Any], round_: Round) -> str | None:
    """The rule of docs/design.md written out in Python, to cross-check the SQL on random data."""
    if not subscriber["active"] or subscriber["crs"] < round_.crs:
        return None
    if round_.category != "general" and round_.category not in subscriber["categories"]:
        return None
    if subscriber["crs"] > round_.crs:
        return "clear"
    if subscriber["submitted_at"] is None or round_.tie_break is None:
        return "tie_unknown"
    return "tie_invited" if subscriber["submitted_at"] <= round_.tie_break else None


def test_random_subscribers_and_rounds_match_a_python_reference(engine: Engine) -> None:
    rng = random.Random(20260901)
    categories = ["stem", "cec", "pnp", "french", "healthcare"]
    people: list[dict[str, Any]] = [
        {
            "name": f"p{i}",
            "crs": rng.randint(485, 500),
            "categories": rng.sample(categories, rng.randint(0, 3)),
            "urls": [f"json://127.0.0.1:9/{i}/{n}" for n in range(rng.randint(1, 2))],
            "submitted_at": rng.choice([None, BEFORE, TIE_BREAK, AFTER]),
            "active": rng.random() > 0.1,
        }
        for i in range(300)
    ]
    with session_scope(engine) as session:
        ids = import_subscribers(session, [SubscriberInput(**person) for person in people])
        rounds = [
            new_round(session, str(500 + n), category=category, crs=crs, tie_break=tie_break)
            for n, (category, crs, tie_break) in enumerate(
                [
                    ("stem", 492, TIE_BREAK),
                    ("general", 495, TIE_BREAK),
                    ("cec", 490, None),
                    ("french", 488, TIE_BREAK),
                    ("healthcare", 500, None),
                    ("general", 499, None),
                ]
            )
        ]
        queued = queue_round_alerts(session, rounds)

    expected = {
        (round_.id, subscriber_id, url, tie)
        for round_ in rounds
        for subscriber_id, person in zip(ids, people, strict=True)
        if (tie := reference_ties(person, round_)) is not None
        for url in person["urls"]
    }
    with session_scope(engine) as session:
        got = set(
            session.exec(
                select(Alert.draw_id, Alert.subscriber_id, SubscriberChannel.url, Alert.tie).join(
                    SubscriberChannel, col(SubscriberChannel.id) == col(Alert.channel_id)
                )
            ).all()
        )
        over_rounds = set(
            session.exec(select(col(Round.id), col(Subscriber.id)).where(eligibility_where(Round))).all()
        )
    assert queued == len(expected) > 100
    assert got == expected
    assert over_rounds == {(d, s) for d, s, _, _ in expected}


def test_queueing_twice_adds_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        new_subscriber(session, urls=[URL_A, URL_B])
        new_subscriber(session, "Ben")
        round_ = new_round(session)
        assert queue_round_alerts(session, [round_]) == 3
    with session_scope(engine) as session:
        assert queue_round_alerts(session, [round_, round_]) == 0
        assert session.exec(select(func.count()).select_from(Alert)).one() == 3


def test_baseline_rounds_queue_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        new_subscriber(session)
        history = [new_round(session, str(n), baseline=True, category="general") for n in (400, 401)]
        assert queue_round_alerts(session, history) == 0
        new = new_round(session, "402")
        assert queue_round_alerts(session, [*history, new]) == 1
        assert session.exec(select(Alert.draw_id)).all() == [new.id]


def test_a_round_must_be_stored_before_its_alerts_are_queued(engine: Engine) -> None:
    round_ = Round(number="9", number_int=9, date=date(2026, 1, 1), name="x", category="stem", crs=1,
                invitations=1, url="u")  # fmt: skip
    with pytest.raises(ValueError, match="round 9 must be flushed"), session_scope(engine) as session:
        queue_round_alerts(session, [round_])


def test_new_alerts_are_pending_and_due_now(engine: Engine) -> None:
    with session_scope(engine) as session:
        new_subscriber(session)
        queue_round_alerts(session, [new_round(session)], now=T0)
    with session_scope(engine) as session:
        alert = session.exec(select(Alert)).one()
    assert (alert.status, alert.attempts, alert.kind, alert.claimed_by) == ("pending", 0, "round", None)
    assert alert.next_attempt_at == alert.created_at == T0


# --- claiming and marking ------------------------------------------------------------------------------


def queue(engine: Engine, subscribers: int = 1, urls: tuple[str, ...] = (URL_A,)) -> Round:
    with session_scope(engine) as session:
        for i in range(subscribers):
            new_subscriber(session, f"s{i}", urls=list(urls), submitted_at=BEFORE)
        round_ = new_round(session)
        queue_round_alerts(session, [round_], now=T0)
        return round_


def claim(
    engine: Engine, worker: str, at: datetime, *, limit: int = 100, lease: float = 60
) -> list[ClaimedAlert]:
    with session_scope(engine) as session:
        return claim_due(session, worker=worker, limit=limit, lease_seconds=lease, now=at)


def test_a_claim_carries_everything_needed_to_render_and_send(engine: Engine) -> None:
    round_ = queue(engine)
    (alert,) = claim(engine, "w1", T0)
    with session_scope(engine) as session:
        subscriber = session.exec(select(Subscriber)).one()
    assert (alert.attempts, alert.kind, alert.tie, alert.created_at) == (0, "round", "clear", T0)
    assert alert.lease_until == T0 + timedelta(seconds=60)
    assert (alert.subscriber_id, alert.subscriber_name, alert.subscriber_crs) == (subscriber.id, "s0", 500)
    assert alert.subscriber_submitted_at == BEFORE and alert.subscriber_language == "en"
    assert alert.subscriber_unsubscribe_token == subscriber.unsubscribe_token
    assert alert.channel_url == URL_A
    assert (alert.draw_id, alert.round_number, alert.round_date) == (round_.id, "500", date(2026, 3, 4))
    assert (alert.round_name, alert.round_category, alert.round_list_version) == (
        "For STEM occupations (2026-Version 1)",
        "stem",
        "2026-Version 1",
    )
    assert (alert.round_crs, alert.round_invitations, alert.round_tie_break) == (480, 4000, TIE_BREAK)
    assert alert.round_tie_break_raw == "March 1, 2026 at 18:34:05 UTC" and alert.round_url == round_.url


def test_claimed_rows_are_not_claimable_again_until_the_lease_expires(engine: Engine) -> None:
    queue(engine, subscribers=5)
    first = claim(engine, "w1", T0, limit=3, lease=60)
    assert len(first) == 3
    rest = claim(engine, "w2", T0 + timedelta(seconds=1))
    assert len(rest) == 2 and not {a.alert_id for a in first} & {a.alert_id for a in rest}
    assert claim(engine, "w3", T0 + timedelta(seconds=59)) == []
    # w1's lease (until T0+60) ends before w2's (until T0+61): only w1's rows are claimable at T0+60.5.
    retaken = claim(engine, "w3", T0 + timedelta(seconds=60.5))
    assert sorted(a.alert_id for a in retaken) == sorted(a.alert_id for a in first)


def test_claims_follow_next_attempt_at_then_id_and_skip_rows_not_yet_due(engine: Engine) -> None:
    queue(engine, subscribers=4)
    with session_scope(engine) as session:
        ids = session.exec(select(Alert.id).order_by(col(Alert.id))).all()
        for alert_id, delay in zip(ids, [30, 0, 10, 999], strict=True):
            alert = session.get_one(Alert, alert_id)
            alert.next_attempt_at = T0 + timedelta(seconds=delay)
    claimed = claim(engine, "w", T0 + timedelta(seconds=30), lease=3600)
    assert [a.alert_id for a in claimed] == [ids[1], ids[2], ids[0]]
    assert claim(engine, "w", T0 + timedelta(seconds=998)) == []
    assert [a.alert_id for a in claim(engine, "w", T0 + timedelta(seconds=999))] == [ids[3]]


def test_a_killed_workers_claim_is_delivered_once_after_the_lease(engine: Engine) -> None:
    queue(engine)
    (lost,) = claim(engine, "killed", T0, lease=300)  # the process dies before it sends or marks
    assert claim(engine, "survivor", T0 + timedelta(seconds=299)) == []

    (retry,) = claim(engine, "survivor", T0 + timedelta(seconds=301))
    assert retry.alert_id == lost.alert_id and retry.attempts == 0
    with session_scope(engine) as session:
        assert mark_sent(session, retry.alert_id, worker="survivor", now=T0 + timedelta(seconds=302))
    with session_scope(engine) as session:  # the "killed" one comes back to life: it must change nothing
        assert not mark_sent(session, lost.alert_id, worker="killed")
        assert mark_failed(session, lost.alert_id, worker="killed", error="x", max_attempts=3,
                           backoff_seconds=1) == "lost"  # fmt: skip
        assert not release(session, lost.alert_id, worker="killed")
    with session_scope(engine) as session:
        alert = session.exec(select(Alert)).one()
    assert (alert.status, alert.attempts, alert.claimed_by, alert.lease_until) == ("sent", 1, None, None)
    assert alert.sent_at == T0 + timedelta(seconds=302) and alert.last_error is None
    assert claim(engine, "survivor", T0 + timedelta(days=1)) == []


def test_release_makes_a_claim_available_at_once(engine: Engine) -> None:
    queue(engine)
    (alert,) = claim(engine, "w1", T0)
    with session_scope(engine) as session:
        assert release(session, alert.alert_id, worker="w1")
    (again,) = claim(engine, "w2", T0)
    assert again.alert_id == alert.alert_id and again.attempts == 0


@pytest.mark.parametrize(
    ("backoff", "max_attempts", "retry_after", "schedule"),
    [
        (60, 5, None, [60, 120, 240, 480, "dead"]),
        (3600, 6, None, [3600, 7200, 14400, MAX_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS, "dead"]),
        (60, 4, 900, [900, 900, 900, "dead"]),  # Retry-After longer than the backoff wins
        (60, 4, 10, [60, 120, 240, "dead"]),  # shorter: the backoff wins
        (30, 1, None, ["dead"]),
    ],
    ids=["doubling", "capped-at-6h", "retry-after-wins", "backoff-wins", "one-try"],
)
def test_failed_tries_back_off_then_die(
    engine: Engine, backoff: float, max_attempts: int, retry_after: float | None, schedule: list[Any]
) -> None:
    queue(engine)
    at = T0
    for attempt, expected in enumerate(schedule, 1):
        (alert,) = claim(engine, "w", at)
        assert alert.attempts == attempt - 1
        with session_scope(engine) as session:
            status = mark_failed(
                session,
                alert.alert_id,
                worker="w",
                error=f"HTTP 503 #{attempt}",
                now=at,
                max_attempts=max_attempts,
                backoff_seconds=backoff,
                retry_after=retry_after,
            )
        with session_scope(engine) as session:
            row = session.exec(select(Alert)).one()
        assert (row.attempts, row.last_error, row.claimed_by) == (attempt, f"HTTP 503 #{attempt}", None)
        if expected == "dead":
            assert status == row.status == "dead"
            break
        assert status == row.status == "failed"
        assert row.next_attempt_at == at + timedelta(seconds=expected)
        assert claim(engine, "w", row.next_attempt_at - timedelta(seconds=1)) == []
        at = row.next_attempt_at
    assert claim(engine, "w", T0 + timedelta(days=365)) == []  # the dead stay dead
    with session_scope(engine) as session:
        assert alert_counts(session)["dead"] == 1 and next_due_at(session) is None


@pytest.mark.parametrize(
    ("attempts", "backoff", "retry_after", "delay"),
    [(1, 60, None, 60), (2, 60, None, 120), (10, 60, None, MAX_BACKOFF_SECONDS), (1000, 60, None, 21600),
     (1, 60, 3600.5, 3600.5), (3, 0, None, 0), (1, 0, -5, 0)],
)  # fmt: skip
def test_retry_delay(attempts: int, backoff: float, retry_after: float | None, delay: float) -> None:
    assert retry_delay(attempts, backoff, retry_after) == delay


def test_a_failing_channel_is_retried_without_resending_to_the_one_that_worked(engine: Engine) -> None:
    queue(engine, urls=(URL_A, URL_B))
    claimed = {a.channel_url: a for a in claim(engine, "w", T0)}
    assert set(claimed) == {URL_A, URL_B}
    with session_scope(engine) as session:
        assert mark_sent(session, claimed[URL_A].alert_id, worker="w", now=T0)
        assert mark_failed(session, claimed[URL_B].alert_id, worker="w", error="timeout", now=T0,
                           max_attempts=3, backoff_seconds=60) == "failed"  # fmt: skip
    (retry,) = claim(engine, "w", T0 + timedelta(seconds=60))
    assert retry.channel_url == URL_B and retry.attempts == 1
    with session_scope(engine) as session:
        assert mark_sent(session, retry.alert_id, worker="w", now=T0 + timedelta(seconds=61))
        assert alert_counts(session) == {
            "pending": 0,
            "sent": 2,
            "failed": 0,
            "dead": 0,
            "cancelled": 0,
            "ambiguous": 0,
        }
        views = list_alerts(session, status="sent")
    assert {(v.channel_id, v.attempts) for v in views} == {
        (claimed[URL_A].channel_id, 1),
        (retry.channel_id, 2),
    }
    assert {v.last_error for v in views} == {None, "timeout"}  # the earlier failure stays on record


def test_list_alerts_counts_and_next_due(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert list_alerts(session) == [] and next_due_at(session) is None
        assert alert_counts(session) == dict.fromkeys(ALERT_STATUSES, 0)
        first = new_round(session, "500")
        new_subscriber(session, "Ana")
        new_subscriber(session, "Ben")
        queue_round_alerts(session, [first], now=T0)
        second = new_round(session, "501", category="general")
        queue_round_alerts(session, [second], now=T0 + timedelta(minutes=5))

    with session_scope(engine) as session:
        views = list_alerts(session)
        assert [(v.round_number, v.subscriber_name) for v in views] == [
            ("501", "Ben"), ("501", "Ana"), ("500", "Ben"), ("500", "Ana")
        ]  # fmt: skip
        assert views[0].status == "pending" and views[0].tie == "clear" and views[0].kind == "round"
        assert len(list_alerts(session, limit=3)) == 3
        assert next_due_at(session) == T0
        with pytest.raises(ValueError, match="unknown alert status 'sending'"):
            list_alerts(session, status="sending")

    claimed = claim(engine, "w", T0 + timedelta(minutes=5), limit=2, lease=600)
    assert [a.round_number for a in claimed] == ["500", "500"]
    with session_scope(engine) as session:
        # The remaining due rows are due at T0+5min; the leased ones only when their lease ends.
        assert next_due_at(session) == T0 + timedelta(minutes=5)
        mark_sent(session, claimed[0].alert_id, worker="w")
        mark_failed(session, claimed[1].alert_id, worker="w", error="boom", max_attempts=1, backoff_seconds=1)
    with session_scope(engine) as session:
        assert alert_counts(session) == {
            "pending": 2,
            "sent": 1,
            "failed": 0,
            "dead": 1,
            "cancelled": 0,
            "ambiguous": 0,
        }
        assert [v.subscriber_name for v in list_alerts(session, status="dead")] == [
            claimed[1].subscriber_name
        ]
    both = claim(engine, "w", T0 + timedelta(minutes=5), lease=600)
    assert len(both) == 2
    with session_scope(engine) as session:
        assert next_due_at(session) == T0 + timedelta(minutes=15)


def test_a_removed_channel_takes_its_alerts_with_it(engine: Engine) -> None:
    from drawwatch.storage.subscribers import edit_subscriber

    with session_scope(engine) as session:
        subscriber_id = new_subscriber(session, urls=[URL_A, URL_B])
        queue_round_alerts(session, [new_round(session)])
    with session_scope(engine) as session:
        edit_subscriber(session, subscriber_id, urls=[URL_A])
    (alert,) = claim(engine, "w", utcnow())
    assert alert.channel_url == URL_A


# --- concurrent senders --------------------------------------------------------------------------------


@dataclass
class Ledger:
    """What concurrent senders did, recorded under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: dict[int, str] = field(default_factory=dict)
    double_claims: list[tuple[int, str, str]] = field(default_factory=list)
    sent: Counter[int] = field(default_factory=Counter)
    failed_once: set[int] = field(default_factory=set)
    claims_by_worker: Counter[str] = field(default_factory=Counter)
    errors: list[BaseException] = field(default_factory=list)


def sender(url: str, worker: str, ledger: Ledger, start: threading.Barrier) -> None:
    """A ``deliver`` process: its own engine and connections; every fifth alert fails on its first try.

    The lease (300 s) never runs out here: a double claim could only come from the claim query itself.
    """
    engine = make_engine(url)
    try:
        start.wait()
        while True:
            with session_scope(engine) as session:
                batch = claim_due(session, worker=worker, limit=7, lease_seconds=300)
            if not batch:
                return
            with ledger.lock:
                ledger.claims_by_worker[worker] += len(batch)
                for alert in batch:
                    if alert.alert_id in ledger.in_flight:
                        ledger.double_claims.append(
                            (alert.alert_id, ledger.in_flight[alert.alert_id], worker)
                        )
                    ledger.in_flight[alert.alert_id] = worker
            for alert in batch:
                with ledger.lock:
                    fail = alert.alert_id % 5 == 0 and alert.alert_id not in ledger.failed_once
                    if fail:
                        ledger.failed_once.add(alert.alert_id)
                time.sleep(0.002)  # "sending", outside any transaction: lets the senders interleave
                with session_scope(engine) as session:
                    # Leave the ledger before the commit that makes the row claimable again.
                    with ledger.lock:
                        ledger.in_flight.pop(alert.alert_id, None)
                    if fail:
                        status = mark_failed(session, alert.alert_id, worker=worker, error="503",
                                             max_attempts=5, backoff_seconds=0)  # fmt: skip
                        assert status == "failed"
                    elif mark_sent(session, alert.alert_id, worker=worker):
                        with ledger.lock:
                            ledger.sent[alert.alert_id] += 1
    except BaseException as exc:
        ledger.errors.append(exc)
    finally:
        engine.dispose()


def test_four_concurrent_senders_deliver_each_of_300_alerts_exactly_once(
    engine: Engine, database_url: str
) -> None:
    with session_scope(engine) as session:
        people = [SubscriberInput(f"s{i}", 500, ["stem"], [URL_A, f"{URL_B}/{i}"]) for i in range(150)]
        import_subscribers(session, people)
        assert queue_round_alerts(session, [new_round(session)]) == 300
    with session_scope(engine) as session:
        ids = set(session.exec(select(Alert.id)).all())

    ledger = Ledger()
    start = threading.Barrier(4)
    threads = [
        threading.Thread(target=sender, args=(database_url, f"w{n}", ledger, start), daemon=True)
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "senders did not finish"

    assert ledger.errors == []
    assert ledger.double_claims == []
    assert set(ledger.sent) == ids and set(ledger.sent.values()) == {1}
    assert ledger.failed_once == {i for i in ids if i % 5 == 0}
    assert sum(ledger.claims_by_worker.values()) == 300 + len(ledger.failed_once)
    with session_scope(engine) as session:
        rows = session.exec(select(Alert.id, Alert.status, Alert.attempts, Alert.claimed_by)).all()
        assert alert_counts(session)["sent"] == 300
    assert {(status, claimed_by) for _, status, _, claimed_by in rows} == {("sent", None)}
    assert {i: attempts for i, _, attempts, _ in rows} == {i: 2 if i % 5 == 0 else 1 for i in ids}
