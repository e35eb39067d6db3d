"""The benchmarks still import, and their yardsticks measure what they say: they are run by hand, so nothing
else would notice a renamed helper or a figure that quietly sums every child so far."""

from __future__ import annotations

import importlib
import os
import sys
import urllib.request
from pathlib import Path

import pytest

from benchmarks._common import CountingFeedServer, child_env, requests_between, run_child
from tests.support.feeds import feed_bytes

BENCHMARKS = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "benchmarks").glob("bench_*.py"))


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_imports(name: str) -> None:
    module = importlib.import_module(f"benchmarks.{name}")
    assert callable(getattr(module, "main", None)), f"benchmarks/{name}.py has no main()"


def test_run_child_reports_each_child_alone() -> None:
    """Busy, big, then idle, in one process: were the figures RUSAGE_CHILDREN totals or maxima, the idle
    child would report the CPU of the busy one and the peak of the big one."""
    # ru_maxrss starts from this process's RSS (fork and exec keep it): the big child must exceed that.
    rss_mib = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    big_mib = int(rss_mib) + 150
    busy, big, idle = (
        run_child([sys.executable, "-c", code], child_env())
        for code in (
            "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass",
            f"b = b'x' * ({big_mib} * 2**20)",  # written, so resident
            "pass",
        )
    )
    assert busy.cpu >= 0.25 and idle.cpu < busy.cpu - 0.2, (busy, idle)
    assert big.peak_rss_mib >= big_mib and idle.peak_rss_mib < big.peak_rss_mib - 100, (big, idle)


def test_counting_feed_server_counts_robots_txt_too() -> None:
    with CountingFeedServer() as server:
        server.serve(feed_bytes(437))
        before = server.count()
        for url in (f"{server.base_url}/robots.txt", server.url, server.url):
            try:
                urllib.request.urlopen(url, timeout=10).read()
            except urllib.error.HTTPError as exc:  # robots.txt: 404 unless served
                assert exc.code == 404
        assert requests_between(before, server.count()) == "3 (robots.txt 1 + feed 2)"


def test_the_profile_queue_case_in_a_tiny_mode() -> None:
    """benchmarks/bench_queue.py's profile case on 400 subscribers: nothing to recompute on a day every
    stored score covers, the birthdays of the next day's subscribers, then everyone after a rule-set change,
    in Python and computed ahead."""
    from benchmarks.bench_queue import bench_profiles

    _, profiles, cases = bench_profiles(None, 400, 1.0, 1, 1, 1)
    assert profiles == 400
    rescored = {case: [run["rescored"] for run in runs] for case, runs in cases.items()}
    assert rescored == {"covered": [0], "birthdays": [1], "all": [400], "ahead": [400]}
    assert cases["ahead"][0]["prepare_seconds"] > 0
    assert all(run["queued"] > 0 and run["seconds"] > 0 for runs in cases.values() for run in runs)
