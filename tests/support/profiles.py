"""A CRS profile for tests of subscribers with a profile: 29 until 2026-08-21, when age costs 5 points."""

from __future__ import annotations

from datetime import date
from typing import Any

# A single candidate with a master's degree, IELTS CLB 9/10, one year of Canadian and three of foreign work.
PROFILE_DATA: dict[str, Any] = {
    "birth_date": "1996-08-21",  # 30 on 2026-08-21: 5 points fewer for age
    "spouse_status": "none",
    "education": "masters",
    "first_language": {
        "test": "ielts",
        "test_date": "2025-09-20",
        "scores": {"listening": 8.0, "reading": 7.0, "writing": 7.0, "speaking": 7.5},
    },
    "canadian_work_years": 1,
    "foreign_work_years": 3,
}
EVE, BIRTHDAY = date(2026, 8, 20), date(2026, 8, 21)


def profile_data(**changes: Any) -> dict[str, Any]:
    """:data:`PROFILE_DATA` with ``changes`` (a fresh copy: tests may edit it)."""
    return {**PROFILE_DATA, **changes}
