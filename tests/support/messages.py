"""What notifications are rendered from: round #437 as an alert shows it, and alert contexts around it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from drawwatch.notify.message import AlertContext, RoundInfo
from tests.support.feeds import ROUNDS_PAGE
from tests.support.times import TIE_BREAK, TIE_TEXT

URL_437 = f"{ROUNDS_PAGE}invitations.html?q=437"


def make_round(**changes: Any) -> RoundInfo:
    """Round #437 (French, cut-off 382, 5,000 invitations), with ``changes``."""
    base = RoundInfo(
        number="437",
        date=date(2026, 8, 19),
        name="French-Language proficiency 2026-Version 2",
        category="french",
        category_label="French",
        list_version=None,
        crs=382,
        invitations=5000,
        tie_break=TIE_BREAK,
        tie_break_raw=TIE_TEXT,
        url=URL_437,
    )
    return replace(base, **changes)


def make_ctx(
    crs: int = 390, tie: str = "clear", round_: RoundInfo | None = None, **changes: Any
) -> AlertContext:
    """Ana's alert at ``crs`` for ``round_`` (round #437 by default)."""
    return AlertContext(
        round=round_ or make_round(),
        subscriber_name=changes.pop("subscriber_name", "Ana"),
        subscriber_crs=crs,
        tie=tie,  # type: ignore[arg-type]
        qualifying_occupation=changes.pop("qualifying_occupation", None),
        unsubscribe_hint=changes.pop("unsubscribe_hint", None),
    )
