"""Ingest benchmark: full-history ingest and an unchanged check, as whole-process figures.

    .venv/bin/python benchmarks/bench_ingest.py [--repeat 5] [--database-url URL]
                                                [--drawwatch-python /tmp/before/.venv/bin/python]

Prints, per figure, the median over the repeats (wall and the child's CPU, user + system):
- imports: an interpreter importing what a check uses (`drawwatch.cli`, `drawwatch.app.check`: Scrapy,
  Twisted, SQLAlchemy, apprise) and installing the asyncio reactor — no crawler is made;
- unchanged check (304): `drawwatch check` against a local server sending validators (feed body bytes sent:
  0), and against one that does not (the body comes, the hash matches, nothing is written);
- full ingest: `drawwatch check` of the 438-round copy into an empty database, and the check's own
  in-process time from its JSON summary;
- derived, labelled as such: "crawler set-up and a 304" = unchanged (304) − imports: Scrapy's crawler and
  engine set-up, the one-request crawl (robots.txt + feed) and the check's bookkeeping; "ingest work" =
  full ingest − unchanged (304): parsing and storing 438 rounds, with start-up and crawler set-up left out.
Targets (issue 2): ingest work under 1 s; an unchanged check transfers no body.
"""

from __future__ import annotations

import argparse
import json
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
    drawwatch_command,
    load_line,
    reset_pg,
    run_child,
    run_under,
)
from tests.support.feed_server import FeedServer  # noqa: E402
from tests.support.feeds import feed_bytes  # noqa: E402


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run drawwatch; return (wall seconds, CPU seconds of the child, stdout)."""
    result = run_child(drawwatch_command(*args), child_env(**env))
    return result.wall, result.cpu, result.stdout


def imports() -> tuple[float, float]:
    code = (
        "import drawwatch.cli, drawwatch.app.check, drawwatch.app.runtime as rt; rt.install_asyncio_reactor()"
    )
    result = run_child([sys.executable, "-c", code], child_env())
    return result.wall, result.cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", help="default: a fresh SQLite file per repeat")
    add_python_option(parser)
    opts = parser.parse_args()
    run_under(opts)

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
            wall, cpu = imports()
            note("imports wall s", wall)
            note("imports cpu s", cpu)

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
            note("crawler set-up and a 304 wall s (derived)", wall - figures.values["imports wall s"][-1])
            note("crawler set-up and a 304 cpu s (derived)", cpu - figures.values["imports cpu s"][-1])
            note("ingest work wall s (derived)", figures.values["full ingest wall s"][-1] - wall)
            note("ingest work cpu s (derived)", figures.values["full ingest cpu s"][-1] - cpu)
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
    print(f"  {describe_target()}")
    figures.print(width=48)
    work = figures.median("ingest work wall s (derived)")
    cpu = figures.median("ingest work cpu s (derived)")
    print(f"  ({load_line()})")
    print(
        f"summary: imports {figures.median('imports cpu s'):.2f} s CPU, crawler set-up and a 304 "
        f"{figures.median('crawler set-up and a 304 cpu s (derived)'):.2f} s CPU, ingest work (full ingest "
        f"− unchanged) {work:.2f} s wall / {cpu:.2f} s CPU; target < 1 s: wall {'met' if work < 1 else 'NOT met'}"
        f", CPU {'met' if cpu < 1 else 'NOT met'} (wall figures drift when the machine is loaded)"
    )


if __name__ == "__main__":
    main()
