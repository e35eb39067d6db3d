"""Web sign-ups: the e-mail address a subscriber signed up with, and whether they confirmed it.

The web site (:mod:`drawwatch.web`) stores a new subscriber inactive with a :class:`~drawwatch.storage.models.Signup`
row, and activates them when they open the confirmation link (double opt-in). This module holds that SQL, the
export of everything stored about one subscriber (the manage page's download), the purge of unconfirmed
sign-ups and the deletion a subscriber asks for. Nothing here commits: callers wrap calls in
:func:`~drawwatch.storage.db.session_scope`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from drawwatch.domain.clock import utcnow
from drawwatch.storage.db import begin_write
from drawwatch.storage.models import (
    Alert,
    Round,
    Signup,
    Subscriber,
    SubscriberCategory,
    SubscriberOccupation,
)
from drawwatch.storage.subscribers import edit_subscriber, get_subscriber, remove_subscriber


@dataclass(frozen=True)
class SignupView:
    """A web sign-up: who (the subscriber's id and token), the address, and where the double opt-in stands."""

    subscriber_id: int
    email: str
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    mails_sent: int
    last_mail_at: dt.datetime | None
    active: bool
    unsubscribe_token: str
    language: str


def _view(session: Session, *where: Any) -> SignupView | None:
    stmt = (
        select(  # type: ignore[call-overload]  # SQLModel's select() is typed for up to 4 columns
            col(Signup.subscriber_id),
            col(Signup.email),
            col(Signup.created_at),
            col(Signup.confirmed_at),
            col(Signup.mails_sent),
            col(Signup.last_mail_at),
            col(Subscriber.active),
            col(Subscriber.unsubscribe_token),
            col(Subscriber.language),
        )
        .join(Subscriber, col(Subscriber.id) == col(Signup.subscriber_id))
        .where(*where)
    )
    row = session.exec(stmt).first()
    return None if row is None else SignupView(*row)


def normal_email(address: str) -> str:
    """The stored form of an address: stripped and lower-cased (one sign-up per address, whatever its case)."""
    return address.strip().lower()


def find_signup(session: Session, email: str) -> SignupView | None:
    """The sign-up of this address (any case), or None."""
    return _view(session, col(Signup.email) == normal_email(email))


def signup_of(session: Session, subscriber_id: int) -> SignupView | None:
    """The sign-up of this subscriber, or None (a subscriber the operator added has none)."""
    return _view(session, col(Signup.subscriber_id) == subscriber_id)


def add_signup(session: Session, subscriber_id: int, email: str, *, now: dt.datetime | None = None) -> None:
    """Record that ``subscriber_id`` (stored inactive) signed up with ``email``; not yet confirmed."""
    begin_write(session)
    session.add(Signup(subscriber_id=subscriber_id, email=normal_email(email), created_at=now or utcnow()))
    session.flush()


def note_mail_sent(session: Session, subscriber_id: int, *, now: dt.datetime | None = None) -> None:
    """Count a confirmation (or sign-in) mail sent to the sign-up's address."""
    begin_write(session)
    session.exec(
        update(Signup)
        .where(col(Signup.subscriber_id) == subscriber_id)
        .values(mails_sent=col(Signup.mails_sent) + 1, last_mail_at=now or utcnow())
    )


def confirm_signup(session: Session, subscriber_id: int, *, now: dt.datetime | None = None) -> bool:
    """Confirm the address and activate the subscriber; True when something changed (False: already
    confirmed and active). Raises ``LookupError`` for a subscriber without a sign-up."""
    begin_write(session)
    found = signup_of(session, subscriber_id)
    if found is None:
        raise LookupError(f"no sign-up for subscriber {subscriber_id}")
    changed = False
    if found.confirmed_at is None:
        session.exec(
            update(Signup)
            .where(col(Signup.subscriber_id) == subscriber_id)
            .values(confirmed_at=now or utcnow())
        )
        changed = True
    if not found.active:
        edit_subscriber(session, subscriber_id, active=True)
        changed = True
    return changed


def purge_unconfirmed(session: Session, older_than: dt.datetime) -> int:
    """Delete the sign-ups never confirmed and created before ``older_than``, with their subscribers (who
    were never active, so they have no alert history); how many."""
    begin_write(session)
    ids = list(
        session.exec(
            select(col(Signup.subscriber_id)).where(
                col(Signup.confirmed_at).is_(None), col(Signup.created_at) < older_than
            )
        ).all()
    )
    for subscriber_id in ids:
        delete_everything(session, subscriber_id)
    return len(ids)


def delete_everything(session: Session, subscriber_id: int) -> int:
    """Delete the subscriber, their sign-up and every row about them (a data-deletion request); the number
    of alerts deleted. Raises ``LookupError`` for an unknown id."""
    begin_write(session)
    session.exec(delete(Signup).where(col(Signup.subscriber_id) == subscriber_id))
    return remove_subscriber(session, subscriber_id, purge=True)


def count_signups(session: Session, *, confirmed: bool | None = None) -> int:
    stmt = select(func.count()).select_from(Signup)
    if confirmed is not None:
        stmt = stmt.where(
            col(Signup.confirmed_at).is_not(None) if confirmed else col(Signup.confirmed_at).is_(None)
        )
    return session.exec(stmt).one()


def export_subscriber(session: Session, subscriber_id: int) -> dict[str, Any]:
    """Everything stored about one subscriber, as JSON-ready values (the manage page's download): settings,
    profile, categories with their source, occupations, sign-up, and the alerts sent or queued. Channel URLs
    are left out (they hold the operator's mail credentials); the sign-up's address stands for them."""
    view = get_subscriber(session, subscriber_id)
    if view is None:
        raise LookupError(f"no subscriber with id {subscriber_id}")
    row = session.get(Subscriber, subscriber_id)
    assert row is not None
    signup = signup_of(session, subscriber_id)
    categories = [
        {"category": category, "source": source, "via": via}
        for category, source, via in session.exec(
            select(
                col(SubscriberCategory.category), col(SubscriberCategory.source), col(SubscriberCategory.via)
            )
            .where(col(SubscriberCategory.subscriber_id) == subscriber_id)
            .order_by(col(SubscriberCategory.category))
        )
    ]
    occupations = [
        {"noc": noc, "months": months}
        for noc, months in session.exec(
            select(col(SubscriberOccupation.noc), col(SubscriberOccupation.months))
            .where(col(SubscriberOccupation.subscriber_id) == subscriber_id)
            .order_by(col(SubscriberOccupation.noc))
        )
    ]
    alerts = [
        {
            "kind": kind,
            "round": number,
            "status": status,
            "attempts": attempts,
            "created_at": _iso(created_at),
            "sent_at": _iso(sent_at),
        }
        for kind, number, status, attempts, created_at, sent_at in session.exec(
            select(  # type: ignore[call-overload]
                col(Alert.kind),
                col(Round.number),
                col(Alert.status),
                col(Alert.attempts),
                col(Alert.created_at),
                col(Alert.sent_at),
            )
            .outerjoin(Round, col(Round.id) == col(Alert.draw_id))
            .where(col(Alert.subscriber_id) == subscriber_id)
            .order_by(col(Alert.id))
        )
    ]
    return {
        "email": None if signup is None else signup.email,
        "signed_up_at": None if signup is None else _iso(signup.created_at),
        "confirmed_at": None if signup is None else _iso(signup.confirmed_at),
        "confirmation_mails_sent": 0 if signup is None else signup.mails_sent,
        "active": view.active,
        "language": view.language,
        "crs": view.crs,
        "submitted_at": _iso(view.submitted_at),
        "quiet_hours": view.quiet_hours,
        "timezone": view.time_zone,
        "nclc_french": row.nclc_french,
        "profile": None if row.profile is None else json.loads(row.profile),
        "score_on": _iso(row.score_on),
        "score_rules": row.score_rules,
        "score_note": row.score_note,
        "categories": categories,
        "occupations": occupations,
        "channels": len(view.channels),
        "alerts": alerts,
        "created_at": _iso(view.created_at),
        "updated_at": _iso(view.updated_at),
    }


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def occupations_of(session: Session, subscriber_id: int) -> list[tuple[str, int]]:
    """The subscriber's (NOC code, months), by code."""
    rows = session.exec(
        select(col(SubscriberOccupation.noc), col(SubscriberOccupation.months))
        .where(col(SubscriberOccupation.subscriber_id) == subscriber_id)
        .order_by(col(SubscriberOccupation.noc))
    ).all()
    return [(noc, months) for noc, months in rows]


def explicit_categories(session: Session, subscriber_id: int) -> list[str]:
    """The categories the subscriber chose (not those derived from occupations)."""
    return list(
        session.exec(
            select(col(SubscriberCategory.category))
            .where(
                col(SubscriberCategory.subscriber_id) == subscriber_id,
                col(SubscriberCategory.source) == "explicit",
            )
            .order_by(col(SubscriberCategory.category))
        ).all()
    )


__all__ = [
    "SignupView",
    "add_signup",
    "confirm_signup",
    "count_signups",
    "delete_everything",
    "explicit_categories",
    "export_subscriber",
    "find_signup",
    "normal_email",
    "note_mail_sent",
    "occupations_of",
    "purge_unconfirmed",
    "signup_of",
]
