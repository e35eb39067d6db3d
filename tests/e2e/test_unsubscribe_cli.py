"""Unsubscribing and data deletion end to end: the token every alert carries stops all further messages;
``remove --purge`` leaves no row behind."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from drawwatch.storage.db import make_engine
from drawwatch.storage.models import (
    Alert,
    Subscriber,
    SubscriberCategory,
    SubscriberChannel,
    SubscriberOccupation,
)
from tests.e2e.stack import Stack
from tests.support.databases import SQLITE_ONLY
from tests.support.feeds import feed_body, feed_bytes, feed_document

pytestmark = pytest.mark.slow
UNSUBSCRIBE_PAGE = "https://alerts.example.org/stop?token={token}"


def corrected_with_new_round() -> bytes:
    """The #437 copy with #437's tie-break time corrected and an invented French round #438 on top."""
    data = feed_document(437)
    data["rounds"][0]["drawCutOff"] = "March 2, 2026 at 18:34:05 UTC"
    top = dict(data["rounds"][0], drawNumber="438", drawCRS="379", drawDate="2026-08-26")
    data["rounds"].insert(0, top)
    return feed_body(data)


@SQLITE_ONLY
def test_the_token_in_an_alert_stops_every_further_message(stack: Stack) -> None:
    stack.feed.serve(feed_bytes(434))
    assert stack.run("check").code == 0
    amira = stack.add("Amira", 390, "--category", "french", "--url", stack.smtp.url(to="amira@example.org"))
    bo = stack.add("Bo", 900, "--category", "french", "--url", stack.hook.url("/bo"))
    tokens = {
        who: stack.run("subscribers", "show", str(who), "--json").json()["unsubscribe_token"]
        for who in (amira, bo)
    }
    stack.feed.serve(feed_bytes(437))
    assert stack.run("check", DRAWWATCH_UNSUBSCRIBE_URL=UNSUBSCRIBE_PAGE).code == 0

    (mail,) = stack.smtp.wait_for(1)
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    page = UNSUBSCRIBE_PAGE.format(token=tokens[amira])
    assert page in plain and page in html  # the footer of both parts
    (hook,) = stack.hook.wait_for(1)
    assert tokens[bo] in hook["message"] and tokens[amira] not in hook["message"]

    stop = stack.run("subscribers", "unsubscribe", tokens[amira])
    assert stop.code == 0 and "Unsubscribed Amira" in stop.stdout
    again = stack.run("subscribers", "unsubscribe", tokens[amira])
    assert again.code == 0 and "already unsubscribed" in again.stdout
    wrong = stack.run("subscribers", "unsubscribe", tokens[amira][:-2])
    assert wrong.code != 0 and "no subscriber has this unsubscribe code" in wrong.stderr
    assert "Traceback" not in wrong.stderr

    # A correction of the round both were alerted on, then a new French round: only Bo hears of either.
    stack.feed.serve(corrected_with_new_round())
    summary = stack.run("check", "--json").json()
    assert (summary["alerts"]["queued"], summary["alerts"]["corrections"], summary["alerts"]["sent"]) == (
        1,
        1,
        2,
    )
    assert [r.path for r in stack.hook.requests.wait_for(3)] == ["/bo", "/bo", "/bo"]
    assert len(stack.smtp.messages) == 1
    shown = stack.run("subscribers", "show", str(amira), "--json").json()
    assert shown["active"] is False


@SQLITE_ONLY
def test_unsubscribing_cancels_what_is_waiting(stack: Stack) -> None:
    stack.feed.serve(feed_bytes(434))
    assert stack.run("check").code == 0
    amira = stack.add("Amira", 390, "--category", "french", "--url", stack.smtp.url(to="amira@example.org"))
    token = stack.run("subscribers", "show", str(amira), "--json").json()["unsubscribe_token"]
    stack.feed.serve(feed_bytes(437))
    assert stack.run("check", "--no-deliver", "--json").json()["alerts"]["queued"] == 1

    stop = stack.run("subscribers", "unsubscribe", token)
    assert "1 undelivered alert(s) cancelled" in stop.stdout

    assert stack.run("deliver", "--json").json()["sent"] == 0
    (alert,) = stack.run("alerts", "list", "--json").json()
    assert alert["status"] == "cancelled"
    assert stack.received() == (0, 0, 0)


@SQLITE_ONLY
def test_purge_leaves_no_rows_behind(stack: Stack) -> None:
    stack.feed.serve(feed_bytes(434))
    assert stack.run("check").code == 0
    keep = stack.add("Keep", 900, "--category", "french", "--url", stack.hook.url("/keep"))
    gone = stack.add(
        "Gone", 900, "--category", "french", "--noc", "21231:14", "--url", stack.hook.url("/a"),
        "--url", stack.smtp.url(to="gone@example.org"),
    )  # fmt: skip
    stack.feed.serve(feed_bytes(437))
    assert stack.run("check").code == 0
    stack.hook.wait_for(2)

    purge = stack.run("subscribers", "remove", str(gone), "--purge")
    assert purge.code == 0, purge.stderr

    engine = make_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            for model, key in (
                (Subscriber, Subscriber.id),
                (SubscriberChannel, SubscriberChannel.subscriber_id),
                (SubscriberCategory, SubscriberCategory.subscriber_id),
                (SubscriberOccupation, SubscriberOccupation.subscriber_id),
                (Alert, Alert.subscriber_id),
            ):
                left = conn.execute(select(func.count()).select_from(model).where(key == gone)).scalar_one()
                assert left == 0, f"{model.__name__} still holds rows of the purged subscriber"
            kept = conn.execute(select(func.count()).select_from(Alert).where(Alert.subscriber_id == keep))
            assert kept.scalar_one() == 1  # nobody else's history goes with it
    finally:
        engine.dispose()
    assert stack.run("subscribers", "show", str(gone)).code != 0
