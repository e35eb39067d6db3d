"""The tables: rounds and checks; subscribers, their categories and channels; the alert outbox.

Every datetime is timezone-aware UTC (SQLModel 0.0.50 rejects naive ones and returns aware ones, also from
SQLite, which stores them without an offset). Free texts from IRCC are kept raw beside what was parsed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from drawwatch.domain.clock import utcnow
from drawwatch.domain.vocabulary import (
    ALERT_STATUSES,
    HELD_STATUSES,
    MAX_CRS,
    RETRYABLE_STATUSES,
)


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class CheckRun(SQLModel, table=True):
    """One ``check`` (fetch → validate → store), recorded when it starts so a crash still leaves a trace."""

    __tablename__ = "check_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: dt.datetime = Field(default_factory=utcnow, index=True)
    finished_at: dt.datetime | None = None
    outcome: str = Field(default="running", index=True, max_length=16)
    # True when no check had succeeded before: it stores history and must alert nobody.
    baseline: bool = False
    feed_url: str
    http_status: int | None = None
    bytes_received: int | None = None
    rounds_in_feed: int | None = None
    new_count: int = 0
    changed_count: int = 0
    skipped_count: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Round(SQLModel, table=True):
    """A round of invitations as last published. Rows are never deleted: a round once seen stays seen.

    Newest first is ``(number_int desc, number_suffix desc)``: "91a" and "91b" sort between 91 and 92.
    """

    __tablename__ = "draw"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=16)
    number_int: int = Field(index=True)
    number_suffix: str = Field(default="", max_length=4)
    date: dt.date = Field(index=True)
    name: str  # IRCC's raw drawName; renamed after publication at times, so never a key
    category: str = Field(index=True, max_length=32)
    list_version: str | None = None
    programs: str = ""
    invitations: int
    crs: int
    run_at: dt.datetime | None = None
    run_at_raw: str = ""
    tie_break: dt.datetime | None = None
    tie_break_raw: str = ""
    url: str
    distribution_as_on: dt.date | None = None
    # True when a baseline check stored it: history, not news.
    baseline: bool = False
    first_seen_at: dt.datetime = Field(default_factory=utcnow)
    first_seen_check_id: int | None = Field(default=None, foreign_key="check_run.id")
    updated_at: dt.datetime = Field(default_factory=utcnow)
    # Set when the round left the feed while newer rounds kept coming (withdrawn or renumbered by IRCC):
    # such a round no longer proves a feed that lacks it stale. Cleared if it comes back.
    withdrawn_at: dt.datetime | None = None


class PoolDistribution(SQLModel, table=True):
    """CRS distribution of the whole pool on one date (shared by that week's rounds); only published ones."""

    __tablename__ = "pool_distribution"

    as_on: dt.date = Field(primary_key=True)
    counts: dict[str, int] = Field(
        sa_column=Column(JSON().with_variant(JSONB(), "postgresql"), nullable=False)
    )
    first_seen_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class RoundChange(SQLModel, table=True):
    """Audit of a correction IRCC made to a stored round: one row per changed field.

    Values are JSON-encoded scalars (dates and datetimes as ISO strings), so any field fits one column.
    """

    __tablename__ = "draw_change"

    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="draw.id", index=True)
    check_id: int | None = Field(default=None, foreign_key="check_run.id")
    field: str = Field(max_length=64)
    old_value: str = Field(sa_column=Column(Text, nullable=False))
    new_value: str = Field(sa_column=Column(Text, nullable=False))
    changed_at: dt.datetime = Field(default_factory=utcnow)


class FeedState(SQLModel, table=True):
    """What the last fetch of a feed URL returned: validators for conditional requests and failure streaks.

    Kept in the database rather than Scrapy's on-disk cache so one-shot containers and replicas share it.
    """

    __tablename__ = "feed_state"

    feed_url: str = Field(primary_key=True)
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    rounds_in_feed: int | None = None
    last_checked_at: dt.datetime = Field(default_factory=utcnow)
    last_success_at: dt.datetime | None = None
    consecutive_failures: int = 0
    # Since when every copy lacked the newest stored round (a stale CDN copy, or the watcher blind).
    stale_since: dt.datetime | None = None


class RobotsTxt(SQLModel, table=True):
    """The last copy of a site's robots.txt and its validators, so a check asks for it at most once a day
    (:mod:`drawwatch.scrapers.robots`); one row per robots.txt URL (the feed's site, an allowed redirect's)."""

    __tablename__ = "robots_txt"

    url: str = Field(primary_key=True)
    status: int  # the answer's HTTP status (200, or a 4xx: no robots.txt, nothing disallowed)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # as received: it is parsed again
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: dt.datetime  # when the server last gave or confirmed (304) this copy


class HeldFeed(SQLModel, table=True):
    """A feed that would have changed more than one check may, kept with its rounds until the operator
    accepts or rejects it (``drawwatch draws held``). One row per distinct content."""

    __tablename__ = "held_feed"
    __table_args__ = (CheckConstraint(f"status IN ({_sql_list(HELD_STATUSES)})", name="ck_held_feed_status"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_url: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(unique=True, max_length=64)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    new_count: int = 0
    changed_count: int = 0
    # The parsed rounds, as RoundItem JSON: what accepting the feed stores.
    rounds: list[dict[str, Any]] = Field(
        sa_column=Column(JSON().with_variant(JSONB(), "postgresql"), nullable=False)
    )
    status: str = Field(default="held", max_length=16, index=True)
    check_id: int | None = Field(default=None, foreign_key="check_run.id")
    first_seen_at: dt.datetime = Field(default_factory=utcnow)
    last_seen_at: dt.datetime = Field(default_factory=utcnow)
    times_seen: int = 1
    decided_at: dt.datetime | None = None


# --- subscribers and the alert outbox ------------------------------------------------------------------


def new_unsubscribe_token() -> str:
    """An unguessable URL-safe token (32 characters) that identifies a subscriber in unsubscribe links.

    Never one that starts with "-": the alert tells the subscriber to run ``drawwatch subscribers
    unsubscribe TOKEN``, and the command line would take such a token for an option (one in 64 would)."""
    while True:
        token = secrets.token_urlsafe(24)
        if not token.startswith("-"):
            return token


class Subscriber(SQLModel, table=True):
    """Someone to alert: a CRS score, the round categories they can be invited in, and channels.

    ``submitted_at`` is the Express Entry profile submission time, which decides ties at exactly the
    cut-off; None when the subscriber did not save it.
    """

    __tablename__ = "subscriber"
    __table_args__ = (
        CheckConstraint(f"crs >= 0 AND crs <= {MAX_CRS}", name="ck_subscriber_crs"),
        # Partial: finding the profile scores to recompute before queueing reads only profile subscribers.
        Index(
            "ix_subscriber_profile_score",
            "score_on",
            "score_until",
            postgresql_where=literal_column("profile IS NOT NULL"),
            sqlite_where=literal_column("profile IS NOT NULL"),
        ),
        # Partial: scoring ahead finds the profile scores that stop being true within days. With score_on and
        # next_on in it, the rescoring query's scan of it (profiles_to_rescore) reads rows only for matches.
        Index(
            "ix_subscriber_score_until",
            "score_until",
            "score_on",
            "next_on",
            postgresql_where=literal_column("profile IS NOT NULL"),
            sqlite_where=literal_column("profile IS NOT NULL"),
        ),
        # Partial: a round's rescoring applies only the scores computed ahead.
        Index(
            "ix_subscriber_next_on",
            "next_on",
            postgresql_where=literal_column("next_on IS NOT NULL"),
            sqlite_where=literal_column("next_on IS NOT NULL"),
        ),
        # Partial: the reminders step reads only the subscribers with a reminder day set.
        Index(
            "ix_subscriber_remind_on",
            "remind_on",
            postgresql_where=literal_column("remind_on IS NOT NULL"),
            sqlite_where=literal_column("remind_on IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    crs: int
    submitted_at: dt.datetime | None = None
    active: bool = Field(default=True, index=True)
    language: str = Field(default="en", max_length=16)
    unsubscribe_token: str = Field(default_factory=new_unsubscribe_token, unique=True, max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    # Lowest NCLC level of the four French abilities, when given: decides French-round eligibility.
    nclc_french: int | None = None
    # The category-list year the subscriber's derived ("noc") categories were computed for.
    derived_year: int | None = None
    # Local "HH:MM-HH:MM" during which alerts wait (may span midnight), in ``timezone`` (IANA name).
    quiet_hours: str | None = Field(default=None, max_length=11)
    timezone: str | None = Field(default=None, max_length=64)
    # A CRS profile (the parsed profile as JSON), when saved: ``crs`` is then its score on ``score_on`` under
    # rule set ``score_rules``, true until ``score_until`` (None: no known day); ``score_note`` says why the
    # score last changed ("5 points lower since your birthday on 2026-03-14"). Rescored before queueing.
    profile: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    score_on: dt.date | None = None
    score_until: dt.date | None = None
    score_rules: str | None = Field(default=None, max_length=32)
    score_note: str | None = Field(default=None, max_length=300)
    # The score computed ahead for ``next_on`` (= ``score_until``, the day the stored one stops being true),
    # true until ``next_until``, with its rule set and note: a round on that day applies it in one UPDATE
    # instead of rescoring in Python (drawwatch.app.rescore.prepare_ahead). None: not computed ahead.
    next_on: dt.date | None = None
    next_crs: int | None = None
    next_until: dt.date | None = None
    next_rules: str | None = Field(default=None, max_length=32)
    next_note: str | None = Field(default=None, max_length=300)
    # Opted in to reminders (a week before the score drops on a birthday, a language result expires or the
    # Express Entry profile's 12 months end). ``remind_on``: the next day the reminders step looks at this
    # subscriber (None: nothing foreseen, or not opted in); see :mod:`drawwatch.app.reminders`.
    reminders: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    remind_on: dt.date | None = None


class SubscriberCategory(SQLModel, table=True):
    """One round category a subscriber can be invited in. ``source`` says who added it: ``explicit`` (the
    operator or the subscriber) or ``noc`` (derived from the subscriber's occupations and French level for the
    category lists in force; recomputed when a new year's lists take effect).

    The (category, subscriber_id) index serves the eligibility EXISTS from the category side.
    """

    __tablename__ = "subscriber_category"
    __table_args__ = (Index("ix_subscriber_category_category", "category", "subscriber_id"),)

    subscriber_id: int = Field(foreign_key="subscriber.id", ondelete="CASCADE", primary_key=True)
    category: str = Field(primary_key=True, max_length=32)
    source: str = Field(default="explicit", max_length=16)
    # For a derived category: the occupation that qualifies ("21231 Software engineers and designers").
    via: str | None = Field(default=None, max_length=300)


class SubscriberOccupation(SQLModel, table=True):
    """An occupation (NOC 2021 code) and months of experience in it; derived categories come from these."""

    __tablename__ = "subscriber_occupation"

    subscriber_id: int = Field(foreign_key="subscriber.id", ondelete="CASCADE", primary_key=True)
    noc: str = Field(primary_key=True, max_length=5)
    months: int


class SubscriberChannel(SQLModel, table=True):
    """One apprise URL to deliver a subscriber's alerts to. The URL holds secrets: show it redacted only."""

    __tablename__ = "subscriber_channel"

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscriber.id", ondelete="CASCADE", index=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)


class Alert(SQLModel, table=True):
    """The outbox: one message about one round to one channel of one subscriber.

    ``kind`` is ``round`` (the alert) or ``correction`` (IRCC changed the round after the alert went out);
    ``revision`` is 0 for the alert and, for a correction, the id of the check that recorded it (its
    ``draw_change`` rows say what changed), so each correction is queued, and delivered, once.

    A reminder (``kind`` one of :data:`~drawwatch.domain.vocabulary.REMINDER_KINDS`) is about no round:
    ``draw_id`` is NULL and ``event_on`` the day it warns of; ``uq_alert_reminder`` queues each once.

    One row per channel, so a failing channel is retried without re-sending to those that worked. The
    unique key makes queueing idempotent; ``claimed_by``/``lease_until`` let several senders share the
    table without sending a row twice. ``ix_alert_due`` is partial (only claimable statuses) and ordered
    like the claim query, so a claim reads ``limit`` index entries however many sent rows pile up.
    """

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "draw_id", "channel_id", "kind", "revision", name="uq_alert_key"),
        CheckConstraint(f"status IN ({_sql_list(ALERT_STATUSES)})", name="ck_alert_status"),
        Index(
            "ix_alert_due",
            "next_attempt_at",
            "id",
            postgresql_where=literal_column(f"status IN ({_sql_list(RETRYABLE_STATUSES)})"),
            sqlite_where=literal_column(f"status IN ({_sql_list(RETRYABLE_STATUSES)})"),
        ),
        Index(
            "uq_alert_reminder",
            "subscriber_id",
            "channel_id",
            "kind",
            "event_on",
            unique=True,
            postgresql_where=literal_column("draw_id IS NULL"),
            sqlite_where=literal_column("draw_id IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscriber.id", ondelete="CASCADE")
    draw_id: int | None = Field(default=None, foreign_key="draw.id")
    channel_id: int = Field(foreign_key="subscriber_channel.id", ondelete="CASCADE", index=True)
    kind: str = Field(default="round", max_length=16)
    tie: str = Field(max_length=16)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow)
    claimed_by: str | None = Field(default=None, max_length=200)
    lease_until: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow)
    revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    event_on: dt.date | None = None


class Signup(SQLModel, table=True):
    """A subscriber who signed up on the web site (``drawwatch serve``): their e-mail address and whether
    they confirmed it (double opt-in). Until ``confirmed_at`` is set the subscriber stays inactive, so the
    alert queue (active subscribers only) sends them nothing; only the confirmation mail goes to the address.

    ``email`` is the address lower-cased, one sign-up per address. Unconfirmed sign-ups are deleted after a
    while (:func:`drawwatch.storage.signup.purge_unconfirmed`). The subscriber's e-mail channel is the
    operator's mail URL with ``to=`` this address.
    """

    __tablename__ = "signup"

    subscriber_id: int = Field(foreign_key="subscriber.id", ondelete="CASCADE", primary_key=True)
    email: str = Field(unique=True, max_length=254)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    confirmed_at: dt.datetime | None = None
    # Confirmation (or sign-in) mails sent, and when the last one went: what the site says in the export.
    mails_sent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_mail_at: dt.datetime | None = None


# --- the Telegram bot (drawwatch bot, drawwatch/bot/) ----------------------------------------------------

BOT_REPLY_STATUSES: tuple[str, ...] = ("pending", "sending", "sent", "failed", "unknown")
"""A bot reply's life: queued (``pending``), handed to the Bot API (``sending``, committed before the request
goes), answered (``sent``) or refused (``failed``); ``unknown``: the process died while it was ``sending``, so
it may have arrived, and it is never sent again (Telegram has no idempotency key)."""


class BotState(SQLModel, table=True):
    """One bot's polling state: the next ``getUpdates`` offset (every update below it was handled and its
    replies queued in the same transaction) and the lease of the one process allowed to poll.

    ``bot_id`` is the numeric part of the bot token (before the ":"), which is not a secret."""

    __tablename__ = "bot_state"

    bot_id: str = Field(primary_key=True, max_length=32)
    update_offset: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    holder: str | None = Field(default=None, max_length=200)
    lease_until: dt.datetime | None = None
    updated_at: dt.datetime = Field(default_factory=utcnow)


class BotChat(SQLModel, table=True):
    """A private Telegram chat with the bot: its language and the subscriber it is (whose one channel is the
    apprise URL ``tgram://<bot token>/<chat id>``), so a chat is found without parsing URLs.

    ``stopped_at``: the chat sent /stop (the subscriber is inactive until /start); ``blocked_at``: an alert to
    it was refused with 403 (the user blocked the bot). ``step``: the /profile calculator's answers so far."""

    __tablename__ = "bot_chat"
    __table_args__ = (UniqueConstraint("subscriber_id", name="uq_bot_chat_subscriber"),)

    bot_id: str = Field(primary_key=True, max_length=32)
    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    subscriber_id: int | None = Field(default=None, foreign_key="subscriber.id", ondelete="CASCADE")
    language: str = Field(default="en", max_length=16)
    step: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    stopped_at: dt.datetime | None = None
    blocked_at: dt.datetime | None = None


class BotReply(SQLModel, table=True):
    """The bot's reply outbox: one Bot API call (``sendMessage``, ``editMessageText``,
    ``answerCallbackQuery``) queued in the transaction that handled update ``update_id``, sent afterwards.

    ``payload`` is the call's JSON body without the token. ``ix_bot_reply_due`` is partial (pending rows
    only), so finding the next replies reads only those however many sent rows pile up."""

    __tablename__ = "bot_reply"
    __table_args__ = (
        CheckConstraint(f"status IN ({_sql_list(BOT_REPLY_STATUSES)})", name="ck_bot_reply_status"),
        Index(
            "ix_bot_reply_due",
            "bot_id",
            "id",
            postgresql_where=literal_column("status = 'pending'"),
            sqlite_where=literal_column("status = 'pending'"),
        ),
        Index("ix_bot_reply_chat", "bot_id", "chat_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    bot_id: str = Field(max_length=32)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    update_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    method: str = Field(max_length=32)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    sent_at: dt.datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
