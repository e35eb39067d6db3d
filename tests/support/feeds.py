"""The real copies of IRCC's English feed in ``tests/fixtures`` (see SOURCES.md there), and their documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# The real copies, oldest first.
FEED_COPIES = {
    229: "ee_rounds_123_en.229.reformatted.committed-2022-08-30.json",
    237: "ee_rounds_123_en.237.raw.committed-2023-01-17.json",
    238: "ee_rounds_123_en.238.raw.committed-2023-01-29.json",
    287: "ee_rounds_123_en.287.raw.committed-2024-03-06.json",
    295: "ee_rounds_123_en.295.raw.committed-2024-04-28.json",
    327: "ee_rounds_123_en.327.raw.committed-2024-11-20.json",
    411: "ee_rounds_123_en.411.raw.committed-2026-04-21.json",
    434: "ee_rounds_123_en.434.reserialized-indent2.committed-2026-08-07.json",
    "434-array": "ee_rounds_123_en.434.rounds-array-only.committed-2026-08-07.json",
    437: "ee_rounds_123_en.437.raw.committed-2026-08-19.json",
}
INVALID_COPY = "ee_rounds_123_en.336.raw-INVALID-JSON.committed-2025-02-19.json"

# Where drawwatch fetches the feed from, and the prefix of the rounds' pages the feed links to.
FEED_URL = "https://www.canada.ca/content/dam/ircc/documents/json/ee_rounds_123_en.json"
ROUNDS_PAGE = (
    "https://www.canada.ca/en/immigration-refugees-citizenship/corporate/mandate/"
    "policies-operational-instructions-agreements/ministerial-instructions/express-entry-rounds/"
)


def feed_path(key: int | str) -> Path:
    """The file of a copy: a key of FEED_COPIES, or ``"invalid"`` for the copy that is not JSON."""
    return FIXTURES / (INVALID_COPY if key == "invalid" else FEED_COPIES[key])


def feed_bytes(key: int | str) -> bytes:
    return feed_path(key).read_bytes()


def feed_document(key: int | str) -> Any:
    """A copy's JSON document, a fresh one each call (to edit)."""
    return json.loads(feed_bytes(key))


def feed_rounds(key: int | str) -> list[dict[str, str]]:
    """A copy's round entries as published, newest first (the array-only copy has no object around them)."""
    document = feed_document(key)
    return document["rounds"] if isinstance(document, dict) else document


def feed_body(document: Any) -> bytes:
    """A feed body to serve: ``document`` as JSON."""
    return json.dumps(document).encode()


def with_new_rounds(key: int | str, numbers: list[str], *, days_apart: int = 1) -> Any:
    """A copy's document with rounds added on top, cloned from its newest: ``numbers`` in order, each dated
    ``days_apart`` after the one before (0: all on the newest round's date)."""
    import datetime as dt

    document = feed_document(key)
    rounds = document["rounds"] if isinstance(document, dict) else document
    newest = rounds[0]
    day = dt.date.fromisoformat(newest["drawDate"])
    for number in numbers:
        day += dt.timedelta(days=days_apart)
        entry = {
            name: value.replace(f"q={newest['drawNumber']}", f"q={number}")
            .replace(f"#{newest['drawNumber']}<", f"#{number}<")
            .replace(f">{newest['drawNumber']}<", f">{number}<")
            for name, value in newest.items()
        }
        suffix = "th" if 11 <= day.day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day.day % 10, "th")
        entry.update(
            drawNumber=number,
            drawDate=day.isoformat(),
            drawDateFull=f"{day:%B} {day.day}, {day.year}",
            drawDateTime=f"{day:%B} {day.day}{suffix} {day.year} at 12:35:37 UTC",
        )
        rounds.insert(0, entry)
    return document
