"""Whole-feed validation: every real copy parses cleanly; every way a body can be unusable is refused whole;
a malformed round is rejected alone."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from drawwatch.scrapers.feed import FeedError, ParsedFeed, parse_feed
from tests.support.feeds import FEED_COPIES, ROUNDS_PAGE, feed_bytes, feed_rounds


@pytest.fixture(scope="module", params=list(FEED_COPIES), ids=str)
def copy(request: pytest.FixtureRequest) -> tuple[int | str, ParsedFeed]:
    return request.param, parse_feed(feed_bytes(request.param))


# --- the real copies ---
def test_every_round_of_every_copy_is_parsed(copy: tuple[int | str, ParsedFeed]) -> None:
    key, parsed = copy
    raw = feed_rounds(key)
    assert parsed.rejected == []
    assert [r.number for r in parsed.rounds] == [r["drawNumber"] for r in raw]  # all of them, in feed order
    assert {"91a", "91b", "1"} <= {r.number for r in parsed.rounds}
    newest = int(str(key).split("-")[0])
    assert parsed.rounds[0].number == str(newest) and parsed.rounds[-1].date == date(2015, 1, 31)


def test_every_round_has_a_known_category(copy: tuple[int | str, ParsedFeed]) -> None:
    _, parsed = copy
    assert [(r.number, r.name) for r in parsed.rounds if r.category == "other"] == []


def test_every_written_time_is_read(copy: tuple[int | str, ParsedFeed]) -> None:
    _, parsed = copy
    failures = [
        f"#{r.number} {field}={raw!r}: {[n for n in r.notes if field in n]}"
        for r in parsed.rounds
        for field, raw, value in (
            ("drawCutOff", r.tie_break_raw, r.tie_break),
            ("drawDateTime", r.run_at_raw, r.run_at),
        )
        if raw.strip() and value is None
    ]
    assert failures == [], "\n".join(failures)
    no_tie_break = {r.number for r in parsed.rounds if not r.tie_break_raw}
    assert no_tie_break == {str(n) for n in range(1, 77)}  # IRCC published none for #1-#76
    assert all(r.run_at is not None for r in parsed.rounds)


def test_values_match_the_file(copy: tuple[int | str, ParsedFeed]) -> None:
    key, parsed = copy
    for item, raw in zip(parsed.rounds, feed_rounds(key), strict=True):
        assert item.crs == int(raw["drawCRS"].replace(",", ""))
        assert item.invitations == int(raw["drawSize"].replace(",", ""))
        assert item.name == raw["drawName"]
        assert item.tie_break_raw == raw["drawCutOff"] and item.run_at_raw == raw["drawDateTime"]
        assert item.url.startswith(ROUNDS_PAGE) and "canadasite" not in item.url
        assert item.url.endswith((f"?q={item.number}", f"invitations-{item.number}.html"))
        assert (item.distribution is None) == (raw["dd18"] == "0")


def test_newest_round_of_the_437_copy() -> None:
    newest = parse_feed(feed_bytes(437)).rounds[0]
    assert newest.number == "437"
    assert newest.date == date(2026, 8, 19)
    assert (newest.category, newest.list_version) == ("french", "2026-Version 2")
    assert (newest.crs, newest.invitations) == (382, 5000)
    assert newest.run_at == datetime(2026, 8, 19, 12, 35, 37, tzinfo=UTC)  # "August 19th 2026 at …"
    assert newest.tie_break == datetime(2026, 3, 1, 18, 34, 5, tzinfo=UTC)
    assert newest.url == f"{ROUNDS_PAGE}invitations.html?q=437"
    assert newest.distribution_as_on == date(2026, 8, 16)
    assert newest.distribution is not None and newest.distribution["dd18"] == 226_859
    assert newest.notes == ()


def test_known_quirks_become_notes_not_rejections() -> None:
    rounds = {r.number: r for r in parse_feed(feed_bytes(437)).rounds}
    r208 = rounds["208"]
    assert r208.tie_break == datetime(2021, 10, 7, 16, 38, 21, tzinfo=UTC)
    assert any("year inferred as 2021" in n for n in r208.notes)
    assert any("dd3" in n and "55,687" in n for n in rounds["247"].notes)
    assert rounds["247"].distribution is not None
    assert any("not on the round date" in n for n in rounds["357"].notes)  # July 12 for a July 22 round
    assert rounds["270"].run_at == datetime(2023, 10, 25, 15, 48, 39, tzinfo=UTC)  # "15:48:39 AM"
    assert rounds["210"].tie_break == datetime(2021, 6, 22, 20, 19, 59, tzinfo=UTC)  # "20:19:59 PM"
    noted = {n for n, r in rounds.items() if r.notes}
    assert noted == {"208", "210", "247", "270", "357"}


def test_the_once_malformed_date_of_237() -> None:
    r237 = parse_feed(feed_bytes(237)).rounds[0]
    assert r237.number == "237" and r237.date == date(2023, 1, 11)  # published as "11-01-2023"
    assert any("DD-MM-YYYY" in n for n in r237.notes)


def test_the_array_only_copy_equals_the_object_copy() -> None:
    assert parse_feed(feed_bytes("434-array")).rounds == parse_feed(feed_bytes(434)).rounds


def test_the_invalid_copy_is_refused_with_a_clean_message() -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(feed_bytes("invalid"))
    message = str(info.value)
    assert message.startswith("feed is not JSON: ") and "line 4 column 9" in message
    assert "\n" not in message


# --- bodies that must not be used at all ---
def make_round(number: str, **fields: str) -> dict[str, str]:
    """A copy of round #437 as IRCC publishes it, renumbered, with some fields replaced."""
    link = f"/content/canadasite/en/x/express-entry-rounds/invitations.html?q={number}"
    base = {
        "drawNumber": number,
        "drawNumberURL": f"<a href='{link}'>{number}</a>",
        "drawDate": "2026-08-19",
        "drawDateFull": "August 19, 2026",
        "drawName": "French-Language proficiency 2026-Version 2",
        "drawSize": "5,000",
        "drawCRS": "382",
        "mitext": f"<a href='{link}'>Invitations to apply for permanent residence #{number}</a>",
        "DrawText1": f"<a href='{link}'>See full text of Ministerial Instruction</a>",
        "drawText2": "Federal Skilled Worker Program, Canadian Experience Class and Federal Skilled Trades"
        " Program",
        "drawDateTime": "August 19th 2026 at 12:35:37 UTC",
        "drawCutOff": "March 1, 2026 at 18:34:05 UTC",
        "drawDistributionAsOn": "August 16, 2026",
        **{f"dd{i}": "0" for i in range(1, 19)},
    }
    return {**base, **fields}


def feed(*rounds: Any) -> bytes:
    return json.dumps({"classes": "wb-tables", "rounds": list(rounds)}).encode()


GOOD = [make_round(str(n)) for n in (440, 439, 438)]

# (body, a substring of the FeedError message)
REFUSED: list[tuple[bytes, str]] = [
    (b"", "feed is empty (0 bytes)"),
    (b" \r\n\t", "feed is empty"),
    (
        b"<!DOCTYPE html>\r\n<html lang='en'><head><title>Error</title>",
        "HTML page, not JSON (starts with '<!DOCTYPE html>",
    ),
    (b"\xef\xbb\xbf<html><body>Access Denied</body></html>", "HTML page"),
    (b'{\r\n  "classes": "wb-tables",\r\n\r\n  {', "feed is not JSON: Expecting property name"),
    (b'{"rounds": [{"drawNumber": "1"}', "feed is not JSON"),
    (b"rounds", "feed is not JSON"),
    (b"{}", "feed has no 'rounds' list"),
    (b'{"classes": "wb-tables"}', "feed has no 'rounds' list"),
    (b'{"rounds": []}', "feed's 'rounds' list is empty"),
    (b"[]", "feed's 'rounds' list is empty"),
    (b'{"rounds": null}', "feed's 'rounds' is a JSON null, not a list"),
    (b'{"rounds": {"r437": {}}}', "is an object, not a list"),
    (b'"rounds"', "feed is a JSON string, not an object"),
    (b"42", "feed is a JSON number"),
    (b"null", "feed is a JSON null"),
    (feed(*GOOD, "437"), "entry 4 of 4 in 'rounds' is a JSON string, not an object"),
    (feed(*GOOD, None), "entry 4 of 4 in 'rounds' is a JSON null"),
    (
        feed(*GOOD, {k: v for k, v in make_round("437").items() if k != "drawNumber"}),
        "entry 4 of 4 in 'rounds' has no drawNumber",
    ),
    (feed(make_round(""), *GOOD), "entry 1 of 4 in 'rounds' has an unusable drawNumber ''"),
    (feed(make_round("four hundred"), *GOOD), "unusable drawNumber 'four hundred'"),
    (feed(make_round("91ab"), *GOOD), "unusable drawNumber"),
    (feed(make_round("0"), *GOOD), "unusable drawNumber"),
    (feed(*GOOD, make_round("439")), "round number '439' appears twice (entries 2 and 4 of 4)"),
    (feed(*GOOD, make_round("0439")), "round number '439' appears twice"),
    (feed(make_round("91A"), make_round("91a")), "round number '91a' appears twice"),
]


@pytest.mark.parametrize(("body", "message"), REFUSED, ids=[m for _, m in REFUSED])
def test_unusable_bodies_are_refused_whole(body: bytes, message: str) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(body)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


# --- one round at a time ---
# (fields replaced in round #437, reason of its rejection)
REJECTED: list[tuple[dict[str, Any], str]] = [
    ({"drawCRS": ""}, "round 437: drawCRS '' is not a number"),
    ({"drawCRS": "n/a"}, "round 437: drawCRS 'n/a' is not a number"),
    ({"drawCRS": "0"}, "round 437: drawCRS '0' is outside 1..1,200"),
    ({"drawCRS": "3,820"}, "round 437: drawCRS '3,820' is outside 1..1,200"),
    ({"drawSize": "5,00"}, "round 437: drawSize '5,00' is not a number"),
    ({"drawSize": "0"}, "round 437: drawSize '0' is outside 1..100,000"),
    ({"drawSize": "500,000"}, "round 437: drawSize '500,000' is outside"),
    ({"drawSize": None}, "round 437: drawSize is missing"),
    ({"drawName": ""}, "round 437: drawName '' is empty"),
    ({"drawName": "  "}, "round 437: drawName '  ' is empty"),
    ({"drawName": None}, "round 437: drawName is missing"),
    ({"drawName": 42}, "round 437: drawName 42 is not text"),
    ({"drawDate": "", "drawDateFull": ""}, "round 437: drawDate '' is not a date"),
    ({"drawDate": "someday", "drawDateFull": "soon"}, "round 437: drawDate 'someday' is not a date"),
    ({"drawDate": "2026-02-30", "drawDateFull": None}, "round 437: drawDate '2026-02-30' is not a date"),
    ({"drawDate": "08-07-2026", "drawDateFull": ""}, "round 437: drawDate '08-07-2026' is ambiguous"),
]


@pytest.mark.parametrize(("fields", "reason"), REJECTED, ids=[r for _, r in REJECTED])
def test_a_malformed_round_is_rejected_alone(fields: dict[str, Any], reason: str) -> None:
    bad = make_round("437", **fields)
    for key in [k for k, v in fields.items() if v is None]:
        del bad[key]  # None means: the key is missing
    parsed = parse_feed(feed(*GOOD, bad, make_round("436")))
    assert [r.number for r in parsed.rounds] == ["440", "439", "438", "436"]
    assert len(parsed.rejected) == 1
    rejected = parsed.rejected[0]
    assert (rejected.index, rejected.number) == (3, "437")
    assert rejected.reason.startswith(reason), rejected.reason


# (fields replaced in round #437, check on the parsed round, a substring of a note or None)
ACCEPTED: list[tuple[dict[str, Any], Any, str | None]] = [
    ({"drawCutOff": "TBD"}, lambda r: r.tie_break is None and r.tie_break_raw == "TBD", "drawCutOff 'TBD'"),
    ({"drawCutOff": ""}, lambda r: r.tie_break is None and r.tie_break_raw == "", None),
    ({"drawDateTime": "sometime"}, lambda r: r.run_at is None and r.run_at_raw == "sometime", "drawDateTime"),
    (
        {"drawCutOff": "August 20, 2026 at 01:00:00 UTC"},
        lambda r: r.tie_break is not None,
        "after the round ran",
    ),
    (
        {"drawNumberURL": "437", "mitext": "", "DrawText1": None},
        lambda r: r.url == f"{ROUNDS_PAGE}invitations.html?q=437",
        "URL built from the round number",
    ),
    (
        {"drawNumberURL": "<a>437</a>"},
        lambda r: r.url == "https://www.canada.ca/en/x/express-entry-rounds/invitations.html?q=437",
        None,
    ),
    ({"dd5": "n/a", "dd18": "9"}, lambda r: r.distribution is None, "distribution left out: dd5 'n/a'"),
    ({"dd1": "5"}, lambda r: r.distribution is not None and r.distribution["dd1"] == 5, "dd18 (total)"),
    (
        {"drawName": "Arts occupations (Version 1)"},
        lambda r: (r.category, r.list_version) == ("other", "Version 1"),
        None,
    ),
    ({"drawText2": None}, lambda r: r.programs == "", None),
    ({"drawSize": " 5 000 ", "drawCRS": 382}, lambda r: (r.invitations, r.crs) == (5000, 382), None),
    ({"drawDate": "19-08-2026"}, lambda r: r.date == date(2026, 8, 19), "DD-MM-YYYY"),
    ({"drawNumber": " 437 "}, lambda r: r.number == "437", None),
    ({"drawNumber": 437}, lambda r: r.number == "437", None),
    ({"extraField": "ignored"}, lambda r: r.number == "437", None),
]


@pytest.mark.parametrize(("fields", "check", "note"), ACCEPTED, ids=[str(f) for f, _, _ in ACCEPTED])
def test_round_level_oddities_are_not_rejections(
    fields: dict[str, Any], check: Any, note: str | None
) -> None:
    odd = make_round("437", **fields)
    for key in [k for k, v in fields.items() if v is None]:
        del odd[key]
    parsed = parse_feed(feed(*GOOD, odd))
    assert parsed.rejected == []
    item = parsed.rounds[3]
    assert check(item), item
    if note is None:
        assert item.notes == ()
    else:
        assert any(note in n for n in item.notes), item.notes


def test_more_malformed_rounds_than_allowed_refuse_the_feed() -> None:
    body = feed(
        *GOOD, make_round("437", drawCRS=""), make_round("436", drawSize="x"), make_round("435", drawName="")
    )
    with pytest.raises(FeedError) as info:
        parse_feed(body)
    message = str(info.value)
    assert message.startswith("3 of 6 rounds are malformed (more than the 2 allowed): round 437: drawCRS")
    assert "round 436: drawSize 'x'" in message and "round 435: drawName" in message
    assert len(parse_feed(body, max_rejected=3).rejected) == 3
    with pytest.raises(FeedError, match="1 of 4 rounds are malformed"):
        parse_feed(feed(*GOOD, make_round("437", drawCRS="")), max_rejected=0)


def test_a_long_list_of_reasons_is_cut_short() -> None:
    body = feed(*[make_round(str(n), drawCRS="") for n in range(1, 11)])
    with pytest.raises(FeedError) as info:
        parse_feed(body)
    assert str(info.value).startswith("10 of 10 rounds are malformed")
    assert str(info.value).endswith("; and 7 more")


# --- text encodings ---
def test_a_cp1252_body_is_not_guessed_at() -> None:
    # Decoding as cp1252 once turned stored names into mojibake: bytes that are not UTF-8 hold their round
    # back, and a body with more such rounds than allowed is refused, saying why.
    name = "Catégorie de l’expérience canadienne"  # ’ is 0x92 in cp1252, a control character in latin-1
    accented = [make_round(str(n), drawName=name, drawSize="5 000") for n in (437, 436, 435)]
    raw = json.dumps({"rounds": [*GOOD, *accented]}, ensure_ascii=False).encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    with pytest.raises(FeedError) as info:
        parse_feed(raw)
    assert str(info.value).startswith("feed is not UTF-8 (byte 0xE9 at byte ")
    assert "3 of 6 rounds are malformed" in str(info.value)
    assert "round 437: drawName is not valid UTF-8 (byte 0xE9 at character 4)" in str(info.value)
    parsed = parse_feed(raw, max_rejected=3)
    assert [r.number for r in parsed.rounds] == ["440", "439", "438"]


def test_a_utf8_body_with_a_bom_decodes() -> None:
    name = "Recrues militaires qualifiées, 2026-Version 1"
    body = b"\xef\xbb\xbf" + json.dumps([make_round("430", drawName=name)], ensure_ascii=False).encode()
    item = parse_feed(body).rounds[0]
    assert (item.name, item.category) == (name, "military")


def test_crlf_and_indentation_do_not_matter() -> None:
    rounds = [make_round("437"), make_round("436")]
    compact = json.dumps({"rounds": rounds}).encode()
    indented = (
        json.dumps({"classes": "wb-tables", "rounds": rounds}, indent="\t").replace("\n", "\r\n").encode()
    )
    assert parse_feed(compact) == parse_feed(indented)
