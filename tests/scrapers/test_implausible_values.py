"""Implausible values in one round of a real feed copy: that round is held back with a reason naming it and
the value, every other round goes on (issue 16, point 3); an off-site link never becomes a round's URL."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from drawwatch.domain.rounds import FEED_TEXT_LIMITS, RoundItem
from drawwatch.scrapers.feed import FeedError, parse_feed
from tests.support.feeds import ROUNDS_PAGE, feed_document, feed_rounds
from tests.support.implausible import (
    HELD_BACK,
    OFF_SITE_FIELDS,
    TEN_MB,
    Implausible,
    body_of,
    body_with,
    edit,
    label,
)

TODAY = date(2026, 8, 19)  # the day copy 437 was published
IN_COPY = len(feed_rounds(437))


@pytest.mark.parametrize("case", HELD_BACK, ids=[c.id for c in HELD_BACK])
def test_an_implausible_value_holds_its_round_back(case: Implausible) -> None:
    parsed = parse_feed(body_with(feed_document(437), "437", case.fields), today=TODAY)
    assert len(parsed.rejected) == 1
    rejected = parsed.rejected[0]
    assert rejected.reason.startswith(f"{label(case, '437')}: {case.reason}"), rejected.reason[:300]
    assert rejected.reason.endswith("; held back") and len(rejected.reason) < 200
    assert "\n" not in rejected.reason
    assert (rejected.index, rejected.number) == (0, None if case.renumbers else "437")
    assert len(parsed.rounds) == IN_COPY - 1 and parsed.rounds[0].number == "436"


def test_a_round_two_days_ahead_is_taken_and_three_days_is_not() -> None:
    # The feed's dates are Ottawa's; a round run late on the 19th is still the 19th there on the 20th UTC.
    document = feed_document(437)
    ahead = body_with(document, "437", {"drawDate": "2026-08-21", "drawDateFull": "August 21, 2026"})
    assert parse_feed(ahead, today=TODAY).rounds[0].date == date(2026, 8, 21)
    too_far = body_with(document, "437", {"drawDate": "2026-08-22", "drawDateFull": "August 22, 2026"})
    assert (
        parse_feed(too_far, today=TODAY)
        .rejected[0]
        .reason.startswith("round 437: date 2026-08-22 is more than 2 days after today (2026-08-19)")
    )


def test_today_defaults_to_the_clock() -> None:
    body = body_with(feed_document(437), "437", {"drawDate": "2099-08-19", "drawDateFull": "August 19, 2099"})
    assert "more than 2 days after today" in parse_feed(body).rejected[0].reason


def test_text_at_its_cap_is_taken() -> None:
    name = "French-Language proficiency 2026-Version 2".ljust(FEED_TEXT_LIMITS["drawName"], "x")
    parsed = parse_feed(body_with(feed_document(437), "437", {"drawName": name}), today=TODAY)
    assert parsed.rejected == [] and parsed.rounds[0].name == name


def test_more_implausible_rounds_than_allowed_refuse_the_feed() -> None:
    document = feed_document(437)
    for number in ("437", "436", "435"):
        edit(document, number, {"drawName": "x\x00"})
    with pytest.raises(
        FeedError, match=r"^3 of \d+ rounds are malformed \(more than the 2 allowed\): round 437"
    ):
        parse_feed(body_of(document), today=TODAY)


def url_is(expected: str) -> Any:
    return lambda r: r.url == expected


CANONICAL_437 = f"{ROUNDS_PAGE}invitations.html?q=437"
PATH = "/en/immigration-refugees-citizenship/corporate/mandate/policies-operational-instructions-agreements/"

# (fields replaced in round #437, check on the stored round, a substring of one of its notes or None)
KEPT: list[tuple[str, dict[str, Any], Any, str | None]] = [
    ("all-links-off-site", OFF_SITE_FIELDS, url_is(CANONICAL_437), "leaves www.canada.ca; not used"),
    (
        "first-link-off-site",
        {"drawNumberURL": OFF_SITE_FIELDS["drawNumberURL"]},
        url_is(CANONICAL_437),  # mitext, on canada.ca, is taken
        "drawNumberURL: link 'https://drawwatch-phish.example",
    ),
    (
        "look-alike-host",
        {k: "<a href='https://www.canada.ca.example.org/x?q=437'>437</a>" for k in OFF_SITE_FIELDS},
        url_is(CANONICAL_437),
        "leaves www.canada.ca",
    ),
    (
        "user-name-before-canada-ca",
        {k: "<a href='https://www.canada.ca@drawwatch-phish.example/x'>437</a>" for k in OFF_SITE_FIELDS},
        url_is(CANONICAL_437),
        "leaves www.canada.ca",
    ),
    (
        "canada-ca-as-user-name",
        {k: "<a href='https://drawwatch-phish.example@www.canada.ca/x'>437</a>" for k in OFF_SITE_FIELDS},
        url_is(CANONICAL_437),
        "leaves www.canada.ca",
    ),
    (
        "other-port",
        {k: "<a href='https://www.canada.ca:8443/x'>437</a>" for k in OFF_SITE_FIELDS},
        url_is(CANONICAL_437),
        "leaves www.canada.ca",
    ),
    (
        "protocol-relative",
        {k: "<a href='//drawwatch-phish.example/x'>437</a>" for k in OFF_SITE_FIELDS},
        url_is(CANONICAL_437),
        "leaves www.canada.ca",
    ),
    (
        "javascript",
        {k: "<a href='javascript:alert(1)'>437</a>" for k in OFF_SITE_FIELDS},
        url_is(CANONICAL_437),
        "is not a web link on www.canada.ca",
    ),
    (
        "bare-canada-ca-over-http",
        {"drawNumberURL": f"<a href='http://canada.ca{PATH}x.html?q=437'>437</a>"},
        url_is(f"https://www.canada.ca{PATH}x.html?q=437"),
        None,
    ),
    (
        "line-breaks-in-the-name",
        {"drawName": "French-Language\r\nproficiency\t2026-Version 2"},
        lambda r: r.name == "French-Language proficiency 2026-Version 2" and r.category == "french",
        None,
    ),
    (
        "tie-break-in-2099",
        {"drawCutOff": "March 1, 2099 at 18:34:05 UTC"},
        lambda r: r.tie_break is None and r.tie_break_raw == "March 1, 2099 at 18:34:05 UTC",
        "drawCutOff 'March 1, 2099 at 18:34:05 UTC' is outside 2015-01-01..2026-08-21; kept as text only",
    ),
    (
        "run-time-in-2014",
        {"drawDateTime": "August 19, 2014 at 12:35:37 UTC"},
        lambda r: r.run_at is None,
        "drawDateTime 'August 19, 2014 at 12:35:37 UTC' is outside",
    ),
    (
        "pool-band-of-4e9",
        {"dd15": "4,000,000,000"},
        lambda r: r.distribution is None and r.distribution_as_on is None,
        "distribution left out: dd15 '4,000,000,000' is above 10,000,000",
    ),
    (
        "pool-dated-2099",
        {"drawDistributionAsOn": "August 16, 2099"},
        lambda r: r.distribution is None,
        "distribution left out: drawDistributionAsOn 2099-08-16 is outside 2015-01-01..2026-08-21",
    ),
]


@pytest.mark.parametrize(("fields", "check", "note"), [k[1:] for k in KEPT], ids=[k[0] for k in KEPT])
def test_a_value_that_is_left_out_keeps_its_round(
    fields: dict[str, Any], check: Any, note: str | None
) -> None:
    parsed = parse_feed(body_with(feed_document(437), "437", fields), today=TODAY)
    assert parsed.rejected == []
    item = parsed.rounds[0]
    assert item.number == "437" and check(item), item
    assert item.url.startswith("https://www.canada.ca/")
    if note is None:
        assert item.notes == ()
    else:
        assert any(note in n for n in item.notes), item.notes


# RoundItem, the contract with storage, refuses what the parser holds back, whoever builds one.
ITEM_REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"name": "French\x00"}, "control character U+0000"),
    ({"run_at_raw": "\x1b[2J"}, "control character U+001B"),
    ({"programs": "\udce9"}, "valid string"),  # pydantic itself refuses a lone surrogate
    ({"name": "A" * 301}, "at most 300 characters"),
    ({"number": "100000"}, "above 99,999"),
    ({"crs": 1201}, "less than or equal to 1200"),
    ({"invitations": 100_001}, "less than or equal to 100000"),
]


@pytest.mark.parametrize(("fields", "message"), ITEM_REFUSED, ids=[m for _, m in ITEM_REFUSED])
def test_a_round_item_refuses_implausible_values(fields: dict[str, Any], message: str) -> None:
    good: dict[str, Any] = {
        "number": "437",
        "date": date(2026, 8, 19),
        "name": "French-Language proficiency 2026-Version 2",
        "category": "french",
        "invitations": 5000,
        "crs": 382,
        "run_at": datetime(2026, 8, 19, 12, 35, 37, tzinfo=UTC),
        "url": CANONICAL_437,
    }
    RoundItem(**good)
    with pytest.raises(ValueError, match=re.escape(message)):
        RoundItem(**{**good, **fields})


# Bodies that cannot be used at all still fail with one short line, never a traceback.
REFUSED_WHOLE: list[tuple[bytes, str]] = [
    (b"4" * 5000, "feed is a JSON number, not an object with a 'rounds' list"),
    (b'{"rounds": [\xe9]}', "feed is not UTF-8 (byte 0xE9 at byte 12) and feed is not JSON: Expecting value"),
    (b"\xff\xfe{\x00}\x00", "feed is not UTF-8 (byte 0xFF at byte 0) and feed is not JSON"),
    (
        b'{"rounds": [{"drawNumber": "' + b"x" * TEN_MB + b'"}]}',
        "entry 1 of 1 in 'rounds' has an unusable drawNumber 'xxxx",
    ),
]


@pytest.mark.parametrize(("body", "message"), REFUSED_WHOLE, ids=[m[:40] for _, m in REFUSED_WHOLE])
def test_an_unusable_body_is_refused_in_one_short_line(body: bytes, message: str) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(body)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value) and len(str(info.value)) < 200
