"""Report benchmark: the static report of the full history (438 rounds), in-process and as a whole process.

    .venv/bin/python benchmarks/bench_report.py [--repeat 5] [--database-url URL]

Prints, per figure, the median over the repeats (min–max):
- write_report, cold: the first call in a fresh interpreter, so it includes importing matplotlib (what the
  daemon pays on its first regeneration);
- write_report, warm: later calls in the same interpreter (the daemon's regenerations after that);
- start-up: `drawwatch --version`, the fixed cost of any drawwatch process;
- report command: `drawwatch report --out DIR --crs 470`, and its work beyond start-up, as wall time and as
  the child's CPU time (user + system; steadier when other processes share the machine).
Target (issue "See the history"): the report builds in under 2 s of work beyond start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import Figures, reset_pg, timed  # noqa: E402
from tests.support.feeds import feed_bytes, feed_path  # noqa: E402

# Runs in a fresh interpreter: imports, ingest-free (the database is filled once), then timed calls.
IN_PROCESS = """
import json, sys, time
from pathlib import Path
from drawwatch.storage.db import make_engine
from drawwatch.report import write_report
engine = make_engine(sys.argv[1])
out, times = Path(sys.argv[2]), []
for i in range(int(sys.argv[3])):
    started = time.perf_counter()
    result = write_report(engine, out / str(i), crs=470)
    times.append(time.perf_counter() - started)
assert result.rounds == 438, result.rounds
print(json.dumps(times))
"""


def ingest(url: str) -> None:
    """Store the 438-round copy the way a check does."""
    from drawwatch.scrapers.feed import parse_feed
    from drawwatch.storage.checks import finish_check, start_check
    from drawwatch.storage.db import make_engine, session_scope
    from drawwatch.storage.migrate import init_schema
    from drawwatch.storage.rounds import sync_rounds

    engine = make_engine(url)
    try:
        init_schema(engine)
        feed = parse_feed(feed_bytes(437))
        with session_scope(engine) as session:
            check = start_check(session, feed_path(437).as_uri())
            result = sync_rounds(session, feed.rounds, check=check)
            finish_check(
                session, check, outcome="ok", rounds_in_feed=len(feed.rounds), new_count=len(result.new)
            )
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    opts = parser.parse_args()

    figures = Figures()
    note = figures.note

    with tempfile.TemporaryDirectory() as tmp:
        url = opts.database_url or f"sqlite:///{tmp}/bench.db"
        if opts.database_url:
            reset_pg(url)
        ingest(url)
        env = {**os.environ, "DRAWWATCH_CONFIG": "", "PYTHONPATH": str(ROOT), "DRAWWATCH_DATABASE_URL": url}
        python = sys.executable
        for i in range(opts.repeat):
            _, _, out = timed([python, "-c", IN_PROCESS, url, f"{tmp}/inproc{i}", "3"], env)
            cold, *warm = json.loads(out)
            note("write_report, cold (imports matplotlib) s", cold)
            note("write_report, warm s", statistics.median(warm))

            wall, cpu, _ = timed([python, "-m", "drawwatch", "--version"], env)
            note("start-up: drawwatch --version s", wall)
            note("start-up: drawwatch --version cpu s", cpu)
            wall, cpu, _ = timed(
                [python, "-m", "drawwatch", "report", "--out", f"{tmp}/cli{i}", "--crs", "470"], env
            )
            note("drawwatch report --out DIR --crs 470 s", wall)
            note("drawwatch report --out DIR --crs 470 cpu s", cpu)
            note(
                "report work beyond start-up s", wall - figures.values["start-up: drawwatch --version s"][-1]
            )
            note(
                "report work beyond start-up cpu s",
                cpu - figures.values["start-up: drawwatch --version cpu s"][-1],
            )
        size = sum(p.stat().st_size for p in Path(f"{tmp}/cli0").rglob("*") if p.is_file())

    print(f"drawwatch report benchmark: 438 rounds, {opts.repeat} repeats, median (min–max); site {size:,} B")
    figures.print(width=44)
    for kind in ("", " cpu"):
        work = figures.median(f"report work beyond start-up{kind} s")
        verdict = "met" if work < 2 else "MISSED"
        print(f"  {f'=> work beyond start-up{kind} (median) s':<44} {work:>7.3f}   target < 2 s: {verdict}")
    print(
        f"  (load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
