"""Storing the rounds of one fetched feed, and reading them back.

The feed is a moving, hand-edited target (docs/feed.md): rounds get corrected, renamed, and a stale CDN copy can
omit the newest one. So :func:`sync_rounds` is monotonic (it never deletes), records every correction as
:class:`~drawwatch.storage.models.RoundChange` rows, and decides "new" by whose INSERT took, which stays right
when two checks run at once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from drawwatch.domain.clock import utcnow
from drawwatch.domain.corrections import material_changes
from drawwatch.domain.rounds import RoundItem, number_sort_key
from drawwatch.storage.db import begin_write
from drawwatch.storage.models import CheckRun, PoolDistribution, Round, RoundChange
from drawwatch.storage.sql import dialect_insert as _dialect_insert
from drawwatch.storage.sql import is_postgres as _is_postgres

# The RoundItem fields a stored round mirrors; a difference in any of them is a correction by IRCC.
COMPARED_FIELDS: tuple[str, ...] = (
    "date",
    "name",
    "category",
    "list_version",
    "programs",
    "invitations",
    "crs",
    "run_at",
    "run_at_raw",
    "tie_break",
    "tie_break_raw",
    "url",
    "distribution_as_on",
)
NEWEST_FIRST = (col(Round.number_int).desc(), col(Round.number_suffix).desc())
OLDEST_FIRST = (col(Round.number_int).asc(), col(Round.number_suffix).asc())
PROGRESS_CHUNK = 50  # rounds per INSERT, and between two progress reports, when sync_rounds reports progress


@dataclass
class FieldChange:
    """One field of a stored round that the feed now publishes differently."""

    field: str
    old: Any
    new: Any


@dataclass
class SyncResult:
    """What one :func:`sync_rounds` call did.

    ``new`` holds only the rounds whose INSERT this call performed (oldest → newest), so of two concurrent
    checks exactly one reports a round as new.
    """

    new: list[str] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)
    changed: dict[str, list[FieldChange]] = field(default_factory=dict)
    changed_rounds: dict[str, Round] = field(default_factory=dict)  # the corrected rows, as now stored
    unchanged: int = 0
    distributions_written: int = 0
    # The feed lacks the newest stored round and brings nothing new: an old (CDN) copy, whose differences
    # are not corrections.
    stale: bool = False
    # New numbers far past the newest stored round ("#4380" for #438): not stored, never a yardstick.
    suspect: list[str] = field(default_factory=list)
    # Stored rounds newer than everything in a feed that brings new rounds: withdrawn or renumbered by IRCC.
    withdrawn: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)  # withdrawn rounds the feed lists again
    # Set when the feed would change more than the bounds allow: then nothing at all was written.
    held_reason: str | None = None
    would_add: int = 0  # new rounds the feed brings (also when held)
    would_correct: int = 0  # stored rounds with a material correction (also when held)


@dataclass(frozen=True)
class SyncBounds:
    """How much one check may change; a feed beyond either bound is held for the operator (issue 16)."""

    max_new: int
    max_changed: int


# A new round number more than this past the newest stored one is a typo ("#4380"), not a round: IRCC numbers
# rounds one by one, and even a watcher that was off for a year has not missed this many.
MAX_NUMBER_JUMP = 60


def sync_rounds(
    session: Session,
    items: Sequence[RoundItem],
    *,
    check: CheckRun,
    bounds: SyncBounds | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SyncResult:
    """Store a validated batch of rounds: insert unknown numbers, update corrected ones, delete nothing.

    New rows carry ``check.baseline`` and ``check.id``. A number appearing twice in ``items`` is taken from
    its first occurrence. Everything is decided before anything is written, so a feed beyond ``bounds``
    (more new rounds, or more materially corrected ones, than one check may bring) writes nothing and
    comes back with ``held_reason``. Does not commit: the caller's transaction also holds the check row
    and, later, the alerts queued for the new rounds, so they become visible together. ``progress``, when
    given, is told ``(rounds stored or compared, rounds in all)`` as the work goes (new rounds are then
    inserted :data:`PROGRESS_CHUNK` at a time), e.g. to draw a bar while the first check records the whole
    history.
    """
    if check.id is None:
        raise ValueError("the check must be flushed (have an id) before its rounds are stored")
    result = SyncResult()
    batch: dict[str, RoundItem] = {}
    for item in items:
        batch.setdefault(item.number, item)
    if not batch:
        return result
    # Oldest → newest: the order of SyncResult.new, and one lock order for every concurrent writer.
    batch = dict(sorted(batch.items(), key=lambda pair: number_sort_key(pair[0])))
    now = utcnow()
    begin_write(session)
    stored = _load_rounds(session, batch)
    newest = _newest_current(session)
    missing = [number for number in batch if number not in stored]
    if newest is not None:
        result.suspect = _suspect_numbers(missing, newest)
        missing = [number for number in missing if number not in result.suspect]
        batch = {number: item for number, item in batch.items() if number not in result.suspect}
        if not batch:
            return result
        if newest not in batch and not missing:
            # A stale copy would "correct" rounds back to their old figures (and forth when the fresh copy
            # returns), each time telling subscribers: take nothing from it.
            result.stale = True
            return result
    diffs = _diffs(stored, batch)
    result.would_add = len(missing)
    result.would_correct = sum(
        1
        for number, changes in diffs.items()
        if material_changes(changes, tie_break_now=batch[number].tie_break)
    )
    if bounds is not None and not check.baseline:
        result.held_reason = _beyond(bounds, result.would_add, result.would_correct)
        if result.held_reason:
            return result
    feed_newest = number_sort_key(next(reversed(batch)))
    if newest is not None and missing and number_sort_key(newest) > feed_newest:
        result.withdrawn = _withdraw_newer_than(session, feed_newest, now)
    result.restored = [number for number, round_ in stored.items() if round_.withdrawn_at is not None]
    for number in result.restored:
        stored[number].withdrawn_at = None
    result.distributions_written = _sync_distributions(session, batch.values(), now)

    if missing:
        _insert(session, batch, missing, check, now, result, stored, progress)
        # Numbers another check inserted since we looked are compared like any stored round.
        diffs.update(_diffs({n: stored[n] for n in missing if n in stored}, batch))

    audit: list[RoundChange] = []
    compared = sorted(stored.items(), key=lambda pair: number_sort_key(pair[0]))
    for done, (number, round_) in enumerate(compared, len(batch) - len(compared) + 1):
        if progress is not None and (done % PROGRESS_CHUNK == 0 or done == len(batch)):
            progress(done, len(batch))
        changes = diffs.get(number, [])
        if not changes:
            result.unchanged += 1
            continue
        assert round_.id is not None  # loaded from the table
        for diff in changes:
            setattr(round_, diff.field, diff.new)
            audit.append(
                RoundChange(
                    draw_id=round_.id,
                    check_id=check.id,
                    field=diff.field,
                    old_value=_encode(diff.old),
                    new_value=_encode(diff.new),
                    changed_at=now,
                )
            )
        round_.updated_at = now
        result.changed[number] = changes
        result.changed_rounds[number] = round_
    session.add_all(audit)
    session.flush()  # surface constraint errors here, not at the caller's commit
    return result


def _newest_current(session: Session) -> str | None:
    """The number of the newest stored round that is not withdrawn: the yardstick of a stale copy."""
    return session.exec(
        select(Round.number).where(col(Round.withdrawn_at).is_(None)).order_by(*NEWEST_FIRST).limit(1)
    ).first()


def _suspect_numbers(missing: Sequence[str], newest: str) -> list[str]:
    """New numbers that jump more than :data:`MAX_NUMBER_JUMP` past the newest round taken so far.

    Walked oldest first, so a run of real rounds after an outage (438, 439, … 460) raises the yardstick
    as it goes, while "4380" beside them stays a suspect.
    """
    top = number_sort_key(newest)[0]
    suspect = []
    for number in missing:  # oldest → newest
        value = number_sort_key(number)[0]
        if value > top + MAX_NUMBER_JUMP:
            suspect.append(number)
        else:
            top = max(top, value)
    return suspect


def _diffs(stored: dict[str, Round], batch: dict[str, RoundItem]) -> dict[str, list[FieldChange]]:
    diffs: dict[str, list[FieldChange]] = {}
    for number, round_ in stored.items():
        item = batch[number]
        changes = [
            FieldChange(name, getattr(round_, name), getattr(item, name))
            for name in COMPARED_FIELDS
            if getattr(round_, name) != getattr(item, name)
        ]
        if changes:
            diffs[number] = changes
    return diffs


def _beyond(bounds: SyncBounds, new: int, corrected: int) -> str | None:
    if new > bounds.max_new:
        return f"the feed adds {new} new rounds (at most {bounds.max_new} at once)"
    if corrected > bounds.max_changed:
        return f"the feed corrects {corrected} stored rounds (at most {bounds.max_changed} at once)"
    return None


def _withdraw_newer_than(session: Session, key: tuple[int, str], now: dt.datetime) -> list[str]:
    number_int, suffix = key
    newer = or_(
        col(Round.number_int) > number_int,
        and_(col(Round.number_int) == number_int, col(Round.number_suffix) > suffix),
    )
    rows = list(session.exec(select(Round).where(newer, col(Round.withdrawn_at).is_(None))))
    for round_ in rows:
        round_.withdrawn_at = now
    return sorted((round_.number for round_ in rows), key=number_sort_key)


def _insert(
    session: Session,
    batch: dict[str, RoundItem],
    missing: list[str],
    check: CheckRun,
    now: dt.datetime,
    result: SyncResult,
    stored: dict[str, Round],
    progress: Callable[[int, int], None] | None,
) -> None:
    stmt = (
        _dialect_insert(session, Round)
        .on_conflict_do_nothing(index_elements=["number"])
        .returning(col(Round.id), col(Round.number))
    )
    rows = [_new_row(batch[number], check, now) for number in missing]
    step = PROGRESS_CHUNK if progress is not None else len(rows)
    inserted: dict[str, int] = {}
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        inserted.update({number: draw_id for draw_id, number in session.exec(stmt, params=chunk)})
        if progress is not None:
            progress(start + len(chunk), len(batch))
    result.new = [number for number in batch if number in inserted]
    result.new_ids = [inserted[number] for number in result.new]
    # Numbers another check inserted since we looked: theirs now, compare like any stored round.
    lost = [number for number in missing if number not in inserted]
    if lost:
        stored.update(_load_rounds(session, lost))


def _sync_distributions(session: Session, items: Iterable[RoundItem], now: dt.datetime) -> int:
    """Insert unseen pool distributions and update corrected ones; returns how many rows were written."""
    wanted: dict[dt.date, dict[str, int]] = {}
    # Rounds of one week share a snapshot; should their copies differ, the newest round's wins.
    for item in reversed(list(items)):
        if item.distribution is not None and item.distribution_as_on is not None:
            wanted.setdefault(item.distribution_as_on, dict(item.distribution))
    if not wanted:
        return 0
    stored = _load_distributions(session, list(wanted))
    written = 0
    missing = [as_on for as_on in sorted(wanted) if as_on not in stored]
    if missing:
        stmt = (
            _dialect_insert(session, PoolDistribution)
            .on_conflict_do_nothing(index_elements=["as_on"])
            .returning(col(PoolDistribution.as_on))
        )
        rows = [
            {"as_on": as_on, "counts": wanted[as_on], "first_seen_at": now, "updated_at": now}
            for as_on in missing
        ]
        inserted = {as_on for (as_on,) in session.exec(stmt, params=rows)}
        written += len(inserted)
        lost = [as_on for as_on in missing if as_on not in inserted]
        if lost:
            stored.update(_load_distributions(session, lost))
    for as_on, distribution in stored.items():
        if distribution.counts != wanted[as_on]:
            distribution.counts = wanted[as_on]
            distribution.updated_at = now
            written += 1
    return written


def _load_rounds(session: Session, numbers: Iterable[str]) -> dict[str, Round]:
    """The stored rows for ``numbers`` in one query, locked on PostgreSQL until the transaction ends."""
    stmt = (
        select(Round)
        .where(col(Round.number).in_(list(numbers)))
        .order_by(col(Round.number))
        .execution_options(populate_existing=True)
    )
    if _is_postgres(session):
        stmt = stmt.with_for_update()
    return {round_.number: round_ for round_ in session.exec(stmt)}


def _load_distributions(session: Session, dates: list[dt.date]) -> dict[dt.date, PoolDistribution]:
    stmt = (
        select(PoolDistribution)
        .where(col(PoolDistribution.as_on).in_(dates))
        .order_by(col(PoolDistribution.as_on))
        .execution_options(populate_existing=True)
    )
    if _is_postgres(session):
        stmt = stmt.with_for_update()
    return {row.as_on: row for row in session.exec(stmt)}


def _new_row(item: RoundItem, check: CheckRun, now: dt.datetime) -> dict[str, Any]:
    number_int, suffix = number_sort_key(item.number)
    row = {name: getattr(item, name) for name in COMPARED_FIELDS}
    row.update(
        number=item.number,
        number_int=number_int,
        number_suffix=suffix,
        baseline=check.baseline,
        first_seen_at=now,
        first_seen_check_id=check.id,
        updated_at=now,
    )
    return row


def _encode(value: Any) -> str:
    """A RoundChange value as JSON text; dates and datetimes (date's subclass) as ISO 8601."""
    if isinstance(value, dt.date):
        value = value.isoformat()
    return json.dumps(value, ensure_ascii=False)


# --- queries -------------------------------------------------------------------------------------------


def returning_values(session: Session, draw_id: int, changes: Sequence[Any], *, check_id: int) -> list[Any]:
    """The ``changes`` (recorded by check ``check_id``) that only bring a field back to a value the round
    held before: two copies served alternately flip a round to and fro, and a value once announced is not
    news again (at most one notice per real change)."""
    fields = {change.field for change in changes}
    earlier = session.exec(
        select(RoundChange.field, RoundChange.old_value, RoundChange.new_value).where(
            RoundChange.draw_id == draw_id,
            col(RoundChange.field).in_(fields),
            col(RoundChange.check_id) != check_id,
        )
    ).all()
    seen: dict[str, set[str]] = {}
    for name, old, new in earlier:
        seen.setdefault(name, set()).update((old, new))
    return [change for change in changes if _encode(change.new) in seen.get(change.field, set())]


def count_rounds(session: Session) -> int:
    """How many rounds are stored."""
    return session.exec(select(func.count()).select_from(Round)).one()


def list_rounds(
    session: Session,
    *,
    category: str | None = None,
    since: dt.date | None = None,
    limit: int | None = None,
) -> list[Round]:
    """Stored rounds newest first (91 < 91a < 91b < 92), optionally of one category key and from a date on."""
    stmt = select(Round)
    if category is not None:
        stmt = stmt.where(Round.category == category)
    if since is not None:
        stmt = stmt.where(Round.date >= since)
    stmt = stmt.order_by(*NEWEST_FIRST)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt))


def get_round(session: Session, number: str) -> Round | None:
    """One round by number; ``"91A"`` and ``" 91a "`` find ``91a`` (numbers are stored lower-case)."""
    return session.exec(select(Round).where(Round.number == number.strip().lower())).first()


def get_distribution(session: Session, as_on: dt.date) -> PoolDistribution | None:
    """The pool distribution published for ``as_on``, if IRCC published one."""
    return session.get(PoolDistribution, as_on)


def round_changes(session: Session, draw_id: int, *, check_id: int | None = None) -> list[RoundChange]:
    """The corrections recorded for one round, oldest first; only those one check recorded with
    ``check_id``."""
    stmt = select(RoundChange).where(RoundChange.draw_id == draw_id)
    if check_id is not None:
        stmt = stmt.where(RoundChange.check_id == check_id)
    return list(session.exec(stmt.order_by(col(RoundChange.id))))


def rounds_by_ids(session: Session, ids: Sequence[int]) -> list[Round]:
    """Rounds by primary key, oldest first (the order alerts for several new rounds should go out in)."""
    if not ids:
        return []
    stmt = select(Round).where(col(Round.id).in_(list(ids))).order_by(*OLDEST_FIRST)
    return list(session.exec(stmt).all())


def first_unknown_names(session: Session, items: Sequence[RoundItem]) -> list[str]:
    """Round names among ``items`` that no category rule knows and no other stored round carries yet.

    Called right after ``items`` were written, so the operator is warned once per new name, not per round.
    """
    touched: dict[str, list[str]] = {}
    for item in items:
        if item.category == "other":
            touched.setdefault(item.name, []).append(item.number)
    fresh = []
    for name, numbers in sorted(touched.items()):
        others = session.exec(
            select(func.count())
            .select_from(Round)
            .where(Round.name == name, col(Round.number).not_in(numbers))
        ).one()
        if not others:
            fresh.append(name)
    return fresh
