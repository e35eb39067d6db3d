"""Soak benchmark: the daemon (`drawwatch run`) for hundreds of polls, watched from outside the process.

    .venv/bin/python benchmarks/bench_soak.py [--polls 500] [--interval 0.2] [--no-validators]
                                              [--database-url URL] [--drawwatch-python PYTHON]

Starts `python -m drawwatch run` with DRAWWATCH_INTERVAL (fractions allowed there; `--interval` on the command
line needs >= 1) and DRAWWATCH_JITTER=0 against a local server serving the 438-round copy. The first poll
ingests the history; every later one is unchanged: a 304 when the server sends validators (default), or a full
download whose hash matches with `--no-validators`. The default database is a fresh SQLite file; a
`--database-url` is used as it is (not emptied: its first poll may already be an unchanged one).

Polls are counted by the feed requests the server sees (request k+1 arriving means poll k has finished: the
daemon never runs two at once) and confirmed afterwards from the `check_run` rows. The daemon's RSS
(/proc/PID/status VmRSS), threads and open files are sampled as it goes — at its first feed request ("start":
imports done, nothing ingested), after poll 1, at round numbers and at the end — and its CPU time
(/proc/PID/stat utime+stime) gives the CPU per unchanged poll (polls 2 to N). The server counts every request,
robots.txt's too: requests per tick. At the end the daemon gets SIGTERM and must exit 0.
Targets: issue 6, RSS flat within 10 MiB and under 150 MiB; issue 17, under 80 MiB, flat over 500 polls,
under 15 ms CPU per unchanged poll.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import func, select  # noqa: E402

from benchmarks._common import (  # noqa: E402
    CountingFeedServer,
    add_python_option,
    child_env,
    describe_target,
    load_line,
    neutral_cwd,
    run_under,
)
from drawwatch.storage.db import make_engine, session_scope  # noqa: E402
from drawwatch.storage.models import CheckRun  # noqa: E402
from tests.support.feeds import feed_bytes  # noqa: E402

MiB = 1024 * 1024
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Sample:
    checks: int  # polls finished when sampled (0: the daemon's first feed request)
    at: float  # perf_counter seconds
    rss: int  # bytes
    hwm: int  # peak RSS so far, bytes
    cpu: float  # user + system seconds
    threads: int
    fds: int
    requests: int = 0  # requests the feed server had seen, robots.txt's too
    robots: int = 0  # of which robots.txt


def sample(pid: int, checks: int, server: CountingFeedServer | None = None) -> Sample:
    status = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        status[key] = value.strip()
    # Fields after the command name (which may hold spaces): utime and stime are the 14th and 15th overall.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK
    hits = server.count() if server else collections.Counter[str]()
    return Sample(
        checks=checks,
        at=time.perf_counter(),
        rss=int(status["VmRSS"].split()[0]) * 1024,
        hwm=int(status["VmHWM"].split()[0]) * 1024,
        cpu=cpu,
        threads=int(status["Threads"]),
        fds=len(os.listdir(f"/proc/{pid}/fd")),
        requests=sum(hits.values()),
        robots=hits["/robots.txt"],
    )


def outcomes(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            rows = session.exec(select(CheckRun.outcome, func.count()).group_by(CheckRun.outcome)).all()
            return dict(rows)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--polls", "--checks", dest="checks", type=int, default=500, help="polls to run (default 500)"
    )
    parser.add_argument("--interval", type=float, default=0.2, help="DRAWWATCH_INTERVAL (default 0.2 s)")
    parser.add_argument(
        "--no-validators",
        action="store_true",
        help="the server sends no ETag/Last-Modified: unchanged checks download and hash the body",
    )
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--timeout", type=float, default=1800, help="give up after this many seconds")
    add_python_option(parser)
    opts = parser.parse_args()
    if opts.checks < 3:
        parser.error("--polls must be at least 3")
    run_under(opts)

    body = feed_bytes(437)
    with CountingFeedServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.serve(body)
        server.state.validators = not opts.no_validators
        database_url = opts.database_url or f"sqlite:///{tmp}/soak.db"
        env = child_env()
        env |= {
            "DRAWWATCH_DATABASE_URL": database_url,
            "DRAWWATCH_FEED_URL": server.url,
            "DRAWWATCH_INTERVAL": str(opts.interval),
            "DRAWWATCH_JITTER": "0",
            "DRAWWATCH_RETRY_TIMES": "0",
        }
        log_path = Path(tmp) / "daemon.log"
        with log_path.open("w") as log:  # a file, not a pipe: 500 log lines would fill a pipe's buffer
            proc = subprocess.Popen(
                [sys.executable, "-m", "drawwatch", "run"],
                env=env,
                cwd=neutral_cwd(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            samples = soak(proc, server, opts.checks, opts.timeout)
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=180)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        log_text = log_path.read_text()
        rows = outcomes(database_url)
        report(opts, body, server, samples, code, rows, log_text)


def soak(
    proc: subprocess.Popen[bytes], server: CountingFeedServer, checks: int, timeout: float
) -> list[Sample]:
    """Wait for ``checks`` polls, sampling the daemon at its first request, after the first poll, at round
    numbers, and at the end."""
    deadline = time.monotonic() + timeout
    marks = sorted({m for m in (0, 1, 2, 5, 10, 25, 50) if m < checks} | {checks, *range(100, checks, 100)})
    samples = []
    for done in marks:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or proc.poll() is not None:
            raise SystemExit(f"the daemon stopped or timed out after {len(server.state.requests)} checks")
        try:
            server.wait_for_requests(done + 1, timeout=remaining)  # request done+1: check `done` finished
        except TimeoutError:
            raise SystemExit(f"timed out after {len(server.state.requests)} checks") from None
        samples.append(sample(proc.pid, done, server))
    return samples


def report(
    opts: argparse.Namespace,
    body: bytes,
    server: CountingFeedServer,
    samples: list[Sample],
    code: int,
    rows: dict[str, int],
    log_text: str,
) -> None:
    start, first, last = samples[0], samples[1], samples[-1]
    warm = next((s for s in samples if s.checks >= 10), last)
    unchanged = last.checks - first.checks
    mode = "validators off: full body, hash unchanged" if opts.no_validators else "validators on: 304"
    print(f"drawwatch soak: `drawwatch run`, DRAWWATCH_INTERVAL={opts.interval}, {last.checks} polls")
    print(f"  {describe_target()}")
    print(f"  feed: 438 rounds, {len(body):,} B; unchanged polls: {mode}")
    print("  (poll 0: the daemon's first feed request, imports done and nothing ingested)")
    print(f"  {'after poll':>11} {'RSS MiB':>8} {'peak MiB':>9} {'CPU s':>7} {'threads':>8} {'fds':>4}")
    for s in samples:
        print(
            f"  {s.checks:>11} {s.rss / MiB:>8.1f} {s.hwm / MiB:>9.1f} {s.cpu:>7.2f} {s.threads:>8} {s.fds:>4}"
        )
    growth = (last.rss - first.rss) / MiB
    print(
        f"  RSS after poll 1: {first.rss / MiB:.1f} MiB, after poll {last.checks}: {last.rss / MiB:.1f} MiB"
        f" (growth {growth:+.1f} MiB; {(last.rss - warm.rss) / MiB:+.1f} MiB since poll {warm.checks})"
        f"   target: flat within 10 MiB, under 150 MiB"
        f" -> {'met' if abs(growth) <= 10 and last.hwm < 150 * MiB else 'NOT met'}"
    )
    print(
        f"  RSS at start (first request): {start.rss / MiB:.1f} MiB, end: {last.rss / MiB:.1f} MiB, "
        f"peak {last.hwm / MiB:.1f} MiB   issue 17 target: under 80 MiB and flat over 500 polls"
        f" -> {'met' if last.hwm < 80 * MiB and abs(growth) <= 10 else 'NOT met'}"
    )
    cpu_per = (last.cpu - first.cpu) / unchanged
    wall = last.at - first.at
    # The sample after poll k sees request k+1's feed request, maybe not yet its robots.txt: count
    # robots.txt and feed from the sample after poll 1 to the end, feed requests one per poll.
    robots = (last.robots - first.robots) / unchanged
    print(
        f"  requests to the feed server per tick: {1 + robots:.2f} (robots.txt {robots:.2f} + feed 1;"
        f" {last.requests - first.requests} requests over polls 2–{last.checks}, robots.txt"
        f" {last.robots - first.robots})"
    )
    print(
        f"  CPU per unchanged poll: {cpu_per * 1000:.1f} ms (polls 2–{last.checks}, whole daemon process)"
        f"   issue 17 target: under 15 ms -> {'met' if cpu_per < 0.015 else 'NOT met'}"
    )
    print(
        f"  checks/s: {unchanged / wall:.2f} (wall {wall:.1f} s for {unchanged} checks; the interval caps it at"
        f" {1 / opts.interval:.1f}/s); daemon busy {100 * (last.cpu - first.cpu) / wall:.0f}% of one CPU"
    )
    print(f"  feed body bytes sent: {server.state.body_bytes_sent:,}")
    print(f"  check_run rows by outcome: {dict(sorted(rows.items()))}")
    levels = collections.Counter(
        word for line in log_text.splitlines() for word in ("WARNING", "ERROR", "CRITICAL") if word in line
    )
    print(f"  daemon log: {len(log_text.splitlines())} lines, {dict(levels) or 'no warnings or errors'}")
    noted = collections.Counter(
        re.sub(r"\d{4}-\d\d-\d\d[ T][\d:.,+]+", "<time>", line.split(" ", 2)[-1])[:150]
        for line in log_text.splitlines()
        if any(word in line for word in ("WARNING", "ERROR", "CRITICAL"))
    )
    for line, count in noted.most_common(5):
        print(f"    {count} x {line}")
    stopped = "daemon stopped" in log_text
    print(f"  SIGTERM: exit {code}{', clean stop logged' if stopped else ', no stop line in the log'}")
    print(f"  ({load_line()})")
    print(
        f"summary: RSS {start.rss / MiB:.0f} MiB at start, {first.rss / MiB:.0f} after poll 1,"
        f" {last.rss / MiB:.0f} after poll {last.checks} (peak {last.hwm / MiB:.0f}); CPU per unchanged poll"
        f" {cpu_per * 1000:.1f} ms; {1 + robots:.2f} requests per tick; SIGTERM exit {code}"
    )
    if code != 0 or rows.get("failed"):
        print("  tail of the daemon log:")
        for line in log_text.splitlines()[-20:]:
            print(f"    {line}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
