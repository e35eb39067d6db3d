"""Subscribers defined by occupation: their category keys derived from the category lists in force.

A subscriber saves NOC codes with months of experience (and a French level); the categories those give are
stored as ``noc`` rows beside the explicit ones, so the set-based alert matching needs no special case. When a
new year's lists take effect, the next check derives them again: nobody has to re-enter anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

from drawwatch.domain.eligibility import (
    NocExperience,
    NoRulesError,
    eligible_categories,
    lookup_occupation,
    rules_on,
)
from drawwatch.storage.subscribers import set_derived_categories, subscribers_to_derive


def derive(
    occupations: Sequence[tuple[str, int]], nclc_french: int | None, on: date | None
) -> dict[str, str | None]:
    """Category key -> the occupation that qualifies ("21231 Software engineers and designers"; None for French)."""
    experience = [NocExperience(code=code, months=months) for code, months in occupations]
    derived: dict[str, str | None] = {}
    for key, qualifying in eligible_categories(experience, nclc_french=nclc_french, on=on).items():
        if qualifying is None:
            derived[key] = None
            continue
        occupation = lookup_occupation(qualifying.code)
        derived[key] = f"{qualifying.code} {occupation.title}" if occupation else qualifying.code
    return derived


def refresh_derived_categories(
    session: Session, *, on: date | None = None, subscriber_ids: Sequence[int] | None = None
) -> int:
    """Derive the categories of subscribers not yet derived for the lists in force ``on`` (default today),
    or of the given subscribers. Returns how many were derived; cheap (one query) when none is due."""
    try:
        year = rules_on(on).year
    except NoRulesError:
        return 0
    todo = subscribers_to_derive(session, year, subscriber_ids)
    for subscriber_id, occupations, nclc in todo:
        set_derived_categories(session, subscriber_id, derive(occupations, nclc, on), year)
    return len(todo)
