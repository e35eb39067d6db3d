"""One-shot start-up against urlwatch: the same local feed, the same conditional GET, interleaved.

    .venv/bin/python benchmarks/bench_startup.py [--repeats 15] [--importtime-top 10]
                                                 [--drawwatch-python /tmp/before/.venv/bin/python]

A local feed server (the test suite's) serves the 438-round copy (#437) with ETag and Last-Modified. Each
repeat runs, alternating which peer goes first:
- first ingest: `drawwatch check --json` into an empty SQLite database (a 200 with the whole body, 438 rounds
  stored) against urlwatch's first fetch of the same URL with an empty cache (it stores the body);
- unchanged: the same two again, now a conditional GET each (If-None-Match) answered 304.
Per figure it prints the median of each side's wall time, CPU (the child's user + system, from os.wait4:
steadier than wall time on a loaded machine) and peak RSS (the child's own ru_maxrss), and the ratio
drawwatch/urlwatch; and the requests each check made to the feed server (robots.txt + feed). Then, for the
record, `python -X importtime` of one unchanged check: the top imports by cumulative time.

urlwatch runs from its own venv, benchmarks/.peers-venv (created with `python3 -m venv` and
`pip install urlwatch` on first use; not in git), with its config, cache and HOME in a temporary directory.
Target (issue 17): unchanged check ≤ 3× urlwatch's wall time and ≤ 0.5 s CPU.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import (  # noqa: E402
    CountingFeedServer,
    Figures,
    Run,
    add_python_option,
    child_env,
    describe_target,
    drawwatch_command,
    load_line,
    requests_between,
    rss_floor_mib,
    run_child,
    run_under,
)
from tests.support.feeds import feed_bytes  # noqa: E402

PEERS_VENV = Path(__file__).resolve().parent / ".peers-venv"
URLWATCH = PEERS_VENV / "bin" / "urlwatch"
IMPORT_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def ensure_urlwatch() -> Path:
    """urlwatch in the benchmarks' own venv, installed from PyPI the first time."""
    if not URLWATCH.exists():
        print(f"installing urlwatch into {PEERS_VENV} (first run only) ...", flush=True)
        subprocess.run(["python3", "-m", "venv", str(PEERS_VENV)], check=True)
        subprocess.run([str(PEERS_VENV / "bin" / "pip"), "install", "-q", "urlwatch"], check=True)
    return URLWATCH


class Peers:
    """The two commands, each with its own state per repeat."""

    def __init__(self, tmp: Path, feed_url: str) -> None:
        self.tmp = tmp
        self.feed_url = feed_url
        (tmp / "urls.yaml").write_text(f'name: "IRCC rounds"\nurl: "{feed_url}"\n')

    def drawwatch(self, label: str) -> Run:
        env = child_env(
            DRAWWATCH_DATABASE_URL=f"sqlite:///{self.tmp / f'dw-{label}.db'}",
            DRAWWATCH_FEED_URL=self.feed_url,
        )
        return run_child(drawwatch_command("check", "--json"), env)

    def urlwatch(self, label: str) -> Run:
        tmp = self.tmp
        args = [
            str(URLWATCH),
            *("--urls", str(tmp / "urls.yaml"), "--config", str(tmp / "urlwatch.yaml")),
            *("--hooks", str(tmp / "hooks.py"), "--cache", str(tmp / f"uw-{label}.db")),
        ]
        return run_child(args, {**child_env(), "HOME": str(tmp)})


def importtime(peers: Peers, top: int) -> list[tuple[float, float, str]]:
    """(cumulative s, self s, module) of the ``top`` slowest imports of an unchanged check."""
    env = child_env(
        DRAWWATCH_DATABASE_URL=f"sqlite:///{peers.tmp / 'dw-warm-up.db'}", DRAWWATCH_FEED_URL=peers.feed_url
    )
    run = run_child(drawwatch_command("check", "--json", python_flags=("-X", "importtime")), env)
    rows = []
    for line in run.stderr.splitlines():
        if m := IMPORT_LINE.match(line):
            rows.append((int(m[2]) / 1e6, int(m[1]) / 1e6, f"{'.' * (len(m[3]) // 2)}{m[4]}"))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--importtime-top", type=int, default=10)
    add_python_option(parser)
    opts = parser.parse_args()
    run_under(opts)
    ensure_urlwatch()

    figures = Figures()
    hits: dict[str, list[str]] = {}
    body = feed_bytes(437)
    with CountingFeedServer() as server, tempfile.TemporaryDirectory() as folder:
        server.serve(body)
        peers = Peers(Path(folder), server.url)

        def measure(step: str, peer: str, run: Callable[[], Run], status: int) -> Run:
            before, sent = server.count(), server.state.body_bytes_sent
            result = run()
            figure = f"{step} {peer}"
            figures.note(f"{figure} wall", result.wall)
            figures.note(f"{figure} cpu", result.cpu)
            figures.note(f"{figure} peak", result.peak_rss_mib)
            figures.note(f"{figure} body", server.state.body_bytes_sent - sent)
            hits.setdefault(figure, []).append(requests_between(before, server.count()))
            body_expected = len(body) if status == 200 else 0
            if server.state.body_bytes_sent - sent != body_expected:
                raise SystemExit(f"{figure}: expected a {status}, the server sent a different body")
            return result

        def drawwatch(step: str, label: str) -> None:
            run = measure(step, "drawwatch", lambda: peers.drawwatch(label), 200 if step == "first" else 304)
            summary = json.loads(run.stdout)
            expected = "ok" if step == "first" else "not_modified"
            assert summary["outcome"] == expected, summary["outcome"]

        def urlwatch(step: str, label: str) -> None:
            measure(step, "urlwatch", lambda: peers.urlwatch(label), 200 if step == "first" else 304)

        for i in range(opts.repeats + 1):  # repeat 0 warms caches (and writes urlwatch's config): not noted
            label = "warm-up" if i == 0 else str(i)
            order = (drawwatch, urlwatch) if i % 2 else (urlwatch, drawwatch)
            for step in ("first", "unchanged"):
                for peer in order:
                    peer(step, label)
            if i == 0:
                figures.values.clear()
                hits.clear()
        top = importtime(peers, opts.importtime_top)
        floor = rss_floor_mib()

    print(f"start-up: drawwatch check vs urlwatch, {opts.repeats} repeats interleaved, median (min–max)")
    print(f"  {describe_target()}")
    print(f"  urlwatch: {run_child([str(URLWATCH), '--version'], child_env()).stdout.split(chr(10))[0]}")
    print(f"  feed: 438 rounds, {len(body):,} B, ETag + Last-Modified; {load_line()}")
    header = f"  {'':<34} {'drawwatch':>22} {'urlwatch':>22} {'ratio':>6}"
    for step, title in (("unchanged", "unchanged check (304)"), ("first", "first ingest (200, empty db)")):
        print(f"{title}:")
        print(header)
        for kind, unit in (("wall", "s"), ("cpu", "s"), ("peak", "MiB")):
            dw, uw = figures.values[f"{step} drawwatch {kind}"], figures.values[f"{step} urlwatch {kind}"]
            cells = [
                f"{statistics.median(v):7.3f} ({min(v):.3f}–{max(v):.3f})"
                if unit == "s"
                else f"{statistics.median(v):7.1f} ({min(v):.0f}–{max(v):.0f})"
                for v in (dw, uw)
            ]
            ratio = statistics.median(dw) / statistics.median(uw)
            print(f"  {f'{kind} {unit}':<34} {cells[0]:>22} {cells[1]:>22} {ratio:>5.2f}x")
        for peer in ("drawwatch", "urlwatch"):
            seen = sorted(set(hits[f"{step} {peer}"]))
            print(f"  {f'requests per check, {peer}':<34} {' | '.join(seen)}")
    print(f"  (peak RSS floor: a do-nothing child started from the benchmark reports {floor:.1f} MiB)")
    print(f"python -X importtime, one unchanged `drawwatch check`: top {len(top)} by cumulative time")
    print(f"  {'cumulative s':>12} {'self s':>8}  module")
    for cumulative, own, module in top:
        print(f"  {cumulative:>12.3f} {own:>8.3f}  {module}")

    wall = figures.median("unchanged drawwatch wall") / figures.median("unchanged urlwatch wall")
    cpu = figures.median("unchanged drawwatch cpu")
    verdict = "met" if wall <= 3 and cpu <= 0.5 else "NOT met"
    print(
        f"summary: unchanged check {figures.median('unchanged drawwatch wall'):.2f} s wall vs urlwatch "
        f"{figures.median('unchanged urlwatch wall'):.2f} s = {wall:.1f}x, CPU {cpu:.2f} s "
        f"({figures.median('unchanged drawwatch cpu') / figures.median('unchanged urlwatch cpu'):.1f}x), "
        f"peak {figures.median('unchanged drawwatch peak'):.0f} vs "
        f"{figures.median('unchanged urlwatch peak'):.0f} MiB; target ≤ 3x wall and ≤ 0.5 s CPU: {verdict}"
    )


if __name__ == "__main__":
    main()
