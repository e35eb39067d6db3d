"""Field parsers against the variants IRCC really published (one table per parser).

Real strings come from the copies in tests/fixtures; the comment on each row names a round that has it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from drawwatch.scrapers.parsing import (
    constructed_round_url,
    parse_distribution,
    parse_int,
    parse_ircc_datetime,
    parse_long_date,
    parse_round_date,
    round_url,
)
from tests.support.feeds import ROUNDS_PAGE as PAGE
from tests.support.times import utc

# --- drawDateTime / drawCutOff ---
# (text, reference date, expected datetime or None, a substring of the only note, or None for no note)
DATETIME_CASES: list[tuple[str, date | None, datetime | None, str | None]] = [
    # every layout found in the real copies, one real string each
    ("August 17, 2022 at 13:43:47 UTC", date(2022, 8, 17), utc(2022, 8, 17, 13, 43, 47), None),  # #229
    ("July 6, 2022 at 14:34:34 UTC", date(2022, 7, 6), utc(2022, 7, 6, 14, 34, 34), None),  # #226
    ("November 11, 2019 at 6:29:10 UTC", date(2019, 11, 27), utc(2019, 11, 11, 6, 29, 10), None),  # #131
    ("January 9, 2019 at 7:35:09 UTC", date(2019, 4, 3), utc(2019, 1, 9, 7, 35, 9), None),  # #114
    ("October 15, 2025 15:55:18 UTC", date(2025, 10, 15), utc(2025, 10, 15, 15, 55, 18), None),  # #373
    ("April 27,2022 16:04:21 UTC", date(2022, 4, 27), utc(2022, 4, 27, 16, 4, 21), None),  # #221
    ("March 24,2022 at 8:00:50 UTC", date(2022, 4, 27), utc(2022, 3, 24, 8, 0, 50), None),  # #221 cut-off
    ("February 02 2022 at 14:16:27 UTC", date(2022, 2, 2), utc(2022, 2, 2, 14, 16, 27), None),  # #215
    ("May 26, 2017, at 16:35:48 UTC", date(2017, 5, 26), utc(2017, 5, 26, 16, 35, 48), None),  # #64
    ("November 1, 2017, at 12:55:44 UTC", date(2017, 11, 1), utc(2017, 11, 1, 12, 55, 44), None),  # #76
    ("March 27, 2015 at 23:59:47", date(2015, 3, 27), utc(2015, 3, 27, 23, 59, 47), None),  # #6, no UTC
    ("June 15, 2023 at 23:49:05", date(2023, 7, 12), utc(2023, 6, 15, 23, 49, 5), None),  # #258
    (" July 13, 2016 at 13:56:45 UTC", date(2016, 7, 13), utc(2016, 7, 13, 13, 56, 45), None),  # #38
    (" January 17, 2018 at 12:33:00 UTC", date(2018, 1, 24), utc(2018, 1, 17, 12, 33), None),  # #82
    ("July 04, 2023 at 19:36:18 UTC ", date(2023, 8, 15), utc(2023, 7, 4, 19, 36, 18), None),  # #262
    ("April 13, 2026  at 23:10:05 UTC", date(2026, 4, 27), utc(2026, 4, 13, 23, 10, 5), None),  # #412
    ("May 21, 2026 at  12:14:09 UTC", date(2026, 6, 25), utc(2026, 5, 21, 12, 14, 9), None),  # #422
    ("October 18, 2025 at  7:18:52 UTC", date(2025, 12, 15), utc(2025, 10, 18, 7, 18, 52), None),  # #386
    ("August 30. 2023 at 17:30:21 UTC", date(2023, 12, 20), utc(2023, 8, 30, 17, 30, 21), None),  # #277
    ("March 02. 2024 at 01:58:34 UTC", date(2024, 11, 12), utc(2024, 3, 2, 1, 58, 34), None),  # #322
    ("July 3rd 2026 at 21:35:13 UTC", date(2026, 8, 5), utc(2026, 7, 3, 21, 35, 13), None),  # #432
    ("August 19th 2026 at 12:35:37 UTC", date(2026, 8, 19), utc(2026, 8, 19, 12, 35, 37), None),  # #437
    ("May 31, 2024 at12:48:30 UTC", date(2024, 5, 31), utc(2024, 5, 31, 12, 48, 30), None),  # #297
    ("January 23, 2025 at 2025-01-23 15:30:04 UTC", date(2025, 1, 23), utc(2025, 1, 23, 15, 30, 4), None),
    ("August 15, 2024 at 2024-08-15 15:11:54 UTC", date(2024, 8, 15), utc(2024, 8, 15, 15, 11, 54), None),
    ("September 30, 2023 at 04:22:17 AM UTC", date(2023, 10, 25), utc(2023, 9, 30, 4, 22, 17), None),  # #270
    (
        "October 25, 2023 at 15:48:39 AM UTC",
        date(2023, 10, 25),
        utc(2023, 10, 25, 15, 48, 39),
        "ignored 'AM'",
    ),
    ("June 22, 2021 at 20:19:59 PM UTC", date(2021, 11, 24), utc(2021, 6, 22, 20, 19, 59), "ignored 'PM'"),
    ("October 7 at 16:38:21 UTC", date(2021, 10, 27), utc(2021, 10, 7, 16, 38, 21), "year inferred as 2021"),
    ("", date(2017, 11, 1), None, None),  # #1-#76 have no tie-break
    # meridiem on a 12-hour clock: applied, 12 AM is midnight, 12 PM is noon
    ("May 1, 2024 at 12:30:00 AM UTC", None, utc(2024, 5, 1, 0, 30), None),
    ("May 1, 2024 at 12:30:00 PM UTC", None, utc(2024, 5, 1, 12, 30), None),
    ("May 1, 2024 at 01:15:00 PM UTC", None, utc(2024, 5, 1, 13, 15), None),
    ("May 1, 2024 at 11:15:00 p.m. UTC", None, utc(2024, 5, 1, 23, 15), None),
    ("May 1, 2024 at 00:10:00 AM UTC", None, utc(2024, 5, 1, 0, 10), "ignored 'AM'"),
    # tolerated spellings not seen yet
    ("August\u00a018, 2026 at 10:13:44\u00a0UTC", None, utc(2026, 8, 18, 10, 13, 44), None),
    ("AUGUST 18, 2026 AT 10:13:44 UTC", None, utc(2026, 8, 18, 10, 13, 44), None),
    ("Sept 5, 2024 at 10:13 GMT", None, utc(2024, 9, 5, 10, 13), None),
    ("January 23, 2025 at 2025-01-24 15:30:04 UTC", None, utc(2025, 1, 24, 15, 30, 4), "two different dates"),
    # no year: the latest year that is not after the round (one day of slack for Ottawa vs UTC)
    ("January 1 at 03:00:00 UTC", date(2021, 12, 31), utc(2022, 1, 1, 3), "year inferred as 2022"),
    ("December 31 at 23:00:00 UTC", date(2022, 1, 5), utc(2021, 12, 31, 23), "year inferred as 2021"),
    ("October 28 at 16:38:21 UTC", date(2021, 10, 27), utc(2021, 10, 28, 16, 38, 21), "year inferred"),
    ("October 29 at 16:38:21 UTC", date(2021, 10, 27), utc(2020, 10, 29, 16, 38, 21), "year inferred"),
    ("February 29 at 10:00:00 UTC", date(2025, 3, 1), utc(2024, 2, 29, 10), "year inferred as 2024"),
    # unreadable: None and a note naming the text and the reason, never an exception
    ("October 7 at 16:38:21 UTC", None, None, "no year and no round date"),
    ("TBD", date(2026, 1, 1), None, "'TBD' has no date or time"),
    ("16:38:21 UTC", None, None, "has no date"),
    ("October 7, 2021", None, None, "no time of day"),
    ("Octobre 7, 2021 at 16:38:21 UTC", None, None, "no recognisable month"),
    ("October 7, 2021 at 16:38:21 EDT", None, None, "not in a known date-and-time layout"),
    ("February 30, 2023 at 10:00:00 UTC", None, None, "not a real date"),
    ("October 7, 2021 at 25:10:00 UTC", None, None, "impossible time of day"),
    ("October 7, 2021 at 10:61:00 UTC", None, None, "impossible time of day"),
    ("October 7, 2021 at 2021-13-01 10:00:00 UTC", None, None, "impossible date"),
    ("<p>see page</p>", None, None, "has no date or time"),
    ("   ", None, None, None),
]


@pytest.mark.parametrize(("text", "reference", "expected", "note"), DATETIME_CASES, ids=repr)
def test_parse_ircc_datetime(
    text: str, reference: date | None, expected: datetime | None, note: str | None
) -> None:
    parsed, notes = parse_ircc_datetime(text, reference=reference)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() == timedelta(0)
    if note is None:
        assert notes == []
    else:
        assert len(notes) == 1 and note in notes[0], notes
        if expected is None and text.strip():
            assert repr(text) in notes[0]  # the note names the text


def test_parse_ircc_datetime_never_raises_on_non_text() -> None:
    parsed, notes = parse_ircc_datetime(None, reference=date(2026, 1, 1))  # type: ignore[arg-type]
    assert parsed is None and "not text" in notes[0]


# --- counts ---
INT_CASES: list[tuple[object, int | type[Exception]]] = [
    ("5,000", 5000),
    ("27,332", 27332),
    ("382", 382),
    (" 382 ", 382),
    ("0", 0),
    ("4", 4),
    ("238,947", 238947),
    ("1,234,567", 1234567),
    ("20 784", 20784),  # French feed, ASCII space
    ("20\u00a0784", 20784),  # no-break space
    ("20\u202f784", 20784),  # narrow no-break space
    (382, 382),  # JSON number
    ("", ValueError),
    ("   ", ValueError),
    ("5,00", ValueError),
    ("1,23,456", ValueError),
    ("12 ,345", ValueError),
    ("1,234 567", ValueError),
    ("3.5", ValueError),
    ("-3", ValueError),
    (-3, ValueError),
    ("n/a", ValueError),
    ("٣٨٢", ValueError),  # Arabic-Indic digits are not IRCC's
    (None, ValueError),
    (True, ValueError),
]


@pytest.mark.parametrize(("text", "expected"), INT_CASES, ids=repr)
def test_parse_int(text: object, expected: int | type[Exception]) -> None:
    if isinstance(expected, int):
        assert parse_int(text) == expected  # type: ignore[arg-type]
    else:
        with pytest.raises(expected) as info:
            parse_int(text)  # type: ignore[arg-type]
        assert repr(text) in str(info.value)


def test_parse_int_message_reads_well_in_a_reason() -> None:
    with pytest.raises(ValueError, match=r"^'' is not a number$"):
        parse_int("")


# --- dates ---
LONG_DATE_CASES: list[tuple[str, date | None]] = [
    ("August 19, 2026", date(2026, 8, 19)),
    ("August 3, 2022", date(2022, 8, 3)),
    ("January 31, 2015", date(2015, 1, 31)),
    ("april 26,2023", date(2023, 4, 26)),
    ("July 3rd 2026", date(2026, 7, 3)),
    ("Sept. 5, 2024", date(2024, 9, 5)),
    ("February 29, 2023", None),
    ("2026-08-19", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), LONG_DATE_CASES, ids=repr)
def test_parse_long_date(text: str, expected: date | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            parse_long_date(text)
    else:
        assert parse_long_date(text) == expected


# (drawDate, drawDateFull, expected date or exception, substring of the note or None)
ROUND_DATE_CASES: list[tuple[str, str, date | type[Exception], str | None]] = [
    ("2026-08-19", "August 19, 2026", date(2026, 8, 19), None),
    ("2015-01-31", "January 31, 2015", date(2015, 1, 31), None),
    (" 2026-08-19 ", "August 19, 2026", date(2026, 8, 19), None),
    ("11-01-2023", "January 11, 2023", date(2023, 1, 11), "read as DD-MM-YYYY"),  # #237 as first published
    ("01-11-2023", "January 11, 2023", date(2023, 1, 11), "read as MM-DD-YYYY"),
    ("25-01-2023", "", date(2023, 1, 25), "the only valid reading"),
    ("11-01-2023", "February 3, 2023", date(2023, 2, 3), "used drawDateFull"),
    ("2023-02-30", "February 28, 2023", date(2023, 2, 28), "used drawDateFull"),
    ("", "August 19, 2026", date(2026, 8, 19), "used drawDateFull"),
    ("2026-08-19", "August 18, 2026", date(2026, 8, 19), "disagrees"),
    ("2026-08-19", "", date(2026, 8, 19), None),
    ("11-01-2023", "", ValueError, None),  # ambiguous and nothing to settle it
    ("", "", ValueError, None),
    ("soon", "n/a", ValueError, None),
]


@pytest.mark.parametrize(("round_date", "full", "expected", "note"), ROUND_DATE_CASES, ids=repr)
def test_parse_round_date(
    round_date: str, full: str, expected: date | type[Exception], note: str | None
) -> None:
    if isinstance(expected, date):
        parsed, notes = parse_round_date(round_date, full)
        assert parsed == expected
        assert (notes == []) if note is None else (len(notes) == 1 and note in notes[0]), notes
    else:
        with pytest.raises(expected, match="drawDate"):
            parse_round_date(round_date, full)


# --- links ---
PATH = (
    "/en/immigration-refugees-citizenship/corporate/mandate/policies-operational-instructions-agreements/"
    "ministerial-instructions/express-entry-rounds/"
)
URL_CASES: list[tuple[str, str | type[Exception]]] = [
    (f"<a href='{PATH}invitations-76.html'>76</a>", f"{PAGE}invitations-76.html"),  # rounds up to #76
    (f"<a href='{PATH}invitations.html?q=229'>229</a>", f"{PAGE}invitations.html?q=229"),
    (f"<a href='/content/canadasite{PATH}invitations.html?q=437'>437</a>", f"{PAGE}invitations.html?q=437"),
    (f"<a href='{PATH}invitations.html?q=91a'>91a</a>", f"{PAGE}invitations.html?q=91a"),
    (
        f"<a href='/content/canadasite{PATH}invitations.html?q=437'>Invitations to apply for permanent "
        "residence under the Express Entry system #437</a>",
        f"{PAGE}invitations.html?q=437",
    ),
    (
        f'<a class="x" HREF="{PATH}invitations.html?q=5&amp;wbdisable=true">5</a>',
        f"{PAGE}invitations.html?q=5&wbdisable=true",
    ),
    (
        f"<a href='https://www.canada.ca/content/canadasite{PATH}invitations.html?q=9'>9</a>",
        f"{PAGE}invitations.html?q=9",
    ),
    (f"<a href='http://www.canada.ca{PATH}invitations.html?q=9'>9</a>", f"{PAGE}invitations.html?q=9"),
    ("<a href='invitations.html?q=12'>12</a>", f"{PAGE}invitations.html?q=12"),
    ("437", ValueError),
    ("<a>437</a>", ValueError),
    ("<a href=''>437</a>", ValueError),
    ("<a href='javascript:void(0)'>437</a>", ValueError),
    ("", ValueError),
]


@pytest.mark.parametrize(("anchor", "expected"), URL_CASES, ids=repr)
def test_round_url(anchor: str, expected: str | type[Exception]) -> None:
    if isinstance(expected, str):
        assert round_url(anchor) == expected
    else:
        with pytest.raises(expected):
            round_url(anchor)


def test_constructed_round_url() -> None:
    assert constructed_round_url("437") == f"{PAGE}invitations.html?q=437"
    assert constructed_round_url("91b") == f"{PAGE}invitations.html?q=91b"


# --- pool distribution ---
def dd(values: str, as_on: str) -> dict[str, str]:
    """A round's distribution fields from the 18 dd values as written in the feed, space separated."""
    return {"drawDistributionAsOn": as_on, **{f"dd{i}": v for i, v in enumerate(values.split(), 1)}}


ROUND_434 = dd(
    "500 19,705 73,099 12,939 12,890 16,368 16,057 14,845 60,905 13,595 13,267 11,942 11,326 10,775 50,107 "
    "17,101 7,683 229,100",
    "August 3, 2026",
)
ROUND_247 = dd(  # IRCC's own dd3 is off: 55,867 where dd4..dd8 add up to 55,687
    "604 884 55,867 680 3,001 21,544 17,111 13,351 61,108 12,691 13,187 10,674 11,846 12,710 69,709 36,432 "
    "5,585 230,189",
    "April 26, 2023",
)
COUNTS_434 = [500, 19705, 73099, 12939, 12890, 16368, 16057, 14845, 60905, 13595, 13267, 11942, 11326, 10775]
COUNTS_434 += [50107, 17101, 7683, 229100]
COUNTS_247 = [604, 884, 55867, 680, 3001, 21544, 17111, 13351, 61108, 12691, 13187, 10674, 11846, 12710]
COUNTS_247 += [69709, 36432, 5585, 230189]
FRENCH_434 = {k: v.replace(",", "\u00a0") if k.startswith("dd") else v for k, v in ROUND_434.items()}


def replaced(counts: list[int], band: int, value: int) -> list[int]:
    return [value if i == band else n for i, n in enumerate(counts, 1)]


# (round fields, expected as-on, expected counts or None, substrings of the notes, or an exception)
DISTRIBUTION_CASES: list[
    tuple[dict[str, str], date | None, list[int] | None, list[str] | type[Exception]]
] = [
    (ROUND_434, date(2026, 8, 3), COUNTS_434, []),
    (FRENCH_434, date(2026, 8, 3), COUNTS_434, []),
    (
        ROUND_247,
        date(2023, 4, 26),
        COUNTS_247,
        ["dd3 (451-500) is 55,867 but dd4+dd5+dd6+dd7+dd8 add up to 55,687"],
    ),
    ({**ROUND_434, "dd12": "11,943"}, date(2026, 8, 3), replaced(COUNTS_434, 12, 11943), ["dd9 (401-450)"]),
    ({**ROUND_434, "dd18": "229,101"}, date(2026, 8, 3), replaced(COUNTS_434, 18, 229101), ["dd18 (total)"]),
    (dd("0 " * 18, "July 10, 2015"), date(2015, 7, 10), None, []),  # not published (#1-#213 …)
    (dd("0 " * 18, ""), None, None, []),
    (dd("0 " * 18, "someday"), None, None, ["drawDistributionAsOn"]),
    ({**ROUND_434, "dd5": "n/a"}, None, None, ValueError),
    ({k: v for k, v in ROUND_434.items() if k != "dd18"}, None, None, ValueError),
    ({**ROUND_434, "drawDistributionAsOn": ""}, None, None, ValueError),
    ({**ROUND_434, "drawDistributionAsOn": "2026-08-03"}, None, None, ValueError),
]


@pytest.mark.parametrize(("fields", "as_on", "counts", "notes"), DISTRIBUTION_CASES)
def test_parse_distribution(
    fields: dict[str, str],
    as_on: date | None,
    counts: list[int] | None,
    notes: list[str] | type[Exception],
) -> None:
    if not isinstance(notes, list):
        with pytest.raises(notes):
            parse_distribution(fields)
        return
    got_as_on, got_counts, got_notes = parse_distribution(fields)
    assert got_as_on == as_on
    assert got_counts == (None if counts is None else {f"dd{i}": n for i, n in enumerate(counts, 1)})
    assert len(got_notes) == len(notes), got_notes
    for expected, got in zip(notes, got_notes, strict=True):
        assert expected in got
