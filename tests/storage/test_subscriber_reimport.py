"""Importing subscribers again: a row is the active subscriber with the same set of notification URLs, so a
second import updates people or leaves them alone instead of adding them twice; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from drawwatch.app.derived import refresh_derived_categories
from drawwatch.storage.db import session_scope
from drawwatch.storage.matching import queue_round_alerts
from drawwatch.storage.models import Alert, Subscriber, SubscriberCategory, SubscriberChannel
from drawwatch.storage.subscribers import (
    ImportProblem,
    ImportResult,
    SubscriberInput,
    add_subscriber,
    get_subscriber,
    import_key,
    import_subscribers,
    merge_subscribers,
    remove_subscriber,
)
from tests.support.databases import count_rows
from tests.support.rows import new_round

SUBMITTED = datetime(2026, 3, 1, 18, 34, 5, tzinfo=UTC)


def row(i: int, **overrides: Any) -> SubscriberInput:
    """Person ``i``: two channels of their own, STEM at CRS 480, a submission time."""
    fields: dict[str, Any] = {
        "name": f"p{i}",
        "crs": 480,
        "categories": ["stem"],
        "urls": [f"json://127.0.0.1:9/{i}/a", f"json://127.0.0.1:9/{i}/b"],
        "submitted_at": SUBMITTED,
    }
    fields.update(overrides)
    return SubscriberInput(**fields)


def merge(engine: Engine, rows: list[SubscriberInput], **options: Any) -> ImportResult:
    with session_scope(engine) as session:
        return merge_subscribers(session, rows, **options)


def counts(result: ImportResult) -> tuple[int, int, int]:
    return result.added, result.updated, result.unchanged


def test_importing_the_same_rows_twice_keeps_one_subscriber_per_row(engine: Engine) -> None:
    rows = [row(i, quiet_hours="22:00-07:00", time_zone="America/Toronto") for i in range(30)]
    first = merge(engine, rows)
    again = merge(engine, rows)

    assert counts(first) == (30, 0, 0) and counts(again) == (0, 0, 30)
    assert again.ids == first.ids and len(set(first.ids)) == 30
    assert count_rows(engine, Subscriber) == 30 and count_rows(engine, SubscriberChannel) == 60
    with session_scope(engine) as session:
        assert import_subscribers(session, rows) == first.ids  # the ids-only form takes the same path
        # The acceptance: one alert per channel for a new round, not two.
        assert queue_round_alerts(session, [new_round(session)]) == 60


def test_urls_match_whatever_their_order_spaces_and_repeats(engine: Engine) -> None:
    (stored_id,) = merge(engine, [row(1)]).ids
    urls = [" json://127.0.0.1:9/1/b", "json://127.0.0.1:9/1/a ", "json://127.0.0.1:9/1/b"]

    result = merge(engine, [row(1, urls=urls)])

    assert counts(result) == (0, 0, 1) and result.ids == [stored_id]
    assert import_key(urls) == import_key(row(1).urls)


def test_a_changed_row_updates_that_subscriber_in_place(engine: Engine) -> None:
    first = merge(engine, [row(1), row(2), row(3)])
    changed = [
        row(1, crs=495, name="  Ana  "),
        row(2, categories=["CEC", "french"], submitted_at=None),
        row(3, quiet_hours="7:30-9:00", time_zone="Asia/Kolkata"),
        row(4),
    ]

    result = merge(engine, changed)

    assert counts(result) == (1, 3, 0)
    assert result.ids[:3] == first.ids and result.ids[3] not in first.ids
    with session_scope(engine) as session:
        one, two, three = (get_subscriber(session, subscriber_id) for subscriber_id in first.ids)
    assert one is not None and two is not None and three is not None
    assert (one.name, one.crs, one.categories, one.submitted_at) == ("Ana", 495, ["stem"], SUBMITTED)
    assert (two.crs, two.categories, two.submitted_at) == (480, ["cec", "french"], None)
    assert (three.quiet_hours, three.time_zone) == ("07:30-09:00", "Asia/Kolkata")
    assert [url for _, url in one.channels] == row(1).urls  # channels (and their alert history) are kept
    assert count_rows(engine, Subscriber) == 4
    assert counts(merge(engine, changed)) == (0, 0, 4)


def test_categories_change_as_with_edit_derived_ones_stay_and_are_derived_again(engine: Engine) -> None:
    with session_scope(engine) as session:
        subscriber = add_subscriber(session, row(1, categories=["cec"], occupations=[("31301", 24)]))
        assert subscriber.id is not None
        subscriber_id = subscriber.id
        refresh_derived_categories(session, subscriber_ids=[subscriber_id])
    derived = category_rows(engine, subscriber_id, source="noc")
    assert derived == ["healthcare"]  # 31301, registered nurses

    # The file has no occupations: they are not wiped; the explicit categories are replaced.
    result = merge(engine, [row(1, categories=["pnp"])])

    assert counts(result) == (0, 1, 0)
    assert category_rows(engine, subscriber_id, source="explicit") == ["pnp"]
    assert category_rows(engine, subscriber_id, source="noc") == derived
    with session_scope(engine) as session:
        stored = session.get_one(Subscriber, subscriber_id)
        assert stored.derived_year is None  # derived again at the next check, as after `subscribers edit`
    assert counts(merge(engine, [row(1, categories=["pnp"])])) == (0, 0, 1)
    # Occupations a row does give are compared and replaced.
    assert counts(merge(engine, [row(1, categories=["pnp"], occupations=[("21231", 12)])])) == (0, 1, 0)
    assert counts(merge(engine, [row(1, categories=["pnp"], occupations=[("21231", 12)])])) == (0, 0, 1)


def category_rows(engine: Engine, subscriber_id: int, *, source: str) -> list[str]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(SubscriberCategory.category)
                .where(
                    col(SubscriberCategory.subscriber_id) == subscriber_id,
                    col(SubscriberCategory.source) == source,
                )
                .order_by(col(SubscriberCategory.category))
            ).all()
        )


def test_a_subscriber_with_other_urls_or_inactive_is_another_person(engine: Engine) -> None:
    first, second = merge(engine, [row(1), row(2)]).ids
    with session_scope(engine) as session:
        remove_subscriber(session, second)  # deactivated: an import does not bring them back

    result = merge(
        engine,
        [
            row(1, urls=[*row(1).urls, "json://127.0.0.1:9/1/c"]),  # a superset is another set
            row(2),
        ],
    )

    assert counts(result) == (2, 0, 0) and first not in result.ids and second not in result.ids
    assert count_rows(engine, Subscriber) == 4


def test_two_rows_with_the_same_urls_are_refused_and_nothing_is_stored(engine: Engine) -> None:
    rows = [row(1), row(2), row(3, urls=list(reversed(row(1).urls)))]

    with pytest.raises(ImportProblem) as caught:
        merge(engine, rows)

    assert caught.value.problems == [(3, "same notification URLs as row 1 (one subscriber per set of URLs)")]
    assert count_rows(engine, Subscriber) == 0


def test_urls_of_several_active_subscribers_are_refused_and_nothing_is_stored(engine: Engine) -> None:
    with session_scope(engine) as session:
        twins = [add_subscriber(session, row(1)).id, add_subscriber(session, row(1)).id]

    with pytest.raises(ImportProblem) as caught:
        merge(engine, [row(0), row(1, crs=300)])

    ((index, message),) = caught.value.problems
    assert index == 2 and f"several active subscribers ({twins[0]}, {twins[1]})" in message
    assert count_rows(engine, Subscriber) == 2
    with session_scope(engine) as session:
        assert {s.crs for s in session.exec(select(Subscriber))} == {480}


def test_progress_counts_every_row_up_to_the_total(engine: Engine) -> None:
    merge(engine, [row(i) for i in range(0, 2500, 2)])  # half of the rows below are known
    calls: list[tuple[int, int]] = []

    result = merge(
        engine, [row(i) for i in range(2500)], progress=lambda done, total: calls.append((done, total))
    )

    assert counts(result) == (1250, 0, 1250)
    assert calls[-1] == (2500, 2500) and {total for _, total in calls} == {2500}
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})  # forward, never twice
    assert len(calls) <= 5
    assert count_rows(engine, Alert) == 0
