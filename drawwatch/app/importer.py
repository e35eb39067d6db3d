"""Reading subscribers from people: command-line values and CSV or TOML files, checked field by field.

Errors name the line (CSV; the first and last line of a row that spans several) or entry (TOML) and the
field, and a file is taken whole or not at all. A cell is never quoted unless its shape proves it harmless
(:func:`~drawwatch.domain.secrets.shown_value`): a cell in the wrong column may be an apprise URL or a
password. A row's set of notification URLs says who it is, so importing a file again updates people instead
of adding them twice.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from drawwatch.app.rescore import profile_json
from drawwatch.domain.clock import utcnow
from drawwatch.domain.crs import ProfileError, parse_profile, score_until
from drawwatch.domain.errors import InvalidInput
from drawwatch.domain.secrets import masked_text, shown_value, shown_values
from drawwatch.notify.urls import ChannelError, validate_url
from drawwatch.storage.db import session_scope
from drawwatch.storage.subscribers import (
    PROGRESS_STEP,
    ImportProblem,
    ImportResult,
    ProfileScore,
    Progress,
    SubscriberInput,
    import_key,
    merge_subscribers,
)

CSV_FIELDS = ("name", "crs", "categories", "urls", "submitted_at", "quiet_hours", "timezone", "profile")
# The longest cell (CSV) or string (TOML) taken: far above any name, score or set of apprise URLs, far below
# what would make a row's checks or its error slow. csv's own limit (128 KiB) would raise instead.
MAX_CELL_CHARS = 16_384


class FileProblem(InvalidInput):
    """A subscribers file that cannot be imported; ``problems`` lists every bad line."""

    def __init__(self, path: Path, problems: list[str]):
        self.problems = problems
        shown = "\n  ".join(problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{path}: nothing imported, {len(problems)} problem(s):\n  {shown}{more}")


def parse_submitted_at(text: str) -> datetime:
    """An ISO-8601 instant with a zone (``2026-03-01T18:34:05Z``); IRCC's tie-break times are UTC."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"submitted_at is not an ISO-8601 date and time, got {shown_value(text)}"
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"submitted_at has no time zone, got {shown_value(text)}: add Z for UTC or an offset like -04:00"
        )
    return value.astimezone(UTC)


def check_urls(urls: Iterable[str]) -> list[str]:
    """Validate apprise URLs with apprise itself; the error shows the URL redacted."""
    checked = []
    for url in urls:
        try:
            validate_url(url)
        except ChannelError as exc:
            raise InvalidInput(str(exc)) from None
        checked.append(url)
    return checked


def subscriber_input(
    *,
    name: str,
    crs: Any,
    categories: Iterable[str],
    urls: Iterable[str],
    submitted_at: str | datetime | None = None,
    occupations: Iterable[tuple[str, int]] = (),
    nclc_french: int | None = None,
    quiet_hours: str | None = None,
    timezone: str | None = None,
    profile: object = None,
    language: str = "en",
) -> SubscriberInput:
    """Build and validate one subscriber; raises ValueError naming the field.

    ``profile`` (a file's CRS profile, parsed from TOML or JSON) takes the place of ``crs``: the CRS is then
    its score for today, stored with the profile (as ``subscribers add --profile`` stores it).
    """
    score = _profile_score(profile, crs)
    if score is not None:
        crs = score[0]
    if isinstance(crs, bool) or not isinstance(crs, int):
        try:
            crs = int(str(crs).strip())
        except ValueError:
            raise InvalidInput(f"crs must be a whole number, got {shown_value(crs)}") from None
    when: datetime | None
    if isinstance(submitted_at, datetime):
        when = submitted_at.astimezone(UTC) if submitted_at.tzinfo else None
        if when is None:
            raise InvalidInput("submitted_at has no time zone: add Z for UTC or an offset")
    else:
        text = "" if submitted_at is None else str(submitted_at)
        when = parse_submitted_at(text) if text.strip() else None
    data = SubscriberInput(
        name=str(name).strip(),
        crs=crs,
        categories=sorted({c.strip().lower() for c in categories if c.strip()}),
        urls=check_urls(u.strip() for u in urls if u.strip()),
        submitted_at=when,
        occupations=list(occupations),
        nclc_french=nclc_french,
        quiet_hours=_stripped(quiet_hours),
        time_zone=_stripped(timezone),
        score=None if score is None else score[1],
        language=language,
    )
    data.validate()
    return data


def _profile_score(profile: object, crs: object) -> tuple[int, ProfileScore] | None:
    """A row's CRS profile checked and scored for today (the score's total and what is stored with it), None
    when the row gives none; exactly one of ``crs`` and ``profile`` must be given."""
    given_crs = crs is not None and not (isinstance(crs, str) and not crs.strip())
    if profile is None:
        if not given_crs:
            raise InvalidInput("crs or profile is required (give one of them)")
        return None
    if given_crs:
        raise InvalidInput("give crs or profile, not both")
    try:
        parsed = parse_profile(profile)
    except ProfileError as exc:
        raise InvalidInput(f"profile: {_hidden(str(exc), profile)}") from None
    today = utcnow().date()
    result, until = score_until(parsed, today)
    return result.total, ProfileScore(profile_json(parsed), today, until, result.rules.id)


def _hidden(message: str, data: object) -> str:
    """A profile error with every value of ``data`` it quotes that may be a secret (an apprise URL typed in
    the wrong place) described instead (:func:`~drawwatch.domain.secrets.shown_value`)."""
    for value in _strings_in(data):
        shown = shown_value(value)
        if shown != repr(value):
            message = message.replace(repr(value), shown)
    return masked_text(message)


def _strings_in(data: object) -> list[str]:
    """Every string in a parsed TOML/JSON value, longest first (so no part of one is replaced alone)."""
    found: list[str] = []
    todo = [data]
    while todo:
        value = todo.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, Mapping):
            todo.extend(value.values())
            found.extend(key for key in value if isinstance(key, str))
        elif isinstance(value, list | tuple):
            todo.extend(value)
    return sorted(found, key=len, reverse=True)


def _stripped(value: object) -> str | None:
    """An optional text field (a TOML file may give a number): stripped, or None when blank."""
    return None if value is None else (str(value).strip() or None)


def import_subscribers_file(
    engine: Engine,
    path: Path,
    *,
    checking: Progress | None = None,
    storing: Progress | None = None,
) -> ImportResult:
    """Import a subscribers file in one transaction: new people added, known ones updated (same URLs, see
    :func:`~drawwatch.storage.subscribers.merge_subscribers`), nothing stored if any row is refused.

    ``checking`` follows the reading and checking of the rows, ``storing`` the writes. Problems found while
    storing name the file's lines (CSV) or entries (TOML), like those found while reading.
    """
    entries = _read_file(path, checking)
    with session_scope(engine) as session:
        try:
            return merge_subscribers(session, [row for _, row in entries], progress=storing)
        except ImportProblem as exc:
            raise FileProblem(
                path, [f"{entries[index - 1][0]}: {message}" for index, message in exc.problems]
            ) from None


def _read_file(path: Path, progress: Progress | None) -> list[tuple[str, SubscriberInput]]:
    """The file's rows, each with where it is (``line 3``, ``subscriber 2``); all checked, or FileProblem.

    Two rows with the same notification URLs (:func:`~drawwatch.storage.subscribers.import_key`) are a
    problem naming both. ``progress`` is told ``(rows checked, rows in all)`` every ``PROGRESS_STEP`` rows
    and at the end: checking a URL with apprise is most of an import's time.
    """
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        entries = _csv_entries(path)
    elif suffix == ".toml":
        entries = _toml_entries(path)
    else:
        raise InvalidInput(f"{path}: expected a .csv or .toml file")
    rows: list[tuple[str, SubscriberInput]] = []
    problems: list[str] = []
    first_with_key: dict[frozenset[str], str] = {}
    if progress is not None:
        progress(0, len(entries))
    for done, (where, entry) in enumerate(entries, 1):
        checked = _checked(where, entry, first_with_key)
        if isinstance(checked, str):
            problems.append(f"{where}: {checked}")
        else:
            rows.append((where, checked))
        if progress is not None and (done % PROGRESS_STEP == 0 or done == len(entries)):
            progress(done, len(entries))
    if problems:
        raise FileProblem(path, problems)
    if not rows:
        raise InvalidInput(f"{path}: no subscribers in the file")
    return rows


def _checked(
    where: str, entry: dict[str, Any] | str, first_with_key: dict[frozenset[str], str]
) -> SubscriberInput | str:
    """One entry as a checked row, or what is wrong with it; ``first_with_key`` remembers each row's URLs."""
    if isinstance(entry, str):
        return entry
    try:
        row = subscriber_input(**entry)
    except (ValueError, TypeError) as exc:
        return str(exc)
    first = first_with_key.setdefault(import_key(row.urls), where)
    if first != where:
        return f"same notification URLs as {first} (one subscriber per set of URLs)"
    return row


def _text(path: Path, encoding: str) -> str:
    """The file's text; an unreadable file or a byte that is not UTF-8 is one line naming where."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the file: {exc.strerror}") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"{path}: line {line} is not UTF-8 text; save the file as UTF-8") from None


def _csv_rows(path: Path, text: str) -> list[tuple[str, list[str]]]:
    """Every non-blank row with where it is: ``line 3``, or ``lines 3-4`` for a quoted cell that holds a
    line break (``csv``'s ``line_num`` is a row's last line, so a row's first is one after the last row's).

    csv's cell limit is lifted to the file's length for the read: cells are measured against
    :data:`MAX_CELL_CHARS` afterwards, so an over-long one is named by its line and column.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, len(text) + 1))
    rows: list[tuple[str, list[str]]] = []
    try:
        first = 1
        for cells in reader:
            last, first_of_row = reader.line_num, first
            first = last + 1
            if cells:
                where = f"line {last}" if first_of_row == last else f"lines {first_of_row}-{last}"
                rows.append((where, cells))
    except csv.Error as exc:
        raise InvalidInput(f"{path}: line {reader.line_num + 1} is not valid CSV: {exc}") from None
    finally:
        csv.field_size_limit(previous)
    return rows


def _too_long(column: str, value: object) -> str | None:
    """A cell longer than :data:`MAX_CELL_CHARS` (a string, or one in a TOML list), named by its column."""
    values = value if isinstance(value, list) else [value]
    longest = max((len(v) for v in values if isinstance(v, str)), default=0)
    if longest > MAX_CELL_CHARS:
        return f"{column} is {longest:,} characters long, more than the {MAX_CELL_CHARS:,} a cell may hold"
    return None


def _csv_entries(path: Path) -> list[tuple[str, dict[str, Any] | str]]:
    rows = _csv_rows(path, _text(path, "utf-8-sig"))
    header = [h.strip() for h in rows[0][1]] if rows else []
    missing = [
        f for f in ("name", "crs", "urls") if f not in header and not (f == "crs" and "profile" in header)
    ]
    if missing:
        raise InvalidInput(
            f"{path}: the header must be {','.join(CSV_FIELDS[:-1])} (missing: {', '.join(missing)}); "
            "a profile column (a CRS profile as JSON) may replace crs"
        )
    unknown = [h for h in header if h not in CSV_FIELDS]
    if unknown:
        raise InvalidInput(
            f"{path}: unknown column(s) {shown_values(unknown)}; expected {','.join(CSV_FIELDS)}"
        )
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise InvalidInput(f"{path}: column(s) {', '.join(twice)} appear more than once in the header")
    entries: list[tuple[str, dict[str, Any] | str]] = []
    for where, cells in rows[1:]:
        row = dict(zip(header, cells, strict=False))
        problems = [p for p in (_too_long(column, cell) for column, cell in row.items()) if p]
        if len(cells) > len(header):
            problems.append(
                f"{len(cells)} cells but the header has {len(header)} columns "
                "(a cell that holds a comma must be in double quotes)"
            )
        profile = None if problems else _json_profile(row.get("profile", ""))
        if isinstance(profile, str):
            problems.append(profile)
        if problems:
            entries.append((where, "; ".join(problems)))
            continue
        entries.append(
            (
                where,
                {
                    "name": row.get("name", ""),
                    "crs": row.get("crs", ""),
                    "profile": profile,
                    "categories": row.get("categories", "").split(),
                    "urls": row.get("urls", "").split(),
                    "submitted_at": row.get("submitted_at") or None,
                    "quiet_hours": row.get("quiet_hours") or None,
                    "timezone": row.get("timezone") or None,
                },
            )
        )
    return entries


def _toml_entries(path: Path) -> list[tuple[str, dict[str, Any] | str]]:
    try:
        data = tomllib.loads(_text(path, "utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{path}: not valid TOML: {exc}") from None
    items = data.get("subscribers", data.get("subscriber"))
    if not isinstance(items, list):
        raise InvalidInput(
            f"{path}: expected [[subscribers]] tables with name, crs, categories, urls, submitted_at"
        )
    entries: list[tuple[str, dict[str, Any] | str]] = []
    for index, item in enumerate(items, start=1):
        where = f"subscriber {index}"
        if not isinstance(item, dict):
            entries.append((where, "not a table"))
            continue
        unknown = sorted(set(item) - set(CSV_FIELDS))
        known = {key: value for key, value in item.items() if key in CSV_FIELDS}
        problems = [p for p in (_too_long(key, value) for key, value in known.items()) if p]
        if unknown:
            problems.append(f"unknown field(s) {shown_values(unknown)}")
        categories = item.get("categories", [])
        urls = item.get("urls", [])
        if not _strings(categories):
            problems.append("categories must be a list of category keys")
        if not _strings(urls):
            problems.append("urls must be a list of notification URLs")  # never echoed: may hold secrets
        if problems:
            entries.append((where, "; ".join(problems)))
            continue
        entries.append(
            (
                where,
                {
                    "name": item.get("name", ""),
                    "crs": item.get("crs"),
                    "profile": item.get("profile"),
                    "categories": categories.split() if isinstance(categories, str) else list(categories),
                    "urls": urls.split() if isinstance(urls, str) else list(urls),
                    "submitted_at": item.get("submitted_at"),
                    "quiet_hours": item.get("quiet_hours"),
                    "timezone": item.get("timezone"),
                },
            )
        )
    return entries


def _json_profile(cell: str) -> dict[str, Any] | str | None:
    """A CSV ``profile`` cell: the CRS profile it holds as JSON, None when blank, or what is wrong with it
    (never quoting the cell: it may be an apprise URL in the wrong column)."""
    if not cell.strip():
        return None
    try:
        data = json.loads(cell)
    except json.JSONDecodeError as exc:
        return f"profile is not valid JSON ({exc.msg} at character {exc.pos + 1}): give the profile as a JSON object"
    if not isinstance(data, dict):
        kind = {list: "array", str: "string", bool: "true or false", int: "number", float: "number"}
        return f"profile must be a JSON object of profile keys, got a JSON {kind.get(type(data), 'null')}"
    return data


def _strings(value: object) -> bool:
    """A TOML value a list field takes: a string (split on spaces, as in CSV) or a list of strings."""
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
