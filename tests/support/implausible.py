"""Implausible values IRCC's feed could carry (issue 16, point 3), and feed bodies that carry them.

One table serves the parser tests (tests/scrapers/test_implausible_values.py) and the checks against a real
database (tests/storage/test_implausible_rounds.py), so both judge the same values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RawJson:
    """A value written into the feed's JSON text as these bytes, as is: what ``json.dumps`` cannot produce
    (bytes that are not UTF-8, an integer of 5,000 digits)."""

    text: bytes


@dataclass(frozen=True)
class Implausible:
    """Fields replaced in one round, and what the rejection reason says after "round N: "."""

    id: str
    fields: dict[str, Any]
    reason: str
    renumbers: bool = field(default=False)  # the round's own number is the implausible value


TEN_MB = 10 * 1024 * 1024

HELD_BACK: list[Implausible] = [
    Implausible(
        "date-2036",
        {"drawDate": "2036-08-19", "drawDateFull": "August 19, 2036"},
        "date 2036-08-19 is more than 2 days after today",
    ),
    Implausible(
        "date-2099-full-only",
        {"drawDate": "", "drawDateFull": "August 19, 2099"},
        "date 2099-08-19 is more than 2 days after today",
    ),
    Implausible(
        "date-2014",
        {"drawDate": "2014-12-31", "drawDateFull": "December 31, 2014"},
        "date 2014-12-31 is before Express Entry began (2015-01-01)",
    ),
    Implausible("number-100000", {"drawNumber": "100000"}, "drawNumber is above 99,999", renumbers=True),
    Implausible(
        "number-4e9-text", {"drawNumber": "4000000000"}, "drawNumber is above 99,999", renumbers=True
    ),
    Implausible(
        "number-4e9-json", {"drawNumber": 4_000_000_000}, "drawNumber is above 99,999", renumbers=True
    ),
    Implausible(
        "number-400-digits", {"drawNumber": RawJson(b"4" * 400)}, "drawNumber is above 99,999", renumbers=True
    ),
    Implausible(
        "number-5000-digits",
        {"drawNumber": RawJson(b"4" * 5000)},
        "drawNumber is above 99,999",
        renumbers=True,
    ),
    Implausible(
        "name-70kb",
        {"drawName": "A" * 70_000},
        "drawName is 70,000 characters long (more than the 300 taken)",
    ),
    Implausible(
        "name-10mb", {"drawName": "B" * TEN_MB}, f"drawName is {TEN_MB:,} characters long (more than the 300"
    ),
    Implausible("programs-long", {"drawText2": "P" * 1_001}, "drawText2 is 1,001 characters long"),
    Implausible("link-long", {"drawNumberURL": "L" * 2_001}, "drawNumberURL is 2,001 characters long"),
    Implausible("cutoff-long", {"drawCutOff": "C" * 201}, "drawCutOff is 201 characters long"),
    Implausible(
        "name-nul",
        {"drawName": "French\x00-Language proficiency 2026-Version 2"},
        "drawName holds the control character U+0000 at character 7",
    ),
    Implausible(
        "programs-escape", {"drawText2": "Federal\x1b[2J"}, "drawText2 holds the control character U+001B"
    ),
    Implausible(
        "cutoff-c1", {"drawCutOff": "March 1, 2026\x85"}, "drawCutOff holds the control character U+0085"
    ),
    Implausible(
        "name-bidi-override", {"drawName": "French \u202eSTEM"}, "drawName holds the control character U+202E"
    ),
    Implausible(
        "name-not-utf8",
        {"drawName": RawJson(b'"Cat\xe9gorie de l\x92exp\xe9rience canadienne"')},
        "drawName is not valid UTF-8 (byte 0xE9 at character 4)",
    ),
    Implausible(
        "name-lone-surrogate",
        {"drawName": RawJson(b'"French \\ud800 proficiency"')},
        "drawName holds a lone surrogate U+D800",
    ),
    Implausible("crs-400-digits", {"drawCRS": RawJson(b"3" * 400)}, "drawCRS is a JSON number of 400 digits"),
    Implausible("crs-4e9", {"drawCRS": 4_000_000_000}, "drawCRS 4000000000 is outside 1..1,200"),
    Implausible("crs-1201", {"drawCRS": "1201"}, "drawCRS '1201' is outside 1..1,200"),
    Implausible("invitations-100001", {"drawSize": "100,001"}, "drawSize '100,001' is outside 1..100,000"),
    Implausible("pool-band-huge", {"dd5": RawJson(b"9" * 30)}, "dd5 is a JSON number of 30 digits"),
]
"""Each value holds its round back: a RejectedRound whose reason is "round N: " + reason + "…; held back"."""


def edit(document: Any, number: str, fields: dict[str, Any]) -> None:
    """Replace ``fields`` in round ``number`` of the feed ``document``, in place (RawJson values too)."""
    rounds = document["rounds"] if isinstance(document, dict) else document
    next(r for r in rounds if r["drawNumber"] == number).update(fields)


def body_of(document: Any) -> bytes:
    """The feed ``document`` as JSON bytes, each RawJson value written as its bytes."""
    raw: dict[bytes, bytes] = {}

    def marker(value: object) -> str:
        if not isinstance(value, RawJson):
            raise TypeError(f"not JSON: {value!r}")
        text = f"@@raw-{len(raw)}@@"
        raw[json.dumps(text).encode()] = value.text
        return text

    body = json.dumps(document, indent=1, default=marker).encode()  # NUL, U+202E travel as \u escapes
    for text, value in raw.items():
        body = body.replace(text, value, 1)
    return body


def body_with(document: Any, number: str, fields: dict[str, Any]) -> bytes:
    """:func:`edit` the document, then :func:`body_of` it."""
    edit(document, number, fields)
    return body_of(document)


def label(case: Implausible, number: str) -> str:
    """The "round N" a rejection of ``case`` in round ``number`` starts with."""
    if not case.renumbers:
        return f"round {number}"
    value = case.fields["drawNumber"]
    digits = value.text.decode() if isinstance(value, RawJson) else str(value)
    return (
        f"round {digits}"
        if len(digits) <= 12
        else f"round {digits[:4]}…{digits[-4:]} ({len(digits):,} digits)"
    )


OFF_SITE_LINK = "https://drawwatch-phish.example/express-entry-rounds/invitations.html?q=437"
OFF_SITE_FIELDS: dict[str, Any] = {
    key: f"<a href='{OFF_SITE_LINK}'>Invitations #437</a>" for key in ("drawNumberURL", "mitext", "DrawText1")
}
"""All three links of a round pointing off-site: the round is kept, its URL is built on canada.ca."""
