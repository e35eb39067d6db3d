"""Self-service sign-up (the use cases behind :mod:`drawwatch.web`): sign up, confirm, change settings, delete.

Double opt-in: :func:`register` stores a new subscriber inactive with a sign-up row and their e-mail channel
(the operator's ``DRAWWATCH_MAIL_URL`` with ``to=`` their address), and the site sends one confirmation mail;
:func:`confirm` activates them. An address already signed up gets no second record: :func:`register` only
says who it is, so the site can answer exactly as for a new address and, within its rate limit, mail that
address a fresh link. Unconfirmed sign-ups older than the confirmation link's lifetime are deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from sqlmodel import Session

from drawwatch.app.derived import refresh_derived_categories
from drawwatch.app.rescore import save_profile
from drawwatch.domain.clock import utcnow
from drawwatch.domain.crs import Profile, Score, score_until
from drawwatch.domain.email_address import email_problem
from drawwatch.domain.errors import InvalidInput
from drawwatch.domain.subscriber_input import MAX_NAME_LENGTH
from drawwatch.notify.urls import validate_url
from drawwatch.storage.reminders import reset_reminders
from drawwatch.storage.signup import (
    add_signup,
    confirm_signup,
    delete_everything,
    find_signup,
    normal_email,
    purge_unconfirmed,
)
from drawwatch.storage.subscribers import (
    UNSET,
    SubscriberInput,
    add_subscriber,
    clear_profile,
    edit_subscriber,
    find_by_token,
    get_subscriber,
)


def mail_url_for(mail_url: str, address: str) -> str:
    """The operator's apprise mail URL with the recipient set to ``address`` (any ``to=`` it had replaced)."""
    problem = email_problem(address)
    if problem:
        raise InvalidInput(problem)
    parts = urlsplit(mail_url.strip())
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "to"]
    query.append(("to", normal_email(address)))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote, safe="@:/")))


@dataclass(frozen=True)
class SubscriberSettings:
    """What a subscriber sets on the site: a CRS typed or a profile (then ``crs`` is its score today)."""

    crs: int
    categories: list[str] = field(default_factory=list)
    occupations: list[tuple[str, int]] = field(default_factory=list)
    quiet_hours: str | None = None
    time_zone: str | None = None
    language: str = "en"
    profile: Profile | None = None
    reminders: bool = False  # a week ahead of what the profile foresees (drawwatch.app.reminders)

    def scored(self, today: dt.date) -> tuple[Score, dt.date | None] | None:
        return None if self.profile is None else score_until(self.profile, today)


@dataclass(frozen=True)
class Registered:
    """Who an address is after :func:`register`: ``created`` is False for an address already signed up."""

    subscriber_id: int
    token: str
    language: str
    created: bool
    confirmed: bool


def register(
    session: Session,
    address: str,
    settings: SubscriberSettings,
    *,
    mail_url: str,
    unconfirmed_for: dt.timedelta,
    now: dt.datetime | None = None,
) -> Registered:
    """Store a new, unconfirmed (inactive) subscriber for ``address``, or find the one signed up already
    (whose settings are left as they are: whoever types an address in a form does not own it). Sign-ups
    unconfirmed for longer than ``unconfirmed_for`` are deleted first. Raises :class:`InvalidInput` naming the
    field for bad values, before anything is written."""
    now = now or utcnow()
    problem = email_problem(address)
    if problem:
        raise InvalidInput(problem)
    email = normal_email(address)
    url = mail_url_for(mail_url, email)
    validate_url(url)  # apprise can send to it (its redacted form is not what is stored)
    data = SubscriberInput(
        name=email if len(email) <= MAX_NAME_LENGTH else email[: MAX_NAME_LENGTH - 1] + "…",
        crs=settings.crs,
        categories=settings.categories,
        urls=[url],
        active=False,
        language=settings.language,
        occupations=settings.occupations,
        quiet_hours=settings.quiet_hours,
        time_zone=settings.time_zone,
    )
    data.validate()
    purge_unconfirmed(session, now - unconfirmed_for)
    known = find_signup(session, email)
    if known is not None:
        return Registered(
            known.subscriber_id,
            known.unsubscribe_token,
            known.language,
            created=False,
            confirmed=known.confirmed_at is not None,
        )
    row = add_subscriber(session, data)
    assert row.id is not None
    refresh_derived_categories(session, subscriber_ids=[row.id])
    _save_profile(session, row.id, settings, now.date())
    add_signup(session, row.id, email, now=now)
    return Registered(row.id, row.unsubscribe_token, row.language, created=True, confirmed=False)


def purge_expired(session: Session, unconfirmed_for: dt.timedelta, *, now: dt.datetime | None = None) -> int:
    """Delete the sign-ups left unconfirmed for longer than ``unconfirmed_for``; how many. The site runs it
    when it starts and before every sign-up."""
    return purge_unconfirmed(session, (now or utcnow()) - unconfirmed_for)


def _save_profile(session: Session, subscriber_id: int, settings: SubscriberSettings, today: dt.date) -> None:
    """The profile and the reminder opt-in (reminders need a profile: without one they stay off)."""
    reset_reminders(
        session, subscriber_id, today, enabled=settings.reminders and settings.profile is not None
    )
    if settings.profile is not None:
        save_profile(session, subscriber_id, settings.profile, today)


def subscriber_for(session: Session, token: str) -> int | None:
    """The id of the subscriber whose (verified) link token this is, or None (deleted since)."""
    view = find_by_token(session, token)
    return None if view is None else view.id


def confirm(session: Session, subscriber_id: int, *, now: dt.datetime | None = None) -> bool:
    """Confirm the sign-up and activate the subscriber; True when it changed anything."""
    return confirm_signup(session, subscriber_id, now=now)


def update_settings(
    session: Session, subscriber_id: int, settings: SubscriberSettings, *, now: dt.datetime | None = None
) -> None:
    """Replace the subscriber's settings with ``settings`` (a profile, or a bare CRS which forgets a saved
    profile); nothing is written when a value is invalid."""
    today = (now or utcnow()).date()
    edit_subscriber(
        session,
        subscriber_id,
        crs=settings.crs,
        categories=settings.categories,
        occupations=settings.occupations,
        quiet_hours=settings.quiet_hours,
        time_zone=settings.time_zone,
        language=settings.language,
        submitted_at=UNSET,
    )
    refresh_derived_categories(session, subscriber_ids=[subscriber_id])
    if settings.profile is None:
        clear_profile(session, subscriber_id)
    else:
        _save_profile(session, subscriber_id, settings, today)


def unsubscribe(session: Session, subscriber_id: int) -> bool:
    """Deactivate the subscriber (pending alerts cancelled); True when they were active."""
    before = get_subscriber(session, subscriber_id)
    if before is None:
        raise LookupError(f"no subscriber with id {subscriber_id}")
    edit_subscriber(session, subscriber_id, active=False)
    return before.active


def delete(session: Session, subscriber_id: int) -> None:
    """Delete the subscriber and everything stored about them."""
    delete_everything(session, subscriber_id)
