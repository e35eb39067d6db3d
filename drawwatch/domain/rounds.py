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

    number: str = Field(pattern=NUMBER_RE.pattern)
    date: dt.date
    name: str = Field(min_length=1, description="IRCC's raw drawName")
    category: str
    list_version: str | None = Field(default=None, description="'Version 2', '2026-Version 2', '2023-1'")
    programs: str = Field(default="", description="drawText2: the programs the round covered")
    invitations: int = Field(ge=1, le=100_000)
    crs: int = Field(ge=1, le=1200)
    run_at: datetime | None = None
    run_at_raw: str = ""
    tie_break: datetime | None = None
    tie_break_raw: str = ""
    url: str
    distribution_as_on: dt.date | None = None
    distribution: dict[str, int] | None = Field(
        default=None, description="dd1..dd18 counts; None when IRCC published all zeros"
    )
    notes: tuple[str, ...] = Field(default=(), description="warnings raised while parsing this round")

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
