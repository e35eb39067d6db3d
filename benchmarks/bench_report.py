"""Report benchmark: the static report of the full history (438 rounds), in-process and as a whole process.

    .venv/bin/python benchmarks/bench_report.py [--repeat 5] [--database-url URL]
                                                [--drawwatch-python /tmp/before/.venv/bin/python]

Prints, per figure, the median over the repeats (min–max), wall and CPU (user + system):
- matplotlib import: importing the report's chart module (``drawwatch.report.charts``: matplotlib and its
  SVG backend) in a fresh interpreter that has already imported ``drawwatch.report`` — measured on its own,
  in no other figure below but the whole report command;
- write_report, first call: the first call in that interpreter, after the import above (first-call costs
  such as font loading stay in it);
- write_report, warm: later calls in the same interpreter (the daemon's regenerations after that);
- start-up: `drawwatch --version`, the fixed cost of any drawwatch process;
- report command: `drawwatch report --out DIR --crs 470` as a whole, and (derived) its work beyond start-up
  and beyond the matplotlib import: report command − start-up − matplotlib import.
Target (issue "See the history"): the report builds in under 2 s of work beyond start-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import (  # noqa: E402
    Figures,
    add_python_option,
    child_env,
    describe_target,
    load_line,
    reset_pg,
    run_under,
    timed,
)
from tests.support.feeds import feed_bytes, feed_path  # noqa: E402

# Runs in a fresh interpreter: imports, ingest-free (the database is filled once), then timed calls.
IN_PROCESS = """
import json, sys, time
from pathlib import Path
from drawwatch.storage.db import make_engine
from drawwatch.report import write_report
engine = make_engine(sys.argv[1])
cpu, started = time.process_time(), time.perf_counter()
try:
    import drawwatch.report.charts
except ImportError:  # the chart module moved: matplotlib's import is what this measures
    import matplotlib.figure, matplotlib.backends.backend_svg
imported = [time.perf_counter() - started, time.process_time() - cpu]
out, times = Path(sys.argv[2]), []
for i in range(int(sys.argv[3])):
    cpu, started = time.process_time(), time.perf_counter()
    result = write_report(engine, out / str(i), crs=470)
    times.append([time.perf_counter() - started, time.process_time() - cpu])
assert result.rounds == 438, result.rounds
print(json.dumps([imported, times]))
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
    add_python_option(parser)
    opts = parser.parse_args()
    run_under(opts)

    figures = Figures()
    note = figures.note

    with tempfile.TemporaryDirectory() as tmp:
        url = opts.database_url or f"sqlite:///{tmp}/bench.db"
        if opts.database_url:
            reset_pg(url)
        ingest(url)
        env = child_env(DRAWWATCH_DATABASE_URL=url)
        python = sys.executable
        for i in range(opts.repeat):
            _, _, out = timed([python, "-c", IN_PROCESS, url, f"{tmp}/inproc{i}", "3"], env)
            (import_wall, import_cpu), (first, *warm) = json.loads(out)
            note("matplotlib import (drawwatch.report.charts) s", import_wall)
            note("matplotlib import (drawwatch.report.charts) cpu s", import_cpu)
            note("write_report, first call (after that import) s", first[0])
            note("write_report, first call (after that import) cpu s", first[1])
            note("write_report, warm s", statistics.median(w[0] for w in warm))
            note("write_report, warm cpu s", statistics.median(w[1] for w in warm))

            wall, cpu, _ = timed([python, "-m", "drawwatch", "--version"], env)
            note("start-up: drawwatch --version s", wall)
            note("start-up: drawwatch --version cpu s", cpu)
            wall, cpu, _ = timed(
                [python, "-m", "drawwatch", "report", "--out", f"{tmp}/cli{i}", "--crs", "470"], env
            )
            note("drawwatch report --out DIR --crs 470 s", wall)
            note("drawwatch report --out DIR --crs 470 cpu s", cpu)
            latest = {name: values[-1] for name, values in figures.values.items()}
            note(
                "report work beyond start-up and matplotlib import s (derived)",
                wall
                - latest["start-up: drawwatch --version s"]
                - latest["matplotlib import (drawwatch.report.charts) s"],
            )
            note(
                "report work beyond start-up and matplotlib import cpu s (derived)",
                cpu
                - latest["start-up: drawwatch --version cpu s"]
                - latest["matplotlib import (drawwatch.report.charts) cpu s"],
            )
        size = sum(p.stat().st_size for p in Path(f"{tmp}/cli0").rglob("*") if p.is_file())

    print(f"drawwatch report benchmark: 438 rounds, {opts.repeat} repeats, median (min–max); site {size:,} B")
    print(f"  {describe_target()}")
    figures.print(width=66)
    verdicts = []
    for kind in ("", " cpu"):
        work = figures.median(f"report work beyond start-up and matplotlib import{kind} s (derived)")
        verdicts.append(f"{work:.2f} s{kind or ' wall'} ({'met' if work < 2 else 'NOT met'})")
    print(f"  ({load_line()})")
    print(
        f"summary: start-up {figures.median('start-up: drawwatch --version cpu s'):.2f} s CPU, matplotlib import "
        f"{figures.median('matplotlib import (drawwatch.report.charts) cpu s'):.2f} s CPU, report work beyond "
        f"both {', '.join(verdicts)}; target < 2 s"
    )


if __name__ == "__main__":
    main()
