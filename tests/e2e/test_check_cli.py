"""``drawwatch check`` and ``drawwatch draws`` end to end: the real command line against a local HTTP server
serving real copies of IRCC's feed, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import func, select

from drawwatch.storage.db import session_scope
from drawwatch.storage.models import CheckRun, Round, RoundChange
from tests.support.commands import drawwatch
from tests.support.databases import SQLITE_ONLY, open_engine
from tests.support.feed_server import FeedServer
from tests.support.feeds import feed_bytes, feed_path, feed_rounds

pytestmark = pytest.mark.slow


def numbers(key: int | str) -> set[str]:
    return {r["drawNumber"] for r in feed_rounds(key)}


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


@pytest.fixture
def env(server: FeedServer, database_url: str) -> dict[str, str]:
    return {
        "DRAWWATCH_DATABASE_URL": database_url,
        "DRAWWATCH_FEED_URL": server.url,
        "DRAWWATCH_DOWNLOAD_TIMEOUT": "5",
        "DRAWWATCH_RETRY_TIMES": "1",
    }


def stored(database_url: str) -> dict[str, object]:
    """A snapshot of what is stored, to prove that a failed or unchanged check wrote nothing."""
    with open_engine(database_url) as engine, session_scope(engine) as session:
        rounds = session.exec(select(Round.number, Round.updated_at, Round.name, Round.crs)).all()
        return {
            "draws": sorted(rounds),
            "changes": session.exec(select(func.count()).select_from(RoundChange)).one(),
        }


def last_check(database_url: str) -> CheckRun:
    with open_engine(database_url) as engine, session_scope(engine) as session:
        row = session.exec(select(CheckRun).order_by(CheckRun.id.desc())).first()  # type: ignore[union-attr]
        assert row is not None
        session.expunge(row)
        return row


def test_first_unchanged_newer_and_bad_feeds(
    server: FeedServer, env: dict[str, str], database_url: str
) -> None:
    # First run into an empty database: history is recorded, nobody would be alerted.
    server.serve(feed_bytes(411))
    first = drawwatch("check", env=env)
    assert first.code == 0, first.stderr
    assert "First check: recorded 412 historical rounds" in first.stdout
    assert last_check(database_url).baseline is True

    # Unchanged, server supports validators: a conditional request, a 304, no body, no writes.
    before = stored(database_url)
    sent = server.state.body_bytes_sent
    unchanged = drawwatch("check", "--json", env=env)
    assert unchanged.code == 0, unchanged.stderr
    assert unchanged.json()["outcome"] == "not_modified"
    assert server.requests.snapshot()[-1].headers.get("if-none-match")
    assert server.state.body_bytes_sent == sent
    assert stored(database_url) == before

    # Unchanged, server without validators: the body comes, the hash matches, still no writes.
    server.state.validators = False
    same = drawwatch("check", "--json", env=env)
    assert same.json()["outcome"] == "unchanged"
    assert stored(database_url) == before
    server.state.validators = True

    # A newer copy: exactly the added rounds are new.
    server.serve(feed_bytes(437))
    newer = drawwatch("check", "--json", env=env)
    assert newer.code == 0, newer.stderr
    summary = newer.json()
    assert summary["outcome"] == "ok" and summary["baseline"] is False
    assert {r["number"] for r in summary["new_rounds"]} == numbers(437) - numbers(411)
    assert last_check(database_url).new_count == len(numbers(437) - numbers(411))

    # Bad input of every kind fails the check, names the problem and leaves everything stored untouched.
    after_newer = stored(database_url)
    bad = [
        (lambda: server.serve(feed_bytes("invalid")), "JSON"),
        (
            lambda: server.serve(b"<!DOCTYPE html><html><body>Error</body></html>", content_type="text/html"),
            "HTML",
        ),
        (lambda: server.serve(b'{"classes": "wb-tables", "rounds": []}'), "empty"),
        (lambda: server.serve(feed_bytes(295)), "shrunken"),
        (lambda: server.serve(b"oops", status=500), "HTTP 500"),
    ]
    for arrange, words in bad:
        arrange()
        run = drawwatch("check", env=env)
        assert run.code == 1, (words, run.stdout, run.stderr)
        assert words.lower() in run.stderr.lower(), (words, run.stderr)
        assert "Traceback" not in run.stderr
        assert stored(database_url) == after_newer
        check = last_check(database_url)
        assert check.outcome == "failed" and check.error


@SQLITE_ONLY
def test_server_error_is_retried_then_fails(server: FeedServer, env: dict[str, str]) -> None:
    server.serve(b"busy", status=503)
    run = drawwatch("check", "--json", env=env)
    assert run.code == 1
    assert run.json()["error"] == "feed server answered HTTP 503"
    assert len(server.requests) == 2  # RETRY_TIMES=1: one try and one retry


@SQLITE_ONLY
def test_timeout(server: FeedServer, env: dict[str, str]) -> None:
    server.serve(feed_bytes(437))
    server.state.stall = 30
    run = drawwatch("check", env={**env, "DRAWWATCH_DOWNLOAD_TIMEOUT": "1", "DRAWWATCH_RETRY_TIMES": "0"})
    assert run.code == 1
    assert "timed out" in run.stderr


@SQLITE_ONLY
def test_file_url_and_draws_commands(database_url: str) -> None:
    env = {"DRAWWATCH_DATABASE_URL": database_url, "DRAWWATCH_FEED_URL": feed_path(437).as_uri()}
    assert drawwatch("check", env=env).code == 0

    listed = drawwatch("draws", "list", "--json", env=env)
    rows = listed.json()
    assert len(rows) == 438
    assert rows[0] == {
        "number": "437",
        "date": "2026-08-19",
        "name": "French-Language proficiency 2026-Version 2",
        "category": "french",
        "crs": 382,
        "invitations": 5000,
        "tie_break": "2026-03-01T18:34:05+00:00",
    }
    order = [r["number"] for r in rows]
    assert order[order.index("92") : order.index("90") + 1] == ["92", "91b", "91a", "90"]

    stem = drawwatch("draws", "list", "--category", "stem", "--json", env=env).json()
    assert [r["crs"] for r in stem] == [491, 481, 486]
    since = drawwatch("draws", "list", "--since", "2026-08-01", "--json", env=env).json()
    assert since and all(r["date"] >= "2026-08-01" for r in since)

    table = drawwatch("draws", "list", "--limit", "3", env=env)
    assert table.code == 0 and "437" in table.stdout and "newest 3 shown" in table.stdout

    shown = drawwatch("draws", "show", "91a", env=env)
    assert shown.code == 0 and "Round #91a" in shown.stdout
    detail = drawwatch("draws", "show", "437", "--json", env=env).json()
    assert detail["distribution"]["dd18"] == 226859

    missing = drawwatch("draws", "show", "9999", env=env)
    assert missing.code == 2 and "no round '9999'" in missing.stderr
    bad_date = drawwatch("draws", "list", "--since", "yesterday", env=env)
    assert bad_date.code == 2 and "YYYY-MM-DD" in bad_date.stderr


@SQLITE_ONLY
def test_2024_category_renames_are_changes_not_new_rounds(database_url: str) -> None:
    old = feed_rounds(295)
    renamed = {r["drawNumber"] for r in old if "(2023-1)" in r["drawName"] or "(2024-1)" in r["drawName"]}
    assert renamed, "the 2024-04 copy still has the old category names"

    env = {"DRAWWATCH_DATABASE_URL": database_url, "DRAWWATCH_FEED_URL": feed_path(295).as_uri()}
    assert drawwatch("check", env=env).code == 0
    env["DRAWWATCH_FEED_URL"] = feed_path(327).as_uri()
    run = drawwatch("check", "--json", env=env)
    summary = run.json()
    assert {r["number"] for r in summary["new_rounds"]} == numbers(327) - numbers(295)
    changed = summary["changed_rounds"]
    assert renamed <= set(changed)
    for number in renamed:
        assert "name" in changed[number] and "category" not in changed[number]
    assert not renamed & {r["number"] for r in summary["new_rounds"]}


@SQLITE_ONLY  # what is tested is the HTTP exchange; feed_state's storage is tested on both databases
def test_a_last_modified_only_server_gets_a_304_on_every_check_after_the_first(
    server: FeedServer, env: dict[str, str]
) -> None:
    server.state.last_modified_only = True
    server.serve(feed_bytes(437))
    outcomes = [drawwatch("check", "--json", env=env).json()["outcome"] for _ in range(4)]
    assert outcomes == ["ok", "not_modified", "not_modified", "not_modified"]
    asked = [r.headers.get("if-modified-since") for r in server.requests.snapshot()]
    assert asked == [None] + [server.state.modified] * 3
