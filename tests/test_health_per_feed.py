"""``drawwatch health`` judges the configured feed URL by its own checks: another URL's successes (a test feed,
the URL used before a change) must not hide that the configured one fails."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from drawwatch.app.health import assess
from drawwatch.domain.clock import utcnow
from drawwatch.storage.checks import (
    finish_check,
    last_checks,
    last_successful_check,
    record_feed_failure,
    start_check,
)
from drawwatch.storage.db import session_scope
from tests.support.feeds import FEED_URL

OTHER_URL = "http://127.0.0.1:8000/test-feed.json"


def record(engine: Engine, url: str, outcome: str) -> int:
    with session_scope(engine) as session:
        check = start_check(session, url)
        finish_check(session, check, outcome=outcome, error="HTTP 503" if outcome == "failed" else None)
        if outcome == "failed":
            record_feed_failure(session, url)
        assert check.id is not None
        return check.id


def test_another_urls_success_does_not_make_the_configured_url_healthy(engine: Engine) -> None:
    record(engine, FEED_URL, "ok")
    failed = [record(engine, FEED_URL, "failed") for _ in range(3)]
    record(engine, OTHER_URL, "ok")  # the newest check, and a success, but of another feed
    with session_scope(engine) as session:
        later = utcnow() + timedelta(hours=3)  # the configured URL's success is now too old
        report = assess(session, FEED_URL, 7200, now=later)
        assert not report.healthy
        assert report.reason.startswith("last successful check 3h00m ago, more than the limit of 2h00m")
        assert report.reason.endswith("; the last 3 check(s) failed")
        assert (report.last_outcome, report.last_error) == ("failed", "HTTP 503")
        assert report.consecutive_failures == 3
        other = assess(session, OTHER_URL, 7200)
        assert other.healthy and other.last_outcome == "ok"
        assert [c.id for c in last_checks(session, 1, feed_url=FEED_URL)] == failed[-1:]


def test_only_other_urls_succeeded_means_no_success_yet(engine: Engine) -> None:
    record(engine, OTHER_URL, "ok")
    record(engine, FEED_URL, "failed")
    with session_scope(engine) as session:
        report = assess(session, FEED_URL, 7200)
        assert not report.healthy
        assert (
            report.reason == "no check has succeeded yet (run `drawwatch check`); the last 1 check(s) failed"
        )
        assert last_successful_check(session, feed_url=FEED_URL) is None
        assert last_successful_check(session) is not None  # without a URL: any feed, as before
