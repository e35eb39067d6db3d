"""What an alert says, as plain immutable values: the renderer and the sender need nothing else.

These types carry no database or Scrapy objects, so rendering and sending can be tested (and re-run by the
outbox) from values alone. Consistency is checked on construction: an alert that contradicts itself (a CRS
below the cut-off, a "clear" alert at exactly the cut-off) would tell a candidate something false.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

from drawwatch.domain.categories import CANADIAN_EXPERIENCE_CATEGORIES
from drawwatch.domain.vocabulary import TIE_VALUES, Tie

APPLICATION_DAYS: Final = 60
"""Days an invited candidate has, from the round's date, to submit their application (IRCC's deadline)."""


@dataclass(frozen=True, slots=True)
class RoundInfo:
    """One round of invitations as the alert shows it."""

    number: str  # a string: IRCC numbers some rounds "91a"/"91b"
    date: date
    name: str  # IRCC's raw drawName, shown as published
    category: str  # drawwatch's stable key, e.g. "stem"
    category_label: str  # human label for the key, e.g. "STEM"
    list_version: str | None  # occupation-list version named in the round, e.g. "2026-Version 2"
    crs: int  # the cut-off: lowest CRS invited
    invitations: int
    tie_break: datetime | None  # aware; normalised to UTC
    tie_break_raw: str  # IRCC's text, kept to show when it could not be parsed
    url: str  # the round's page on canada.ca

    def __post_init__(self) -> None:
        if self.tie_break is not None:
            if self.tie_break.tzinfo is None or self.tie_break.utcoffset() is None:
                raise ValueError(f"round {self.number}: tie_break must be timezone-aware (UTC), got naive")
            object.__setattr__(self, "tie_break", self.tie_break.astimezone(UTC))
        if self.crs < 0 or self.invitations < 0:
            raise ValueError(f"round {self.number}: negative CRS or invitation count")

    @property
    def apply_by(self) -> dt.date:  # ``dt.``: the field ``date`` shadows the type in the class body
        """The last day to submit the application after an invitation in this round."""
        return self.date + timedelta(days=APPLICATION_DAYS)

    @property
    def canadian_experience(self) -> bool:
        """Whether the round is only for candidates with Canadian work experience."""
        return self.category in CANADIAN_EXPERIENCE_CATEGORIES


@dataclass(frozen=True, slots=True)
class AlertContext:
    """One subscriber's alert for one round: everything the templates may show."""

    round: RoundInfo
    subscriber_name: str
    subscriber_crs: int
    tie: Tie
    qualifying_occupation: str | None = None  # e.g. "21231 Software engineers and designers"
    unsubscribe_hint: str | None = None
    submitted_at: datetime | None = None  # the subscriber's saved profile submission time (aware)
    # For a subscriber with a CRS profile: ``subscriber_crs`` is its score on the round's day under this rule
    # set (e.g. "crs-2025-03-25"); None for a bare CRS number.
    score_rules: str | None = None
    # Why the score differs from the one of the previous alert, e.g. "5 points lower since your birthday on
    # 2026-03-14"; and the next change foreseen, e.g. "5 points lower from your birthday on 2027-03-14".
    score_note: str | None = None
    score_next: str | None = None

    def __post_init__(self) -> None:
        if self.tie not in TIE_VALUES:
            raise ValueError(f"tie must be one of {', '.join(TIE_VALUES)}; got {self.tie!r}")
        if self.margin < 0:
            raise ValueError(
                f"CRS {self.subscriber_crs} is below the cut-off {self.round.crs}: nobody should be alerted"
            )
        if self.tie == "clear" and self.margin == 0:
            raise ValueError("a score equal to the cut-off needs tie='tie_unknown' or tie='tie_invited'")
        if self.tie != "clear" and self.margin != 0:
            raise ValueError(f"tie={self.tie!r} is only for a score equal to the cut-off")
        if self.tie == "tie_invited" and self.round.tie_break is None:
            raise ValueError(
                "tie='tie_invited' needs the round's tie-break time (use 'tie_unknown' without it)"
            )

    @property
    def margin(self) -> int:
        """Points above the cut-off (0 at exactly the cut-off)."""
        return self.subscriber_crs - self.round.crs

    @property
    def submitted_at_tie_break(self) -> bool:
        """The saved submission time is the tie-break instant itself (invited: "at", not "before")."""
        return submitted_at_tie_break(self.submitted_at, self.round.tie_break)


def submitted_at_tie_break(submitted_at: datetime | None, tie_break: datetime | None) -> bool:
    """Whether a saved submission time equals the round's tie-break instant (both known, compared in UTC)."""
    if submitted_at is None or tie_break is None:
        return False
    if submitted_at.tzinfo is None:  # stored naive in UTC (SQLite)
        submitted_at = submitted_at.replace(tzinfo=UTC)
    return submitted_at == tie_break


class RenderedMessage:
    """A message ready to send: the channel picks ``html`` or ``text`` as its body.

    ``short`` is a compact plain-text form (a line or two, ending with the link) for services whose length
    limit the full body exceeds (an SMS, a long operator template on Telegram); None when the message kind
    has none, and the channel then cuts ``text`` instead (see ``fitting.fit_message``).

    ``html`` and ``short`` may be given as functions that render them, called (once) when first read: a
    webhook's message never needs its HTML, nor an e-mail's its short form, and the delivery loop renders
    only what the channel reads (a failure then surfaces where the part is read). Immutable, like the
    values it is made of; two messages are equal when their four parts are.
    """

    __slots__ = ("_html", "_short", "subject", "text")  # read-only: __setattr__ refuses every name
    subject: str
    text: str
    _html: str | Callable[[], str]
    _short: str | Callable[[], str | None] | None

    def __init__(
        self,
        subject: str,
        text: str,
        html: str | Callable[[], str],
        short: str | Callable[[], str | None] | None = None,
    ) -> None:
        object.__setattr__(self, "subject", subject)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "_html", html)
        object.__setattr__(self, "_short", short)

    @property
    def html(self) -> str:
        value = self._html
        if callable(value):
            value = value()
            object.__setattr__(self, "_html", value)
        return value

    @property
    def short(self) -> str | None:
        value = self._short
        if callable(value):
            value = value()
            object.__setattr__(self, "_short", value)
        return value

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"RenderedMessage is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"RenderedMessage is immutable: cannot delete {name!r}")

    def replace(self, **changes: str | None) -> RenderedMessage:
        """A copy with some parts changed (``subject``, ``text``, ``html``, ``short``)."""
        unknown = set(changes) - {"subject", "text", "html", "short"}
        if unknown:
            raise TypeError(f"RenderedMessage has no part {', '.join(sorted(unknown))}")
        parts = dict(zip(("subject", "text", "html", "short"), self._parts(), strict=True))
        return RenderedMessage(**{**parts, **changes})  # type: ignore[arg-type]

    def _parts(self) -> tuple[str, str, str, str | None]:
        return (self.subject, self.text, self.html, self.short)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RenderedMessage):
            return NotImplemented
        return self._parts() == other._parts()

    def __hash__(self) -> int:
        return hash(self._parts())

    def __repr__(self) -> str:
        subject, text, html, short = self._parts()
        return f"RenderedMessage(subject={subject!r}, text={text!r}, html={html!r}, short={short!r})"
