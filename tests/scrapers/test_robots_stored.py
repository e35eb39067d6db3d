"""robots.txt kept between checks: asked for at most once a day (with its own validators), obeyed as before.

Each check is the real command line in a fresh process, as cron runs it, against the local feed server; the
server below also answers robots.txt with validators and counts what it is asked for.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.support.commands import drawwatch
from tests.support.databases import open_engine
from tests.support.feed_server import FEED_PATH, FeedServer
from tests.support.feeds import feed_bytes
from tests.support.http_peer import Request, Response

pytestmark = pytest.mark.slow

DISALLOW_FEED = f"User-agent: *\nDisallow: {FEED_PATH}\n".encode()
ALLOW_ALL_BUT_ADMIN = b"User-agent: *\nDisallow: /admin/\n"


class RobotsServer(FeedServer):
    """The feed server, whose robots.txt (when served) carries an ETag and answers If-None-Match with 304.
    ``robots_requests`` lists the If-None-Match header of every robots.txt request ("" when none)."""

    def __init__(self) -> None:
        super().__init__()
        self.robots_requests: list[str] = []
        self.robots_status = 200

    def respond(self, request: Request, recorded: Request | None) -> Response:
        if request.path != "/robots.txt":
            return super().respond(request, recorded)
        asked = request.headers.get("if-none-match", "")
        self.robots_requests.append(asked)
        if self.state.robots is None:
            return Response(404, b"not found", "text/plain")
        if self.robots_status != 200:
            return Response(self.robots_status, b"try later", "text/plain")
        etag = '"' + hashlib.sha256(self.state.robots).hexdigest()[:16] + '"'
        if asked == etag:
            return Response(304, b"", None, {"ETag": etag})
        return Response(200, self.state.robots, "text/plain", {"ETag": etag})


@pytest.fixture
def server() -> RobotsServer:
    with RobotsServer() as server:
        server.serve(feed_bytes(434))
        yield server


def settings(server: FeedServer, tmp_path: Path) -> dict[str, str]:
    return {
        "DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'dw.db'}",
        "DRAWWATCH_FEED_URL": server.url,
        "DRAWWATCH_RETRY_TIMES": "0",
    }


def age_stored_robots(env: dict[str, str], days: int) -> None:
    """Make the stored copies ``days`` older, as if the last check that asked was that long ago."""
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.robots import stored_robots

    with open_engine(env["DRAWWATCH_DATABASE_URL"]) as engine, session_scope(engine) as session:
        copies = stored_robots(session)
        assert copies
        for copy in copies:
            copy.fetched_at -= timedelta(days=days)
            session.add(copy)


def test_robots_txt_is_asked_for_once_then_read_from_the_database(
    server: RobotsServer, tmp_path: Path
) -> None:
    server.state.robots = ALLOW_ALL_BUT_ADMIN
    env = settings(server, tmp_path)

    first = drawwatch("check", "--no-deliver", "--json", env=env)
    assert first.code == 0, first.stderr
    assert first.json()["outcome"] == "ok"
    second = drawwatch("check", "--no-deliver", "--json", env=env)
    third = drawwatch("check", "--no-deliver", "--json", env=env)

    assert [second.json()["outcome"], third.json()["outcome"]] == ["not_modified", "not_modified"]
    assert server.robots_requests == [""]  # one request, by the first check
    assert len(server.requests.snapshot()) == 3  # the feed, once per check


def test_a_feed_disallowed_by_robots_txt_is_refused_and_stays_refused_without_asking_again(
    server: RobotsServer, tmp_path: Path
) -> None:
    server.state.robots = DISALLOW_FEED
    env = settings(server, tmp_path)

    for _ in range(2):
        run = drawwatch("check", "--no-deliver", "--json", env=env)
        assert run.code == 1, run.stderr
        assert run.json()["outcome"] == "failed"
        assert "Forbidden by robots.txt" in run.json()["error"]

    assert server.requests.snapshot() == []  # the feed never asked for
    assert server.robots_requests == [""]  # the second check obeyed the stored copy
    with open_engine(env["DRAWWATCH_DATABASE_URL"]) as engine, engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM draw")).scalar() == 0


def test_a_day_old_copy_is_asked_for_again_conditionally_and_a_304_keeps_it(
    server: RobotsServer, tmp_path: Path
) -> None:
    server.state.robots = DISALLOW_FEED
    env = settings(server, tmp_path)
    assert drawwatch("check", "--no-deliver", env=env).code == 1
    etag = '"' + hashlib.sha256(DISALLOW_FEED).hexdigest()[:16] + '"'
    age_stored_robots(env, days=1)

    run = drawwatch("check", "--no-deliver", "--json", env=env)

    assert server.robots_requests == ["", etag]  # asked again, with the stored copy's ETag: a 304
    assert "Forbidden by robots.txt" in run.json()["error"]  # the confirmed copy is still obeyed
    assert server.requests.snapshot() == []
    drawwatch("check", "--no-deliver", env=env)
    assert len(server.robots_requests) == 2  # the 304 made the copy fresh again


def test_a_changed_robots_txt_is_obeyed_once_the_stored_copy_is_a_day_old(
    server: RobotsServer, tmp_path: Path
) -> None:
    server.state.robots = DISALLOW_FEED
    env = settings(server, tmp_path)
    assert drawwatch("check", "--no-deliver", env=env).code == 1

    server.state.robots = ALLOW_ALL_BUT_ADMIN  # the site lifts the ban: seen within a day, not at once
    assert drawwatch("check", "--no-deliver", env=env).code == 1
    age_stored_robots(env, days=2)
    run = drawwatch("check", "--no-deliver", "--json", env=env)

    assert run.code == 0, run.stderr
    assert run.json()["outcome"] == "ok"
    assert len(server.robots_requests) == 2


@pytest.mark.parametrize(("robots", "status", "asked"), [(None, 404, 1), (ALLOW_ALL_BUT_ADMIN, 503, 2)])
def test_a_missing_robots_txt_is_kept_and_a_server_error_is_asked_again(
    server: RobotsServer, tmp_path: Path, robots: bytes | None, status: int, asked: int
) -> None:
    """No robots.txt (404) allows everything and stands for a day like a copy; a server error allows this
    check (as Scrapy's middleware does) and is asked again at the next one."""
    server.state.robots = robots
    server.robots_status = status
    env = settings(server, tmp_path)

    outcomes = [drawwatch("check", "--no-deliver", "--json", env=env).json()["outcome"] for _ in range(2)]

    assert outcomes == ["ok", "not_modified"]
    assert len(server.robots_requests) == asked
