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
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import Figures, reset_pg, timed  # noqa: E402
from tests.support.feed_server import FeedServer  # noqa: E402
from tests.support.feeds import feed_bytes  # noqa: E402


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run drawwatch; return (wall seconds, CPU seconds of the child, stdout)."""
    return timed(
        [sys.executable, "-m", "drawwatch", *args],
        {**os.environ, "DRAWWATCH_CONFIG": "", "PYTHONPATH": str(ROOT), **env},
    )


def startup() -> tuple[float, float]:
    code = (
        "import drawwatch.cli, drawwatch.app.check, drawwatch.app.runtime as rt; rt.install_asyncio_reactor()"
    )
    wall, cpu, _ = timed([sys.executable, "-c", code], {**os.environ, "PYTHONPATH": str(ROOT)})
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", help="default: a fresh SQLite file per repeat")
    opts = parser.parse_args()

    figures = Figures()
    note = figures.note

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
    figures.print()
    work = figures.median("full ingest wall s") - figures.median("start-up wall s")
    print(f"  {'full ingest work beyond start-up (wall) s':<42} {work:>10.3f}   target < 1 s")


if __name__ == "__main__":
    main()
