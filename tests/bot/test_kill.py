"""The real ``drawwatch bot`` process killed with SIGKILL between receiving an update and answering it:
after a restart the update is answered exactly once.

Two deterministic kill points, found without sleeping: (1) before the update's transaction commits: the test
holds SQLite's write lock, and the fake says when the bot has the update (its getUpdates answer was written
whole), so the bot cannot have committed when it is killed; (2) while the answer is on the wire: the fake
holds its sendMessage answer until the test has killed the bot (the reply was committed, then marked
``sending``: it may have arrived, so it is not sent again)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from drawwatch.storage.bot import reply_counts
from drawwatch.storage.db import session_scope
from tests.support.commands import background
from tests.support.databases import open_engine, sqlite_write_lock
from tests.support.telegram import TELEGRAM_TOKEN
from tests.support.telegram_bot import FakeBotApi

pytestmark = pytest.mark.slow
CHAT = 777
BOT_ID = TELEGRAM_TOKEN.split(":")[0]


@pytest.fixture
def env(tmp_path: Path, fake: FakeBotApi) -> dict[str, str]:
    return {
        "DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'drawwatch.db'}",
        "DRAWWATCH_TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "DRAWWATCH_TELEGRAM_API_URL": fake.base_url,
        "DRAWWATCH_TEST_SQLITE_BUSY_TIMEOUT_MS": "60000",  # the bot waits on the test's lock until killed
    }


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "drawwatch.db"


def kill(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGKILL)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return stderr


def polling(fake: FakeBotApi, count: int = 1) -> None:
    """Wait until the bot has sent its ``count``-th getUpdates (it is then in its long poll)."""
    while len(fake.of("getUpdates")) < count:
        assert fake.calls.reached(len(fake.calls) + 1, 30), "the bot never polled"


def welcome_count(fake: FakeBotApi) -> int:
    return sum("Privacy" in text for text in fake.texts(CHAT))


def test_killed_before_the_commit(fake: FakeBotApi, env: dict[str, str], db: Path) -> None:
    with background(env, "bot") as proc:
        polling(fake)
        with sqlite_write_lock(db):
            update_id = fake.send_text(CHAT, "/start")
            fake.answered_updates.wait_for(1, 30)  # the bot has the update; it cannot commit now
            stderr = kill(proc)
    assert TELEGRAM_TOKEN not in stderr
    assert fake.texts(CHAT) == []
    with background(env, "bot") as proc:
        fake.wait_texts(CHAT, 1, timeout=30)
        fake.send_text(CHAT, "/help")
        fake.wait_texts(CHAT, 2, timeout=30)
        fake.wait_confirmed(update_id)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 0, stderr
    assert welcome_count(fake) == 1
    assert [text[:8] for text in fake.texts(CHAT)] == ["Hello! I", "Commands"]


def test_killed_while_the_answer_is_on_the_wire(fake: FakeBotApi, env: dict[str, str], db: Path) -> None:
    fake.hold_sends()
    with background(env, "bot") as proc:
        fake.send_text(CHAT, "/start")
        while not fake.of("sendMessage", CHAT):
            assert fake.calls.reached(len(fake.calls) + 1, 30), "the bot never answered"
        kill(proc)
    fake.release_sends()
    with background(env, "bot") as proc:
        fake.send_text(CHAT, "/help")
        fake.wait_texts(CHAT, 2, timeout=30)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert welcome_count(fake) == 1  # never sent twice
    assert len(fake.texts(CHAT)) == 2
    with open_engine(env["DRAWWATCH_DATABASE_URL"]) as engine, session_scope(engine) as session:
        assert reply_counts(session, BOT_ID) == {"unknown": 1, "sent": 1}


def test_the_daemon_runs_the_bot_beside_its_checks_and_stops_it_on_sigterm(
    fake: FakeBotApi, env: dict[str, str]
) -> None:
    """``drawwatch run --bot``: the bot answers while the daemon checks on its schedule; SIGTERM stops both,
    exit 0."""
    from tests.support.feed_server import FeedServer
    from tests.support.feeds import feed_bytes

    with FeedServer() as feed:
        feed.serve(feed_bytes(437))
        daemon_env = {**env, "DRAWWATCH_FEED_URL": feed.url}
        with background(daemon_env, "run", "--interval", "3600", "--bot") as proc:
            polling(fake)
            fake.send_text(CHAT, "/start")
            assert "Privacy" in fake.wait_texts(CHAT, 1)[0]
            assert feed.requests.reached(1, 30)  # the check ran too, on its schedule (once at start)
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert TELEGRAM_TOKEN not in stderr
    assert welcome_count(fake) == 1
