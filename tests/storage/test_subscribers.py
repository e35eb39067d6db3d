"""Subscribers: input validation, add/get/list/edit/remove/purge, tokens and bulk import; on SQLite and
PostgreSQL (the ``database_url`` fixture runs each test on both)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from drawwatch.storage.db import session_scope
from drawwatch.storage.matching import queue_round_alerts
from drawwatch.storage.models import Alert, Round, Subscriber, SubscriberCategory, SubscriberChannel
from drawwatch.storage.outbox import claim_due, mark_sent
from drawwatch.storage.subscribers import (
    UNSET,
    ImportProblem,
    SubscriberInput,
    SubscriberView,
    add_subscriber,
    count_subscribers,
    edit_subscriber,
    find_by_token,
    get_subscriber,
    import_subscribers,
    list_subscribers,
    remove_subscriber,
)
from tests.support.databases import count_rows
from tests.support.rows import new_round, subscriber_input
from tests.support.times import TORONTO

TELEGRAM = "tgram://123456:SECRET-bot-token/987"
MAILTO = "mailto://user:hunter2@example.org"


def person(name: str = "Ana", **overrides: Any) -> SubscriberInput:
    """A STEM subscriber at CRS 500 whose one channel is ``TELEGRAM``, unless ``overrides`` say otherwise."""
    return subscriber_input(name, **{"urls": [TELEGRAM], **overrides})


def add(engine: Engine, data: SubscriberInput) -> int:
    with session_scope(engine) as session:
        subscriber = add_subscriber(session, data)
        assert subscriber.id is not None
        return subscriber.id


def get(engine: Engine, subscriber_id: int) -> SubscriberView:
    with session_scope(engine) as session:
        view = get_subscriber(session, subscriber_id)
    assert view is not None
    return view


def stored_round(session: Session, number: str = "500", **overrides: Any) -> Round:
    """A non-baseline STEM round first seen an hour from now, i.e. after every subscriber here."""
    fields: dict[str, Any] = {
        "date": date(2026, 9, 1),
        "name": "STEM occupations",
        "list_version": None,
        "invitations": 1000,
        "tie_break": None,
        "tie_break_raw": "",
        "url": f"https://www.canada.ca/round-{number}",
    }
    return new_round(session, number, **(fields | overrides))


# --- validation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"crs": 1500}, "crs must be between 0 and 1200, got 1500"),
        ({"crs": -1}, "crs must be between 0 and 1200, got -1"),
        ({"crs": "450"}, "crs must be a whole number, got '450'"),
        ({"crs": True}, "crs must be a whole number, got True"),
        ({"categories": ["stme"]}, "unknown category 'stme' (known: general, cec, fsw"),
        ({"categories": ["other"]}, "unknown category 'other'"),
        ({"categories": "stem"}, "categories must be a list of category keys"),
        ({"submitted_at": datetime(2026, 1, 1, 12)}, "submitted_at must be timezone-aware"),
        ({"submitted_at": "2026-01-01"}, "submitted_at must be a datetime, got str"),
        ({"urls": []}, "at least one notification URL is required"),
        ({"urls": ["  "]}, "urls must not contain an empty notification URL"),
        ({"name": ""}, "name must not be empty"),
        ({"name": "   "}, "name must not be empty"),
        ({"name": "x" * 201}, "name must be at most 200 characters, got 201"),
        ({"language": ""}, "language must be a short code"),
        ({"active": "yes"}, "active must be true or false"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_invalid_input_is_refused_with_a_message_naming_the_field(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        person(**overrides).validate()
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"crs": 0},
        {"crs": 1200},
        {"categories": []},  # general rounds only
        {"categories": ["STEM", " cec ", "stem", "general", "pnp"]},
        {"submitted_at": datetime(2026, 1, 1, 9, tzinfo=TORONTO)},
        {"urls": [TELEGRAM, MAILTO], "language": "fr", "active": False},
    ],
)
def test_valid_input_passes(overrides: dict[str, Any]) -> None:
    data = person(**overrides)
    data.validate()
    assert data.problems() == []


def test_every_problem_is_reported_at_once_and_url_secrets_are_never_echoed() -> None:
    data = SubscriberInput(name="", crs=5000, categories=["x"], urls=[""], submitted_at=datetime(2026, 1, 1))
    assert len(data.problems()) == 5
    with pytest.raises(ValueError, match="name must not be empty; crs must be between"):
        data.validate()
    assert "hunter2" not in "; ".join(SubscriberInput("a", 1, [], MAILTO).problems())  # type: ignore[arg-type]


# --- add, get, list ------------------------------------------------------------------------------------


def test_add_then_get_returns_the_normalised_subscriber(engine: Engine) -> None:
    submitted = datetime(2026, 1, 1, 9, 30, tzinfo=TORONTO)
    data = person(
        " Ana ",
        crs=471,
        categories=["STEM", "cec", "stem"],
        urls=[TELEGRAM, f" {TELEGRAM} ", MAILTO],
        submitted_at=submitted,
        language="fr",
    )
    subscriber_id = add(engine, data)

    view = get(engine, subscriber_id)
    assert (view.id, view.name, view.crs) == (subscriber_id, "Ana", 471)
    assert (view.language, view.active) == ("fr", True)
    assert view.submitted_at == submitted and view.submitted_at.tzinfo == UTC
    assert view.categories == ["cec", "stem"]
    assert [url for _, url in view.channels] == [TELEGRAM, MAILTO]
    assert view.channels[0] == (view.channels[0].id, TELEGRAM)
    assert view.created_at.tzinfo == UTC and view.updated_at == view.created_at
    assert len(view.unsubscribe_token) >= 32
    assert count_rows(engine, SubscriberCategory) == 2 and count_rows(engine, SubscriberChannel) == 2


def test_add_refuses_invalid_input_and_writes_nothing(engine: Engine) -> None:
    with pytest.raises(ValueError, match="crs must be between 0 and 1200, got 1500"):
        add(engine, person(crs=1500))
    assert count_rows(engine, Subscriber) == 0


def test_the_database_refuses_an_out_of_range_crs_even_past_validation(engine: Engine) -> None:
    with (
        pytest.raises(IntegrityError, match=r"ck_subscriber_crs|CHECK constraint"),
        session_scope(engine) as session,
    ):
        session.add(Subscriber(name="x", crs=5000))
        session.flush()


def test_unknown_ids_and_tokens_give_none(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert get_subscriber(session, 12345) is None
        assert find_by_token(session, "nope") is None
        assert find_by_token(session, "") is None


def test_tokens_are_unique_and_find_their_subscriber(engine: Engine) -> None:
    ids = [add(engine, person(f"p{i}")) for i in range(5)]
    views = [get(engine, i) for i in ids]
    assert len({view.unsubscribe_token for view in views}) == 5
    with session_scope(engine) as session:
        found = find_by_token(session, views[3].unsubscribe_token)
    assert found is not None and found.id == ids[3]


def test_list_filters_on_active_and_uses_three_queries(engine: Engine) -> None:
    ids = [
        add(engine, person(f"p{i}", categories=["stem", "cec"], urls=[TELEGRAM, MAILTO])) for i in range(30)
    ]
    with session_scope(engine) as session:
        remove_subscriber(session, ids[0])
        remove_subscriber(session, ids[1])

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        with session_scope(engine) as session:
            everyone = list_subscribers(session)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3

    assert [view.id for view in everyone] == ids
    assert all(view.categories == ["cec", "stem"] and len(view.channels) == 2 for view in everyone)
    with session_scope(engine) as session:
        active = list_subscribers(session, active=True)
        inactive = list_subscribers(session, active=False)
        assert count_subscribers(session) == 30 and count_subscribers(session, active=False) == 2
    assert [view.id for view in inactive] == ids[:2]
    assert [view.id for view in active] == ids[2:]
    assert all(len(view.channels) == 2 for view in inactive)


def test_list_of_an_empty_database_is_empty(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert list_subscribers(session) == []


# --- edit ----------------------------------------------------------------------------------------------


def test_edit_changes_only_what_is_given(engine: Engine) -> None:
    submitted = datetime(2026, 2, 1, tzinfo=UTC)
    subscriber_id = add(engine, person(submitted_at=submitted))
    before = get(engine, subscriber_id)

    with session_scope(engine) as session:
        after = edit_subscriber(session, subscriber_id, crs=512, language="fr")

    assert (after.crs, after.language, after.name, after.submitted_at) == (512, "fr", "Ana", submitted)
    assert after.categories == before.categories and after.channels == before.channels
    assert after.updated_at > before.updated_at and after.created_at == before.created_at
    assert get(engine, subscriber_id) == after


@pytest.mark.parametrize(
    ("given", "expected"),
    [(UNSET, datetime(2026, 2, 1, tzinfo=UTC)), (None, None), (datetime(2026, 3, 1, tzinfo=UTC),) * 2],
    ids=["unset-keeps", "none-clears", "value-sets"],
)
def test_edit_submitted_at_keeps_clears_or_sets(engine: Engine, given: Any, expected: Any) -> None:
    subscriber_id = add(engine, person(submitted_at=datetime(2026, 2, 1, tzinfo=UTC)))
    with session_scope(engine) as session:
        assert edit_subscriber(session, subscriber_id, submitted_at=given).submitted_at == expected


def test_edit_replaces_categories_and_keeps_channels_whose_url_stays(engine: Engine) -> None:
    subscriber_id = add(engine, person(categories=["stem", "cec"], urls=[TELEGRAM, MAILTO]))
    telegram_id = get(engine, subscriber_id).channels[0].id
    with session_scope(engine) as session:
        view = edit_subscriber(
            session, subscriber_id, categories=["French", "pnp"], urls=[TELEGRAM, "json://127.0.0.1/x"]
        )
    assert view.categories == ["french", "pnp"]
    assert [url for _, url in view.channels] == [TELEGRAM, "json://127.0.0.1/x"]
    assert view.channels[0].id == telegram_id  # kept: its alert history stays attached
    assert count_rows(engine, SubscriberChannel, col(SubscriberChannel.url) == MAILTO) == 0
    with session_scope(engine) as session:
        assert edit_subscriber(session, subscriber_id, categories=[]).categories == []


def test_edit_leaves_categories_of_another_source_alone(engine: Engine) -> None:
    subscriber_id = add(engine, person(categories=["stem"]))
    with session_scope(engine) as session:
        session.add(SubscriberCategory(subscriber_id=subscriber_id, category="healthcare", source="noc"))
    with session_scope(engine) as session:
        view = edit_subscriber(session, subscriber_id, categories=["cec"])
    assert view.categories == ["cec", "healthcare"]


def test_edit_validates_before_writing_and_refuses_unknown_ids(engine: Engine) -> None:
    subscriber_id = add(engine, person())
    problem = "crs must be between 0 and 1200, got 2000; unknown category 'x'"
    with pytest.raises(ValueError, match=problem), session_scope(engine) as session:
        edit_subscriber(session, subscriber_id, crs=2000, categories=["x"], name="New")
    with pytest.raises(ValueError, match="at least one notification URL"), session_scope(engine) as session:
        edit_subscriber(session, subscriber_id, urls=[])
    with pytest.raises(ValueError, match="timezone-aware"), session_scope(engine) as session:
        edit_subscriber(session, subscriber_id, submitted_at=datetime(2026, 1, 1))
    with pytest.raises(LookupError, match="no subscriber with id 999"), session_scope(engine) as session:
        edit_subscriber(session, 999, crs=400)
    assert get(engine, subscriber_id).name == "Ana"


# --- remove and purge ----------------------------------------------------------------------------------


def queue_one_round(engine: Engine) -> int:
    with session_scope(engine) as session:
        round_ = stored_round(session)
        queue_round_alerts(session, [round_])
        assert round_.id is not None
        return round_.id


def test_remove_deactivates_and_cancels_undelivered_alerts_but_keeps_history(engine: Engine) -> None:
    subscriber_id = add(engine, person(urls=[TELEGRAM, MAILTO]))
    other_id = add(engine, person("Ben"))
    queue_one_round(engine)
    with session_scope(engine) as session:
        (first, *_) = claim_due(session, worker="w", limit=1)
        assert first.subscriber_id == subscriber_id
    with session_scope(engine) as session:
        assert mark_sent(session, first.alert_id, worker="w")

    with session_scope(engine) as session:
        assert remove_subscriber(session, subscriber_id) == 1

    view = get(engine, subscriber_id)
    assert not view.active and len(view.channels) == 2
    with session_scope(engine) as session:
        statuses = dict(
            session.exec(
                select(Alert.channel_id, Alert.status).where(Alert.subscriber_id == subscriber_id)
            ).all()
        )
        others = session.exec(select(Alert.status).where(Alert.subscriber_id == other_id)).all()
    assert sorted(statuses.values()) == ["cancelled", "sent"]
    assert others == ["pending"]
    with session_scope(engine) as session:
        assert claim_due(session, worker="w", limit=10)[0].subscriber_id == other_id


def test_deactivating_by_edit_also_cancels_undelivered_alerts(engine: Engine) -> None:
    subscriber_id = add(engine, person())
    queue_one_round(engine)
    with session_scope(engine) as session:
        assert not edit_subscriber(session, subscriber_id, active=False).active
    assert count_rows(engine, Alert, col(Alert.status) == "cancelled") == 1


def test_purge_leaves_no_row_that_refers_to_the_subscriber(engine: Engine) -> None:
    subscriber_id = add(engine, person(categories=["stem", "cec"], urls=[TELEGRAM, MAILTO]))
    other_id = add(engine, person("Ben"))
    queue_one_round(engine)
    tables = [
        (Subscriber, col(Subscriber.id)),
        (SubscriberCategory, col(SubscriberCategory.subscriber_id)),
        (SubscriberChannel, col(SubscriberChannel.subscriber_id)),
        (Alert, col(Alert.subscriber_id)),
    ]
    assert [count_rows(engine, model, column == subscriber_id) for model, column in tables] == [1, 2, 2, 2]

    with session_scope(engine) as session:
        assert remove_subscriber(session, subscriber_id, purge=True) == 2

    assert [count_rows(engine, model, column == subscriber_id) for model, column in tables] == [0, 0, 0, 0]
    assert [count_rows(engine, model, column == other_id) for model, column in tables] == [1, 1, 1, 1]
    assert count_rows(engine, Round) == 1  # rounds are never deleted
    with pytest.raises(LookupError), session_scope(engine) as session:
        remove_subscriber(session, subscriber_id)


# --- import --------------------------------------------------------------------------------------------


def test_import_stores_every_row_and_returns_ids_in_row_order(engine: Engine) -> None:
    rows = [
        person(f"p{i}", crs=300 + i, categories=["stem"] if i % 2 else [], urls=[f"json://127.0.0.1/{i}"])
        for i in range(250)
    ]
    rows[7] = person("p7", crs=307, categories=["cec", "pnp"], urls=[TELEGRAM, MAILTO, TELEGRAM])
    with session_scope(engine) as session:
        ids = import_subscribers(session, rows)

    assert len(set(ids)) == 250
    with session_scope(engine) as session:
        views = {view.id: view for view in list_subscribers(session)}
    for subscriber_id, row in zip(ids, rows, strict=True):
        view = views[subscriber_id]
        assert (view.name, view.crs) == (row.name, row.crs)
    assert views[ids[7]].categories == ["cec", "pnp"]
    assert [url for _, url in views[ids[7]].channels] == [TELEGRAM, MAILTO]
    assert views[ids[8]].categories == [] and views[ids[9]].categories == ["stem"]
    assert count_rows(engine, SubscriberChannel) == 251
    with session_scope(engine) as session:
        assert import_subscribers(session, []) == []


def test_import_is_all_or_nothing_and_lists_every_bad_row(engine: Engine) -> None:
    rows = [person(f"p{i}") for i in range(10)]
    rows[2] = person("p2", crs=1500)
    rows[6] = person("", categories=["stme"])

    with pytest.raises(ImportProblem) as caught, session_scope(engine) as session:
        import_subscribers(session, rows)

    problem = caught.value
    assert isinstance(problem, ValueError)
    assert problem.problems == [
        (3, "crs must be between 0 and 1200, got 1500"),
        (7, "name must not be empty"),
        (7, problem.problems[2][1]),
    ]
    assert problem.problems[2][1].startswith("unknown category 'stme'")
    assert "row 3: crs must be between 0 and 1200" in str(problem)
    assert str(problem).startswith("nothing imported: 2 rows are invalid: row 3: crs")
    assert count_rows(engine, Subscriber) == 0 and count_rows(engine, SubscriberChannel) == 0
