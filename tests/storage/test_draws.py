"""Storing rounds: monotonic sync, audited corrections, concurrency, queries; on SQLite and PostgreSQL.

Items come from small factories and from the real feed copies in ``tests/fixtures`` (converted by a local
helper below, which parses only what these tests need; the spider's own parser is tested with the scrapers).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from drawwatch.domain.rounds import RoundItem, number_sort_key
from drawwatch.storage.checks import finish_check, start_check
from drawwatch.storage.db import session_scope
from drawwatch.storage.models import CheckRun, PoolDistribution, Round, RoundChange
from drawwatch.storage.rounds import (
    FieldChange,
    SyncResult,
    count_rounds,
    get_distribution,
    get_round,
    list_rounds,
    round_changes,
    sync_rounds,
)
from tests.support.databases import count_rows
from tests.support.feeds import FEED_URL, feed_rounds

# --- items ---------------------------------------------------------------------------------------------


def counts(scale: int = 1) -> dict[str, int]:
    return {f"dd{i}": i * 100 * scale for i in range(1, 19)}


def make_item(number: str, **overrides: Any) -> RoundItem:
    """A plausible CEC round; the date and times follow from the number so distinct rounds differ."""
    n, _ = number_sort_key(number)
    day = date(2015, 1, 1) + timedelta(days=7 * n)
    run_at = datetime(day.year, day.month, day.day, 14, 30, 5, tzinfo=UTC)
    fields: dict[str, Any] = {
        "number": number,
        "date": day,
        "name": "Canadian Experience Class",
        "category": "cec",
        "programs": "Canadian Experience Class",
        "invitations": 3000,
        "crs": 450 + n % 50,
        "run_at": run_at,
        "run_at_raw": f"{run_at:%B %d, %Y at %H:%M:%S} UTC",
        "tie_break": run_at - timedelta(days=40),
        "tie_break_raw": f"{run_at - timedelta(days=40):%B %d, %Y at %H:%M:%S} UTC",
        "url": f"https://www.canada.ca/en/immigration-refugees-citizenship/invitations.html?q={number}",
        "distribution_as_on": day - timedelta(days=2),
    }
    fields.update(overrides)
    return RoundItem(**fields)


_CATEGORY_WORDS = (
    ("provincial nominee", "pnp"),
    ("canadian experience class", "cec"),
    ("federal skilled trades", "fst"),
    ("federal skilled worker", "fsw"),
    ("no program specified", "general"),
    ("french", "french"),
    ("stem", "stem"),
    ("health", "healthcare"),
    ("trade", "trades"),
    ("transport", "transport"),
    ("agri", "agriculture"),
    ("education", "education"),
    ("physician", "physicians"),
    ("research", "researchers"),
    ("senior manager", "senior_managers"),
    ("military", "military"),
)
_LIST_VERSION = re.compile(r"(\d{4}-Version \d+|Version \d+|\d{4}-\d+)")
_HREF = re.compile(r"href='([^']+)'")


def _category(name: str) -> str:
    lowered = name.lower()
    if lowered.strip() == "general":
        return "general"
    return next((key for word, key in _CATEGORY_WORDS if word in lowered), "other")


def _instant(text: str) -> datetime | None:
    cleaned = re.sub(r"\b(at|UTC|AM|PM)\b", " ", text)
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", cleaned).replace(",", " ").replace(".", " ")
    try:
        return datetime.strptime(" ".join(cleaned.split()), "%B %d %Y %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None  # e.g. #208's tie-break without a year: the raw text is kept


def _item_from_raw(raw: dict[str, str]) -> RoundItem:
    dd = {f"dd{i}": int(raw[f"dd{i}"].replace(",", "") or 0) for i in range(1, 19)}
    version = _LIST_VERSION.search(raw["drawName"])
    href = _HREF.search(raw["drawNumberURL"])
    assert href is not None
    return RoundItem(
        number=raw["drawNumber"].strip().lower(),
        date=date.fromisoformat(raw["drawDate"]),
        name=raw["drawName"],
        category=_category(raw["drawName"]),
        list_version=version.group(1) if version else None,
        programs=raw["drawText2"],
        invitations=int(raw["drawSize"].replace(",", "")),
        crs=int(raw["drawCRS"].replace(",", "")),
        run_at=_instant(raw["drawDateTime"]),
        run_at_raw=raw["drawDateTime"],
        tie_break=_instant(raw["drawCutOff"]),
        tie_break_raw=raw["drawCutOff"],
        url="https://www.canada.ca" + href.group(1).replace("/content/canadasite", ""),
        distribution_as_on=datetime.strptime(raw["drawDistributionAsOn"].strip(), "%B %d, %Y").date(),
        distribution=dd if any(dd.values()) else None,  # all zeros = not published
    )


def feed_items(key: int) -> list[RoundItem]:
    """The rounds of a real feed copy (newest first, as published)."""
    return [_item_from_raw(raw) for raw in feed_rounds(key)]


# --- helpers -------------------------------------------------------------------------------------------


def new_check(engine: Engine, outcome_before: str | None = None) -> int:
    """Commit a started check and return its id; ``outcome_before`` first records an earlier check."""
    with session_scope(engine) as session:
        if outcome_before is not None:
            finish_check(session, start_check(session, FEED_URL), outcome=outcome_before)
        check = start_check(session, FEED_URL)
        assert check.id is not None
        return check.id


def sync(engine: Engine, items: Sequence[RoundItem], check_id: int | None = None) -> SyncResult:
    """One committed sync, as a check does it."""
    check_id = check_id if check_id is not None else new_check(engine)
    with session_scope(engine) as session:
        return sync_rounds(session, items, check=session.get_one(CheckRun, check_id))


def rounds_by_number(engine: Engine) -> dict[str, Round]:
    with session_scope(engine) as session:
        return {round_.number: round_ for round_ in session.exec(select(Round))}


# --- sync_rounds ----------------------------------------------------------------------------------------


def test_first_sync_into_empty_database_stores_every_round_as_new_history(engine: Engine) -> None:
    items = feed_items(437)
    check_id = new_check(engine)

    result = sync(engine, items, check_id)

    assert len(result.new) == len(items) == 438
    ordered = sorted((item.number for item in items), key=number_sort_key)
    assert result.new == ordered
    assert result.new[:2] == ["1", "2"] and result.new[-1] == "437"
    assert result.new[89:93] == ["90", "91a", "91b", "92"]  # IRCC never published a plain 91
    assert len(set(result.new_ids)) == 438
    assert result.changed == {} and result.unchanged == 0
    published = {item.distribution_as_on for item in items if item.distribution is not None}
    assert result.distributions_written == len(published) > 100
    stored = rounds_by_number(engine)
    assert len(stored) == 438
    assert {round_.id for round_ in stored.values()} == set(result.new_ids)
    assert all(round_.baseline and round_.first_seen_check_id == check_id for round_ in stored.values())
    newest = stored["437"]
    assert (newest.crs, newest.invitations, newest.category) == (382, 5000, "french")
    assert newest.list_version == "2026-Version 2"
    assert newest.tie_break == datetime(2026, 3, 1, 18, 34, 5, tzinfo=UTC)
    assert (stored["91a"].number_int, stored["91a"].number_suffix) == (91, "a")
    assert stored["208"].tie_break is None and stored["208"].tie_break_raw == "October 7 at 16:38:21 UTC"


def test_new_rounds_carry_the_baseline_flag_of_the_check_that_stored_them(engine: Engine) -> None:
    first = new_check(engine)
    assert sync(engine, [make_item("1"), make_item("2")], first).new == ["1", "2"]
    with session_scope(engine) as session:
        finish_check(session, session.get_one(CheckRun, first), outcome="ok")
    second = new_check(engine)

    result = sync(engine, [make_item("3"), make_item("2"), make_item("1")], second)

    assert result.new == ["3"] and result.unchanged == 2
    stored = rounds_by_number(engine)
    assert [stored[n].baseline for n in ("1", "2", "3")] == [True, True, False]
    assert stored["3"].first_seen_check_id == second
    assert stored["3"].id == result.new_ids[0]


def test_syncing_438_rounds_into_an_empty_database_is_set_based(engine: Engine) -> None:
    """No statement per round: the speed target itself is measured by benchmarks/bench_ingest.py."""
    items = feed_items(437)
    check_id = new_check(engine)
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with session_scope(engine) as session:
            check = session.get_one(CheckRun, check_id)
            result = sync_rounds(session, items, check=check)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert len(result.new) == 438
    assert len(statements) < 40, f"{len(statements)} statements for 438 rounds"


def test_resyncing_an_identical_feed_writes_nothing(engine: Engine) -> None:
    items = feed_items(437)
    sync(engine, items)
    before = {n: (d.updated_at, d.first_seen_at) for n, d in rounds_by_number(engine).items()}
    check_id = new_check(engine)
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", capture)
    try:
        result = sync(engine, items, check_id)
    finally:
        event.remove(engine, "before_cursor_execute", capture)

    assert result.new == [] and result.new_ids == [] and result.changed == {}
    assert result.unchanged == 438 and result.distributions_written == 0
    assert not {"INSERT", "UPDATE", "DELETE"} & set(statements), statements
    after = {n: (d.updated_at, d.first_seen_at) for n, d in rounds_by_number(engine).items()}
    assert after == before
    assert count_rows(engine, RoundChange) == 0


def test_a_feed_missing_the_newest_round_deletes_nothing(engine: Engine) -> None:
    items = feed_items(437)
    sync(engine, items)
    assert items[0].number == "437"

    result = sync(engine, items[1:])  # a stale CDN copy

    assert result.stale and result.new == [] and result.changed == {}
    with session_scope(engine) as session:
        assert count_rounds(session) == 438
        kept = get_round(session, "437")
        assert kept is not None and kept.crs == 382
    # and when it comes back it is not new a second time
    assert sync(engine, items).new == []


def test_a_stale_copy_does_not_undo_a_correction(engine: Engine) -> None:
    """An old CDN copy holds a round's figures from before IRCC corrected them: taking them would record a
    "correction" back, and another forth when the fresh copy returns, each telling subscribers."""
    items = feed_items(437)
    sync(engine, items)
    corrected = [items[0], items[1].model_copy(update={"crs": items[1].crs + 5}), *items[2:]]
    assert sync(engine, corrected).changed.keys() == {items[1].number}
    changes = count_rows(engine, RoundChange)

    stale = sync(engine, items[1:])  # lacks #437 and has #436's old cut-off

    assert stale.stale and stale.changed == {}
    with session_scope(engine) as session:
        kept = get_round(session, items[1].number)
        assert kept is not None and kept.crs == items[1].crs + 5
    assert count_rows(engine, RoundChange) == changes
    assert sync(engine, corrected).changed == {}  # the fresh copy again: nothing to correct


def test_a_corrected_tie_break_updates_the_round_and_is_audited(engine: Engine) -> None:
    original = make_item("262")
    sync(engine, [original])
    stored = rounds_by_number(engine)["262"]
    assert original.tie_break is not None
    corrected_at = original.tie_break.replace(year=original.tie_break.year - 1)
    corrected = original.model_copy(
        update={"tie_break": corrected_at, "tie_break_raw": f"{corrected_at:%B %d, %Y at %H:%M:%S} UTC"}
    )
    check_id = new_check(engine)

    result = sync(engine, [corrected], check_id)

    assert result.new == [] and result.unchanged == 0
    assert result.changed == {
        "262": [
            FieldChange("tie_break", original.tie_break, corrected_at),
            FieldChange("tie_break_raw", original.tie_break_raw, corrected.tie_break_raw),
        ]
    }
    updated = rounds_by_number(engine)["262"]
    assert updated.tie_break == corrected_at and updated.tie_break_raw == corrected.tie_break_raw
    assert updated.first_seen_at == stored.first_seen_at and updated.updated_at > stored.updated_at
    with session_scope(engine) as session:
        assert updated.id is not None
        changes = round_changes(session, updated.id)
    assert [(c.field, c.check_id) for c in changes] == [("tie_break", check_id), ("tie_break_raw", check_id)]
    assert json.loads(changes[0].old_value) == original.tie_break.isoformat()
    assert json.loads(changes[0].new_value) == corrected_at.isoformat() == "2018-11-30T14:30:05+00:00"
    assert changes[0].changed_at == updated.updated_at


def test_a_renamed_category_round_records_name_and_list_version_only(engine: Engine) -> None:
    before = make_item(
        "253", name="STEM occupations (2023-1)", category="stem", list_version="2023-1", programs=""
    )
    sync(engine, [before])
    after = before.model_copy(update={"name": "STEM occupations (Version 1)", "list_version": "Version 1"})

    result = sync(engine, [after])

    assert result.changed == {
        "253": [
            FieldChange("name", "STEM occupations (2023-1)", "STEM occupations (Version 1)"),
            FieldChange("list_version", "2023-1", "Version 1"),
        ]
    }
    stored = rounds_by_number(engine)["253"]
    assert (stored.name, stored.list_version, stored.category) == (after.name, "Version 1", "stem")
    with session_scope(engine) as session:
        assert stored.id is not None
        changes = round_changes(session, stored.id)
        assert [c.field for c in changes] == ["name", "list_version"]
        assert [json.loads(c.new_value) for c in changes] == ["STEM occupations (Version 1)", "Version 1"]
        assert list_rounds(session, category="stem")[0].number == "253"


def test_real_copies_2024_then_2026_add_rounds_and_record_the_renames(engine: Engine) -> None:
    old, new = feed_items(295), feed_items(437)
    renamed = {item.number for item in old if re.search(r"\(20\d\d-1\)", item.name)}
    assert len(renamed) > 20
    sync(engine, old)

    result = sync(engine, new, new_check(engine, outcome_before="ok"))

    assert result.new == [str(n) for n in range(296, 438)]
    assert renamed <= set(result.changed)
    for number in renamed:
        fields = [change.field for change in result.changed[number]]
        assert fields[:2] == ["name", "list_version"], (number, fields)
        assert "category" not in fields
    stored = rounds_by_number(engine)
    assert len(stored) == 438
    assert not any(stored[n].baseline for n in result.new)
    assert all(stored[n].baseline for n in renamed)
    assert count_rows(engine, RoundChange) == sum(len(c) for c in result.changed.values())


def test_a_number_twice_in_one_batch_is_stored_once_from_its_first_occurrence(engine: Engine) -> None:
    result = sync(engine, [make_item("5", crs=401), make_item("5", crs=499)])
    assert result.new == ["5"] and result.unchanged == 0
    assert rounds_by_number(engine)["5"].crs == 401


def test_an_empty_batch_or_an_unflushed_check_is_handled(engine: Engine) -> None:
    assert sync(engine, []) == SyncResult()
    with session_scope(engine) as session, pytest.raises(ValueError, match="flushed"):
        sync_rounds(session, [make_item("1")], check=CheckRun(feed_url=FEED_URL))


# --- concurrency ---------------------------------------------------------------------------------------


def _sync_in_thread(
    engine: Engine, items: Sequence[RoundItem], check_id: int, start: threading.Barrier | None = None
) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            with session_scope(engine) as session:
                check = session.get_one(CheckRun, check_id)
                if start is not None:
                    start.wait(timeout=10)
                out["result"] = sync_rounds(session, items, check=check)
        except BaseException as exc:  # reported by the test
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


@pytest.mark.parametrize("stored_before", [0, 436])
def test_of_two_overlapping_checks_only_the_one_whose_insert_took_reports_new(
    engine: Engine, stored_before: int
) -> None:
    if stored_before:
        items = feed_items(437)
        sync(engine, items[-stored_before:])  # everything but #436 and #437
        expected = ["436", "437"]
    else:
        items = [make_item("7"), make_item("8")]
        expected = ["7", "8"]
    first, second = new_check(engine), new_check(engine)

    with Session(engine) as session:
        mine = sync_rounds(session, items, check=session.get_one(CheckRun, first))
        thread, theirs = _sync_in_thread(engine, items, second)
        thread.join(0.5)
        assert thread.is_alive(), "the second check must wait for the first one's transaction"
        session.commit()
    thread.join(15)

    assert not thread.is_alive() and "error" not in theirs, theirs
    assert mine.new == expected
    assert theirs["result"].new == [] and theirs["result"].changed == {}
    assert theirs["result"].unchanged == len(items)
    stored = rounds_by_number(engine)
    assert len(stored) == len(items)
    assert {stored[n].first_seen_check_id for n in expected} == {first}


def test_racing_checks_never_both_report_a_round(engine: Engine) -> None:
    for number in ("11", "12", "13", "14", "15"):
        checks = [new_check(engine), new_check(engine)]
        start = threading.Barrier(2)
        runs = [_sync_in_thread(engine, [make_item(number)], check_id, start) for check_id in checks]
        for thread, _ in runs:
            thread.join(20)
        outcomes = [out for _, out in runs]
        assert all("error" not in out for out in outcomes), outcomes
        assert sorted(len(out["result"].new) for out in outcomes) == [0, 1]
    assert count_rows(engine, Round) == 5


# --- pool distributions --------------------------------------------------------------------------------


def test_distributions_are_inserted_once_and_updated_when_corrected(engine: Engine) -> None:
    week = date(2026, 8, 16)
    a = make_item("436", distribution_as_on=week, distribution=counts())
    b = make_item("437", distribution_as_on=week, distribution=counts())
    zeros = make_item("213", distribution_as_on=date(2022, 1, 5), distribution=None)

    first = sync(engine, [a, b, zeros])

    assert first.distributions_written == 1
    with session_scope(engine) as session:
        stored = get_distribution(session, week)
        assert stored is not None and stored.counts == counts()
        assert get_distribution(session, date(2022, 1, 5)) is None
        assert get_round(session, "213").distribution_as_on == date(2022, 1, 5)  # type: ignore[union-attr]
    assert sync(engine, [a, b, zeros]).distributions_written == 0

    corrected = b.model_copy(update={"distribution": counts(scale=2)})
    result = sync(engine, [a, corrected])  # the newest round's copy wins within a batch

    assert result.distributions_written == 1 and result.changed == {}
    with session_scope(engine) as session:
        updated = get_distribution(session, week)
        assert updated is not None and updated.counts == counts(scale=2)
        assert updated.first_seen_at == stored.first_seen_at and updated.updated_at > stored.updated_at
    assert count_rows(engine, PoolDistribution) == 1


# --- datetimes -----------------------------------------------------------------------------------------


def test_datetimes_come_back_timezone_aware_in_utc(engine: Engine) -> None:
    toronto = timezone(timedelta(hours=-4))
    run_at = datetime(2026, 8, 19, 8, 35, 37, 123456, tzinfo=toronto)  # 12:35:37.123456 UTC
    sync(engine, [make_item("437", run_at=run_at, tie_break=None, tie_break_raw="")])

    with Session(engine) as session:  # a fresh session: values are read from the database
        round_ = session.exec(select(Round)).one()
        check = session.exec(select(CheckRun)).one()
        for value in (round_.run_at, round_.first_seen_at, round_.updated_at, check.started_at):
            assert isinstance(value, datetime)
            assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
        assert round_.run_at == run_at
        assert round_.run_at is not None and (round_.run_at.hour, round_.run_at.microsecond) == (12, 123456)
        assert round_.tie_break is None
        # comparing with aware values in SQL works as well
        later = session.exec(select(Round).where(col(Round.run_at) > datetime(2026, 8, 19, 12, tzinfo=UTC)))
        assert len(later.all()) == 1


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with session_scope(engine) as session:
        check = start_check(session, FEED_URL)
        check.finished_at = datetime(2026, 8, 19, 12, 0)  # naive
        session.add(check)
        with pytest.raises(Exception, match="timezone"):
            session.flush()
        session.rollback()


# --- queries -------------------------------------------------------------------------------------------


def test_list_draws_orders_newest_first_and_filters(engine: Engine) -> None:
    items = [
        make_item("90", category="pnp", name="Provincial Nominee Program"),
        make_item("91", date=date(2018, 5, 23)),
        make_item("91a", date=date(2018, 5, 30), category="fst", name="Federal Skilled Trades"),
        make_item("91b", date=date(2018, 5, 30), category="pnp", name="Provincial Nominee Program"),
        make_item("92", date=date(2018, 6, 13)),
        make_item("100", date=date(2018, 9, 5), category="pnp", name="Provincial Nominee Program"),
    ]
    sync(engine, list(reversed(items)))

    with session_scope(engine) as session:
        assert [d.number for d in list_rounds(session)] == ["100", "92", "91b", "91a", "91", "90"]
        assert [d.number for d in list_rounds(session, category="pnp")] == ["100", "91b", "90"]
        assert [d.number for d in list_rounds(session, since=date(2018, 5, 30))] == [
            "100",
            "92",
            "91b",
            "91a",
        ]
        assert [d.number for d in list_rounds(session, limit=2)] == ["100", "92"]
        picked = list_rounds(session, category="pnp", since=date(2018, 5, 30), limit=1)
        assert [d.number for d in picked] == ["100"]
        assert list_rounds(session, category="stem") == []
        assert count_rounds(session) == 6


def test_real_history_lists_91a_and_91b_between_90_and_92(engine: Engine) -> None:
    sync(engine, feed_items(437))
    with session_scope(engine) as session:
        numbers = [d.number for d in list_rounds(session)]
        assert numbers[:2] == ["437", "436"] and numbers[-1] == "1"
        assert numbers[numbers.index("92") : numbers.index("89")] == ["92", "91b", "91a", "90"]
        assert [d.number for d in list_rounds(session, since=date(2018, 5, 30), limit=1000)][-2:] == [
            "91b",
            "91a",
        ]


def test_get_draw_ignores_case_and_spaces(engine: Engine) -> None:
    sync(engine, [make_item("91a"), make_item("91")])
    with session_scope(engine) as session:
        for query in ("91a", "91A", " 91a "):
            found = get_round(session, query)
            assert found is not None and found.number == "91a"
        assert get_round(session, "91") is not None
        assert get_round(session, "91c") is None
        assert get_round(session, "") is None
        assert round_changes(session, 12345) == []
