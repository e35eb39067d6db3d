"""Reminder messages: what a profile foresees a week ahead (a birthday that lowers the score, a language
result expiring, the Express Entry profile's 12 months ending), rendered through the ``reminder*.j2``
templates like an alert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from drawwatch.domain.vocabulary import REMINDER_KINDS
from drawwatch.notify import phrases
from drawwatch.notify.message import RenderedMessage
from drawwatch.notify.render import Renderer

REMINDER_PREFIX: Final = "reminder"


@dataclass(frozen=True, slots=True)
class ReminderContext:
    """One subscriber's reminder. ``score_now``/``score_after``: the total the day before and on the day
    (None when unknown: a profile's expiry changes no score); ``what`` names the event ("age 30", "the
    IELTS General result of 2024-12-10 (first language)")."""

    kind: str
    day: date
    what: str
    subscriber_name: str
    score_now: int | None = None
    score_after: int | None = None
    score_rules: str | None = None
    unsubscribe_hint: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in REMINDER_KINDS:
            raise ValueError(f"kind must be one of {', '.join(REMINDER_KINDS)}; got {self.kind!r}")

    @property
    def points_lost(self) -> int | None:
        if self.score_now is None or self.score_after is None:
            return None
        return self.score_now - self.score_after

    def template_context(self) -> dict[str, Any]:
        """The names the reminder templates see (listed in reminder.txt.j2's header)."""
        return {
            "kind": self.kind,
            "day": self.day,
            "what": self.what,
            "subscriber_name": self.subscriber_name,
            "score_now": self.score_now,
            "score_after": self.score_after,
            "points_lost": self.points_lost,
            "score_rules": self.score_rules,
            "unsubscribe_hint": self.unsubscribe_hint,
        }


def render_reminder(
    renderer: Renderer, ctx: ReminderContext, *, language: str | None = "en"
) -> RenderedMessage:
    """Subject, text, HTML and short form of a reminder (templates ``reminder*.j2``, ``fr/`` for French)."""
    context = phrases.localize_reminder_context(ctx.template_context(), language)
    return renderer.render_message(REMINDER_PREFIX, context, language=language)
