"""Queue benchmark: queueing one new round's alerts for many subscribers, claiming from a large outbox, and
importing subscribers in bulk.

    .venv/bin/python benchmarks/bench_queue.py [--subscribers 100000 1000000] [--import-rows 100000]
                                               [--profile-subscribers 1000000] [--profile-share 1.0]
                                               [--rescore-all-repeats 0]
                                               [--repeats 3] [--drawwatch-python PYTHON]
                                               [--database-url postgresql+psycopg://postgres@127.0.0.1/test]

For each subscriber count N (default 100,000 then 1,000,000), in a fresh database:
- load N subscribers (~half with the ``stem`` category, some also ``cec``; CRS spread over 350–600; one
  channel each) with Core executemany, timed separately ("load");
- queue the alerts of one new STEM round (cut-off 480) with ``queue_round_alerts`` and commit, in a child
  process so its peak RSS belongs to the queueing alone; report rows queued, seconds, RSS before/after and
  the peak of Python-side allocations (tracemalloc): flat in N means nothing per subscriber passes through
  Python;
- claim 100 of those alerts with ``claim_due`` (the sender's query against a large pending outbox);
- mark them all sent, then queue IRCC's correction of that round with ``queue_corrections`` (one notice per
  channel told), and again (the unique key must add nothing).
The three measured steps run --repeats times on the loaded database (all alerts deleted and the round put
back between repeats; on PostgreSQL the alert table is vacuumed and analysed too): each repeat is printed,
the first is the cold one, the summary quotes medians. Then ``import_subscribers`` of 100,000
``SubscriberInput`` rows into an empty database (validation + insert), --repeats times, a fresh database each.

The profile case (``--profile-subscribers N``, default 1,000,000; 0 skips it): the same N subscribers, of which
``--profile-share`` (default all) get a CRS profile (birth dates over every day of the year, ages 30–37, so
each birthday changes the age points), their scores stored set-based (one UPDATE … FROM a table of the
distinct profiles' scores for 2026-03-04, as ``subscribers add --profile`` would store them). Then one round
queued with ``queue_with_scores`` (rescoring, then queueing), in a child process, for three dates:
(a) "covered": the round dated 2026-03-04, which every stored score covers: nothing to recompute;
(b) "birthdays": dated 2026-03-05, the birthday of ~1/365 of them: those are rescored;
(c) "all": dated 2026-03-05 after every stored score was made to end that day (as a rule set taking
effect then would): every profile is rescored in Python;
(d) "ahead": as (c), after the scores of 2026-03-05 were computed ahead (as the checks of the days before do,
``prepare_ahead``, timed and printed apart): the round applies them in one UPDATE.
(a) and (b) run --repeats times, (c) --rescore-all-repeats times (default 0, i.e. skipped: ~50 min at
1,000,000, ~5 min at 100,000), (d) --ahead-repeats times (default 1). Each
prints the profiles rescored, alerts queued, seconds and peak RSS of the child. Target (issue): under 10 s,
memory flat.

SQLite (the default) runs in a temporary directory. ``--database-url`` names a PostgreSQL *server*: the
benchmark creates its own scratch database there and drops it afterwards; the named database is not touched.
Run it once per database for both. Targets: queueing for 1,000,000 subscribers under 10 s on SQLite and
on PostgreSQL (issue 17). Only sanity is asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, delete, insert, text, update  # noqa: E402

from benchmarks._common import add_python_option, describe_target, load_line, run_under, scratch_database  # noqa: E402
from drawwatch.app.rescore import (  # noqa: E402
    prepare_ahead,
    profile_json,
    queue_with_scores,
    score_ahead,
    stored_profile,
)
from drawwatch.domain.clock import utcnow  # noqa: E402
from drawwatch.domain.crs import parse_profile, score_until  # noqa: E402
from drawwatch.storage.db import make_engine, session_scope  # noqa: E402
from drawwatch.storage.matching import queue_corrections, queue_round_alerts  # noqa: E402
from drawwatch.storage.migrate import init_schema  # noqa: E402
from drawwatch.storage.models import Alert, Round, Subscriber, SubscriberCategory, SubscriberChannel  # noqa: E402
from drawwatch.storage.outbox import claim_due  # noqa: E402
from drawwatch.storage.subscribers import SubscriberInput, import_subscribers  # noqa: E402
from tests.support.profiles import profile_data  # noqa: E402

CHUNK = 50_000
TIE_BREAK = datetime(2026, 3, 1, 18, 34, 5, tzinfo=UTC)


def rss_mib() -> float:
    """Current resident set size (Linux), in MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB.

    VmHWM, not ``getrusage``'s ru_maxrss, where /proc has it: ru_maxrss survives ``execve``, so a child
    forked from the (large) loading process would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- databases -----------------------------------------------------------------------------------------


def load_subscribers(engine: Engine, count: int, seed: int = 1) -> None:
    """N subscribers, their categories and one channel each, with Core executemany in chunks."""
    rng = random.Random(seed)
    created = utcnow() - timedelta(days=1)
    models = (Subscriber, SubscriberCategory, SubscriberChannel)
    tables = [model.__table__ for model in models]  # type: ignore[attr-defined]
    for start in range(1, count + 1, CHUNK):
        ids = range(start, min(start + CHUNK, count + 1))
        subscribers, categories, channels = [], [], []
        for i in ids:
            submitted = None if i % 3 == 0 else TIE_BREAK + timedelta(hours=rng.randint(-2000, 200))
            subscribers.append(
                {
                    "id": i,
                    "name": f"subscriber {i}",
                    "crs": rng.randint(350, 600),
                    "submitted_at": submitted,
                    "active": i % 50 != 0,
                    "language": "en",
                    "unsubscribe_token": f"{i:x}-{rng.getrandbits(96):024x}",
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if i % 2 == 0:
                categories.append({"subscriber_id": i, "category": "stem", "source": "explicit"})
            if i % 5 == 0:
                categories.append({"subscriber_id": i, "category": "cec", "source": "explicit"})
            url = f"json://127.0.0.1:9/{i}"
            channels.append({"id": i, "subscriber_id": i, "url": url, "created_at": created})
        with engine.begin() as conn:
            for table, rows in zip(tables, (subscribers, categories, channels), strict=True):
                conn.execute(insert(table), rows)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # explicit ids were inserted: move the sequences past them
            for table in ("subscriber", "subscriber_channel"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {count})"))
            conn.execute(text("ANALYZE"))


def add_round(engine: Engine, day: date = date(2026, 3, 4)) -> int:
    with session_scope(engine) as session:
        round_ = Round(
            number="999",
            number_int=999,
            date=day,
            name="For STEM occupations (2026-Version 1)",
            category="stem",
            invitations=4000,
            crs=480,
            tie_break=TIE_BREAK,
            tie_break_raw="March 1, 2026 at 18:34:05 UTC",
            url="https://www.canada.ca/round-999",
            first_seen_at=utcnow(),
        )
        session.add(round_)
        session.flush()
        assert round_.id is not None
        return round_.id


# --- the measured steps --------------------------------------------------------------------------------


def queue_in_this_process(url: str, draw_id: int, *, scores: bool = False) -> dict[str, Any]:
    """Queue one round's alerts (the child process's whole job) and report time and memory; with
    ``scores``, as ingestion does (``queue_with_scores``: the stale profile scores first)."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        session.get_one(Round, draw_id)  # connect and import everything before the "before" figures
    rss_before, peak_before = rss_mib(), peak_rss_mib()
    tracemalloc.start()
    started = time.perf_counter()
    with session_scope(engine) as session:
        round_ = session.get_one(Round, draw_id)
        queued = (queue_with_scores if scores else queue_round_alerts)(session, [round_])
    seconds = time.perf_counter() - started
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    engine.dispose()
    return {
        "queued": queued,
        "seconds": seconds,
        "rss_before_mib": rss_before,
        "rss_after_mib": rss_mib(),
        "peak_rss_before_mib": peak_before,
        "peak_rss_after_mib": peak_rss_mib(),
        "python_peak_kib": python_peak / 1024,
    }


def queue_in_child(url: str, draw_id: int, *, scores: bool = False) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--queue-scores-only" if scores else "--queue-only", url, str(draw_id)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"queueing failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def time_claim(engine: Engine) -> float:
    started = time.perf_counter()
    with session_scope(engine) as session:
        claimed = claim_due(session, worker="bench", limit=100)
    assert len(claimed) == 100
    return time.perf_counter() - started


def time_corrections(engine: Engine, draw_id: int) -> dict[str, Any]:
    """Every alert of the round sent, then the round corrected: queue the notices, twice."""
    with session_scope(engine) as session:
        session.exec(update(Alert).where(Alert.draw_id == draw_id).values(status="sent", claimed_by=None))
    figures: dict[str, Any] = {}
    for label, revision in (("corrections", 1), ("corrections_again", 1)):
        started = time.perf_counter()
        with session_scope(engine) as session:
            round_ = session.get_one(Round, draw_id)
            round_.crs = 482  # the correction (values do not matter to the queueing cost)
            queued = queue_corrections(session, round_, revision=revision)
        figures[f"{label}_seconds"] = time.perf_counter() - started
        figures[label] = queued
    return figures


def put_back(engine: Engine, draw_id: int) -> None:
    """Undo a repeat: no alerts, the round as queued (the subscribers stay)."""
    with session_scope(engine) as session:
        session.exec(delete(Alert))
        session.exec(update(Round).where(Round.id == draw_id).values(crs=480))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE alert"))


def bench_queue(server_url: str | None, count: int, repeats: int) -> tuple[float, list[dict[str, Any]]]:
    """Load ``count`` subscribers once; (load seconds, the figures of each repeat of the measured steps)."""
    runs = []
    with scratch_database(server_url, f"queue-{count}") as url:
        engine = make_engine(url)
        init_schema(engine)
        started = time.perf_counter()
        load_subscribers(engine, count)
        load_seconds = time.perf_counter() - started
        draw_id = add_round(engine)
        for repeat in range(repeats):
            if repeat:
                put_back(engine, draw_id)
            figures = queue_in_child(url, draw_id)
            figures.update(claim_seconds=time_claim(engine))
            figures.update(time_corrections(engine, draw_id))
            assert figures["corrections"] == figures["queued"] and figures["corrections_again"] == 0, figures
            # Sanity: STEM subscribers (half) at or above 480 of 350–600 (~47%), less the inactive 2%.
            assert 0.15 * count < figures["queued"] < 0.3 * count, figures
            runs.append(figures)
        engine.dispose()
    return load_seconds, runs


def bench_import(server_url: str | None, count: int) -> dict[str, float]:
    rng = random.Random(2)
    rows = [
        SubscriberInput(
            name=f"imported {i}",
            crs=rng.randint(350, 600),
            categories=["stem", "cec"] if i % 2 else ["french"],
            urls=[f"json://127.0.0.1:9/{i}"],
            submitted_at=None if i % 3 == 0 else TIE_BREAK - timedelta(hours=i % 1000),
        )
        for i in range(count)
    ]
    with scratch_database(server_url, "import") as url:
        engine = make_engine(url)
        init_schema(engine)
        started = time.perf_counter()
        with session_scope(engine) as session:
            ids = import_subscribers(session, rows)
        seconds = time.perf_counter() - started
        engine.dispose()
    assert len(set(ids)) == count
    return {"rows": count, "seconds": seconds}


# --- the profile case ----------------------------------------------------------------------------------

STORED_ON, NEXT_DAY = date(2026, 3, 4), date(2026, 3, 5)
PROFILE_CUT_OFF = 440  # the profiles score 408–474 on the day
PROFILE_GROUPS = 365 * 8  # birth day of the year × age 30–37


def profile_groups() -> list[dict[str, Any]]:
    """The distinct profiles: subscriber i has group i % PROFILE_GROUPS (its birth date), with the score
    stored for STORED_ON."""
    groups = []
    for k in range(PROFILE_GROUPS):
        born = date(1989 - k // 365, 1, 1) + timedelta(days=k % 365)
        profile = parse_profile(profile_data(birth_date=born.isoformat()))  # ages vary by group
        result, until = score_until(profile, STORED_ON)
        groups.append(
            {
                "k": k,
                "profile": profile_json(profile),
                "crs": result.total,
                "until": until,
                "rules": result.rules.id,
            }
        )
    return groups


def store_profiles(engine: Engine, count: int, share: float, groups: list[dict[str, Any]]) -> int:
    """Give the first ``share`` of the subscribers a profile and its stored score, set-based; returns how many."""
    with_profile = int(count * share)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_profile"))
        conn.execute(
            text(
                "CREATE TABLE bench_profile (k INTEGER PRIMARY KEY, profile TEXT, crs INTEGER, "
                "score_until DATE, score_rules TEXT)"
            )
        )
        conn.execute(
            text("INSERT INTO bench_profile VALUES (:k, :profile, :crs, :until, :rules)"),
            groups,
        )
        conn.execute(
            text(
                "UPDATE subscriber SET profile = g.profile, crs = g.crs, score_on = :on, "
                "score_until = g.score_until, score_rules = g.score_rules, score_note = NULL "
                f"FROM bench_profile AS g WHERE subscriber.id <= :n AND g.k = subscriber.id % {PROFILE_GROUPS}"
            ),
            {"on": STORED_ON, "n": with_profile},
        )
        conn.execute(text("DROP TABLE bench_profile"))
    return with_profile


AHEAD_MEASURED = 20_000  # profiles whose computing ahead is timed (the checks spread it over days)


def store_ahead(engine: Engine, profiles: int, groups: list[dict[str, Any]], day: date) -> float:
    """Compute every profile's score for ``day`` ahead, as the checks before it would; returns the seconds
    per profile of ``prepare_ahead`` itself, timed on the first AHEAD_MEASURED profiles. The rest get the
    same values set-based (``score_ahead`` once per distinct profile), so the 1,000,000 case does not spend
    minutes on what the checks of a week do. The WAL is checkpointed after, as between those checks."""
    measured = min(profiles, AHEAD_MEASURED)
    with engine.begin() as conn:  # only the measured ones are due for prepare_ahead
        conn.execute(
            text("UPDATE subscriber SET score_until = NULL WHERE profile IS NOT NULL AND id > :n"),
            {"n": measured},
        )
    started = time.perf_counter()
    prepared = prepare_ahead(engine, STORED_ON, budget_seconds=math.inf)
    per_profile = (time.perf_counter() - started) / max(prepared, 1)
    assert prepared == measured, (prepared, measured)
    rows = []
    for g in groups:
        ahead = score_ahead(0, stored_profile(g["profile"]), g["crs"], STORED_ON, day)
        rows.append(
            {"k": g["k"], "crs": ahead.crs, "until": ahead.until, "rules": ahead.rules, "note": ahead.note}
        )
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_ahead"))
        conn.execute(
            text(
                "CREATE TABLE bench_ahead (k INTEGER PRIMARY KEY, crs INTEGER, until DATE, rules TEXT, note TEXT)"
            )
        )
        conn.execute(text("INSERT INTO bench_ahead VALUES (:k, :crs, :until, :rules, :note)"), rows)
        conn.execute(
            text(
                "UPDATE subscriber SET score_until = :day, next_on = :day, next_crs = g.crs, next_until = g.until, "
                "next_rules = g.rules, next_note = g.note "
                f"FROM bench_ahead AS g WHERE subscriber.id > :n AND subscriber.profile IS NOT NULL "
                f"AND g.k = subscriber.id % {PROFILE_GROUPS}"
            ),
            {"day": day, "n": measured},
        )
        conn.execute(text("DROP TABLE bench_ahead"))
    return per_profile


def checkpoint(engine: Engine) -> None:
    """SQLite: move the WAL into the database file, as time between bulk writes and a round does."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def count_ahead(engine: Engine, day: date) -> int:
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT count(*) FROM subscriber WHERE next_on = :day AND score_until = :day"), {"day": day}
        ).scalar_one()
    return int(found)


def count_rescored(engine: Engine, day: date) -> int:
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT count(*) FROM subscriber WHERE profile IS NOT NULL AND score_on = :day"),
            {"day": day},
        ).scalar_one()
    return int(found)


def bench_profiles(
    server_url: str | None, count: int, share: float, repeats: int, all_repeats: int, ahead_repeats: int
) -> tuple[float, int, dict[str, list[dict[str, Any]]]]:
    """(load seconds, profile subscribers, {case: the figures of each repeat})."""
    groups = profile_groups()
    cases: dict[str, list[dict[str, Any]]] = {"covered": [], "birthdays": [], "all": [], "ahead": []}
    with scratch_database(server_url, f"profiles-{count}") as url:
        engine = make_engine(url)
        init_schema(engine)
        started = time.perf_counter()
        load_subscribers(engine, count)
        profiles = store_profiles(engine, count, share, groups)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        load_seconds = time.perf_counter() - started
        draw_id = add_round(engine, STORED_ON)
        for case, day, times in (
            ("covered", STORED_ON, repeats),
            ("birthdays", NEXT_DAY, repeats),
            ("all", NEXT_DAY, all_repeats),
            ("ahead", NEXT_DAY, ahead_repeats),
        ):
            for _ in range(times):
                put_back(engine, draw_id)
                store_profiles(engine, count, share, groups)
                with engine.begin() as conn:
                    conn.execute(
                        update(Round).where(Round.id == draw_id).values(date=day, crs=PROFILE_CUT_OFF)
                    )  # type: ignore[arg-type]
                    if case in ("all", "ahead"):  # as a rule set taking effect on NEXT_DAY would
                        conn.execute(
                            text("UPDATE subscriber SET score_until = :day WHERE profile IS NOT NULL"),
                            {"day": day},
                        )
                prepare_seconds = None
                if case == "ahead":  # the checks of the days before compute the scores of NEXT_DAY ahead
                    prepare_seconds = store_ahead(engine, profiles, groups, day)
                checkpoint(engine)  # the bulk writes above are long past when a round comes
                figures = queue_in_child(url, draw_id, scores=True)
                figures["prepare_seconds"] = prepare_seconds
                if case == "ahead":  # matched at the scores computed ahead, none rescored in Python
                    figures["rescored"] = count_ahead(engine, day)
                else:
                    figures["rescored"] = count_rescored(engine, day) if day != STORED_ON else 0
                cases[case].append(figures)
        engine.dispose()
    return load_seconds, profiles, cases


def print_profiles(
    count: int, profiles: int, load_seconds: float, cases: dict[str, list[dict[str, Any]]]
) -> list[str]:
    print(
        f"{count:>9,} subscribers, {profiles:,} with a profile: loaded and scored in {load_seconds:.1f} s (once)"
    )
    summary = []
    labels = {
        "covered": "covered (nothing to recompute)",
        "birthdays": "birthdays (~1/365 rescored)",
        "all": "all rescored (rule-set change)",
        "ahead": "all, computed ahead",  # "rescored": matched at the score computed ahead
    }
    for case, runs in cases.items():
        for i, f in enumerate(runs, 1):
            print(
                f"  {labels[case]:<31} repeat {i}: rescored {f['rescored']:>9,} | queued {f['queued']:>7,} alerts in"
                f" {f['seconds']:7.2f} s | RSS {f['rss_before_mib']:.0f} → {f['rss_after_mib']:.0f} MiB (peak"
                f" {f['peak_rss_before_mib']:.0f} → {f['peak_rss_after_mib']:.0f} MiB) | Python peak"
                f" {f['python_peak_kib'] / 1024:.1f} MiB"
                + (
                    f" | computed ahead by the checks before: {f['prepare_seconds'] * 1e6:.0f} µs a profile"
                    f" ({f['prepare_seconds'] * profiles:.0f} s for all)"
                    if f.get("prepare_seconds") is not None
                    else ""
                )
            )
        if runs:
            seconds = median_of(runs, "seconds")
            peak = median_of(runs, "peak_rss_after_mib")
            print(f"  {labels[case]:<31} median {seconds:8.2f} s, peak RSS {peak:.0f} MiB")
            summary.append(f"profiles {case} {seconds:.2f} s (peak RSS {peak:.0f} MiB)")
    return summary


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--queue-only":
        print(json.dumps(queue_in_this_process(sys.argv[2], int(sys.argv[3]))))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--queue-scores-only":
        print(json.dumps(queue_in_this_process(sys.argv[2], int(sys.argv[3]), scores=True)))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--subscribers", type=int, nargs="*", default=[100_000, 1_000_000], help="N (none: skip this case)"
    )
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument(
        "--profile-subscribers", type=int, default=1_000_000, help="the profile case's N (0: skip it)"
    )
    parser.add_argument(
        "--profile-share", type=float, default=1.0, help="the share of them with a profile (default 1.0: all)"
    )
    parser.add_argument(
        "--rescore-all-repeats", type=int, default=0, help="runs of the all-rescored profile case (default 0)"
    )
    parser.add_argument(
        "--ahead-repeats",
        type=int,
        default=1,
        help="runs of the all-due case with the scores computed ahead (default 1; the computing takes minutes)",
    )
    parser.add_argument("--database-url", help="a PostgreSQL server URL (default: SQLite in a temp dir)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measured step (default 3)")
    add_python_option(parser)
    opts = parser.parse_args()
    run_under(opts)
    backend = "PostgreSQL" if opts.database_url else "SQLite"

    print(f"queue benchmark: {backend}, {opts.repeats} repeats per step, median (min–max)")
    print(f"  {describe_target()}")
    print(f"  {load_line()}")
    summary = []
    for count in opts.subscribers:
        load_seconds, runs = bench_queue(opts.database_url, count, opts.repeats)
        print(f"{count:>9,} subscribers: loaded in {load_seconds:.1f} s (once)")
        for i, f in enumerate(runs, 1):
            print(
                f"  repeat {i}: queue {f['queued']:>7,} alerts in {f['seconds']:5.2f} s | RSS "
                f"{f['rss_before_mib']:.0f} → {f['rss_after_mib']:.0f} MiB (peak {f['peak_rss_before_mib']:.0f}"
                f" → {f['peak_rss_after_mib']:.0f} MiB) | Python peak {f['python_peak_kib']:.0f} KiB | claim 100"
                f" {f['claim_seconds'] * 1000:.1f} ms | corrections for {f['corrections']:,} told"
                f" {f['corrections_seconds']:5.2f} s | again: {f['corrections_again']} added in"
                f" {f['corrections_again_seconds']:5.2f} s"
            )
        for key, label, scale, unit in (
            ("seconds", "queue", 1, "s"),
            ("claim_seconds", "claim 100", 1000, "ms"),
            ("corrections_seconds", "corrections", 1, "s"),
            ("corrections_again_seconds", "corrections again", 1, "s"),
        ):
            values = [run[key] * scale for run in runs]
            print(
                f"  {label:<18} median {statistics.median(values):8.3f} {unit:<2} "
                f"({min(values):.3f}–{max(values):.3f})"
            )
        summary.append(
            f"{count:,}: queue {median_of(runs, 'seconds'):.2f} s, corrections "
            f"{median_of(runs, 'corrections_seconds'):.2f} s"
        )
    if opts.import_rows:
        seconds = [bench_import(opts.database_url, opts.import_rows)["seconds"] for _ in range(opts.repeats)]
        print(
            f"import_subscribers: {opts.import_rows:,} rows, median {statistics.median(seconds):.2f} s "
            f"({', '.join(f'{s:.2f}' for s in seconds)})"
        )
        summary.append(f"import {opts.import_rows:,} {statistics.median(seconds):.2f} s")
    if opts.profile_subscribers:
        load_seconds, profiles, cases = bench_profiles(
            opts.database_url,
            opts.profile_subscribers,
            opts.profile_share,
            opts.repeats,
            opts.rescore_all_repeats,
            opts.ahead_repeats,
        )
        summary += print_profiles(opts.profile_subscribers, profiles, load_seconds, cases)
    print(f"summary ({backend}, medians of {opts.repeats}): " + "; ".join(summary) + "; target queue < 10 s")


if __name__ == "__main__":
    main()
