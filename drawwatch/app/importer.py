"""Reading subscribers from people: command-line values and CSV or TOML files, checked field by field.

Errors name the line (CSV) or entry (TOML) and the field, and a file is taken whole or not at all. A row's
set of notification URLs says who it is, so importing a file again updates people instead of adding them twice.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from drawwatch.domain.errors import InvalidInput
from drawwatch.notify.urls import ChannelError, validate_url
from drawwatch.storage.db import session_scope
from drawwatch.storage.subscribers import (
    PROGRESS_STEP,
    ImportProblem,
    ImportResult,
    Progress,
    SubscriberInput,
    import_key,
    merge_subscribers,
)

CSV_FIELDS = ("name", "crs", "categories", "urls", "submitted_at", "quiet_hours", "timezone")


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
        raise InvalidInput(f"submitted_at {text!r} is not an ISO-8601 date and time") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"submitted_at {text!r} has no time zone: add Z for UTC or an offset like -04:00")
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
) -> SubscriberInput:
    """Build and validate one subscriber; raises ValueError naming the field."""
    if isinstance(crs, bool) or not isinstance(crs, int):
        try:
            crs = int(str(crs).strip())
        except ValueError:
            raise InvalidInput(f"crs must be a whole number, got {crs!r}") from None
    when: datetime | None
    if isinstance(submitted_at, datetime):
        when = submitted_at.astimezone(UTC) if submitted_at.tzinfo else None
        if when is None:
            raise InvalidInput("submitted_at has no time zone: add Z for UTC or an offset")
    else:
        when = parse_submitted_at(submitted_at) if submitted_at and str(submitted_at).strip() else None
    data = SubscriberInput(
        name=str(name).strip(),
        crs=crs,
        categories=sorted({c.strip().lower() for c in categories if c.strip()}),
        urls=check_urls(u.strip() for u in urls if u.strip()),
        submitted_at=when,
        occupations=list(occupations),
        nclc_french=nclc_french,
        quiet_hours=(quiet_hours or "").strip() or None,
        time_zone=(timezone or "").strip() or None,
    )
    data.validate()
    return data


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


def _csv_entries(path: Path) -> list[tuple[str, dict[str, Any] | str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [f for f in ("name", "crs", "urls") if f not in header]
        if missing:
            raise InvalidInput(
                f"{path}: the header must be {','.join(CSV_FIELDS)} (missing: {', '.join(missing)})"
            )
        unknown = [h for h in header if h not in CSV_FIELDS]
        if unknown:
            raise InvalidInput(
                f"{path}: unknown column(s) {', '.join(unknown)}; expected {','.join(CSV_FIELDS)}"
            )
        entries: list[tuple[str, dict[str, Any] | str]] = []
        for row in reader:
            row = {k.strip(): (v or "") for k, v in row.items() if k}
            entries.append(
                (
                    f"line {reader.line_num}",
                    {
                        "name": row.get("name", ""),
                        "crs": row.get("crs", ""),
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
        data = tomllib.loads(path.read_text(encoding="utf-8"))
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
        unknown = set(item) - set(CSV_FIELDS) if isinstance(item, dict) else set()
        if not isinstance(item, dict) or unknown:
            entries.append(
                (where, f"unknown field(s) {', '.join(sorted(unknown))}" if unknown else "not a table")
            )
            continue
        categories = item.get("categories", [])
        urls = item.get("urls", [])
        entries.append(
            (
                where,
                {
                    "name": item.get("name", ""),
                    "crs": item.get("crs", ""),
                    "categories": categories.split() if isinstance(categories, str) else list(categories),
                    "urls": urls.split() if isinstance(urls, str) else list(urls),
                    "submitted_at": item.get("submitted_at"),
                    "quiet_hours": item.get("quiet_hours"),
                    "timezone": item.get("timezone"),
                },
            )
        )
    return entries
