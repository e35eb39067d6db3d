"""Checking and normalising what a person enters for a subscriber (CLI options, CSV/TOML import rows).

Pure, so every path that takes subscriber settings (storing one, importing many, editing, the backtest's
unsaved settings) refuses the same values with the same messages. The checks return messages instead of
raising, so a caller can report every problem of a row, or of every row, at once; the caller raises
:class:`~drawwatch.domain.errors.InvalidInput` with them. Each takes ``object``: the value has not been
checked yet, that is the point. A message quotes a value only through
:func:`~drawwatch.domain.secrets.shown_value`: an import cell in the wrong column may be an apprise URL.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Final

from drawwatch.domain.quiet_hours import parse_quiet_hours, parse_time_zone
from drawwatch.domain.secrets import shown_value
from drawwatch.domain.vocabulary import MAX_CRS
from drawwatch.domain.vocabulary import SUBSCRIBABLE_KEYS as SUBSCRIBABLE_CATEGORIES

MAX_NAME_LENGTH: Final = 200  # the subscriber.name column's length
MAX_LANGUAGE_LENGTH: Final = 16  # the subscriber.language column's length
# Control characters other than tab and line breaks (those stay inert text): NUL cannot be stored on
# PostgreSQL, the others are invisible or garble a listing.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def name_problem(name: object) -> str | None:
    """A name is shown in alerts and listings, so it must say something and fit its column; a control
    character (NUL above all: PostgreSQL cannot store it) would be invisible or break a listing."""
    if not isinstance(name, str) or not name.strip():
        return "name must not be empty"
    if len(name.strip()) > MAX_NAME_LENGTH:
        return f"name must be at most {MAX_NAME_LENGTH} characters, got {len(name.strip())}"
    control = _CONTROL.search(name.strip())
    if control:
        return (
            f"name must not contain control characters, got U+{ord(control[0]):04X} "
            f"at character {control.start() + 1}"
        )
    return None


def crs_problem(crs: object) -> str | None:
    """A CRS outside 0..MAX_CRS would alert for every round or none; ``True`` is not a score."""
    if isinstance(crs, bool) or not isinstance(crs, int):
        return f"crs must be a whole number, got {shown_value(crs)}"
    if not 0 <= crs <= MAX_CRS:
        return f"crs must be between 0 and {MAX_CRS}, got {crs}"
    return None


def categories_problems(categories: object) -> list[str]:
    """A typo in a category would silently alert for nothing: each must be a subscribable key."""
    if isinstance(categories, str) or not isinstance(categories, Iterable):
        return [f"categories must be a list of category keys, got {shown_value(categories)}"]
    problems = []
    for category in categories:
        if not isinstance(category, str) or category.strip().lower() not in SUBSCRIBABLE_CATEGORIES:
            problems.append(
                f"unknown category {shown_value(category)} (known: {', '.join(SUBSCRIBABLE_CATEGORIES)})"
            )
    return problems


def urls_problems(urls: object) -> list[str]:
    """A subscriber without a notification URL could never be alerted."""
    if isinstance(urls, str) or not isinstance(urls, Iterable):
        # Never echo the value: a URL holds secrets.
        return ["urls must be a list of notification URLs"]
    urls = list(urls)
    if not urls:
        return ["at least one notification URL is required"]
    if any(not isinstance(url, str) or not url.strip() for url in urls):
        return ["urls must not contain an empty notification URL"]
    return []


def submitted_at_problem(submitted_at: object) -> str | None:
    """The submission time decides ties with a round's tie-break (UTC), so a naive one is ambiguous."""
    if submitted_at is None:
        return None
    if not isinstance(submitted_at, dt.datetime):
        return f"submitted_at must be a datetime, got {type(submitted_at).__name__}"
    if submitted_at.tzinfo is None or submitted_at.utcoffset() is None:
        return "submitted_at must be timezone-aware"
    return None


def language_problem(language: object) -> str | None:
    """The language alerts should be written in: a short code (``en``, ``fr``) that fits its column."""
    if not isinstance(language, str) or not 0 < len(language.strip()) <= MAX_LANGUAGE_LENGTH:
        return f"language must be a short code such as 'en' or 'fr', got {shown_value(language)}"
    return None


def active_problem(active: object) -> str | None:
    """Only a real boolean: ``"no"`` would be truthy and keep alerting."""
    return None if isinstance(active, bool) else f"active must be true or false, got {shown_value(active)}"


def occupations_problems(occupations: Iterable[tuple[object, object]]) -> list[str]:
    """Each ``(NOC 2021 code, months)`` pair; the categories derived from them decide who is alerted."""
    problems = []
    for item in occupations:
        code, months = item
        if not (isinstance(code, str) and len(code) == 5 and code.isdigit()):
            problems.append(f"noc must be a 5-digit NOC 2021 code, got {shown_value(code)}")
        if isinstance(months, bool) or not isinstance(months, int) or months < 0:
            problems.append(f"months of experience must be a whole number ≥ 0, got {shown_value(months)}")
    return problems


def nclc_problem(nclc: object) -> str | None:
    """The French level decides French-round eligibility: None (not given) or a level from 0 to 12."""
    if nclc is None:
        return None
    if isinstance(nclc, bool) or not isinstance(nclc, int) or not 0 <= nclc <= 12:
        return f"nclc_french must be a level from 0 to 12, got {shown_value(nclc)}"
    return None


def quiet_problem(quiet_hours: str | None, time_zone: str | None) -> str | None:
    """Quiet hours need a time zone; a time zone alone is fine (kept for later)."""
    try:
        if quiet_hours:
            parse_quiet_hours(quiet_hours, time_zone)
        elif time_zone:
            parse_time_zone(time_zone)
    except ValueError as exc:
        message = str(exc)
        for value in (quiet_hours, time_zone):  # quoted by quiet_hours; shown here only when harmless
            if value:
                message = message.replace(repr(value), shown_value(value))
        return message
    return None


def normal_quiet(quiet_hours: str | None, time_zone: str | None) -> tuple[str | None, str | None]:
    """The stored forms: ``"22:00-07:00"`` (zero-padded) and the zone's name, or None."""
    span = parse_quiet_hours(quiet_hours, time_zone).text if quiet_hours else None
    return span, (time_zone.strip() if time_zone else None)


def normal_categories(categories: Iterable[str]) -> list[str]:
    """Lower-cased, stripped, first occurrence kept: "STEM" and "stem " are the same category."""
    return list(dict.fromkeys(category.strip().lower() for category in categories))


def normal_urls(urls: Iterable[str]) -> list[str]:
    """Stripped, first occurrence kept: the same URL twice would deliver every alert twice."""
    return list(dict.fromkeys(url.strip() for url in urls))
