"""Whole-feed validation: decide whether a body downloaded from IRCC can be used, and turn it into rounds.

IRCC edits the feed by hand and its CDN has served invalid JSON, HTML error pages and stale copies (docs/feed.md),
so a body is judged as a whole before anything downstream sees it. The policy:

**Feed-level failures** raise :class:`FeedError` and *nothing* from the body is used:

- the body is empty, is not UTF-8/cp1252 text, is an HTML page, or is not JSON;
- the JSON is neither ``{"rounds": [...], ...}`` nor a bare array of rounds, or ``rounds`` is empty;
- a round is not a JSON object, or has no usable ``drawNumber`` (its identity is unknown, so nothing can be
  said about which stored round it is);
- a ``drawNumber`` appears twice;
- more than ``max_rejected`` rounds (default 2) are malformed: that many broken rounds is a format change,
  not a typo, and storing the rest would hide it.

**Round-level problems** reject only that round (a :class:`~drawwatch.domain.rounds.RejectedRound` whose
reason names the round and the field, e.g. ``round 437: drawCRS '' is not a number``); the other rounds go
through. They are: a missing or unreadable date (``drawDate`` with ``drawDateFull`` as fallback), name, CRS
or invitations count, and values outside the plausible range (CRS 1-1200, invitations 1-100,000).

**Not problems**: run and tie-break times (``drawDateTime``, ``drawCutOff``) whose free text cannot be read
(the datetime is ``None``, the raw text is kept, a note is added to ``RoundItem.notes``), a pool distribution
whose subtotals disagree or that cannot be read (kept as a note; the distribution is then left out), a missing
link (the round's URL is built from its number), and implausible but readable values such as a run time ten
days before the round date (#357) (a note).

Text encoding: UTF-8 (a BOM is tolerated), else cp1252, which the French feed used until 2026.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import ValidationError

from drawwatch.config import setting_default
from drawwatch.domain.categories import classify, list_version
from drawwatch.domain.errors import DrawwatchError
from drawwatch.domain.rounds import NUMBER_RE, RejectedRound, RoundItem
from drawwatch.scrapers.parsing import (
    constructed_round_url,
    parse_distribution,
    parse_int,
    parse_ircc_datetime,
    parse_round_date,
    round_url,
)

CRS_RANGE = (1, 1200)  # the CRS scale; real cut-offs run 75..902
INVITATIONS_RANGE = (1, 100_000)  # real rounds invited 4..27,332
URL_FIELDS = ("drawNumberURL", "mitext", "DrawText1")
_SHOWN_REASONS = 3  # malformed-round reasons quoted in a FeedError


class FeedError(DrawwatchError):
    """The feed must not be used at all; ``str(error)`` is one line naming the problem, for a human."""


@dataclass
class ParsedFeed:
    """A usable feed: its valid rounds in feed order (newest first, as IRCC lists them), and the rejected."""

    rounds: list[RoundItem]
    rejected: list[RejectedRound]


class _RoundProblem(Exception):
    """A round-level problem; the message is the whole reason ("round 437: drawCRS '' is not a number")."""


def parse_feed(body: bytes, *, max_rejected: int = setting_default("max_rejected")) -> ParsedFeed:
    """Validate a whole feed body and parse its rounds; raise :class:`FeedError` when it must not be used."""
    rounds = _rounds_list(_load_json(body))
    seen: dict[str, int] = {}
    items: list[RoundItem] = []
    rejected: list[RejectedRound] = []
    total = len(rounds)
    for index, raw in enumerate(rounds):
        where = f"entry {index + 1} of {total} in 'rounds'"  # 1-based, for a human opening the file
        if not isinstance(raw, Mapping):
            raise FeedError(f"{where} is a JSON {_kind(raw)}, not an object")
        number = _round_number(raw, where)
        if number in seen:
            first = seen[number]
            raise FeedError(
                f"round number {number!r} appears twice (entries {first} and {index + 1} of {total})"
            )
        seen[number] = index + 1
        try:
            items.append(_parse_round(raw, number))
        except _RoundProblem as problem:
            rejected.append(RejectedRound(index=index, number=number, reason=str(problem)))
    if len(rejected) > max_rejected:
        shown = "; ".join(r.reason for r in rejected[:_SHOWN_REASONS])
        more = f"; and {len(rejected) - _SHOWN_REASONS} more" if len(rejected) > _SHOWN_REASONS else ""
        raise FeedError(
            f"{len(rejected)} of {total} rounds are malformed (more than the {max_rejected} allowed): "
            f"{shown}{more}"
        )
    return ParsedFeed(rounds=items, rejected=rejected)


def decode_body(body: bytes) -> str:
    """The body as text: UTF-8 (BOM tolerated), else cp1252 (the French feed's encoding until 2026)."""
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            return body.decode("cp1252")
        except UnicodeDecodeError:
            raise FeedError(
                f"feed is not text (neither UTF-8 nor cp1252: {utf8_error.reason} at byte {utf8_error.start})"
            ) from None


def _load_json(body: bytes) -> Any:
    """Decode and parse the body, telling an empty answer and an HTML page apart from broken JSON."""
    text = decode_body(body)
    stripped = text.strip()
    if not stripped:
        raise FeedError(f"feed is empty ({len(body)} bytes)")
    if stripped.startswith("<"):
        start = " ".join(stripped[:40].split())[:20]
        raise FeedError(f"feed looks like an HTML page, not JSON (starts with {start!r})")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedError(
            f"feed is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno} (char {exc.pos})"
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
    if match is None or int(match.group(1)) == 0:
        raise FeedError(f"{where} has an unusable drawNumber {value!r}")
    return f"{int(match.group(1))}{match.group(2)}"


def _parse_round(raw: Mapping[str, Any], number: str) -> RoundItem:
    """One round as a RoundItem; raises _RoundProblem naming the round and field when it cannot be one."""
    label = f"round {number}"
    notes: list[str] = []

    try:
        day, date_notes = parse_round_date(_text(raw, "drawDate"), _text(raw, "drawDateFull"))
    except ValueError as exc:
        raise _RoundProblem(f"{label}: {exc}") from None
    notes += date_notes

    name = raw.get("drawName")
    if name is None:
        raise _RoundProblem(f"{label}: drawName is missing")
    if not isinstance(name, str) or not name.strip():
        raise _RoundProblem(
            f"{label}: drawName {name!r} is {'empty' if isinstance(name, str) else 'not text'}"
        )

    invitations = _count(raw, "drawSize", label, INVITATIONS_RANGE)
    crs = _count(raw, "drawCRS", label, CRS_RANGE)

    programs = raw.get("drawText2", "")
    if not isinstance(programs, str):
        notes.append(f"drawText2 {programs!r} is not text; left empty")
        programs = ""

    run_at_raw, run_at = _instant(raw, "drawDateTime", day, notes)
    tie_break_raw, tie_break = _instant(raw, "drawCutOff", day, notes)
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
        raise _RoundProblem(f"{label}: {key} {raw[key]!r} is outside {low:,}..{high:,}")
    return value


def _instant(raw: Mapping[str, Any], key: str, day: date, notes: list[str]) -> tuple[str, datetime | None]:
    """(raw text, parsed UTC datetime or None) of a free-text time field; its notes go into ``notes``."""
    value = raw.get(key, "")
    if not isinstance(value, str):
        notes.append(f"{key} {value!r} is not text; ignored")
        return "", None
    parsed, found = parse_ircc_datetime(value, reference=day)
    notes += [f"{key} {note}" for note in found]
    return value, parsed


def _url(raw: Mapping[str, Any], number: str, notes: list[str]) -> str:
    """The round's page: the first link among drawNumberURL, mitext, DrawText1; else built from the number."""
    for key in URL_FIELDS:
        anchor = raw.get(key)
        if isinstance(anchor, str) and anchor.strip():
            try:
                return round_url(anchor)
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
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__
