"""Subscribers: who to alert, at which score, for which round categories, through which channels.

Input is checked before it is stored (:class:`SubscriberInput`, by :mod:`drawwatch.domain.subscriber_input`)
because a ``table=True`` SQLModel does not validate, and a bad row (a CRS of 1500, a typo in a category)
would silently alert the wrong people or nobody. Reads build frozen :class:`SubscriberView` values in a fixed
number of queries whatever the number of subscribers.
Nothing here commits: callers wrap calls in :func:`~drawwatch.storage.db.session_scope`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Final, NamedTuple, TypeAlias, cast

from sqlalchemy import ColumnElement, Date, String, bindparam, delete, func, insert, not_, or_, update
from sqlmodel import Session, col, select

from drawwatch.domain.clock import utcnow
from drawwatch.domain.errors import InvalidInput
from drawwatch.domain.subscriber_input import (
    active_problem,
    categories_problems,
    crs_problem,
    language_problem,
    name_problem,
    nclc_problem,
    normal_categories,
    normal_quiet,
    normal_urls,
    occupations_problems,
    quiet_problem,
    submitted_at_problem,
    urls_problems,
)
from drawwatch.domain.vocabulary import RETRYABLE_STATUSES
from drawwatch.storage.db import begin_write
from drawwatch.storage.models import (
    Subscriber,
    SubscriberCategory,
    SubscriberChannel,
    SubscriberOccupation,
    new_unsubscribe_token,
)
from drawwatch.storage.reminders import reset_reminders
from drawwatch.storage.scores_ahead import ahead_holds
from drawwatch.storage.sql import ALERT as _ALERT
from drawwatch.storage.sql import CATEGORY as _CATEGORY
from drawwatch.storage.sql import CHANNEL as _CHANNEL
from drawwatch.storage.sql import SUBSCRIBER as _SUBSCRIBER
from drawwatch.storage.sql import execute_in_chunks
from drawwatch.storage.sql import rowcount as _rowcount

EXPLICIT: Final = "explicit"
NOC: Final = "noc"


# --- input ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileScore:
    """A CRS profile as stored (``subscriber.profile``, JSON) with its score computed for the day ``on``: what
    an import saves with a row (``crs`` is the score's total), as ``subscribers add --profile`` does."""

    profile: str
    on: dt.date
    until: dt.date | None  # the first later day the score differs; None: no known day
    rules: str  # the rule set's id


@dataclass
class SubscriberInput:
    """A subscriber as entered (CLI, CSV/TOML import); :meth:`validate` before storing."""

    name: str
    crs: int
    categories: list[str]
    urls: list[str]
    submitted_at: dt.datetime | None = None
    active: bool = True
    language: str = "en"
    occupations: list[tuple[str, int]] = field(default_factory=list)  # (NOC 2021 code, months)
    nclc_french: int | None = None
    quiet_hours: str | None = None  # "22:00-07:00", local to time_zone
    time_zone: str | None = None  # IANA name, e.g. "America/Toronto"
    score: ProfileScore | None = None  # imports only: a CRS profile, ``crs`` being its score on ``score.on``

    def problems(self) -> list[str]:
        """Every problem with this input, each message naming its field; empty when it is valid."""
        found = [
            name_problem(self.name),
            crs_problem(self.crs),
            *categories_problems(self.categories),
            *urls_problems(self.urls),
            submitted_at_problem(self.submitted_at),
            active_problem(self.active),
            language_problem(self.language),
            *occupations_problems(self.occupations),
            nclc_problem(self.nclc_french),
            quiet_problem(self.quiet_hours, self.time_zone),
        ]
        return [problem for problem in found if problem]

    def validate(self) -> None:
        """Raise ``ValueError`` naming the field(s) at fault: ``crs must be between 0 and 1200, got 1500``."""
        problems = self.problems()
        if problems:
            raise InvalidInput("; ".join(problems))


class ImportProblem(InvalidInput):
    """An import was refused: ``problems`` lists every bad row as (1-based row number, message)."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        rows = "; ".join(f"row {index}: {message}" for index, message in problems)
        bad = len({index for index, _ in problems})
        super().__init__(f"nothing imported: {bad} {'row is' if bad == 1 else 'rows are'} invalid: {rows}")


# --- views ---------------------------------------------------------------------------------------------


class ChannelView(NamedTuple):
    """A channel as ``(id, url)``; the URL holds secrets, so show it redacted."""

    id: int
    url: str


@dataclass(frozen=True)
class SubscriberView:
    """A stored subscriber with its categories (sorted) and channels (in the order they were added)."""

    id: int
    name: str
    crs: int
    submitted_at: dt.datetime | None
    active: bool
    language: str
    unsubscribe_token: str
    created_at: dt.datetime
    updated_at: dt.datetime
    quiet_hours: str | None
    time_zone: str | None
    categories: list[str] = field(default_factory=list)
    channels: list[ChannelView] = field(default_factory=list)


_VIEW_COLUMNS = (
    col(Subscriber.id),
    col(Subscriber.name),
    col(Subscriber.crs),
    col(Subscriber.submitted_at),
    col(Subscriber.active),
    col(Subscriber.language),
    col(Subscriber.unsubscribe_token),
    col(Subscriber.created_at),
    col(Subscriber.updated_at),
    col(Subscriber.quiet_hours),
    col(Subscriber.timezone),
)
# A row of _VIEW_COLUMNS: a SubscriberView's fields before its categories and channels.
_ViewRow: TypeAlias = tuple[
    int, str, int, dt.datetime | None, bool, str, str, dt.datetime, dt.datetime, str | None, str | None
]


def _views(session: Session, *where: ColumnElement[bool]) -> list[SubscriberView]:
    """Subscribers matching ``where`` with their categories and channels: three queries, not 1 + 2N.

    The child queries repeat the filter as a join instead of an IN list of ids, which would not fit in one
    statement for a large list.
    """
    # SQLModel's select() is typed for up to 4 columns, and its ids as ``int | None`` (for unflushed objects).
    stmt = select(*_VIEW_COLUMNS).where(*where).order_by(col(Subscriber.id))  # type: ignore[call-overload]
    rows = cast(Sequence[_ViewRow], session.exec(stmt).all())
    if not rows:
        return []
    categories: dict[int, list[str]] = {}
    category_stmt = (
        select(col(SubscriberCategory.subscriber_id), col(SubscriberCategory.category))
        .join(Subscriber, col(Subscriber.id) == col(SubscriberCategory.subscriber_id))
        .where(*where)
        .order_by(col(SubscriberCategory.subscriber_id), col(SubscriberCategory.category))
    )
    for subscriber_id, category in session.exec(category_stmt):
        categories.setdefault(subscriber_id, []).append(category)
    channels: dict[int, list[ChannelView]] = {}
    channel_stmt = (
        select(col(SubscriberChannel.subscriber_id), col(SubscriberChannel.id), col(SubscriberChannel.url))
        .join(Subscriber, col(Subscriber.id) == col(SubscriberChannel.subscriber_id))
        .where(*where)
        .order_by(col(SubscriberChannel.subscriber_id), col(SubscriberChannel.id))
    )
    for subscriber_id, channel_id, url in session.exec(channel_stmt):
        # A stored row's id is set: SQLModel types it ``int | None`` for objects not yet flushed.
        channels.setdefault(subscriber_id, []).append(ChannelView(cast(int, channel_id), url))
    return [
        SubscriberView(
            *row,
            categories=categories.get(row[0], []),
            channels=channels.get(row[0], []),
        )
        for row in rows
    ]


def get_subscriber(session: Session, subscriber_id: int) -> SubscriberView | None:
    """One subscriber with categories and channels, or None."""
    views = _views(session, col(Subscriber.id) == subscriber_id)
    return views[0] if views else None


def list_subscribers(session: Session, *, active: bool | None = None) -> list[SubscriberView]:
    """All subscribers by id, or only the active (``True``) or inactive (``False``) ones."""
    where = [] if active is None else [col(Subscriber.active).is_(active)]
    return _views(session, *where)


def find_by_token(session: Session, token: str) -> SubscriberView | None:
    """The subscriber an unsubscribe link's token belongs to, or None."""
    if not token:
        return None
    views = _views(session, col(Subscriber.unsubscribe_token) == token)
    return views[0] if views else None


# --- writes --------------------------------------------------------------------------------------------


def _subscriber_values(data: SubscriberInput, token: str, now: dt.datetime) -> dict[str, Any]:
    """The ``subscriber`` row of validated input, as stored (names and codes stripped, quiet hours padded)."""
    quiet_hours, time_zone = normal_quiet(data.quiet_hours, data.time_zone)
    return {
        "name": data.name.strip(),
        "crs": data.crs,
        "submitted_at": data.submitted_at,
        "active": data.active,
        "language": data.language.strip(),
        "nclc_french": data.nclc_french,
        "quiet_hours": quiet_hours,
        "timezone": time_zone,
        "unsubscribe_token": token,
        "created_at": now,
        "updated_at": now,
    }


def add_subscriber(session: Session, data: SubscriberInput) -> Subscriber:
    """Validate and store one subscriber with its categories and channels; flushed, so ``id`` is set."""
    data.validate()
    begin_write(session)
    now = utcnow()
    subscriber = Subscriber(**_subscriber_values(data, new_unsubscribe_token(), now))
    session.add(subscriber)
    session.flush()
    assert subscriber.id is not None
    _insert_categories(session, subscriber.id, normal_categories(data.categories))
    _insert_channels(session, subscriber.id, normal_urls(data.urls), now)
    _replace_occupations(session, subscriber.id, data.occupations)
    return subscriber


class _Unset:
    """The "not given" marker for :func:`edit_subscriber`'s ``submitted_at``, where None means "clear it"."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


def edit_subscriber(
    session: Session,
    subscriber_id: int,
    *,
    name: str | None = None,
    crs: int | None = None,
    categories: Sequence[str] | None = None,
    urls: Sequence[str] | None = None,
    submitted_at: dt.datetime | _Unset | None = UNSET,
    active: bool | None = None,
    language: str | None = None,
    occupations: Sequence[tuple[str, int]] | None = None,
    nclc_french: int | _Unset | None = UNSET,
    quiet_hours: str | _Unset | None = UNSET,
    time_zone: str | _Unset | None = UNSET,
) -> SubscriberView:
    """Change the given fields; None (``UNSET`` for ``submitted_at``, ``nclc_french``, ``quiet_hours`` and
    ``time_zone``, where None clears it) leaves a field.

    ``categories`` replaces the explicit categories (rows another source added stay). ``urls`` replaces the
    channels: a URL kept keeps its channel row and alert history; a URL dropped loses its channel and that
    channel's alerts (its secrets should not outlive it). Deactivating cancels the subscriber's undelivered
    alerts, as :func:`remove_subscriber` does. Raises ``LookupError`` for an unknown id and ``ValueError``
    naming the field for invalid values, before anything is written.
    """
    problems = [
        None if name is None else name_problem(name),
        None if crs is None else crs_problem(crs),
        *([] if categories is None else categories_problems(categories)),
        *([] if urls is None else urls_problems(urls)),
        None if isinstance(submitted_at, _Unset) else submitted_at_problem(submitted_at),
        None if active is None else active_problem(active),
        None if language is None else language_problem(language),
        *([] if occupations is None else occupations_problems(occupations)),
        None if isinstance(nclc_french, _Unset) else nclc_problem(nclc_french),
    ]
    found = [problem for problem in problems if problem]
    if found:
        raise InvalidInput("; ".join(found))

    begin_write(session)
    subscriber = _load_for_update(session, subscriber_id)
    now = utcnow()
    if not (isinstance(quiet_hours, _Unset) and isinstance(time_zone, _Unset)):
        new_quiet = subscriber.quiet_hours if isinstance(quiet_hours, _Unset) else quiet_hours
        new_zone = subscriber.timezone if isinstance(time_zone, _Unset) else time_zone
        problem = quiet_problem(new_quiet, new_zone)
        if problem:
            raise InvalidInput(problem)
        subscriber.quiet_hours, subscriber.timezone = normal_quiet(new_quiet, new_zone)
    if name is not None:
        subscriber.name = name.strip()
    if crs is not None:
        subscriber.crs = crs
    if not isinstance(submitted_at, _Unset):
        subscriber.submitted_at = submitted_at
    if language is not None:
        subscriber.language = language.strip()
    if not isinstance(nclc_french, _Unset):
        subscriber.nclc_french = nclc_french
        subscriber.derived_year = None  # derive again
    if occupations is not None:
        _replace_occupations(session, subscriber_id, occupations)
    if occupations is not None or categories is not None:
        subscriber.derived_year = None  # derive again: explicit categories win over derived ones
    if active is not None:
        if subscriber.active and not active:
            _cancel_undelivered(session, subscriber_id)
        subscriber.active = active
    subscriber.updated_at = now
    session.add(subscriber)
    session.flush()
    if categories is not None:
        _replace_categories(session, subscriber_id, normal_categories(categories))
    if urls is not None:
        _replace_channels(session, subscriber_id, normal_urls(urls), now)
    view = get_subscriber(session, subscriber_id)
    assert view is not None
    return view


def remove_subscriber(session: Session, subscriber_id: int, *, purge: bool = False) -> int:
    """Stop alerting a subscriber. Returns how many alerts were cancelled (or, with ``purge``, deleted).

    By default the subscriber is deactivated and its pending and failed alerts are cancelled, keeping the
    history of what was sent. ``purge`` deletes the subscriber and every row that refers to it (alerts,
    channels, categories, occupations), e.g. for a data-deletion request; it deletes explicitly rather than trusting
    ON DELETE CASCADE, which SQLite enforces only on connections that enabled foreign keys.
    Raises ``LookupError`` for an unknown id.
    """
    begin_write(session)
    subscriber = _load_for_update(session, subscriber_id)
    now = utcnow()
    if not purge:
        cancelled = _cancel_undelivered(session, subscriber_id)
        subscriber.active = False
        subscriber.updated_at = now
        session.add(subscriber)
        session.flush()
        return cancelled
    deleted = _rowcount(session.exec(delete(_ALERT).where(_ALERT.c.subscriber_id == subscriber_id)))
    session.exec(delete(_CHANNEL).where(_CHANNEL.c.subscriber_id == subscriber_id))
    session.exec(delete(_CATEGORY).where(_CATEGORY.c.subscriber_id == subscriber_id))
    session.exec(delete(SubscriberOccupation).where(col(SubscriberOccupation.subscriber_id) == subscriber_id))
    session.exec(delete(_SUBSCRIBER).where(_SUBSCRIBER.c.id == subscriber_id))
    session.expunge(subscriber)
    return deleted


def import_key(urls: Sequence[str]) -> frozenset[str]:
    """Who an imported row is: the set of its channel URLs, normalised as they are stored (stripped, once
    each, in any order). A row and a stored active subscriber with the same set are the same person."""
    return frozenset(normal_urls(urls))


@dataclass(frozen=True)
class ImportResult:
    """What :func:`merge_subscribers` did: the subscriber each row is (in the order of the rows), and how many
    rows were new people, changed people and people already stored as given."""

    ids: list[int]
    added: int = 0
    updated: int = 0
    unchanged: int = 0


# Told ``(rows done, rows in all)`` now and then while rows are stored, e.g. to draw a progress bar.
Progress: TypeAlias = Callable[[int, int], None]
PROGRESS_STEP: Final = 1000  # rows between two progress reports
_CHUNK: Final = 500  # ids per IN list: well under SQLite's and PostgreSQL's limits on parameters
# pg_advisory_xact_lock key serialising imports on PostgreSQL ("drawsubs"); SQLite's BEGIN IMMEDIATE does it.
_IMPORT_LOCK_KEY: Final = 0x6472617773756273


def import_subscribers(session: Session, rows: Sequence[SubscriberInput]) -> list[int]:
    """:func:`merge_subscribers`, returning only the subscriber id of each row, in the order of ``rows``."""
    return merge_subscribers(session, rows).ids


def merge_subscribers(
    session: Session, rows: Sequence[SubscriberInput], *, progress: Progress | None = None
) -> ImportResult:
    """Store many subscribers at once, all or nothing, without duplicating anyone already stored.

    A row is the same person as the active subscriber with the same channel URLs (:func:`import_key`). A
    new person is added; a known one is changed through :func:`edit_subscriber` where the row differs in
    name, CRS, explicit categories, submitted_at or quiet hours and time zone (and, when the row gives
    them, occupations and French level), so derived categories are recomputed as after an edit; language
    and active are never changed by an import. A row may carry a CRS profile scored for today
    (:attr:`SubscriberInput.score`): a new person is stored with it, a known one gets it through
    :func:`set_score` when it differs from the saved profile (see :func:`_import_changes`). Running the same
    import twice changes nothing the second time.

    Every row is validated before anything is written, and :class:`ImportProblem` lists all the bad rows
    (1-based): invalid values, two rows with the same URLs, a row whose URLs are those of several stored
    subscribers. New people are written with three Core executemany INSERTs (SQLAlchemy batches them as
    multi-row statements), not one ORM flush per row: 100,000 subscribers take seconds. Their ids come back
    by matching each row's unique unsubscribe token, which works whatever order the database returns
    inserted rows in. ``progress`` is called at the start, every :data:`PROGRESS_STEP` rows and at the end.
    """
    if progress is not None and rows:
        progress(0, len(rows))
    problems = [(index, message) for index, row in enumerate(rows, 1) for message in row.problems()]
    if problems:
        raise ImportProblem(problems)
    if not rows:
        return ImportResult([])
    keys = [import_key(row.urls) for row in rows]
    row_of_key: dict[frozenset[str], int] = {}
    for index, key in enumerate(keys, 1):
        first = row_of_key.setdefault(key, index)
        if first != index:
            problems.append(
                (index, f"same notification URLs as row {first} (one subscriber per set of URLs)")
            )
    if problems:
        raise ImportProblem(problems)
    begin_write(session)
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(func.pg_advisory_xact_lock(_IMPORT_LOCK_KEY)))
    stored_ids = _active_ids_by_key(session, row_of_key)
    for key, subscriber_ids in stored_ids.items():
        if len(subscriber_ids) > 1:
            listed = ", ".join(str(subscriber_id) for subscriber_id in subscriber_ids)
            problems.append(
                (
                    row_of_key[key],
                    f"its notification URLs are those of several active subscribers ({listed}): "
                    "remove the extra ones first (drawwatch subscribers remove ID)",
                )
            )
    if problems:
        raise ImportProblem(sorted(problems))

    total, done = len(rows), 0
    ids: list[int | None] = [None] * total
    updated = unchanged = 0
    known = sorted((row_of_key[key] - 1, subscriber_ids[0]) for key, subscriber_ids in stored_ids.items())
    for start in range(0, len(known), _CHUNK):
        chunk = known[start : start + _CHUNK]
        stored = _import_fields(session, [subscriber_id for _, subscriber_id in chunk])
        for index, subscriber_id in chunk:
            ids[index] = subscriber_id
            changes = _import_changes(rows[index], stored[subscriber_id])
            if changes:
                _apply_changes(session, subscriber_id, rows[index], changes)
                updated += 1
            else:
                unchanged += 1
            done += 1
            if progress is not None and done % PROGRESS_STEP == 0:
                progress(done, total)
    new = [index for index in range(total) if ids[index] is None]
    for start in range(0, len(new), PROGRESS_STEP):
        chunk_rows = new[start : start + PROGRESS_STEP]
        for index, subscriber_id in zip(
            chunk_rows, _insert_new(session, [rows[i] for i in chunk_rows]), strict=True
        ):
            ids[index] = subscriber_id
        done += len(chunk_rows)
        if progress is not None and done < total:
            progress(done, total)
    if progress is not None:
        progress(total, total)
    return ImportResult(
        [cast(int, subscriber_id) for subscriber_id in ids],
        added=len(new),
        updated=updated,
        unchanged=unchanged,
    )


def _insert_new(session: Session, rows: Sequence[SubscriberInput]) -> list[int]:
    """Add validated new people in bulk; their ids, in the order of ``rows``."""
    if not rows:
        return []
    now = utcnow()
    tokens = [new_unsubscribe_token() for _ in rows]
    subscriber_rows = [
        _subscriber_values(row, token, now) | _score_values(row)
        for row, token in zip(rows, tokens, strict=True)
    ]
    if session.get_bind().dialect.name == "postgresql":
        return _copy_new(session, rows, subscriber_rows, now)
    stmt = insert(_SUBSCRIBER).returning(_SUBSCRIBER.c.id, _SUBSCRIBER.c.unsubscribe_token)
    id_of = {token: subscriber_id for subscriber_id, token in session.exec(stmt, params=subscriber_rows)}
    ids = [id_of[token] for token in tokens]
    category_rows = [
        {"subscriber_id": subscriber_id, "category": category, "source": EXPLICIT}
        for subscriber_id, row in zip(ids, rows, strict=True)
        for category in normal_categories(row.categories)
    ]
    channel_rows = [
        {"subscriber_id": subscriber_id, "url": url, "created_at": now}
        for subscriber_id, row in zip(ids, rows, strict=True)
        for url in normal_urls(row.urls)
    ]
    occupation_rows = [
        {"subscriber_id": subscriber_id, "noc": code, "months": months}
        for subscriber_id, row in zip(ids, rows, strict=True)
        for code, months in dict(row.occupations).items()  # the last months given for a code wins
    ]
    if category_rows:
        session.exec(insert(_CATEGORY), params=category_rows)
    session.exec(insert(_CHANNEL), params=channel_rows)
    if occupation_rows:
        session.exec(insert(SubscriberOccupation), params=occupation_rows)
    return ids


def _score_values(row: SubscriberInput) -> dict[str, Any]:
    """The profile columns of a new imported row (all None for a bare CRS number), as :func:`set_score` stores
    them; every row has them all, so one INSERT or COPY column list fits every row."""
    score = row.score
    return {
        "profile": None if score is None else score.profile,
        "score_on": None if score is None else score.on,
        "score_until": None if score is None else score.until,
        "score_rules": None if score is None else score.rules,
        "score_note": None,
    }


def _copy_new(
    session: Session, rows: Sequence[SubscriberInput], subscriber_rows: list[dict[str, Any]], now: dt.datetime
) -> list[int]:
    """:func:`_insert_new` on PostgreSQL: the ids drawn from the table's own sequence first, then each table
    written with one ``COPY … FROM STDIN`` (psycopg's ``cursor.copy``) in the session's transaction, several
    times faster than multi-row INSERTs. Columns a row does not name get their defaults, as with INSERT."""
    sequence = select(func.nextval(func.pg_get_serial_sequence(_SUBSCRIBER.name, "id"))).select_from(
        func.generate_series(1, len(rows))
    )
    ids = [int(subscriber_id) for subscriber_id in session.exec(sequence)]
    dbapi: Any = session.connection().connection.dbapi_connection  # psycopg's Connection
    columns = list(subscriber_rows[0])
    with dbapi.cursor() as cursor:
        _copy(
            cursor,
            _SUBSCRIBER.name,
            ["id", *columns],
            (
                (subscriber_id, *(values[name] for name in columns))
                for subscriber_id, values in zip(ids, subscriber_rows, strict=True)
            ),
        )
        _copy(
            cursor,
            _CATEGORY.name,
            ["subscriber_id", "category", "source"],
            (
                (subscriber_id, category, EXPLICIT)
                for subscriber_id, row in zip(ids, rows, strict=True)
                for category in normal_categories(row.categories)
            ),
        )
        _copy(
            cursor,
            _CHANNEL.name,
            ["subscriber_id", "url", "created_at"],
            (
                (subscriber_id, url, now)
                for subscriber_id, row in zip(ids, rows, strict=True)
                for url in normal_urls(row.urls)
            ),
        )
        _copy(
            cursor,
            SubscriberOccupation.__tablename__,
            ["subscriber_id", "noc", "months"],
            (
                (subscriber_id, code, months)
                for subscriber_id, row in zip(ids, rows, strict=True)
                for code, months in dict(row.occupations).items()  # the last months given for a code wins
            ),
        )
    return ids


def _copy(cursor: Any, table: str, columns: list[str], values: Iterable[tuple[Any, ...]]) -> None:
    """``COPY table (columns) FROM STDIN`` of ``values``; the names are the schema's own, never input."""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)


def _active_ids_by_key(
    session: Session, wanted: dict[frozenset[str], int]
) -> dict[frozenset[str], list[int]]:
    """The active subscribers whose :func:`import_key` is one of ``wanted``'s, by key (ids ascending).

    One streamed pass over the active subscribers' channels in subscriber order, keeping only the matches:
    memory follows the file, not the table.
    """
    stmt = (
        select(col(SubscriberChannel.subscriber_id), col(SubscriberChannel.url))
        .join(Subscriber, col(Subscriber.id) == col(SubscriberChannel.subscriber_id))
        .where(col(Subscriber.active).is_(True))
        .order_by(col(SubscriberChannel.subscriber_id))
        .execution_options(yield_per=10_000)
    )
    found: dict[frozenset[str], list[int]] = {}
    for subscriber_id, channels in groupby(session.exec(stmt), key=lambda row: row[0]):
        key = frozenset(url for _, url in channels)
        if key in wanted:
            found.setdefault(key, []).append(subscriber_id)
    return found


class _ImportFields(NamedTuple):
    """What an import compares of a stored subscriber."""

    name: str
    crs: int
    submitted_at: dt.datetime | None
    quiet_hours: str | None
    time_zone: str | None
    nclc_french: int | None
    profile: str | None  # the saved CRS profile (JSON), None for a bare CRS number
    categories: frozenset[str]  # explicit ones only: derived ones are not the file's to change
    occupations: dict[str, int]


def _import_fields(session: Session, subscriber_ids: list[int]) -> dict[int, _ImportFields]:
    """:class:`_ImportFields` of these subscribers (at most :data:`_CHUNK` ids), in three queries."""
    categories: dict[int, set[str]] = {}
    for subscriber_id, category in session.exec(
        select(col(SubscriberCategory.subscriber_id), col(SubscriberCategory.category)).where(
            col(SubscriberCategory.subscriber_id).in_(subscriber_ids),
            col(SubscriberCategory.source) == EXPLICIT,
        )
    ):
        categories.setdefault(subscriber_id, set()).add(category)
    occupations: dict[int, dict[str, int]] = {}
    for subscriber_id, noc, months in session.exec(
        select(
            col(SubscriberOccupation.subscriber_id),
            col(SubscriberOccupation.noc),
            col(SubscriberOccupation.months),
        ).where(col(SubscriberOccupation.subscriber_id).in_(subscriber_ids))
    ):
        occupations.setdefault(subscriber_id, {})[noc] = months
    stmt = select(  # type: ignore[call-overload]
        col(Subscriber.id),
        col(Subscriber.name),
        col(Subscriber.crs),
        col(Subscriber.submitted_at),
        col(Subscriber.quiet_hours),
        col(Subscriber.timezone),
        col(Subscriber.nclc_french),
        col(Subscriber.profile),
    ).where(col(Subscriber.id).in_(subscriber_ids))
    rows = cast(
        Sequence[tuple[int, str, int, dt.datetime | None, str | None, str | None, int | None, str | None]],
        session.exec(stmt).all(),
    )
    return {
        row[0]: _ImportFields(
            *row[1:],
            categories=frozenset(categories.get(row[0], ())),
            occupations=occupations.get(row[0], {}),
        )
        for row in rows
    }


def _import_changes(row: SubscriberInput, stored: _ImportFields) -> dict[str, Any]:
    """The :func:`edit_subscriber` arguments that make ``stored`` what ``row`` says; empty when it already is.

    Occupations and the French level are compared only when the row gives them: a file has no columns for
    them, and importing it must not wipe what ``subscribers edit --noc`` saved. A row with a CRS profile
    changes the subscriber when the profile differs from the saved one (``profile``: the row's
    :class:`ProfileScore`), not when the stored score does (it follows each round's day); a row with a bare
    CRS number changes a profile subscriber into a bare number (``profile``: None), as ``subscribers edit
    --crs`` does.
    """
    changes: dict[str, Any] = {}
    if row.name.strip() != stored.name:
        changes["name"] = row.name
    if row.score is not None:
        if row.score.profile != stored.profile:
            changes["profile"] = row.score
    elif row.crs != stored.crs or stored.profile is not None:
        changes["crs"] = row.crs
        if stored.profile is not None:
            changes["profile"] = None
    if row.submitted_at != stored.submitted_at:
        changes["submitted_at"] = row.submitted_at
    categories = normal_categories(row.categories)
    if frozenset(categories) != stored.categories:
        changes["categories"] = categories
    quiet_hours, time_zone = normal_quiet(row.quiet_hours, row.time_zone)
    if (quiet_hours, time_zone) != (stored.quiet_hours, stored.time_zone):
        changes["quiet_hours"], changes["time_zone"] = quiet_hours, time_zone
    if row.occupations and dict(row.occupations) != stored.occupations:
        changes["occupations"] = row.occupations
    if row.nclc_french is not None and row.nclc_french != stored.nclc_french:
        changes["nclc_french"] = row.nclc_french
    return changes


def _apply_changes(
    session: Session, subscriber_id: int, row: SubscriberInput, changes: dict[str, Any]
) -> None:
    """Make a stored subscriber what ``row`` says: :func:`edit_subscriber` with ``changes`` (from
    :func:`_import_changes`), then the row's profile and its score saved (:func:`set_score`) or the saved
    profile forgotten (:func:`clear_profile`)."""
    profile = changes.pop("profile", UNSET)
    if changes:
        edit_subscriber(session, subscriber_id, **changes)
    if isinstance(profile, ProfileScore):
        set_score(
            session,
            subscriber_id,
            crs=row.crs,
            on=profile.on,
            until=profile.until,
            rules=profile.rules,
            profile=profile.profile,
        )
    elif profile is None:
        clear_profile(session, subscriber_id)


def count_subscribers(session: Session, *, active: bool | None = None) -> int:
    """How many subscribers are stored (optionally only active or inactive ones)."""
    stmt = select(func.count()).select_from(Subscriber)
    if active is not None:
        stmt = stmt.where(col(Subscriber.active).is_(active))
    return session.exec(stmt).one()


# --- helpers -------------------------------------------------------------------------------------------


def _load_for_update(session: Session, subscriber_id: int) -> Subscriber:
    """The row, fresh from the database (locked on PostgreSQL), or ``LookupError``."""
    stmt = (
        select(Subscriber)
        .where(col(Subscriber.id) == subscriber_id)
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    subscriber = session.exec(stmt).first()
    if subscriber is None:
        raise LookupError(f"no subscriber with id {subscriber_id}")
    return subscriber


def _replace_occupations(
    session: Session, subscriber_id: int, occupations: Sequence[tuple[str, int]]
) -> None:
    session.exec(delete(SubscriberOccupation).where(col(SubscriberOccupation.subscriber_id) == subscriber_id))
    rows = {code: months for code, months in occupations}  # the last months given for a code wins
    if rows:
        session.exec(
            insert(SubscriberOccupation),
            params=[{"subscriber_id": subscriber_id, "noc": code, "months": m} for code, m in rows.items()],
        )


def subscribers_to_derive(
    session: Session, year: int, subscriber_ids: Sequence[int] | None = None
) -> list[tuple[int, list[tuple[str, int]], int | None]]:
    """Subscribers whose derived categories are not computed for ``year`` (or those named), with their
    occupations and French level: ``(id, [(noc, months)], nclc_french)``."""
    has_occupation = (
        select(SubscriberOccupation.subscriber_id)
        .where(col(SubscriberOccupation.subscriber_id) == col(Subscriber.id))
        .exists()
    )
    stmt = select(col(Subscriber.id), col(Subscriber.nclc_french)).where(
        or_(has_occupation, col(Subscriber.nclc_french).is_not(None))
    )
    if subscriber_ids is not None:
        stmt = stmt.where(col(Subscriber.id).in_(list(subscriber_ids)))
    else:
        stmt = stmt.where(or_(col(Subscriber.derived_year).is_(None), col(Subscriber.derived_year) != year))
    # Stored rows' ids are set: SQLModel types them ``int | None`` for objects not yet flushed.
    people = cast(Sequence[tuple[int, int | None]], session.exec(stmt).all())
    if not people:
        return []
    ids = [row[0] for row in people]
    occupations: dict[int, list[tuple[str, int]]] = {}
    for sid, noc, months in session.exec(
        select(SubscriberOccupation.subscriber_id, SubscriberOccupation.noc, SubscriberOccupation.months)
        .where(col(SubscriberOccupation.subscriber_id).in_(ids))
        .order_by(col(SubscriberOccupation.subscriber_id), col(SubscriberOccupation.noc))
    ):
        occupations.setdefault(sid, []).append((noc, months))
    return [(sid, occupations.get(sid, []), nclc) for sid, nclc in people]


def set_derived_categories(
    session: Session, subscriber_id: int, derived: dict[str, str | None], year: int
) -> None:
    """Replace the subscriber's ``noc`` categories with ``derived`` (category -> qualifying occupation).

    An explicit category wins: a derived row is not added where an explicit one exists.
    """
    begin_write(session)
    session.exec(
        delete(SubscriberCategory).where(
            col(SubscriberCategory.subscriber_id) == subscriber_id, col(SubscriberCategory.source) == NOC
        )
    )
    explicit = set(
        session.exec(
            select(SubscriberCategory.category).where(col(SubscriberCategory.subscriber_id) == subscriber_id)
        ).all()
    )
    rows = [
        {"subscriber_id": subscriber_id, "category": key, "source": NOC, "via": via}
        for key, via in sorted(derived.items())
        if key not in explicit
    ]
    if rows:
        session.exec(insert(SubscriberCategory), params=rows)
    session.exec(update(Subscriber).where(col(Subscriber.id) == subscriber_id).values(derived_year=year))


def _insert_categories(session: Session, subscriber_id: int, categories: list[str]) -> None:
    if categories:
        rows = [{"subscriber_id": subscriber_id, "category": c, "source": EXPLICIT} for c in categories]
        session.exec(insert(_CATEGORY), params=rows)


def _insert_channels(session: Session, subscriber_id: int, urls: list[str], now: dt.datetime) -> None:
    if urls:
        rows = [{"subscriber_id": subscriber_id, "url": url, "created_at": now} for url in urls]
        session.exec(insert(_CHANNEL), params=rows)


def _replace_categories(session: Session, subscriber_id: int, categories: list[str]) -> None:
    """Make the explicit categories exactly ``categories``; one given again from another source becomes
    explicit (the subscriber asked for it), other sources' rows are left to the feature that owns them."""
    session.exec(
        delete(_CATEGORY).where(
            _CATEGORY.c.subscriber_id == subscriber_id,
            (_CATEGORY.c.source == EXPLICIT) | _CATEGORY.c.category.in_(categories),
        )
    )
    _insert_categories(session, subscriber_id, categories)


def _replace_channels(session: Session, subscriber_id: int, urls: list[str], now: dt.datetime) -> None:
    stored = session.exec(
        select(col(SubscriberChannel.id), col(SubscriberChannel.url)).where(
            col(SubscriberChannel.subscriber_id) == subscriber_id
        )
    ).all()
    kept = {url for _, url in stored if url in urls}
    dropped = [channel_id for channel_id, url in stored if url not in urls]
    if dropped:
        session.exec(delete(_ALERT).where(_ALERT.c.channel_id.in_(dropped)))
        session.exec(delete(_CHANNEL).where(_CHANNEL.c.id.in_(dropped)))
    _insert_channels(session, subscriber_id, [url for url in urls if url not in kept], now)


def _cancel_undelivered(session: Session, subscriber_id: int) -> int:
    """Cancel the alerts not yet delivered (also ones being sent: their claim is withdrawn)."""
    stmt = (
        update(_ALERT)
        .where(_ALERT.c.subscriber_id == subscriber_id, _ALERT.c.status.in_(RETRYABLE_STATUSES))
        .values(status="cancelled", claimed_by=None, lease_until=None)
    )
    return _rowcount(session.exec(stmt))


# --- CRS profiles: the stored score and when it stops being true --------------------------------------------


class ScoreState(NamedTuple):
    """A subscriber's saved profile (JSON, None for a bare number) and the score stored from it."""

    profile: str | None
    crs: int
    score_on: dt.date | None
    score_until: dt.date | None
    score_rules: str | None
    score_note: str | None


def score_state(session: Session, subscriber_id: int) -> ScoreState | None:
    """The subscriber's profile and stored score, or None for an unknown id."""
    row = session.exec(
        select(  # type: ignore[call-overload]  # SQLModel's select() is typed for up to 4 columns
            col(Subscriber.profile),
            col(Subscriber.crs),
            col(Subscriber.score_on),
            col(Subscriber.score_until),
            col(Subscriber.score_rules),
            col(Subscriber.score_note),
        ).where(col(Subscriber.id) == subscriber_id)
    ).first()
    return None if row is None else ScoreState(*row)


def profiles_to_rescore(session: Session, on: dt.date) -> list[tuple[int, str, int, dt.date | None]]:
    """Subscribers with a profile whose stored score is not known true on ``on`` (never computed, computed
    for a later day, or no longer true by then) and for whom no score computed ahead holds then.
    ``(id, profile JSON, stored crs, score_on)``; one query, which finds nobody (cheaply) when every stored
    score still holds."""
    stmt = select(
        col(Subscriber.id), col(Subscriber.profile), col(Subscriber.crs), col(Subscriber.score_on)
    ).where(
        col(Subscriber.profile).is_not(None),
        or_(
            col(Subscriber.score_on).is_(None),
            col(Subscriber.score_on) > on,
            col(Subscriber.score_until) <= on,
        ),
        not_(ahead_holds(on)),  # matched at the score computed ahead: nothing to do in Python
    )
    return cast(list[tuple[int, str, int, dt.date | None]], list(session.exec(stmt).all()))


def set_score(
    session: Session,
    subscriber_id: int,
    *,
    crs: int,
    on: dt.date,
    until: dt.date | None,
    rules: str,
    note: str | None = None,
    profile: str | _Unset | None = UNSET,
) -> None:
    """Store a score computed from the subscriber's profile (and, given ``profile``, a new profile: its note is
    then ``note``). Without ``profile``, a None ``note`` keeps the last one: the score did not change."""
    problem = crs_problem(crs)
    if problem:
        raise InvalidInput(problem)
    values: dict[str, Any] = {"crs": crs, "score_on": on, "score_until": until, "score_rules": rules}
    if not isinstance(profile, _Unset):  # a new profile: what was computed ahead from the old one is moot
        values |= {"profile": profile, "score_note": note, "updated_at": utcnow(), **_NOTHING_AHEAD}
    elif note is not None:
        values["score_note"] = note
    begin_write(session)
    session.exec(update(Subscriber).where(col(Subscriber.id) == subscriber_id).values(**values))
    if not isinstance(profile, _Unset):  # what the old profile foresaw is moot: looked for again from ``on``
        reset_reminders(session, subscriber_id, on)


# The columns of a score computed ahead (drawwatch.storage.scores_ahead), cleared.
_NOTHING_AHEAD: dict[str, Any] = dict.fromkeys(
    ("next_on", "next_crs", "next_until", "next_rules", "next_note")
)


class NewScore(NamedTuple):
    """A profile subscriber's score computed again (:func:`set_scores`); a None ``note`` keeps the last."""

    subscriber_id: int
    crs: int
    on: dt.date
    until: dt.date | None
    rules: str
    note: str | None


RESCORE_CHUNK = 5_000  # scores written per statement: one executemany, memory bounded


def set_scores(session: Session, scores: Sequence[NewScore]) -> None:
    """:func:`set_score` (without a new profile) for many subscribers: one executemany UPDATE per chunk, not
    one statement per row (the cost of rescoring thousands of profiles before a round is queued)."""
    for score in scores:
        problem = crs_problem(score.crs)
        if problem:
            raise InvalidInput(f"subscriber {score.subscriber_id}: {problem}")
    if not scores:
        return
    begin_write(session)
    table = _SUBSCRIBER
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            crs=bindparam("b_crs"),
            score_on=bindparam("b_on", type_=Date),
            score_until=bindparam("b_until", type_=Date),
            score_rules=bindparam("b_rules", type_=String),
            score_note=func.coalesce(bindparam("b_note", type_=String), table.c.score_note),
        )
    )
    execute_in_chunks(
        session,
        stmt,
        [
            {
                "b_id": s.subscriber_id,
                "b_crs": s.crs,
                "b_on": s.on,
                "b_until": s.until,
                "b_rules": s.rules,
                "b_note": s.note,
            }
            for s in scores
        ],
        chunk=RESCORE_CHUNK,
    )


def clear_profile(session: Session, subscriber_id: int) -> None:
    """Forget the subscriber's profile: ``crs`` is a bare number again (as given with it)."""
    begin_write(session)
    session.exec(
        update(Subscriber)
        .where(col(Subscriber.id) == subscriber_id)
        .values(
            profile=None, score_on=None, score_until=None, score_rules=None, score_note=None, **_NOTHING_AHEAD
        )
    )
    reset_reminders(session, subscriber_id, utcnow().date())  # no profile: nothing left to foresee
