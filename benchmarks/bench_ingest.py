"""Ingest benchmark: full-history ingest and an unchanged check, as whole-process figures.

    .venv/bin/python benchmarks/bench_ingest.py [--repeat 5] [--database-url URL]

Prints, per figure, the median over the repeats:
- start-up: the interpreter importing everything a check uses (Scrapy, Twisted, SQLAlchemy, apprise) — the
  fixed cost of any `drawwatch check` process, news or not;
- full ingest: `drawwatch check` of the 438-round copy into an empty database, and its work beyond start-up;
- unchanged check: `drawwatch check` again against a local server sending validators (feed body bytes sent)
  and against one that does not (the body comes, the hash matches, nothing is written).
Targets (issue 2): full ingest under 1 s of work beyond start-up; an unchanged check transfers no body.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import feed_bytes  # noqa: E402
from tests.peers import FeedServer  # noqa: E402


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run drawwatch; return (wall seconds, CPU seconds of the child, stdout)."""
    before = os.times()
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "drawwatch", *args],
        env={**os.environ, "DRAWWATCH_CONFIG": "", "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = os.times()
    if proc.returncode not in (0,):
        raise SystemExit(f"drawwatch {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, proc.stdout


def startup() -> tuple[float, float]:
    before = os.times()
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import drawwatch.cli, drawwatch.check, drawwatch.runtime; drawwatch.runtime.install_asyncio_reactor()",
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    wall = time.perf_counter() - started
    after = os.times()
    return wall, (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", help="default: a fresh SQLite file per repeat")
    opts = parser.parse_args()

    figures: dict[str, list[float]] = {}

    def note(name: str, value: float) -> None:
        figures.setdefault(name, []).append(value)

    body = feed_bytes(437)
    with FeedServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.serve(body)
        for i in range(opts.repeat):
            url = opts.database_url or f"sqlite:///{tmp}/bench{i}.db"
            if opts.database_url:
                reset_pg(url)
            env = {"DRAWWATCH_DATABASE_URL": url, "DRAWWATCH_FEED_URL": server.url}
            wall, cpu = startup()
            note("start-up wall s", wall)
            note("start-up cpu s", cpu)

            wall, cpu, out = run(["check", "--json"], env)
            summary = json.loads(out)
            assert summary["outcome"] == "ok" and len(summary["new_rounds"]) == 438, summary["outcome"]
            note("full ingest wall s", wall)
            note("full ingest cpu s", cpu)
            note("full ingest in-process check s", summary["seconds"])

            sent = server.state.body_bytes_sent
            server.state.validators = True
            wall, cpu, out = run(["check", "--json"], env)
            assert json.loads(out)["outcome"] == "not_modified"
            note("unchanged (304) wall s", wall)
            note("unchanged (304) cpu s", cpu)
            note("unchanged (304) feed body bytes", server.state.body_bytes_sent - sent)

            server.state.validators = False
            sent = server.state.body_bytes_sent
            wall, cpu, out = run(["check", "--json"], env)
            assert json.loads(out)["outcome"] == "unchanged"
            note("unchanged (no validators) wall s", wall)
            note("unchanged (no validators) cpu s", cpu)
            note("unchanged (no validators) feed body bytes", server.state.body_bytes_sent - sent)
            server.state.validators = True

    print(
        f"drawwatch ingest benchmark, {opts.repeat} repeats, median (min–max); feed: 438 rounds, {len(body):,} B"
    )
    for name, values in figures.items():
        print(f"  {name:<42} {statistics.median(values):>10.3f}  ({min(values):.3f}–{max(values):.3f})")
    work = statistics.median(figures["full ingest wall s"]) - statistics.median(figures["start-up wall s"])
    print(f"  {'full ingest work beyond start-up (wall) s':<42} {work:>10.3f}   target < 1 s")


def reset_pg(url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


if __name__ == "__main__":
    main()
