"""Parsers for single fields of IRCC's rounds feed, each written against the variants IRCC really published.

The feed is edited by hand (docs/feed.md), so every parser here is tolerant of spacing, punctuation and case, and
each docstring lists the real variants it handles. Two kinds of failure are kept apart:

- a field the round cannot exist without (number, date, CRS, size) raises :class:`ValueError` with a short
  message naming the text, which :mod:`drawwatch.scrapers.feed` turns into a rejected round;
- free-text times (``drawDateTime``, ``drawCutOff``) never raise: they return ``None`` plus a note, because a
  round whose tie-break time cannot be read is still a round people must be alerted about.

No third-party date library: a few precompiled regexes over a normalized string cover every real variant and
fail loudly (with a note) on anything new, instead of guessing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import cast
from urllib.parse import urljoin, urlsplit, urlunsplit

from drawwatch.domain.rounds import DISTRIBUTION_BANDS, MAX_POOL_COUNT

CANADA_CA = "https://www.canada.ca"
ROUNDS_PAGE_DIR = (
    f"{CANADA_CA}/en/immigration-refugees-citizenship/corporate/mandate/"
    "policies-operational-instructions-agreements/ministerial-instructions/express-entry-rounds/"
)
ROUND_PAGE = f"{ROUNDS_PAGE_DIR}invitations.html"
"""The page of one round is ``ROUND_PAGE?q=NUMBER`` (the style IRCC has used since 2018)."""

_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
MONTHS: dict[str, int] = {
    **{name: i for i, name in enumerate(_MONTH_NAMES, 1)},
    **{name[:3]: i for i, name in enumerate(_MONTH_NAMES, 1)},
    "sept": 9,
}
"""English month names and their usual abbreviations, lower case."""

# Every kind of space (normal, no-break U+00A0, narrow no-break U+202F, thin U+2009, tab) counts as one
# space: Python's \s matches all of them in str patterns.
_SPACES = re.compile(r"\s+")

# "5,000", "382", "27,332", French "20 784" (spaces normalized first). Groups of three only: "5,00" is a typo.
_GROUPED_INT = re.compile(r"\d{1,3}(?:[, ]\d{3})+|\d+", re.ASCII)

# "August 19, 2026", "August 3, 2022", and the spellings the free-text times use for their date part:
# "April 26,2023", "March 02. 2024", "February 02 2022", "July 3rd 2026", "August 19th 2026".
_LONG_DATE = re.compile(
    r"(?P<month>[a-z]+)\.?\s*(?P<day>\d{1,2})(?:st|nd|rd|th)?\s*[,.]?\s*(?P<year>\d{4})",
    re.IGNORECASE | re.ASCII,
)

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_NUMERIC_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", re.ASCII)

# drawDateTime / drawCutOff, matched against the lower-cased, space-collapsed text. Parts, in order:
#   date: "august 18, 2026" | "april 26,2023" | "march 02. 2024" | "july 3rd 2026" | "october 7" (#208)
#   separator: " at " | ", at " | " " | " at" glued to the hour ("at12:48:30") | "  at  " (collapsed)
#   an optional ISO date repeating the date ("january 23, 2025 at 2025-01-23 15:30:04 utc")
#   time: "10:13:44" | "6:29:10", then an optional meridiem ("am"/"pm", sometimes on a 24-hour time)
#   zone: "utc" | "gmt" | "z" | nothing (IRCC's times are UTC; some were published without the suffix)
_DATETIME = re.compile(
    r"(?P<month>[a-z]+)\.?\s?(?P<day>\d{1,2})(?:st|nd|rd|th)?"
    r"(?:\s?[,.]?\s?(?P<year>\d{4}))?"
    r"\s?,?\s?(?:at)?\s?"
    r"(?:(?P<iso>\d{4}-\d{2}-\d{2})\s?)?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"\s?(?:(?P<meridiem>[ap])\.?m\.?)?"
    r"\s?(?:utc|gmt|z)?",
    re.ASCII,
)
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}", re.ASCII)
_HAS_MONTH = re.compile(r"\b(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b")

CANADA_CA_HOSTS = frozenset({"www.canada.ca", "canada.ca"})
"""The only hosts a round's link may point to: it becomes the "Details" link of every alert about it."""

_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_CANADASITE = "/content/canadasite/"


def _clean(text: str) -> str:
    """Collapse every run of whitespace (incl. no-break spaces) into one space and strip the ends."""
    return _SPACES.sub(" ", text).strip()


def parse_int(text: str | int) -> int:
    """A non-negative count as IRCC writes it.

    Handles ``"5,000"`` (English thousands comma), ``" 382 "``, plain ``"27332"``, and the French feed's
    ``"20 784"`` with a normal, no-break (U+00A0) or narrow no-break (U+202F) space. A JSON integer is
    accepted too, should a hand edit ever drop the quotes. Anything else (``""``, ``"5,00"``, ``"-3"``,
    ``"n/a"``) raises :class:`ValueError` whose message quotes the text, e.g. ``"'' is not a number"``.
    """
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(f"{text!r} is negative")
        return text
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a number (a JSON {type(text).__name__}, expected text)")
    if text.isascii() and text.isdigit():  # fast path: most values are "0" or "382"
        return int(text)
    cleaned = _clean(text)
    if not _GROUPED_INT.fullmatch(cleaned) or ("," in cleaned and " " in cleaned):
        raise ValueError(f"{text!r} is not a number")
    return int(cleaned.replace(",", "").replace(" ", ""))


def parse_long_date(text: str) -> date:
    """A date written ``Month D, YYYY`` (``drawDateFull``, ``drawDistributionAsOn``).

    Handles ``"August 19, 2026"``, ``"August 3, 2022"``, and tolerates the spellings seen in the free-text
    times: a missing comma or space (``"April 26,2023"``), a period (``"March 02. 2024"``), an ordinal
    (``"July 3rd 2026"``), any case, and abbreviated months (``"Sept 5, 2024"``). Raises :class:`ValueError`.
    """
    match = _LONG_DATE.fullmatch(_clean(text)) if isinstance(text, str) else None
    month = MONTHS.get(match.group("month").lower()) if match else None
    if match is None or month is None:
        raise ValueError(f"{text!r} is not a date like 'August 19, 2026'")
    try:
        return date(int(match.group("year")), month, int(match.group("day")))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date ({exc})") from None


def parse_round_date(round_date: str, round_date_full: str) -> tuple[date, list[str]]:
    """The round's date from ``drawDate``, checked against and backed up by ``drawDateFull``.

    ``drawDate`` is ``YYYY-MM-DD``; round #237 was once published as ``"11-01-2023"`` (DD-MM-YYYY, fixed
    later), so a ``NN-NN-YYYY`` date is read whichever way ``drawDateFull`` (``"January 11, 2023"``) confirms,
    with a note. When ``drawDate`` is unreadable, ``drawDateFull`` is used, with a note; when the two are
    readable but disagree, ``drawDate`` wins and a note says so. Raises :class:`ValueError` when neither gives
    a date, or when a ``NN-NN-YYYY`` date is ambiguous and ``drawDateFull`` cannot settle it.
    """
    notes: list[str] = []
    raw = _clean(round_date) if isinstance(round_date, str) else ""
    try:
        full: date | None = parse_long_date(round_date_full)
        full_problem = ""
    except ValueError as exc:
        full, full_problem = None, str(exc)

    if match := _ISO_DATE.fullmatch(raw):
        try:
            parsed = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            pass
        else:
            if full is not None and full != parsed:
                notes.append(
                    f"drawDateFull {round_date_full!r} disagrees with drawDate {round_date!r}; kept drawDate"
                )
            return parsed, notes

    if match := _NUMERIC_DATE.fullmatch(raw):
        first, second, year = (int(g) for g in match.groups())
        readings: dict[str, date] = {}
        for label, (day, month) in (("DD-MM-YYYY", (first, second)), ("MM-DD-YYYY", (second, first))):
            try:
                readings.setdefault(label, date(year, month, day))
            except ValueError:
                continue
        distinct = set(readings.values())
        if full is not None and full in distinct:
            label = next(k for k, v in readings.items() if v == full)
            notes.append(
                f"drawDate {round_date!r} is not YYYY-MM-DD; read as {label}, as drawDateFull confirms"
            )
            return full, notes
        if full is None and len(distinct) == 1:
            label, parsed = next(iter(readings.items()))
            notes.append(
                f"drawDate {round_date!r} is not YYYY-MM-DD; read as {label} (the only valid reading)"
            )
            return parsed, notes
        if full is None and distinct:
            raise ValueError(
                f"drawDate {round_date!r} is ambiguous (DD-MM or MM-DD) and drawDateFull cannot settle it: "
                f"{full_problem}"
            )

    if full is not None:
        notes.append(
            f"drawDate {round_date!r} is not a valid YYYY-MM-DD date; used drawDateFull {round_date_full!r}"
        )
        return full, notes
    raise ValueError(
        f"drawDate {round_date!r} is not a date, and drawDateFull {round_date_full!r} is not one either"
    )


def parse_ircc_datetime(text: str, *, reference: date | None = None) -> tuple[datetime | None, list[str]]:
    """A free-text UTC instant (``drawDateTime``, ``drawCutOff``) as an aware UTC datetime, plus notes.

    Never raises: text that cannot be read gives ``(None, [note])`` and the caller keeps the raw text.
    ``""`` (no tie-break was published, rounds #1-#76) gives ``(None, [])``. Variants in the real copies::

        August 18, 2026 at 10:13:44 UTC        August 3, 2022 at 6:29:10 UTC     (one-digit day or hour)
        October 15, 2025 15:55:18 UTC          (no "at")
        May 26, 2017, at 16:35:48 UTC          (comma before "at")
        April 26,2023 18:10:04 UTC             (no space after the comma)
        February 02 2022 at 14:16:27 UTC       (no comma)
        March 02. 2024 at 01:58:34 UTC         (period instead of comma)
        July 3rd 2026 at 21:35:13 UTC          August 19th 2026 at 12:35:37 UTC   (ordinals, no comma)
        May 31, 2024 at12:48:30 UTC            ("at" glued to the hour)
        January 23, 2025 at 2025-01-23 15:30:04 UTC   (the date twice; the ISO one wins if they differ)
        " July 13, 2016 at …", "… UTC ", "April 13, 2026  at  7:18:52 UTC"   (stray and double spaces)
        March 27, 2015 at 23:59:47             (no "UTC": the feed's times are UTC anyway)
        October 25, 2023 at 15:48:39 AM UTC    June 22, 2021 at 20:19:59 PM UTC   (bogus meridiem)
        September 30, 2023 at 04:22:17 AM UTC  (a meridiem that is plausible)
        October 7 at 16:38:21 UTC              (#208: no year)

    Meridiem: a meridiem after an hour of 13-23 (or 0) cannot be 12-hour time, so it is ignored with a note;
    after an hour of 1-12 it is applied the usual way: 12 AM is 00:xx (midnight), 12 PM is 12:xx (noon),
    1-11 PM add twelve hours.

    No year: the year is inferred from ``reference`` (the round's date) as the latest year that does not put
    the instant after the end of the day following ``reference`` (one day of slack, because IRCC's round date
    is Ottawa-local while these times are UTC: #139 ran on 2020-03-18 local, 2020-03-19 02:04 UTC), and a
    note says "year inferred". Without ``reference`` the text is unreadable.
    """
    if not isinstance(text, str):
        return None, [f"{text!r} is not text (a JSON {type(text).__name__})"]
    cleaned = _clean(text).lower()
    if not cleaned:
        return None, []
    match = _DATETIME.fullmatch(cleaned)
    if match is None:
        return None, [f"{text!r} {_why_unreadable(cleaned)}; kept as text only"]

    notes: list[str] = []
    month = MONTHS.get(match.group("month"))
    if month is None:
        return None, [f"{text!r} has no recognisable month ({match.group('month')!r}); kept as text only"]
    day = int(match.group("day"))
    hour, minute = int(match.group("hour")), int(match.group("minute"))
    second = int(match.group("second") or 0)
    meridiem = match.group("meridiem")
    if meridiem:
        if 1 <= hour <= 12:
            hour = hour % 12 + (12 if meridiem == "p" else 0)
        else:
            notes.append(
                f"{text!r}: ignored '{meridiem.upper()}M' after the 24-hour time "
                f"{hour:02d}:{minute:02d}:{second:02d}"
            )
    if hour > 23 or minute > 59 or second > 59:
        return None, [f"{text!r} has an impossible time of day; kept as text only"]
    try:
        clock = time(hour, minute, second, tzinfo=UTC)
    except ValueError as exc:  # pragma: no cover - the range check above covers it
        return None, [f"{text!r} has an impossible time of day ({exc}); kept as text only"]

    written: date | None = None
    if match.group("year"):
        try:
            written = date(int(match.group("year")), month, day)
        except ValueError as exc:
            return None, [f"{text!r} is not a real date ({exc}); kept as text only"]
    if iso := match.group("iso"):
        try:
            iso_date = date.fromisoformat(iso)
        except ValueError as exc:
            return None, [f"{text!r} repeats an impossible date {iso!r} ({exc}); kept as text only"]
        if written is not None and written != iso_date:
            notes.append(f"{text!r} names two different dates; used the ISO one, {iso}")
        written = iso_date
    if written is None:
        inferred = _infer_year(month, day, clock, reference)
        if inferred is None:
            why = "no round date to infer it from" if reference is None else "no year fits the round date"
            return None, [f"{text!r} has no year and {why}; kept as text only"]
        written = inferred
        notes.append(f"{text!r} has no year: year inferred as {written.year} from the round date {reference}")
    return datetime.combine(written, clock), notes


def _why_unreadable(cleaned: str) -> str:
    """A human reason why ``cleaned`` did not match: missing date, missing time, or an unknown layout."""
    has_time, has_month = bool(_HAS_TIME.search(cleaned)), bool(_HAS_MONTH.search(cleaned))
    if not has_month and not _ISO_DATE.search(cleaned):
        return "has no date" if has_time else "has no date or time"
    if not has_time:
        return "has a date but no time of day"
    return "is not in a known date-and-time layout"


def _infer_year(month: int, day: int, clock: time, reference: date | None) -> date | None:
    """The latest date ``month``/``day`` not after the end of the day after ``reference`` (see the caller)."""
    if reference is None:
        return None
    limit = datetime.combine(reference + timedelta(days=2), time(0, tzinfo=UTC))
    for year in (reference.year + 1, reference.year, reference.year - 1, reference.year - 2):
        try:
            candidate = date(year, month, day)
        except ValueError:  # February 29 outside a leap year
            continue
        if datetime.combine(candidate, clock) < limit:
            return candidate
    return None


class OffSiteLink(ValueError):
    """A round's link that leaves www.canada.ca; the message names it (cut short)."""


def round_url(html_anchor: str) -> str:
    """The absolute https URL of a round's page from an ``<a href='…'>`` (``drawNumberURL``, ``mitext``…).

    Three href styles were published: ``/en/…/express-entry-rounds/invitations-76.html`` (rounds up to #76),
    ``/en/…/invitations.html?q=229`` and ``/content/canadasite/en/…/invitations.html?q=437`` (the authoring
    path, which canada.ca serves without the ``/content/canadasite`` prefix). Relative and absolute hrefs
    are resolved against canada.ca; HTML entities (``&amp;``) are decoded. The result is always
    ``https://www.canada.ca/…``. Raises :class:`ValueError` when there is no usable href, and
    :class:`OffSiteLink` when it leaves www.canada.ca (another host, ``canada.ca.example.org``, a port, a user
    name, ``javascript:``), so that an alert's "Details" link never points off-site (use
    :func:`constructed_round_url` then).
    """
    match = _HREF.search(html_anchor) if isinstance(html_anchor, str) else None
    href = html.unescape(next((g for g in match.groups() if g is not None), "")).strip() if match else ""
    if not href:
        raise ValueError(f"no link in {_cut(html_anchor)}")
    try:
        parts = urlsplit(urljoin(ROUNDS_PAGE_DIR, href))
        port = parts.port
    except ValueError:  # an unreadable host or port ("https://[oops/", "https://www.canada.ca:x/")
        raise OffSiteLink(f"link {_cut(href)} is not a web link on www.canada.ca") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise OffSiteLink(f"link {_cut(href)} is not a web link on www.canada.ca")
    if parts.hostname not in CANADA_CA_HOSTS or port is not None or parts.username or parts.password:
        raise OffSiteLink(f"link {_cut(href)} leaves www.canada.ca")
    if any(char.isspace() or not char.isprintable() for char in href):
        raise OffSiteLink(f"link {_cut(href)} holds a space or control character")
    path = parts.path
    if path.startswith(_CANADASITE):
        path = path[len(_CANADASITE) - 1 :]
    return urlunsplit(("https", "www.canada.ca", path, parts.query, parts.fragment))


def _cut(text: str, limit: int = 60) -> str:
    """``repr(text)`` cut to ``limit`` characters, for a message."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}…"


def constructed_round_url(number: str) -> str:
    """The page of round ``number`` built from the current URL scheme, when the feed gives no link."""
    return f"{ROUND_PAGE}?q={number}"


def parse_distribution(round: Mapping[str, object]) -> tuple[date | None, dict[str, int] | None, list[str]]:
    """The pool's CRS distribution of a round: (``drawDistributionAsOn`` date, dd1..dd18 counts, notes).

    Counts are written like ``"62,753"``. All ``"0"`` means IRCC did not publish one (#1-#213, #223, #224,
    #226, #227): counts are ``None`` then, and the as-on date is still returned when readable (IRCC fills it
    in anyway, not always with the round's date: #226 ran 2022-07-06 "as on July 11, 2022").
    Subtotals are checked (dd3 = dd4..dd8, dd9 = dd10..dd14, dd18 = dd1 + dd2 + dd3 + dd9 + dd15..dd17) and
    a mismatch is only a note: IRCC's own data breaks it once (#247: dd3 55,867 where dd4..dd8 add up to
    55,687). Raises :class:`ValueError` for a missing or unreadable count, a count above
    :data:`~drawwatch.domain.rounds.MAX_POOL_COUNT` (a typo, not a pool), or a published distribution
    without a readable date.
    """
    notes: list[str] = []
    counts: dict[str, int] = {}
    for key in DISTRIBUTION_BANDS:
        if key not in round:
            raise ValueError(f"{key} is missing")
        try:
            counts[key] = parse_int(cast(str, round[key]))
        except ValueError as exc:
            raise ValueError(f"{key} {exc}") from None
        if counts[key] > MAX_POOL_COUNT:
            raise ValueError(f"{key} {round[key]!r} is above {MAX_POOL_COUNT:,}")
    as_on_text = round.get("drawDistributionAsOn", "")
    as_on: date | None = None
    if isinstance(as_on_text, str) and not as_on_text.strip():
        as_on_problem = "drawDistributionAsOn is empty"
    else:
        try:
            as_on = parse_long_date(cast(str, as_on_text))
            as_on_problem = ""
        except ValueError as exc:
            as_on_problem = f"drawDistributionAsOn {exc}"

    if not any(counts.values()):
        if as_on_problem and as_on_text:
            notes.append(as_on_problem)
        return as_on, None, notes
    if as_on is None:
        raise ValueError(f"{as_on_problem}, but the distribution is published")

    for total, parts in (
        ("dd3", [f"dd{i}" for i in range(4, 9)]),
        ("dd9", [f"dd{i}" for i in range(10, 15)]),
        ("dd18", ["dd1", "dd2", "dd3", "dd9", "dd15", "dd16", "dd17"]),
    ):
        added = sum(counts[key] for key in parts)
        if counts[total] != added:
            notes.append(
                f"{total} ({DISTRIBUTION_BANDS[total]}) is {counts[total]:,} but {'+'.join(parts)} add up to "
                f"{added:,}"
            )
    return as_on, counts, notes
