"""The daemon hands the objects alive after its first check (imports, caches) to the garbage collector's
permanent generation, so that full collections stop walking them at every poll, and gives them back when it
stops."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from drawwatch.scheduler.daemon import freeze_long_lived_objects
from tests.support.commands import ROOT, clean_env
from tests.support.feed_server import FeedServer
from tests.support.feeds import feed_bytes


class Cycle:
    me: Cycle | None = None


def test_the_long_lived_objects_are_frozen_once_per_process() -> None:
    gc.unfreeze()
    try:
        garbage = Cycle()
        garbage.me = garbage  # unreachable once the name is gone, but only a collection frees it
        gone = weakref.ref(garbage)
        del garbage
        assert gone() is not None
        assert freeze_long_lived_objects() is True
        assert gc.get_freeze_count() > 0
        assert gone() is None  # collected first, not frozen
        assert freeze_long_lived_objects() is False  # already done: not again
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0


PROBE = """
import asyncio, gc, json, sys
from drawwatch.app.runtime import run_on_reactor
from drawwatch.config import load_settings
from drawwatch.scheduler.daemon import Daemon
from drawwatch.storage.db import make_engine
from drawwatch.storage.migrate import init_schema

settings = load_settings()
engine = make_engine(settings.database_url)
init_schema(engine)
seen = []

async def main():
    daemon = None

    async def after(summary):
        seen.append({"outcome": summary.outcome, "frozen": gc.get_freeze_count() > 0})
        if len(seen) == 3:
            daemon.request_stop()

    daemon = Daemon(settings, engine, interval=0.05, after_check=after)
    code = await daemon.run()
    seen.append({"code": code, "frozen": gc.get_freeze_count() > 0})
    return code

code = run_on_reactor(main)
print(json.dumps(seen))
sys.exit(code)
"""


@pytest.mark.slow
def test_the_daemon_freezes_after_its_first_check_and_unfreezes_when_it_stops(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.serve(feed_bytes(437))
        env = clean_env(
            {
                "DRAWWATCH_CONFIG": "",
                "DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'dw.db'}",
                "DRAWWATCH_FEED_URL": server.url,
                "DRAWWATCH_JITTER": "0",
                "DRAWWATCH_RETRY_TIMES": "0",
            }
        )
        proc = subprocess.run(
            [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, cwd=ROOT, timeout=120
        )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == [
        {"outcome": "ok", "frozen": True},
        {"outcome": "not_modified", "frozen": True},
        {"outcome": "not_modified", "frozen": True},
        {"code": 0, "frozen": False},
    ]
