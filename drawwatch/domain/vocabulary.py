"""The words drawwatch uses, each defined once: round categories, check outcomes, alert states, standings.

Everything else imports these instead of spelling the strings again. The enums are ``StrEnum``s, so a value
read from the database or the command line compares equal to its member and the stored strings never change.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal, get_args


class Category(StrEnum):
    """A round category key (see :mod:`drawwatch.domain.categories` for how IRCC's names map to them)."""

    GENERAL = "general"
    CEC = "cec"
    FSW = "fsw"
    FST = "fst"
    PNP = "pnp"
    FRENCH = "french"
    STEM = "stem"
    HEALTHCARE = "healthcare"
    TRADES = "trades"
    TRANSPORT = "transport"
    AGRICULTURE = "agriculture"
    EDUCATION = "education"
    PHYSICIANS = "physicians"
    RESEARCHERS = "researchers"
    SENIOR_MANAGERS = "senior_managers"
    MILITARY = "military"
    OTHER = "other"


CATEGORY_KEYS: Final[tuple[str, ...]] = tuple(c.value for c in Category)
# "other" is what an unrecognised round name becomes: nobody can be invited "in other".
SUBSCRIBABLE_KEYS: Final[tuple[str, ...]] = tuple(k for k in CATEGORY_KEYS if k != Category.OTHER)


class CheckOutcome(StrEnum):
    RUNNING = "running"
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    # The feed would change more than one check may (issue 16): kept for the operator, nothing stored changed.
    HELD = "held"


CHECK_OUTCOMES: Final[tuple[str, ...]] = tuple(o.value for o in CheckOutcome)
# A check that ended with one of these proves the database already holds the feed's history.
SUCCESS_OUTCOMES: Final[tuple[str, ...]] = (
    CheckOutcome.OK,
    CheckOutcome.NOT_MODIFIED,
    CheckOutcome.UNCHANGED,
)


class AlertStatus(StrEnum):
    """Where one message to one channel is in the outbox.

    ``ambiguous``: the request left but no answer came, so the message may have arrived; it is never resent
    on its own, the operator decides with ``drawwatch alerts retry``.
    """

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    CANCELLED = "cancelled"
    AMBIGUOUS = "ambiguous"


ALERT_STATUSES: Final[tuple[str, ...]] = tuple(s.value for s in AlertStatus)
# Statuses a sender may still claim: never tried, or last try failed and a retry is scheduled.
RETRYABLE_STATUSES: Final[tuple[str, ...]] = (AlertStatus.PENDING, AlertStatus.FAILED)


class HeldStatus(StrEnum):
    """A feed held for the operator: waiting (``held``), or applied or discarded by ``drawwatch draws``."""

    HELD = "held"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


HELD_STATUSES: Final[tuple[str, ...]] = tuple(s.value for s in HeldStatus)


class AlertKind(StrEnum):
    """What an outbox row says: about a round (the alert, a correction), or a reminder about no round."""

    ROUND = "round"
    CORRECTION = "correction"
    # Reminders, a week ahead: the score drops on a birthday; a language result expires (two years);
    # the Express Entry profile's 12-month validity ends.
    BIRTHDAY = "birthday"
    LANGUAGE_EXPIRY = "language_expiry"
    PROFILE_EXPIRY = "profile_expiry"


ALERT_KINDS: Final[tuple[str, ...]] = tuple(k.value for k in AlertKind)
REMINDER_KINDS: Final[tuple[str, ...]] = (
    AlertKind.BIRTHDAY,
    AlertKind.LANGUAGE_EXPIRY,
    AlertKind.PROFILE_EXPIRY,
)

Standing = Literal["clear", "tie_unknown", "tie_invited", "tie_not_invited", "below"]
"""Where a subscriber's score stands against a round's cut-off.

- ``clear``: above the cut-off, invited whatever the tie-break.
- ``tie_unknown``: exactly the cut-off, profile submission time not saved: depends on the tie-break rule.
- ``tie_invited``: exactly the cut-off, profile submitted before the round's tie-break time.
- ``tie_not_invited``: exactly the cut-off, submitted after the tie-break time.
- ``below``: under the cut-off.
"""
STANDINGS: Final[tuple[str, ...]] = get_args(Standing)

Tie = Literal["clear", "tie_unknown", "tie_invited"]
"""The standings that send an alert for a new round (the first three of :data:`Standing`)."""
TIE_VALUES: Final[tuple[str, ...]] = get_args(Tie)

MAX_CRS: Final = 1200
