"""The real command line against a database it cannot use: another process holding SQLite's write lock, or
a full disk. ``check``, ``deliver`` and the daemon's ticks each say so in one line (exit status 3 for the
commands), with no traceback and no SQL; once the lock or the space is back, the next run works and what
was stored before is intact, and the daemon goes on, on its schedule, without a restart.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
from sqlmodel import select

from drawwatch.storage.db import session_scope
from drawwatch.storage.models import Alert, Round
from tests.e2e.stack import Stack
from tests.support.commands import Run, background, daemon, drawwatch
from tests.support.databases import SQLITE_ONLY, open_engine, sqlite_write_lock
from tests.support.disks import fill, small_tmpfs
from tests.support.feeds import feed_bytes
from tests.support.ports import closed_port
from tests.support.recorder import Recorder

# The subject is SQLite's locking and the file system (SQLITE_ONLY); the storage underneath is tested on
# both databases.
pytestmark = pytest.mark.slow
BUSY = {"DRAWWATCH_TEST_SQLITE_BUSY_TIMEOUT_MS": "300"}
NOT_IN_OUTPUT = ("Traceback", "SELECT", "INSERT", "UPDATE", "[SQL:")
# The commands, and whether a working run sends the alert waiting in the outbox.
COMMANDS = [(("check",), True), (("deliver",), True), (("check", "--no-deliver"), False)]
IDS = [" ".join(command) for command, _ in COMMANDS]


def db_path(stack: Stack) -> Path:
    return Path(stack.database_url.removeprefix("sqlite:///"))


def queued_alert(stack: Stack) -> None:
    """History stored, one subscriber, and a new round whose alert waits in the outbox."""
    stack.feed.serve(feed_bytes(434))
    assert stack.run("check").code == 0
    stack.add("Ana", 900, "--category", "pnp", "--url", stack.hook.url("/ana"))
    stack.feed.serve(feed_bytes(437))
    queued = stack.run("check", "--no-deliver", "--json")
    assert queued.code == 0, queued.stderr
    assert queued.json()["alerts"]["queued"] == 1


def stored(stack: Stack) -> tuple[list[Any], list[Any]]:
    """The rounds and the outbox as stored, to show that a run that could not write lost nothing."""
    with open_engine(stack.database_url) as engine, session_scope(engine) as session:
        rounds = session.exec(select(Round.number, Round.crs, Round.updated_at)).all()
        alerts = session.exec(select(Alert.id, Alert.status, Alert.attempts)).all()
        return sorted(rounds), sorted(alerts)


def assert_one_clear_line(run: Run, problem: str, *, prefix: bool = False) -> None:
    """Exit status 3 and stderr is the one line ``error: PROBLEM`` (or starting so, with ``prefix``)."""
    assert run.code == 3, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"error: {problem}") if prefix else lines[0] == f"error: {problem}"
    assert not any(word in run.stderr + run.stdout for word in NOT_IN_OUTPUT), run.stderr


@SQLITE_ONLY
@pytest.mark.parametrize(("command", "sends"), COMMANDS, ids=IDS)
def test_a_command_under_another_process_s_write_lock(
    stack: Stack, command: tuple[str, ...], sends: bool
) -> None:
    queued_alert(stack)
    before = stored(stack)
    path = db_path(stack)

    with sqlite_write_lock(path):
        locked = stack.run(*command, **BUSY)
    assert_one_clear_line(locked, f"the database is locked by another process (waited 0.3 s): {path}")
    assert stack.hook.requests.snapshot() == []
    assert stored(stack) == before

    again = stack.run(*command, **BUSY)
    assert again.code == 0, again.stderr
    rounds, alerts = stored(stack)
    assert rounds == before[0]
    assert [status for _, status, _ in alerts] == ["sent" if sends else "pending"]
    assert len(stack.hook.requests.snapshot()) == (1 if sends else 0)


@SQLITE_ONLY
def test_a_lock_that_comes_while_check_sends_stops_the_sending_and_keeps_the_news(stack: Stack) -> None:
    """The check stored its rounds; recording the send then meets the lock: the news is printed, one error
    line says sending stopped (exit 3), and the alert waits unsent in the outbox, not lost."""
    stack.feed.serve(feed_bytes(434))
    assert stack.run("check").code == 0
    stack.add("Ana", 900, "--category", "pnp", "--url", stack.hook.url("/ana"))
    stack.feed.serve(feed_bytes(437))
    stack.hook.hold()  # the send waits at the webhook while another process takes the write lock
    with background({**stack.env, **BUSY}, "check") as proc:
        stack.hook.requests.wait_for(1, timeout=60)
        with sqlite_write_lock(db_path(stack)):
            stack.hook.release()
            out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    assert "new round(s):" in out and "#437" in out
    locked = f"the database is locked by another process (waited 0.3 s): {db_path(stack)}"
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: sending alerts stopped: {locked}. " + errors[0].split(". ", 1)[1]], err
    assert not any(word in out + err for word in NOT_IN_OUTPUT), err
    rounds, alerts = stored(stack)
    assert "437" in {number for number, _, _ in rounds}
    assert [status for _, status, _ in alerts] == ["pending"]  # leased: sent again once the lease ends


def pump(
    stream: IO[str], lines: Recorder[str], failed_checks: Recorder[str], needle: str
) -> threading.Thread:
    """Read a daemon's stderr as it comes: every line, and apart the lines of checks that met ``needle``."""

    def read() -> None:
        for raw in stream:
            line = raw.rstrip("\n")
            lines.append(line)
            if "check failed: " in line and needle in line:
                failed_checks.append(line)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


@contextmanager
def database_fault(stack: Stack, fault: str, tmp_path: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """The database made unusable the ``fault`` way ("locked" by another process, or on a "full" disk) for
    the block; yields the line drawwatch says about it and the function that ends the fault."""
    if fault == "locked":
        path = db_path(stack)
        with sqlite_write_lock(path) as holder:
            yield f"the database is locked by another process (waited 0.3 s): {path}", holder.rollback
        return
    with small_tmpfs(tmp_path / "small-disk") as disk:
        path = disk / "drawwatch.db"
        stack.database_url = stack.env["DRAWWATCH_DATABASE_URL"] = f"sqlite:///{path}"
        queued_alert(stack)
        filler = fill(disk)
        yield f"the disk holding the database is full: {path}", filler.unlink


@SQLITE_ONLY
@pytest.mark.parametrize("fault", ["locked", "full"])
def test_the_daemon_logs_one_line_per_failed_tick_and_keeps_its_schedule(
    stack: Stack, fault: str, tmp_path: Path
) -> None:
    if fault == "locked":
        queued_alert(stack)
    lines: Recorder[str] = Recorder()
    failed_checks: Recorder[str] = Recorder()

    with database_fault(stack, fault, tmp_path) as (problem, end_fault):
        before = stored(stack)
        env = {**stack.env, **BUSY, "DRAWWATCH_JITTER": "0", "DRAWWATCH_DELIVERY_INTERVAL": "1"}
        with daemon(env) as proc:
            assert proc.stderr is not None
            reader = pump(proc.stderr, lines, failed_checks, problem)
            failed_checks.wait_for(2, timeout=60)  # two ticks met the fault: the daemon goes on ticking
            assert proc.poll() is None
            if fault == "locked":  # on a full disk, a small write can still fit in space SQLite holds
                assert stack.hook.requests.snapshot() == []
            requests = len(stack.feed.requests)
            end_fault()  # the other process is done, or space was freed: the next tick, on schedule, works

            stack.feed.wait_for_requests(requests + 1)
            assert len(stack.hook.requests.wait_for(1, timeout=30)) == 1
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
            reader.join(timeout=10)
        output = lines.snapshot()
        ticks = failed_checks.snapshot()
        # A check that failed while storing also tries to record its failure, which may fail too.
        said = re.compile(
            rf"check failed: {re.escape(problem)}"
            r"(; this failed check could not be recorded either)?; the daemon goes on$"
        )
        assert all(said.search(line) for line in ticks), ticks
        assert not any(word in line for line in output for word in NOT_IN_OUTPUT), "\n".join(output)
        rounds, alerts = stored(stack)
        assert rounds == before[0] and [status for _, status, _ in alerts] == ["sent"]
        assert len(stack.hook.requests.snapshot()) == 1  # sent once, whenever it could be


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "small-disk") as mount:
        yield mount


@SQLITE_ONLY
@pytest.mark.parametrize(("command", "sends"), COMMANDS[:2], ids=IDS[:2])
def test_a_command_on_a_full_disk(
    stack: Stack, small_disk: Path, command: tuple[str, ...], sends: bool
) -> None:
    path = small_disk / "drawwatch.db"
    stack.database_url = stack.env["DRAWWATCH_DATABASE_URL"] = f"sqlite:///{path}"
    queued_alert(stack)
    before = stored(stack)

    filler = fill(small_disk)
    full = stack.run(*command)
    assert_one_clear_line(full, f"the disk holding the database is full: {path}")
    assert stack.hook.requests.snapshot() == []

    filler.unlink()
    assert stored(stack) == before
    again = stack.run(*command)
    assert again.code == 0, again.stderr
    rounds, alerts = stored(stack)
    assert rounds == before[0]
    assert [status for _, status, _ in alerts] == ["sent" if sends else "pending"]
    assert len(stack.hook.requests.snapshot()) == (1 if sends else 0)


@pytest.mark.parametrize("command", [("check",), ("deliver",), ("draws", "list")], ids=" ".join)
def test_an_unreachable_postgresql_is_one_line_naming_the_host_not_the_password(
    command: tuple[str, ...],
) -> None:
    url = f"postgresql+psycopg://drawwatch:s3cret-pw@127.0.0.1:{closed_port()}/drawwatch"
    run = drawwatch(*command, env={"DRAWWATCH_DATABASE_URL": url})
    shown = url.replace("s3cret-pw", "***")
    assert_one_clear_line(run, f"cannot use the database {shown}: connection failed: ", prefix=True)
    assert "s3cret-pw" not in run.stderr + run.stdout and "Connection refused" in run.stderr
