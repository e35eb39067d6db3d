"""What one check may change (issue 16): suspect numbers, withdrawn rounds, held feeds, flip-backs.

On SQLite and PostgreSQL, through :func:`sync_rounds` as a check calls it. The same stories end to end, with
alerts counted at a real webhook, are in tests/e2e/test_feed_faults_cli.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from drawwatch.domain.rounds import RoundItem
from drawwatch.storage.db import session_scope
from drawwatch.storage.models import CheckRun, Round, RoundChange
from drawwatch.storage.rounds import (
    MAX_NUMBER_JUMP,
    SyncBounds,
    SyncResult,
    returning_values,
    sync_rounds,
)
from tests.storage.test_draws import make_item, new_check, rounds_by_number

BOUNDS = SyncBounds(max_new=20, max_changed=10)
HISTORY = [make_item(str(n)) for n in range(400, 438)]  # #400–#437


def bounded_sync(
    engine: Engine, items: Sequence[RoundItem], bounds: SyncBounds | None = BOUNDS
) -> SyncResult:
    check_id = new_check(engine)
    with session_scope(engine) as session:
        return sync_rounds(session, items, check=session.get_one(CheckRun, check_id), bounds=bounds)


@pytest.fixture
def watched(engine: Engine) -> Engine:
    """A database holding #400–#437 from a first (baseline) check, so that bounds apply from now on."""
    assert bounded_sync(engine, HISTORY).new
    with session_scope(engine) as session:
        for check in session.exec(select(CheckRun)):
            check.outcome = "ok"
    return engine


def renumbered_by_one() -> list[RoundItem]:
    """Every round moved up one number: #401 carries #400's figures … #438 #437's."""
    return [item.model_copy(update={"number": str(int(item.number) + 1)}) for item in HISTORY]


def test_a_number_far_past_the_newest_is_a_suspect_not_a_round(watched: Engine) -> None:
    typo = make_item("4380")
    result = bounded_sync(watched, [*HISTORY, typo])
    assert result.suspect == ["4380"] and result.new == [] and not result.stale
    assert "4380" not in rounds_by_number(watched)
    # IRCC fixes it: #438 is new, not the rest of a "stale" copy lacking #4380.
    fixed = bounded_sync(watched, [*HISTORY, make_item("438")])
    assert fixed.new == ["438"] and not fixed.stale
    later = bounded_sync(watched, [*HISTORY, make_item("438"), make_item("439"), make_item("440")])
    assert later.new == ["439", "440"]


def test_a_long_outage_raises_the_yardstick_round_by_round(watched: Engine) -> None:
    missed = [make_item(str(n)) for n in range(438, 438 + MAX_NUMBER_JUMP + 5)]
    result = bounded_sync(watched, [*HISTORY, *missed], SyncBounds(max_new=500, max_changed=10))
    assert result.suspect == [] and len(result.new) == len(missed)


def test_a_round_that_leaves_while_newer_ones_come_is_withdrawn(watched: Engine) -> None:
    bounded_sync(watched, [*HISTORY, make_item("439")])  # "#439" published for #438
    result = bounded_sync(watched, [*HISTORY, make_item("438")])  # fixed: #439 is gone, #438 is new
    assert result.new == ["438"] and result.withdrawn == ["439"] and not result.stale
    stored = rounds_by_number(watched)
    assert stored["439"].withdrawn_at is not None and stored["438"].withdrawn_at is None
    # The yardstick is now #438: a copy with #438 and without #439 is current, not stale.
    again = bounded_sync(watched, [*HISTORY, make_item("438", crs=999)])
    assert not again.stale and list(again.changed) == ["438"]
    # The real #439 arrives: the withdrawn row is listed again.
    real = bounded_sync(watched, [*HISTORY, make_item("438"), make_item("439", crs=470)])
    assert real.restored == ["439"] and rounds_by_number(watched)["439"].withdrawn_at is None


def test_a_copy_lacking_the_newest_round_and_bringing_nothing_new_is_stale(watched: Engine) -> None:
    result = bounded_sync(watched, [*HISTORY[:-1][:-1], HISTORY[-2].model_copy(update={"crs": 1})])
    assert result.stale and result.changed == {} and result.withdrawn == []


@pytest.mark.parametrize(
    ("name", "feed", "reason"),
    [
        ("renumbered by one", renumbered_by_one, "corrects 37 stored rounds"),
        (
            "5,000 bogus rounds",
            lambda: [*HISTORY, *(make_item(str(n)) for n in range(438, 5438))],
            "adds 5000 new rounds",
        ),
        (
            "every cut-off rewritten",
            lambda: [item.model_copy(update={"crs": item.crs + 1}) for item in HISTORY],
            "corrects 38 stored rounds",
        ),
    ],
)
def test_a_feed_beyond_the_bounds_writes_nothing(
    watched: Engine, name: str, feed: Callable[[], list[RoundItem]], reason: str
) -> None:
    before = {number: r.model_dump() for number, r in rounds_by_number(watched).items()}
    result = bounded_sync(watched, feed())
    assert result.held_reason is not None and reason in result.held_reason, name
    assert result.new == [] and result.changed == {}
    assert {number: r.model_dump() for number, r in rounds_by_number(watched).items()} == before
    with session_scope(watched) as session:
        assert session.exec(select(RoundChange)).all() == []


def test_within_the_bounds_and_renames_do_not_count(watched: Engine) -> None:
    renamed = [item.model_copy(update={"name": item.name + " (renamed)"}) for item in HISTORY]
    result = bounded_sync(watched, renamed)
    assert result.held_reason is None and len(result.changed) == len(HISTORY) and result.would_correct == 0


def test_a_value_flipping_back_is_recognised(watched: Engine) -> None:
    fresh = [*HISTORY, make_item("438", crs=505)]
    bounded_sync(watched, fresh)
    checks = []
    for crs in (500, 505, 500):
        result = bounded_sync(watched, [*HISTORY, make_item("438", crs=crs)])
        with session_scope(watched) as session:
            row = session.exec(select(Round).where(Round.number == "438")).one()
            assert row.id is not None
            (check_id,) = {c.check_id for c in session.exec(select(RoundChange)).all()} - set(checks)
            checks.append(check_id)
            assert check_id is not None
            returning = returning_values(session, row.id, result.changed["438"], check_id=check_id)
        assert len(returning) == (0 if crs == 500 and len(checks) == 1 else 1), crs
