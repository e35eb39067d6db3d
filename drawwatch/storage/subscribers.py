"""Subscribers: who to alert, at which score, for which round categories, through which channels.

Input is checked here (:class:`SubscriberInput`) because a ``table=True`` SQLModel does not validate, and a
bad row (a CRS of 1500, a typo in a category) would silently alert the wrong people or nobody. Reads build
frozen :class:`SubscriberView` values in a fixed number of queries whatever the number of subscribers.
Nothing here commits: callers wrap calls in :func:`~drawwatch.storage.db.session_scope`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, cast

from sqlalchemy import ColumnElement, Table, delete, func, insert, or_, update
from sqlmodel import Session, col, select

from drawwatch.domain.clock import utcnow
from drawwatch.domain.errors import InvalidInput
from drawwatch.domain.quiet_hours import parse_quiet_hours, parse_time_zone
from drawwatch.domain.vocabulary import MAX_CRS, RETRYABLE_STATUSES
from drawwatch.domain.vocabulary import SUBSCRIBABLE_KEYS as SUBSCRIBABLE_CATEGORIES
from drawwatch.storage.db import begin_write
from drawwatch.storage.models import (
    Alert,
    Subscriber,
    SubscriberCategory,
    SubscriberChannel,
    SubscriberOccupation,
    new_unsubscribe_token,
)

EXPLICIT: Final = "explicit"
NOC: Final = "noc"
MAX_NAME_LENGTH: Final = 200
MAX_LANGUAGE_LENGTH: Final = 16

_SUBSCRIBER = cast(Table, Subscriber.__table__)  # type: ignore[attr-defined]
_CATEGORY = cast(Table, SubscriberCategory.__table__)  # type: ignore[attr-defined]
_CHANNEL = cast(Table, SubscriberChannel.__table__)  # type: ignore[attr-defined]
_ALERT = cast(Table, Alert.__table__)  # type: ignore[attr-defined]


# --- input ---------------------------------------------------------------------------------------------


def _name_problem(name: Any) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return "name must not be empty"
    if len(name.strip()) > MAX_NAME_LENGTH:
        return f"name must be at most {MAX_NAME_LENGTH} characters, got {len(name.strip())}"
    return None


def _crs_problem(crs: Any) -> str | None:
    if isinstance(crs, bool) or not isinstance(crs, int):
        return f"crs must be a whole number, got {crs!r}"
    if not 0 <= crs <= MAX_CRS:
        return f"crs must be between 0 and {MAX_CRS}, got {crs}"
    return None


def _categories_problems(categories: Any) -> list[str]:
    if isinstance(categories, str) or not isinstance(categories, Iterable):
        return [f"categories must be a list of category keys, got {categories!r}"]
    problems = []
    for category in categories:
        if not isinstance(category, str) or category.strip().lower() not in SUBSCRIBABLE_CATEGORIES:
            problems.append(f"unknown category {category!r} (known: {', '.join(SUBSCRIBABLE_CATEGORIES)})")
    return problems


def _urls_problems(urls: Any) -> list[str]:
    if isinstance(urls, str) or not isinstance(urls, Iterable):
        # Never echo the value: a URL holds secrets.
        return ["urls must be a list of notification URLs"]
    urls = list(urls)
    if not urls:
        return ["at least one notification URL is required"]
    if any(not isinstance(url, str) or not url.strip() for url in urls):
        return ["urls must not contain an empty notification URL"]
    return []


def _submitted_at_problem(submitted_at: Any) -> str | None:
    if submitted_at is None:
        return None
    if not isinstance(submitted_at, dt.datetime):
        return f"submitted_at must be a datetime, got {type(submitted_at).__name__}"
    if submitted_at.tzinfo is None or submitted_at.utcoffset() is None:
        return "submitted_at must be timezone-aware"
    return None


def _language_problem(language: Any) -> str | None:
    if not isinstance(language, str) or not 0 < len(language.strip()) <= MAX_LANGUAGE_LENGTH:
        return f"language must be a short code such as 'en' or 'fr', got {language!r}"
    return None


def _active_problem(active: Any) -> str | None:
    return None if isinstance(active, bool) else f"active must be true or false, got {active!r}"


def _occupations_problems(occupations: Any) -> list[str]:
    problems = []
    for item in occupations:
        code, months = item
        if not (isinstance(code, str) and len(code) == 5 and code.isdigit()):
            problems.append(f"noc must be a 5-digit NOC 2021 code, got {code!r}")
        if isinstance(months, bool) or not isinstance(months, int) or months < 0:
            problems.append(f"months of experience must be a whole number ≥ 0, got {months!r}")
    return problems


def _nclc_problem(nclc: Any) -> str | None:
    if nclc is None:
        return None
    if isinstance(nclc, bool) or not isinstance(nclc, int) or not 0 <= nclc <= 12:
        return f"nclc_french must be a level from 0 to 12, got {nclc!r}"
    return None


def _quiet_problem(quiet_hours: Any, time_zone: Any) -> str | None:
    """Quiet hours need a time zone; a time zone alone is fine (kept for later)."""
    try:
        if quiet_hours:
            parse_quiet_hours(quiet_hours, time_zone)
        elif time_zone:
            parse_time_zone(time_zone)
    except ValueError as exc:
        return str(exc)
    return None


def _normal_quiet(quiet_hours: str | None, time_zone: str | None) -> tuple[str | None, str | None]:
    """The stored forms: ``"22:00-07:00"`` (zero-padded) and the zone's name, or None."""
    span = parse_quiet_hours(quiet_hours, time_zone).text if quiet_hours else None
    return span, (time_zone.strip() if time_zone else None)


def _normal_categories(categories: Iterable[str]) -> list[str]:
    """Lower-cased, stripped, first occurrence kept: "STEM" and "stem " are the same category."""
    return list(dict.fromkeys(category.strip().lower() for category in categories))


def _normal_urls(urls: Iterable[str]) -> list[str]:
    """Stripped, first occurrence kept: the same URL twice would deliver every alert twice."""
    return list(dict.fromkeys(url.strip() for url in urls))


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

    def problems(self) -> list[str]:
        """Every problem with this input, each message naming its field; empty when it is valid."""
        found = [
            _name_problem(self.name),
            _crs_problem(self.crs),
            *_categories_problems(self.categories),
            *_urls_problems(self.urls),
            _submitted_at_problem(self.submitted_at),
            _active_problem(self.active),
            _language_problem(self.language),
            *_occupations_problems(self.occupations),
            _nclc_problem(self.nclc_french),
            _quiet_problem(self.quiet_hours, self.time_zone),
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


def _views(session: Session, *where: ColumnElement[bool]) -> list[SubscriberView]:
    """Subscribers matching ``where`` with their categories and channels: three queries, not 1 + 2N.

    The child queries repeat the filter as a join instead of an IN list of ids, which would not fit in one
    statement for a large list.
    """
    rows = session.exec(select(*_VIEW_COLUMNS).where(*where).order_by(col(Subscriber.id))).all()
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
        channels.setdefault(subscriber_id, []).append(ChannelView(channel_id, url))
    return [
        SubscriberView(
            *row,
            categories=categories.get(row.id, []),
            channels=channels.get(row.id, []),
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
    quiet_hours, time_zone = _normal_quiet(data.quiet_hours, data.time_zone)
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
    _insert_categories(session, subscriber.id, _normal_categories(data.categories))
    _insert_channels(session, subscriber.id, _normal_urls(data.urls), now)
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
        None if name is None else _name_problem(name),
        None if crs is None else _crs_problem(crs),
        *([] if categories is None else _categories_problems(categories)),
        *([] if urls is None else _urls_problems(urls)),
        None if isinstance(submitted_at, _Unset) else _submitted_at_problem(submitted_at),
        None if active is None else _active_problem(active),
        None if language is None else _language_problem(language),
        *([] if occupations is None else _occupations_problems(occupations)),
        None if isinstance(nclc_french, _Unset) else _nclc_problem(nclc_french),
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
        problem = _quiet_problem(new_quiet, new_zone)
        if problem:
            raise InvalidInput(problem)
        subscriber.quiet_hours, subscriber.timezone = _normal_quiet(new_quiet, new_zone)
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
        _replace_categories(session, subscriber_id, _normal_categories(categories))
    if urls is not None:
        _replace_channels(session, subscriber_id, _normal_urls(urls), now)
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


def import_subscribers(session: Session, rows: Sequence[SubscriberInput]) -> list[int]:
    """Store many subscribers at once, all or nothing; returns their ids in the order of ``rows``.

    Every row is validated before anything is written, and :class:`ImportProblem` lists all the bad rows
    (1-based), so one run shows every fix to make. The writes are three Core executemany INSERTs
    (SQLAlchemy batches them as multi-row statements), not one ORM flush per row: 100,000 subscribers take
    seconds. Ids come back by matching each row's unique unsubscribe token, which works whatever order
    the database returns inserted rows in.
    """
    problems = [(index, message) for index, row in enumerate(rows, 1) for message in row.problems()]
    if problems:
        raise ImportProblem(problems)
    if not rows:
        return []
    begin_write(session)
    now = utcnow()
    tokens = [new_unsubscribe_token() for _ in rows]
    subscriber_rows = [_subscriber_values(row, token, now) for row, token in zip(rows, tokens, strict=True)]
    stmt = insert(_SUBSCRIBER).returning(_SUBSCRIBER.c.id, _SUBSCRIBER.c.unsubscribe_token)
    id_of = {token: subscriber_id for subscriber_id, token in session.exec(stmt, params=subscriber_rows)}
    ids = [id_of[token] for token in tokens]
    category_rows = [
        {"subscriber_id": subscriber_id, "category": category, "source": EXPLICIT}
        for subscriber_id, row in zip(ids, rows, strict=True)
        for category in _normal_categories(row.categories)
    ]
    channel_rows = [
        {"subscriber_id": subscriber_id, "url": url, "created_at": now}
        for subscriber_id, row in zip(ids, rows, strict=True)
        for url in _normal_urls(row.urls)
    ]
    if category_rows:
        session.exec(insert(_CATEGORY), params=category_rows)
    session.exec(insert(_CHANNEL), params=channel_rows)
    return ids


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
    people = session.exec(stmt).all()
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


def _rowcount(result: Any) -> int:
    return int(result.rowcount)
