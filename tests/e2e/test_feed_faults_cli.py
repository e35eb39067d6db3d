"""Feeds that lie, end to end (issue 16): a typo'd round number, every round renumbered, 5,000 bogus rounds,
two copies served by turns. The real command line against a local feed server, alerts counted at a webhook.

Each story ends with the real rounds #438–#440 published one by one: each must alert exactly once.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.e2e.stack import Stack
from tests.support.databases import SQLITE_ONLY
from tests.support.feeds import feed_body, feed_bytes, feed_document, with_new_rounds

pytestmark = [pytest.mark.slow, SQLITE_ONLY]


def start(stack: Stack) -> None:
    """#437 recorded as history; Ana (CRS 1200, French rounds) listens at /ana, the operator at /admin."""
    stack.env["DRAWWATCH_ADMIN_URLS"] = stack.hook.url("/admin")
    stack.feed.serve(feed_bytes(437))
    assert stack.run("check").code == 0
    stack.add("Ana", 1200, "--category", "french", "--url", stack.hook.url("/ana"))


def posts(stack: Stack, path: str) -> list[Any]:
    return [r.body for r in stack.hook.requests.snapshot() if r.path == path]


def alerted_rounds(stack: Stack) -> Counter[str]:
    """How many alerts Ana got per round number (the number is in each title)."""
    return Counter(
        word.strip("#:")
        for body in posts(stack, "/ana")
        for word in body["title"].split()
        if word.startswith("#")
    )


def publish_438_to_440(stack: Stack) -> None:
    for last in range(438, 441):
        stack.feed.serve(feed_body(with_new_rounds(437, [str(n) for n in range(438, last + 1)])))
        run = stack.run("check", "--json")
        assert run.code == 0, run.stderr
        assert [r["number"] for r in run.json()["new_rounds"]] == [str(last)]
    assert alerted_rounds(stack) == {"438": 1, "439": 1, "440": 1}


def test_a_typo_in_a_round_number_does_not_blind_the_watcher(stack: Stack) -> None:
    start(stack)
    stack.feed.serve(feed_body(with_new_rounds(437, ["4380"])))
    run = stack.run("check", "--json")
    assert run.code == 0, run.stderr
    summary = run.json()
    assert summary["suspect_rounds"] == ["4380"] and summary["new_rounds"] == []
    assert posts(stack, "/ana") == []
    (notice,) = posts(stack, "/admin")
    assert "suspect" in notice["title"] and "#4380" in notice["message"]
    text = stack.run("check")  # the same copy again: unchanged, told once
    assert text.code == 0 and len(posts(stack, "/admin")) == 1
    publish_438_to_440(stack)
    assert stack.run("draws", "show", "4380").code == 2
    assert stack.run("health").code == 0


def renumbered_by_one() -> bytes:
    """The #437 copy with every round moved up one number (#437's figures now under #438, …)."""
    document = feed_document(437)
    for entry in document["rounds"]:
        if entry["drawNumber"].isdigit():  # "91a", "91b" stay
            entry["drawNumber"] = str(int(entry["drawNumber"]) + 1)
    return feed_body(document)


def test_every_round_renumbered_is_held_and_rewrites_nothing(stack: Stack) -> None:
    start(stack)
    before = stack.run("draws", "list", "--json", "--limit", "0").stdout
    stack.feed.serve(renumbered_by_one())
    run = stack.run("check", "--json")
    assert run.code == 1
    summary = run.json()
    assert summary["outcome"] == "held" and "nothing was changed" in summary["error"]
    assert summary["held"]["news"] is True
    assert stack.run("draws", "list", "--json", "--limit", "0").stdout == before
    health = stack.run("health")
    assert health.code == 1 and "held for the operator" in health.stdout + health.stderr
    (notice,) = posts(stack, "/admin")
    assert (
        "held" in notice["title"] and f"drawwatch draws reject {summary['held']['id']}" in notice["message"]
    )
    again = stack.run("check", "--json")  # served again: still held, the operator is not told twice
    assert again.code == 1 and again.json()["held"]["times_seen"] == 2 and len(posts(stack, "/admin")) == 1
    held = stack.run("draws", "held", "--json")
    assert [h["status"] for h in held.json()] == ["held"]

    stack.feed.serve(feed_bytes(437))  # the right feed returns
    assert stack.run("check").code == 0
    assert stack.run("draws", "list", "--json", "--limit", "0").stdout == before
    rejected = stack.run("draws", "reject", str(summary["held"]["id"]))
    assert rejected.code == 0, rejected.stderr
    assert stack.run("health").code == 0
    assert posts(stack, "/ana") == []
    publish_438_to_440(stack)


def test_5000_bogus_rounds_are_held_alert_nobody_and_are_recoverable(stack: Stack) -> None:
    start(stack)
    bogus = with_new_rounds(437, [str(n) for n in range(438, 5438)], days_apart=0)
    stack.feed.serve(feed_body(bogus))
    run = stack.run("check", "--json")
    assert run.code == 1 and "adds 5000 new rounds" in run.json()["error"]
    held_id = run.json()["held"]["id"]
    stack.feed.serve(feed_bytes(437))
    assert stack.run("check").code == 0  # not refused as "shrunken": nothing of the bogus feed was stored
    assert stack.run("draws", "reject", str(held_id)).code == 0
    assert stack.run("draws", "reject", str(held_id)).code == 2  # decided already: a clear refusal
    assert posts(stack, "/ana") == []
    publish_438_to_440(stack)


def test_a_held_feed_the_operator_accepts_is_stored_and_alerted_once(stack: Stack) -> None:
    start(stack)
    stack.feed.serve(feed_body(with_new_rounds(437, ["438", "439", "440"])))
    run = stack.run("check", "--json", DRAWWATCH_MAX_NEW_ROUNDS="2")
    assert run.code == 1 and run.json()["outcome"] == "held"
    accepted = stack.run("draws", "accept", str(run.json()["held"]["id"]))
    assert accepted.code == 0, accepted.stderr
    assert "3 new round(s)" in accepted.stdout and "1 alert(s)" not in accepted.stdout
    assert stack.run("deliver").code == 0
    assert alerted_rounds(stack) == {"438": 1, "439": 1, "440": 1}
    again = stack.run("check", "--json", DRAWWATCH_MAX_NEW_ROUNDS="2")
    assert again.code == 0 and again.json()["outcome"] == "unchanged"
    assert stack.run("health").code == 0


def test_two_copies_served_by_turns_send_at_most_one_notice(stack: Stack) -> None:
    start(stack)
    first = feed_body(with_new_rounds(437, ["438"]))
    document = with_new_rounds(437, ["438"])
    document["rounds"][0]["drawCRS"] = str(int(document["rounds"][0]["drawCRS"]) - 5)
    second = feed_body(document)
    for body in (first, second) * 3 + (first,):
        stack.feed.serve(body)
        assert stack.run("check").code == 0
    titles = [body["title"] for body in posts(stack, "/ana")]
    assert len(titles) == 2, titles  # the alert, then one correction notice
    assert "corrected" in titles[1]
