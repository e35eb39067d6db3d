"""Items the rounds spider yields: one validated :class:`RoundItem` per round, and a record for each round or
fetch that could not be used. These are the only contract between the scrapers and the rest of drawwatch.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from drawwatch.domain.categories import CATEGORY_KEYS

NUMBER_RE = re.compile(r"^(\d+)([a-z]?)$")

# --- What a plausible round looks like. A round outside these bounds is held back (a RejectedRound naming the
# round and the value), never stored: a typo must not overwrite history or send alerts (docs/feed.md, "Values
# held back"). Real values are in the comments, so the margins can be judged.
FIRST_ROUND_DATE = dt.date(2015, 1, 1)  # Express Entry opened on 2015-01-01; round #1 ran on 2015-01-31
FUTURE_DAYS = 2  # a round dated more than this many days after today (UTC) is a typo (#437 as 2036)
MAX_ROUND_NUMBER = 99_999  # #440 in 2026, about 35 a year
CRS_RANGE = (1, 1200)  # the CRS scale; real cut-offs run 75..902
INVITATIONS_RANGE = (1, 100_000)  # real rounds invited 4..27,332
MAX_POOL_COUNT = 10_000_000  # one dd band of the pool; the whole pool (dd18) was at most about 290,000

# The longest text (in characters) drawwatch takes from each feed field it reads; the longest real value since
# 2015 is in the comment. Longer text is not a round name but an accident (a 70 KB name can never fit an
# alert), so the round is held back. The RoundItem fields filled from them carry the same caps.
FEED_TEXT_LIMITS: dict[str, int] = {
    "drawNumber": 16,  # "437"
    "drawName": 300,  # name: 61
    "drawText2": 1_000,  # programs: 120
    "drawNumberURL": 2_000,  # url (an HTML link): 205
    "mitext": 2_000,  # 282
    "DrawText1": 2_000,  # 242
    "drawDate": 100,  # 10
    "drawDateFull": 100,  # 18
    "drawDateTime": 200,  # run_at_raw: 43
    "drawCutOff": 200,  # tie_break_raw: 37
    "drawDistributionAsOn": 100,  # 18
    "drawSize": 32,  # "27,332"
    "drawCRS": 32,  # "382"
    **{f"dd{i}": 32 for i in range(1, 19)},  # "226,859"
}

# Characters no text of a round may hold: C0 and C1 controls (NUL among them; tab, CR and LF are ordinary
# whitespace, which the parser turns into spaces), DEL, lone surrogates (what undecodable bytes become) and the
# bidirectional overrides that make text display other than it reads.
FORBIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]"
)


def forbidden_character(text: str) -> str | None:
    """Why ``text`` cannot be stored ("holds U+0000 at character 5"), or None when it can."""
    found = FORBIDDEN_CHARACTERS.search(text)
    if found is None:
        return None
    char, where = found.group(), found.start() + 1
    if "\udc80" <= char <= "\udcff":  # how an undecodable byte arrives (surrogateescape)
        return f"is not valid UTF-8 (byte 0x{ord(char) - 0xDC00:02X} at character {where})"
    if "\ud800" <= char <= "\udfff":
        return f"holds a lone surrogate U+{ord(char):04X} at character {where} (not valid text)"
    return f"holds the control character U+{ord(char):04X} at character {where}"


# dd1..dd18: CRS band of the whole pool each key counts (docs/feed.md). dd3, dd9 are subtotals, dd18 the total.
DISTRIBUTION_BANDS: dict[str, str] = {
    "dd1": "601-1200",
    "dd2": "501-600",
    "dd3": "451-500",
    "dd4": "491-500",
    "dd5": "481-490",
    "dd6": "471-480",
    "dd7": "461-470",
    "dd8": "451-460",
    "dd9": "401-450",
    "dd10": "441-450",
    "dd11": "431-440",
    "dd12": "421-430",
    "dd13": "411-420",
    "dd14": "401-410",
    "dd15": "351-400",
    "dd16": "301-350",
    "dd17": "0-300",
    "dd18": "total",
}
SUBTOTAL_BANDS = frozenset({"dd3", "dd9", "dd18"})


def number_sort_key(number: str) -> tuple[int, str]:
    """Order round numbers as IRCC does: by leading integer, then suffix (``91 < 91a < 91b < 92``)."""
    match = NUMBER_RE.match(number)
    if not match:
        raise ValueError(f"not a round number: {number!r}")
    return int(match.group(1)), match.group(2)


class RoundItem(BaseModel):
    """One round of invitations as published, validated. Raw texts are kept beside what was parsed from them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: str = Field(pattern=NUMBER_RE.pattern, max_length=FEED_TEXT_LIMITS["drawNumber"])
    date: dt.date
    name: str = Field(
        min_length=1, max_length=FEED_TEXT_LIMITS["drawName"], description="IRCC's raw drawName"
    )
    category: str
    list_version: str | None = Field(
        default=None, max_length=FEED_TEXT_LIMITS["drawName"], description="'Version 2', '2026-Version 2'"
    )
    programs: str = Field(
        default="", max_length=FEED_TEXT_LIMITS["drawText2"], description="drawText2: the programs it covered"
    )
    invitations: int = Field(ge=INVITATIONS_RANGE[0], le=INVITATIONS_RANGE[1])
    crs: int = Field(ge=CRS_RANGE[0], le=CRS_RANGE[1])
    run_at: datetime | None = None
    run_at_raw: str = Field(default="", max_length=FEED_TEXT_LIMITS["drawDateTime"])
    tie_break: datetime | None = None
    tie_break_raw: str = Field(default="", max_length=FEED_TEXT_LIMITS["drawCutOff"])
    url: str = Field(max_length=FEED_TEXT_LIMITS["drawNumberURL"])
    distribution_as_on: dt.date | None = None
    distribution: dict[str, int] | None = Field(
        default=None, description="dd1..dd18 counts; None when IRCC published all zeros"
    )
    notes: tuple[str, ...] = Field(default=(), description="warnings raised while parsing this round")

    @field_validator("number")
    @classmethod
    def _plausible_number(cls, value: str) -> str:
        if number_sort_key(value)[0] > MAX_ROUND_NUMBER:
            raise ValueError(f"round number {value} is above {MAX_ROUND_NUMBER:,}")
        return value

    @field_validator("name", "list_version", "programs", "run_at_raw", "tie_break_raw", "url")
    @classmethod
    def _storable_text(cls, value: str | None) -> str | None:
        problem = forbidden_character(value) if value is not None else None
        if problem is not None:
            raise ValueError(f"text {problem}")
        return value

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CATEGORY_KEYS:
            raise ValueError(f"unknown category key {value!r}")
        return value

    @field_validator("run_at", "tie_break")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("datetimes must be timezone-aware")
        return value.astimezone(UTC) if value is not None else None

    @field_validator("distribution")
    @classmethod
    def _bands(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        if value is not None:
            if set(value) != set(DISTRIBUTION_BANDS):
                raise ValueError("distribution must have exactly the keys dd1..dd18")
            if any(v < 0 for v in value.values()):
                raise ValueError("distribution counts cannot be negative")
        return value

    @model_validator(mode="after")
    def _distribution_date(self) -> RoundItem:
        if self.distribution is not None and self.distribution_as_on is None:
            raise ValueError("a published distribution needs its as-on date")
        return self

    @property
    def sort_key(self) -> tuple[int, str]:
        return number_sort_key(self.number)


@dataclass(frozen=True)
class RejectedRound:
    """A round in the feed that could not be validated; it is skipped and reported, never stored."""

    index: int  # position in the feed's rounds array
    number: str | None
    reason: str


@dataclass(frozen=True)
class FetchFailure:
    """The feed could not be downloaded (HTTP error, timeout, refused connection, robots.txt)."""

    url: str
    reason: str
    status: int | None = None


@dataclass(frozen=True)
class InvalidFeed:
    """The feed was downloaded but must not be used at all (see ``drawwatch.scrapers.feed``)."""

    url: str
    reason: str
