"""Whole-feed validation: decide whether a body downloaded from IRCC can be used, and turn it into rounds.

IRCC edits the feed by hand and its CDN has served invalid JSON, HTML error pages and stale copies (docs/feed.md),
so a body is judged as a whole before anything downstream sees it. The policy:

**Feed-level failures** raise :class:`FeedError` and *nothing* from the body is used:

- the body is empty, is an HTML page, or is not JSON;
- the JSON is neither ``{"rounds": [...], ...}`` nor a bare array of rounds, or ``rounds`` is empty;
- a round is not a JSON object, or has no usable ``drawNumber`` (its identity is unknown, so nothing can be
  said about which stored round it is; a readable but implausible number only rejects that round);
- a ``drawNumber`` appears twice;
- more than ``max_rejected`` rounds (default 2) are malformed: that many broken rounds is a format change,
  not a typo, and storing the rest would hide it.

**Round-level problems** reject only that round (a :class:`~drawwatch.domain.rounds.RejectedRound` whose
reason names the round and the field, e.g. ``round 437: drawCRS '' is not a number``); the other rounds go
through. They are: a missing or unreadable date (``drawDate`` with ``drawDateFull`` as fallback), name, CRS
or invitations count, and implausible values, which are held back the same way (the bounds are in
:mod:`drawwatch.domain.rounds`): a date before 2015 or more than two days after today, a round number above
99,999, CRS outside 1-1200, invitations outside 1-100,000, a text longer than its cap, a JSON number of more
digits than any count has, and text holding a control character (NUL …) or bytes that are not UTF-8.

**Not problems**: run and tie-break times (``drawDateTime``, ``drawCutOff``) whose free text cannot be read
(the datetime is ``None``, the raw text is kept, a note is added to ``RoundItem.notes``), a pool distribution
whose subtotals disagree or that cannot be read (kept as a note; the distribution is then left out), a missing
link or one that leaves www.canada.ca (the round's URL is built from its number, so an alert's "Details" link
never points off-site), run and tie-break times outside 2015..today (left out, kept as text), a distribution
dated outside that span or with a band above 10,000,000 (left out), and implausible but readable values such
as a run time ten days before the round date (#357) (a note). Tab, CR and LF in a text become spaces.

Text encoding: UTF-8 (a BOM is tolerated). Bytes that are not UTF-8 are not guessed at (cp1252 once turned a
stored name into mojibake): the round whose text holds them is rejected, and a body with more such rounds than
``max_rejected`` is refused, saying it is not UTF-8.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import ValidationError

from drawwatch.config import setting_default
from drawwatch.domain.categories import classify, list_version
from drawwatch.domain.clock import utcnow
from drawwatch.domain.errors import DrawwatchError
from drawwatch.domain.rounds import (
    CRS_RANGE,
    FEED_TEXT_LIMITS,
    FIRST_ROUND_DATE,
    FUTURE_DAYS,
    INVITATIONS_RANGE,
    MAX_ROUND_NUMBER,
    NUMBER_RE,
    RejectedRound,
    RoundItem,
    forbidden_character,
)
from drawwatch.scrapers.parsing import (
    OffSiteLink,
    constructed_round_url,
    parse_distribution,
    parse_int,
    parse_ircc_datetime,
    parse_round_date,
    round_url,
)

URL_FIELDS = ("drawNumberURL", "mitext", "DrawText1")
_SHOWN_REASONS = 3  # malformed-round reasons quoted in a FeedError
_SHOWN_CHARACTERS = 40  # of a value quoted in a message: a 10 MB name must not become a 10 MB message
_JSON_INT_DIGITS = 18  # a longer JSON integer is no count of the feed; it is kept as digits, never converted
_LINE_BREAKS = re.compile("[\t\r\n\u2028\u2029]+")  # ordinary whitespace in a text: one space each run


class FeedError(DrawwatchError):
    """The feed must not be used at all; ``str(error)`` is one line naming the problem, for a human."""


@dataclass
class ParsedFeed:
    """A usable feed: its valid rounds in feed order (newest first, as IRCC lists them), and the rejected."""

    rounds: list[RoundItem]
    rejected: list[RejectedRound]


class _RoundProblem(Exception):
    """A round-level problem; the message is the whole reason ("round 437: drawCRS '' is not a number")."""


class _HugeNumber(str):
    """A JSON integer with more digits than any value of the feed, kept as its digits: converting it could
    raise (Python refuses ints of more than 4,300 digits) or overflow a database column."""


def parse_feed(
    body: bytes, *, max_rejected: int = setting_default("max_rejected"), today: date | None = None
) -> ParsedFeed:
    """Validate a whole feed body and parse its rounds; raise :class:`FeedError` when it must not be used.

    ``today`` (UTC, default the current day) is what a round's date must not be more than
    :data:`~drawwatch.domain.rounds.FUTURE_DAYS` after.
    """
    today = today or utcnow().date()
    data, not_utf8 = _load_json(body)
    rounds = _rounds_list(data)
    seen: dict[str, int] = {}
    items: list[RoundItem] = []
    rejected: list[RejectedRound] = []
    total = len(rounds)
    for index, raw in enumerate(rounds):
        where = f"entry {index + 1} of {total} in 'rounds'"  # 1-based, for a human opening the file
        if not isinstance(raw, Mapping):
            raise FeedError(f"{where} is a JSON {_kind(raw)}, not an object")
        number = _round_number(raw, where)
        plausible = _plausible_number(number)  # an implausible number is no identity: its round is held back
        if plausible and number in seen:
            first = seen[number]
            raise FeedError(
                f"round number {number!r} appears twice (entries {first} and {index + 1} of {total})"
            )
        seen[number] = index + 1
        try:
            items.append(_parse_round(raw, number, today))
        except _RoundProblem as problem:
            rejected.append(
                RejectedRound(index=index, number=number if plausible else None, reason=str(problem))
            )
    if len(rejected) > max_rejected:
        shown = "; ".join(r.reason for r in rejected[:_SHOWN_REASONS])
        more = f"; and {len(rejected) - _SHOWN_REASONS} more" if len(rejected) > _SHOWN_REASONS else ""
        raise FeedError(
            f"{not_utf8}{len(rejected)} of {total} rounds are malformed (more than the {max_rejected} allowed): "
            f"{shown}{more}"
        )
    return ParsedFeed(rounds=items, rejected=rejected)


def decode_body(body: bytes) -> tuple[str, str]:
    """The body as UTF-8 text (BOM tolerated), and "" or what makes it not UTF-8, for a message.

    Bytes that are not UTF-8 are never guessed at (as cp1252, say): each becomes a lone surrogate
    (``surrogateescape``), so the round whose text holds one is rejected by name and the rest go on.
    """
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    try:
        return body.decode("utf-8"), ""
    except UnicodeDecodeError as exc:
        bad = f"feed is not UTF-8 (byte 0x{body[exc.start]:02X} at byte {exc.start:,}) and "
        return body.decode("utf-8", errors="surrogateescape"), bad


def _json_int(digits: str) -> int | str:
    """A JSON integer: an int when it has few enough digits to be a count, else :class:`_HugeNumber`."""
    return _HugeNumber(digits) if len(digits.lstrip("-")) > _JSON_INT_DIGITS else int(digits)


def _load_json(body: bytes) -> tuple[Any, str]:
    """Decode and parse the body, telling an empty answer and an HTML page apart from broken JSON.

    Returns the document and, for messages, "" or why the body is not UTF-8 (see :func:`decode_body`).
    """
    text, not_utf8 = decode_body(body)
    stripped = text.strip()
    if not stripped:
        raise FeedError(f"feed is empty ({len(body)} bytes)")
    if stripped.startswith("<"):
        start = " ".join(stripped[:40].split())[:20]
        raise FeedError(f"feed looks like an HTML page, not JSON (starts with {start!r})")
    try:
        return json.loads(text, parse_int=_json_int), not_utf8
    except json.JSONDecodeError as exc:
        raise FeedError(
            f"{not_utf8}feed is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno} (char {exc.pos})"
        ) from None
    except RecursionError:
        raise FeedError("feed is not usable JSON: nested too deeply") from None


def _rounds_list(data: Any) -> list[Any]:
    """The list of rounds from the normal object, or from a bare array of rounds (seen in one real copy)."""
    if isinstance(data, list):
        rounds = data
    elif isinstance(data, dict):
        if "rounds" not in data:
            raise FeedError("feed has no 'rounds' list")
        rounds = data["rounds"]
        if isinstance(rounds, dict):
            # ee_rounds_4_en.json, the per-round detail feed, keys its rounds "r414", "r413", …
            raise FeedError("feed's 'rounds' is an object, not a list (is this the per-round detail feed?)")
        if not isinstance(rounds, list):
            raise FeedError(f"feed's 'rounds' is a JSON {_kind(rounds)}, not a list")
    else:
        raise FeedError(f"feed is a JSON {_kind(data)}, not an object with a 'rounds' list")
    if not rounds:
        raise FeedError("feed's 'rounds' list is empty")
    return rounds


def _round_number(raw: Mapping[str, Any], where: str) -> str:
    """The round's identity, normalized ("0437" → "437", "91A" → "91a"), or a FeedError when unusable."""
    value = raw.get("drawNumber")
    if value is None:
        raise FeedError(f"{where} has no drawNumber")
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    match = NUMBER_RE.fullmatch(text.strip().lower()) if isinstance(text, str) else None
    digits = match.group(1).lstrip("0") if match else ""
    if match is None or not digits:
        raise FeedError(f"{where} has an unusable drawNumber {_shown(value)}")
    # int() only on a short number: one of thousands of digits would raise. A long one (implausible) is kept
    # as its digits and rejects only its own round.
    if len(digits) <= _JSON_INT_DIGITS:
        digits = str(int(digits))
    return f"{digits}{match.group(2)}"


def _plausible_number(number: str) -> bool:
    """Whether a (normalized, readable) round number is one IRCC could have reached."""
    digits = number.rstrip("abcdefghijklmnopqrstuvwxyz")
    return len(digits) <= len(str(MAX_ROUND_NUMBER)) and int(digits) <= MAX_ROUND_NUMBER


def _round_label(number: str) -> str:
    """How messages name a round: "round 437"; a number too long to read is cut ("round 4444…4444 (400 digits)")."""
    if len(number) <= 12:
        return f"round {number}"
    return f"round {number[:4]}…{number[-4:]} ({len(number):,} digits)"


def _parse_round(raw: Mapping[str, Any], number: str, today: date) -> RoundItem:
    """One round as a RoundItem; raises _RoundProblem naming the round and field when it cannot be one."""
    label = _round_label(number)
    notes: list[str] = []
    if not _plausible_number(number):
        raise _RoundProblem(
            f"{label}: drawNumber is above {MAX_ROUND_NUMBER:,}, not a plausible round number; held back"
        )
    _check_values(raw, label)

    try:
        day, date_notes = parse_round_date(_text(raw, "drawDate"), _text(raw, "drawDateFull"))
    except ValueError as exc:
        raise _RoundProblem(f"{label}: {exc}") from None
    notes += date_notes
    if day < FIRST_ROUND_DATE:
        raise _RoundProblem(
            f"{label}: date {day} is before Express Entry began ({FIRST_ROUND_DATE}); held back"
        )
    if day > today + timedelta(days=FUTURE_DAYS):
        raise _RoundProblem(
            f"{label}: date {day} is more than {FUTURE_DAYS} days after today ({today}); held back"
        )

    name = raw.get("drawName")
    if name is None:
        raise _RoundProblem(f"{label}: drawName is missing")
    if not isinstance(name, str) or not name.strip():
        raise _RoundProblem(
            f"{label}: drawName {_shown(name)} is {'empty' if isinstance(name, str) else 'not text'}"
        )
    name = _one_line(name)

    invitations = _count(raw, "drawSize", label, INVITATIONS_RANGE)
    crs = _count(raw, "drawCRS", label, CRS_RANGE)

    programs = raw.get("drawText2", "")
    if not isinstance(programs, str):
        notes.append(f"drawText2 {_shown(programs)} is not text; left empty")
        programs = ""
    programs = _one_line(programs)

    # Times outside the life of Express Entry are typos too; unlike the round date they are not needed to
    # alert, so they are left out (kept as text) instead of holding the round back.
    span = (
        datetime.combine(FIRST_ROUND_DATE, time(0, tzinfo=UTC)),
        datetime.combine(today + timedelta(days=FUTURE_DAYS + 1), time(0, tzinfo=UTC)),
    )
    run_at_raw, run_at = _instant(raw, "drawDateTime", day, notes, span)
    tie_break_raw, tie_break = _instant(raw, "drawCutOff", day, notes, span)
    # The round date is Ottawa-local, the times UTC: allow one day of slack before calling a time "after".
    latest = datetime.combine(day + timedelta(days=2), time(0, tzinfo=UTC))
    if run_at is not None and abs((run_at.date() - day).days) > 1:
        notes.append(f"drawDateTime {run_at_raw!r} is not on the round date {day}")
    if tie_break is not None and (tie_break >= latest or (run_at is not None and tie_break > run_at)):
        notes.append(f"drawCutOff {tie_break_raw!r} is after the round ran")

    try:
        as_on, distribution, distribution_notes = parse_distribution(raw)
        notes += [f"distribution: {note}" for note in distribution_notes]
    except ValueError as exc:
        as_on, distribution = None, None
        notes.append(f"distribution left out: {exc}")
    if as_on is not None and not span[0].date() <= as_on < span[1].date():
        last_day = span[1].date() - timedelta(days=1)
        notes.append(
            f"distribution left out: drawDistributionAsOn {as_on} is outside {FIRST_ROUND_DATE}..{last_day}"
        )
        as_on, distribution = None, None

    try:
        return RoundItem(
            number=number,
            date=day,
            name=name,
            category=classify(name),
            list_version=list_version(name),
            programs=programs,
            invitations=invitations,
            crs=crs,
            run_at=run_at,
            run_at_raw=run_at_raw,
            tie_break=tie_break,
            tie_break_raw=tie_break_raw,
            url=_url(raw, number, notes),
            distribution_as_on=as_on,
            distribution=distribution,
            notes=tuple(notes),
        )
    except ValidationError as exc:  # the checks above should make this unreachable; never let it escape
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "round"
        raise _RoundProblem(f"{label}: {where}: {first['msg']}") from None


def _check_values(raw: Mapping[str, Any], label: str) -> None:
    """Hold the round back when a field drawwatch reads holds what no real round has: text longer than its
    cap (:data:`~drawwatch.domain.rounds.FEED_TEXT_LIMITS`), a control character or bytes that are not UTF-8,
    or a JSON number of more digits than any count. Fields drawwatch does not read are not judged."""
    for key, limit in FEED_TEXT_LIMITS.items():
        value = raw.get(key)
        if isinstance(value, _HugeNumber):
            raise _RoundProblem(f"{label}: {key} is a JSON number of {len(value):,} digits; held back")
        if not isinstance(value, str):
            continue
        if len(value) > limit:
            raise _RoundProblem(
                f"{label}: {key} is {len(value):,} characters long (more than the {limit:,} taken); held back"
            )
        if problem := forbidden_character(value):
            raise _RoundProblem(f"{label}: {key} {problem}; held back")


def _one_line(text: str) -> str:
    """Tab, CR, LF and the Unicode line separators as one space: ordinary whitespace, not line breaks."""
    return _LINE_BREAKS.sub(" ", text)


def _shown(value: object) -> str:
    """``repr(value)`` for a message, cut to a readable length (with the full length) when long."""
    if isinstance(value, str) and len(value) > _SHOWN_CHARACTERS:
        return f"{value[:_SHOWN_CHARACTERS]!r}… ({len(value):,} characters)"
    return repr(value)


def _text(raw: Mapping[str, Any], key: str) -> str:
    """A field as text; "" when missing or not a string (the parsers then say what is wrong)."""
    value = raw.get(key, "")
    return value if isinstance(value, str) else ""


def _count(raw: Mapping[str, Any], key: str, label: str, bounds: tuple[int, int]) -> int:
    """A required integer field within ``bounds``, or a _RoundProblem naming it."""
    if key not in raw:
        raise _RoundProblem(f"{label}: {key} is missing")
    try:
        value = parse_int(raw[key])
    except ValueError as exc:
        raise _RoundProblem(f"{label}: {key} {exc}") from None
    low, high = bounds
    if not low <= value <= high:
        raise _RoundProblem(f"{label}: {key} {raw[key]!r} is outside {low:,}..{high:,}; held back")
    return value


def _instant(
    raw: Mapping[str, Any], key: str, day: date, notes: list[str], span: tuple[datetime, datetime]
) -> tuple[str, datetime | None]:
    """(raw text, parsed UTC datetime or None) of a free-text time field; its notes go into ``notes``.

    A time outside ``span`` (from Express Entry's start to the end of the latest plausible round day) is a
    typo: it is left out with a note and the raw text kept.
    """
    value = raw.get(key, "")
    if not isinstance(value, str):
        notes.append(f"{key} {_shown(value)} is not text; ignored")
        return "", None
    value = _one_line(value)
    parsed, found = parse_ircc_datetime(value, reference=day)
    notes += [f"{key} {note}" for note in found]
    if parsed is not None and not span[0] <= parsed < span[1]:
        latest = span[1].date() - timedelta(days=1)
        notes.append(f"{key} {value!r} is outside {FIRST_ROUND_DATE}..{latest}; kept as text only")
        parsed = None
    return value, parsed


def _url(raw: Mapping[str, Any], number: str, notes: list[str]) -> str:
    """The round's page: the first link among drawNumberURL, mitext, DrawText1; else built from the number.

    Only a link on www.canada.ca is taken (it becomes the alert's "Details" link); one that leaves the site
    is skipped with a note, never stored.
    """
    for key in URL_FIELDS:
        anchor = raw.get(key)
        if isinstance(anchor, str) and anchor.strip():
            try:
                return round_url(anchor)
            except OffSiteLink as exc:
                notes.append(f"{key}: {exc}; not used")
            except ValueError:
                continue
    notes.append("no usable link in drawNumberURL, mitext or DrawText1; URL built from the round number")
    return constructed_round_url(number)


def _kind(value: Any) -> str:
    """The JSON type name of a decoded value, for messages."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, _HugeNumber):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__
