"""The operator's decision on a held feed: accept it (store it as a check would) or reject it.

A feed is held when one check would have added or corrected more rounds than ``DRAWWATCH_MAX_NEW_ROUNDS`` /
``DRAWWATCH_MAX_CHANGED_ROUNDS`` allow (docs/design.md): IRCC renumbering every round, or a feed of 5,000
bogus rounds, must not rewrite the history or alert anyone until a person has looked.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from drawwatch.app.check import CheckSummary, apply_rounds
from drawwatch.domain.vocabulary import CheckOutcome, HeldStatus
from drawwatch.scrapers.fetch import FetchResult
from drawwatch.storage.checks import finish_check, get_feed_state, start_check
from drawwatch.storage.db import begin_write, session_scope
from drawwatch.storage.held import decide, held_rounds
from drawwatch.storage.models import HeldFeed


class NotWaiting(LookupError):
    """No held feed with that id waits for a decision."""


def _waiting(row: HeldFeed | None, held_id: int) -> HeldFeed:
    if row is None:
        raise NotWaiting(f"no held feed {held_id} (see `drawwatch draws held`)")
    if row.status != HeldStatus.HELD:
        raise NotWaiting(f"held feed {held_id} was already {row.status}")
    return row


def accept_held(engine: Engine, held_id: int) -> CheckSummary:
    """Store a held feed's rounds, queue their alerts and notices, as the check would have: in one
    transaction with the decision. Identical copies served later are then "unchanged"."""
    with session_scope(engine) as session:
        begin_write(session)
        row = _waiting(session.get(HeldFeed, held_id), held_id)
        check = start_check(session, row.feed_url)
        rounds = held_rounds(row)
        summary = CheckSummary(
            outcome=CheckOutcome.OK, feed_url=row.feed_url, check_id=check.id, rounds_in_feed=len(rounds)
        )
        result = FetchResult(url=row.feed_url, status=200, rounds=rounds)
        apply_rounds(session, check, result, summary, row.content_hash, bounds=None)
        finish_check(
            session,
            check,
            outcome=CheckOutcome.OK,
            rounds_in_feed=len(rounds),
            new_count=len(summary.new_rounds),
            changed_count=len(summary.changed_rounds),
            error=f"accepted held feed {held_id}",
        )
        state = get_feed_state(session, row.feed_url)
        if state is not None:
            state.content_hash = row.content_hash
            session.add(state)
        decide(session, row, HeldStatus.ACCEPTED)
        return summary


def reject_held(engine: Engine, held_id: int) -> HeldFeed:
    """Discard a held feed: nothing of it is stored; the same copy served again stays refused."""
    with session_scope(engine) as session:
        begin_write(session)
        row = _waiting(session.get(HeldFeed, held_id), held_id)
        decide(session, row, HeldStatus.REJECTED)
        return row
