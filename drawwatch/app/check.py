"""One check, end to end: fetch → validate → store → find new rounds → queue alerts → deliver.

The orchestrator, as urlwatch wires fetch, state and report: it knows the order of the steps and nothing of
how each is done. The daemon schedules :func:`run_check`; ``drawwatch check`` runs it once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from drawwatch.app.deliver import deliver_due
from drawwatch.app.derived import refresh_derived_categories
from drawwatch.app.operator import tell_operator_about_check, tell_operator_about_delivery
from drawwatch.app.rescore import prepare_ahead, queue_with_scores, refresh_scores
from drawwatch.config import Settings
from drawwatch.domain.clock import utcnow
from drawwatch.domain.corrections import material_changes
from drawwatch.domain.rounds import RoundItem
from drawwatch.domain.vocabulary import CheckOutcome, HeldStatus
from drawwatch.scrapers.credentials import public_url
from drawwatch.scrapers.fetch import FetchResult, fetch_feed
from drawwatch.scrapers.robots import RobotsCopy
from drawwatch.storage.checks import (
    finish_check,
    get_feed_state,
    record_feed_failure,
    record_feed_success,
    record_staleness,
    start_check,
)
from drawwatch.storage.db import (
    DATABASE_TROUBLE_EXIT,
    begin_write,
    describe_database_error,
    session_scope,
)
from drawwatch.storage.held import hold_feed
from drawwatch.storage.matching import queue_corrections
from drawwatch.storage.models import CheckRun
from drawwatch.storage.robots import save_robots, stored_robots
from drawwatch.storage.rounds import (
    SyncBounds,
    SyncResult,
    count_rounds,
    first_unknown_names,
    returning_values,
    rounds_by_ids,
    sync_rounds,
)

log = logging.getLogger("drawwatch.check")

# A correction can make subscribers eligible who were not: they get the round alert if the round is this
# recent (first seen within the window), not years-old news because IRCC fixed an old round's text.
NEWLY_ELIGIBLE_WINDOW = timedelta(days=7)


@dataclass
class CheckSummary:
    """What a check did, for people (``describe``), scripts (``--json``) and the exit code."""

    outcome: str  # ok | unchanged | not_modified | failed
    feed_url: str
    check_id: int | None = None
    baseline: bool = False
    http_status: int | None = None
    bytes_received: int | None = None
    rounds_in_feed: int | None = None
    stored_rounds: int | None = None
    new_rounds: list[dict[str, Any]] = field(default_factory=list)
    changed_rounds: dict[str, list[str]] = field(default_factory=dict)
    skipped_rounds: list[str] = field(default_factory=list)
    unknown_names: list[str] = field(
        default_factory=list
    )  # round names no category rule knows, first seen now
    consecutive_failures: int = 0  # after this check
    recovered_after: int = 0  # failed checks in a row that this successful one ended
    alerts: dict[str, int] = field(
        default_factory=lambda: {
            "queued": 0,
            "corrections": 0,
            "sent": 0,
            "failed": 0,
            "dead": 0,
            "ambiguous": 0,
        }
    )
    stale_feed: bool = False  # the feed lacked the newest stored round and brought nothing new: ignored
    suspect_rounds: list[str] = field(default_factory=list)  # numbers far past the newest: typos, not stored
    withdrawn_rounds: list[str] = field(default_factory=list)  # left the feed while newer rounds came
    restored_rounds: list[str] = field(default_factory=list)  # withdrawn rounds listed again
    held: dict[str, Any] | None = None  # the feed held for the operator: id, status, news, times_seen
    error: str | None = None
    database_error: bool = False  # the database could not be used (locked, full, unreachable): not the feed
    delivery_error: str | None = None  # sending stopped for database trouble; what was stored stays stored
    reminders_queued: int = 0  # outbox rows added for reminders (drawwatch.app.reminders), any outcome
    scores_prepared: int = 0  # profile scores computed ahead of the day they become true (app.rescore)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        if self.database_error:
            return DATABASE_TROUBLE_EXIT
        return 1 if self.outcome in ("failed", "held") else 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def rounds_hash(rounds: list[RoundItem]) -> str:
    """A digest of the parsed rounds, independent of the feed's layout (indentation, CRLF, key order)."""
    digest = hashlib.sha256()
    for item in sorted(rounds, key=lambda r: r.sort_key):
        digest.update(item.model_dump_json().encode())
        digest.update(b"\n")
    return digest.hexdigest()


async def run_check(
    settings: Settings,
    engine: Engine,
    *,
    deliver: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> CheckSummary:
    """Run one check. Never raises for a bad feed: the failure is stored and returned in the summary.

    With ``deliver``, alerts are then sent: those this check queued and any that earlier runs left due,
    whether or not the feed could be read (a feed outage must not hold back retries). ``progress`` is told
    ``(rounds stored, rounds in all)`` while the first check records the whole history (from a worker
    thread); other checks store a handful of rounds and do not call it.
    """
    started = time.perf_counter()
    url = settings.feed_url
    # Keyed by the URL without credentials, as FetchResult.url is: no password stored, none shown.
    robots: list[RobotsCopy] = []  # robots.txt as earlier checks kept it (drawwatch.scrapers.robots)
    check_id, validators, known_hash = await asyncio.to_thread(_begin, engine, public_url(url), robots)
    result = await fetch_feed(
        url,
        user_agent=settings.user_agent,
        download_timeout=settings.download_timeout,
        retry_times=settings.retry_times,
        max_rejected=settings.max_rejected,
        validators=validators,
        allowed_redirect_hosts=settings.allowed_redirect_hosts,
        robots=robots,
    )
    summary = await asyncio.to_thread(_store, engine, settings, check_id, result, known_hash, progress)
    if not summary.database_error:  # date-driven, whatever the feed said
        summary.reminders_queued = await asyncio.to_thread(_queue_reminders, engine)
    if deliver:
        try:
            stats = await deliver_due(engine, settings)
        except Exception as exc:  # e.g. an outcome could not be recorded: the batch stopped (logged)
            trouble = describe_database_error(exc, engine.url)
            if trouble is None:
                raise
            log.debug("delivery stopped", exc_info=True)
            summary.database_error = True
            summary.delivery_error = trouble
        else:
            summary.alerts.update(
                sent=stats.sent, failed=stats.failed, dead=stats.dead, ambiguous=stats.ambiguous
            )
            await tell_operator_about_delivery(settings, stats)
    await tell_operator_about_check(settings, summary)
    if not summary.database_error:  # last: it never holds back the news or its alerts
        summary.scores_prepared = await asyncio.to_thread(_prepare_scores_ahead, engine)
    summary.seconds = round(time.perf_counter() - started, 3)
    _log_summary(summary)
    return summary


AHEAD_BUDGET_SECONDS = 3.0  # per check: a rule set's day for 1,000,000 profiles is prepared over many checks


def _queue_reminders(engine: Engine) -> int:
    """Today's reminders (:mod:`drawwatch.app.reminders`)."""
    from drawwatch.app.reminders import run_reminders

    return _aside("queueing reminders", lambda: run_reminders(engine, utcnow().date()), engine)


def _prepare_scores_ahead(engine: Engine) -> int:
    """Scores due within days, computed ahead (:func:`drawwatch.app.rescore.prepare_ahead`); without them a
    round rescores those profiles itself."""
    return _aside(
        "computing scores ahead",
        lambda: prepare_ahead(engine, utcnow().date(), budget_seconds=AHEAD_BUDGET_SECONDS),
        engine,
    )


def _aside(what: str, step: Callable[[], int], engine: Engine) -> int:
    """A step beside the check's own work, in transactions of its own: trouble in it is logged in one line
    (a database's) or with its traceback, and never costs the check its news. Returns what ``step`` did."""
    try:
        return step()
    except Exception as exc:
        trouble = describe_database_error(exc, engine.url)
        if trouble is None:
            log.exception("%s failed", what)
        else:
            log.warning("%s failed: %s", what, trouble)
        return 0


def _begin(
    engine: Engine, url: str, robots: list[RobotsCopy] | None = None
) -> tuple[int, dict[str, str], str | None]:
    """Record the check's start; return its id, the feed's stored validators and content hash, and put the
    stored robots.txt copies into ``robots`` when given (in the same transaction)."""
    with session_scope(engine) as session:
        if robots is not None:
            robots.extend(
                RobotsCopy(r.url, r.status, r.body, r.etag, r.last_modified, r.fetched_at)
                for r in stored_robots(session)
            )
        check = start_check(session, url)
        state = get_feed_state(session, url)
        validators: dict[str, str] = {}
        if state is not None:
            if state.etag:
                validators["etag"] = state.etag
            if state.last_modified:
                validators["last_modified"] = state.last_modified
        assert check.id is not None
        return check.id, validators, state.content_hash if state else None


def _store(
    engine: Engine,
    settings: Settings,
    check_id: int,
    result: FetchResult,
    known_hash: str | None,
    progress: Callable[[int, int], None] | None = None,
) -> CheckSummary:
    """Validate against what is stored and write the outcome, all in one transaction."""
    summary = CheckSummary(
        outcome="failed",
        feed_url=result.url,
        check_id=check_id,
        http_status=result.status,
        bytes_received=result.bytes_received,
        rounds_in_feed=(len(result.rounds) + len(result.rejected)) if result.rounds else None,
        skipped_rounds=[r.reason for r in result.rejected],
    )
    try:
        with session_scope(engine) as session:
            begin_write(session)  # one writer at a time: the failure streak below is read, then reset
            check = session.get_one(CheckRun, check_id)
            summary.baseline = check.baseline
            stored = count_rounds(session)
            summary.stored_rounds = stored
            summary.error = result.error or _refusal(result, stored, settings.max_shrink)
            if summary.error is None and result.not_modified:
                summary.outcome = "not_modified"
            elif summary.error is None:
                content_hash = rounds_hash(result.rounds)
                summary.outcome = "unchanged" if content_hash == known_hash else "ok"
                if summary.outcome == "ok":
                    bounds = SyncBounds(settings.max_new_rounds, settings.max_changed_rounds)
                    apply_rounds(session, check, result, summary, content_hash, bounds, progress)
                known_hash = content_hash
            for copy in result.robots:  # whatever the feed's outcome: the next checks need not ask again
                save_robots(
                    session,
                    copy.url,
                    status=copy.status,
                    body=copy.body,
                    etag=copy.etag,
                    last_modified=copy.last_modified,
                    fetched_at=copy.fetched_at,
                )
            _finish(session, check, result, summary, known_hash)
    except Exception as exc:  # the database failed mid-way: nothing of this check was committed
        trouble = describe_database_error(exc, engine.url)
        if trouble is None:
            log.exception("storing the check failed")
        else:  # locked, full, unreachable: one line says it; the traceback (with the SQL) only at DEBUG
            log.debug("storing the check failed", exc_info=True)
        summary.outcome = "failed"
        summary.database_error = trouble is not None
        summary.new_rounds, summary.changed_rounds, summary.unknown_names = [], {}, []
        summary.alerts["queued"] = 0
        # Never str() of a SQLAlchemy error: it holds the SQL and its parameters.
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        first = (str(reason).strip().splitlines() or [""])[0]
        summary.error = trouble or f"storing the rounds failed: {type(reason).__name__}: {first}"
        if not _record_failure(engine, check_id, result, summary.error):
            summary.error += "; this failed check could not be recorded either"
    return summary


def apply_rounds(
    session: Session,
    check: CheckRun,
    result: FetchResult,
    summary: CheckSummary,
    content_hash: str,
    bounds: SyncBounds | None,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Store the feed's rounds and queue what they mean, or hold the feed when it is beyond ``bounds``
    (``None``: the operator accepted it)."""
    sync = sync_rounds(
        session,
        result.rounds,
        check=check,
        bounds=bounds,
        progress=progress if check.baseline else None,
    )
    summary.suspect_rounds = sync.suspect
    if sync.held_reason is not None:
        _hold(session, check, result, summary, content_hash, sync)
        return
    summary.withdrawn_rounds, summary.restored_rounds = sync.withdrawn, sync.restored
    # The diff step: alerts for new rounds are queued in the very transaction that stores them.
    if sync.new_ids and not check.baseline:
        new_rounds = rounds_by_ids(session, sync.new_ids)
        # Subscribers defined by occupation get the categories of the lists in force for these rounds.
        refresh_derived_categories(session, on=max(d.date for d in new_rounds))
        # Subscribers with a CRS profile are scored for each round's day before its alerts are queued.
        summary.alerts["queued"] = queue_with_scores(session, new_rounds)
    if sync.changed and not check.baseline:
        _queue_corrections(session, check, sync, summary)
    summary.stale_feed = sync.stale
    by_number = {r.number: r for r in result.rounds}
    summary.new_rounds = [_round_brief(by_number[n]) for n in sync.new]
    summary.changed_rounds = {n: [c.field for c in cs] for n, cs in sync.changed.items()}
    summary.stored_rounds = (summary.stored_rounds or 0) + len(sync.new)
    touched = {*sync.new, *(n for n, cs in sync.changed.items() if any(c.field == "name" for c in cs))}
    summary.unknown_names = first_unknown_names(session, [by_number[n] for n in sorted(touched)])


def _hold(
    session: Session,
    check: CheckRun,
    result: FetchResult,
    summary: CheckSummary,
    content_hash: str,
    sync: SyncResult,
) -> None:
    assert sync.held_reason is not None
    row, news = hold_feed(
        session,
        feed_url=result.url,
        content_hash=content_hash,
        reason=sync.held_reason,
        rounds=result.rounds,
        new_count=sync.would_add,
        changed_count=sync.would_correct,
        check_id=check.id,
    )
    summary.outcome = CheckOutcome.HELD
    summary.held = {"id": row.id, "status": row.status, "news": news, "times_seen": row.times_seen}
    if row.status == HeldStatus.REJECTED:
        summary.error = f"the feed is the copy you rejected (held feed {row.id}); nothing was changed"
    else:
        summary.error = (
            f"feed held for the operator as held feed {row.id}: {sync.held_reason}; nothing was changed "
            "(see `drawwatch draws held`)"
        )


def _queue_corrections(session: Session, check: CheckRun, sync: SyncResult, summary: CheckSummary) -> None:
    """Corrections that matter: a notice to each channel told about the round, and the round alert to
    subscribers the corrected round now alerts (recent rounds only), all in this check's transaction."""
    assert check.id is not None
    corrected = []
    for number, round_ in sync.changed_rounds.items():
        material = material_changes(sync.changed[number], tie_break_now=round_.tie_break)
        assert round_.id is not None
        if len(returning_values(session, round_.id, material, check_id=check.id)) < len(material):
            corrected.append(round_)  # something the round never said before: news
    recent_since = utcnow() - NEWLY_ELIGIBLE_WINDOW
    for round_ in corrected:
        refresh_scores(session, on=round_.date)  # a profile subscriber's standing is that of the round's day
        summary.alerts["corrections"] += queue_corrections(session, round_, revision=check.id)
    newly = [round_ for round_ in corrected if round_.first_seen_at >= recent_since]
    summary.alerts["queued"] += queue_with_scores(session, newly)


def _finish(
    session: Session, check: CheckRun, result: FetchResult, summary: CheckSummary, content_hash: str | None
) -> None:
    finish_check(
        session,
        check,
        outcome=summary.outcome,
        http_status=result.status,
        bytes_received=result.bytes_received,
        rounds_in_feed=summary.rounds_in_feed,
        new_count=len(summary.new_rounds),
        changed_count=len(summary.changed_rounds),
        skipped_count=len(result.rejected),
        error=summary.error,
    )
    if summary.outcome == "failed":
        summary.consecutive_failures = record_feed_failure(session, result.url)
        return
    if summary.outcome == CheckOutcome.HELD:
        return  # the stored copy's validators stay: every held copy is looked at again
    state = get_feed_state(session, result.url)
    summary.recovered_after = state.consecutive_failures if state else 0
    etag, last_modified = result.etag, result.last_modified
    if result.not_modified and state is not None:
        # A 304 may omit a validator (RFC 9110 lets it leave out Last-Modified): the stored one still
        # describes the copy we hold, and dropping it would turn the next check into a full download.
        etag, last_modified = etag or state.etag, last_modified or state.last_modified
    record_feed_success(
        session,
        result.url,
        etag=etag,
        last_modified=last_modified,
        content_hash=content_hash,
        rounds_in_feed=summary.rounds_in_feed,
    )
    if summary.outcome == "ok":
        record_staleness(session, result.url, stale=summary.stale_feed)


def _refusal(result: FetchResult, stored: int, max_shrink: int) -> str | None:
    """Feed-level checks that need what is stored: a feed listing far fewer rounds than we hold is broken."""
    if result.not_modified or result.error:
        return None
    listed = len(result.rounds) + len(result.rejected)
    if stored and listed < stored - max_shrink:
        return (
            f"feed lists {listed} rounds but {stored} are stored: refusing a shrunken feed "
            f"(more than {max_shrink} missing); nothing was changed"
        )
    return None


def _record_failure(engine: Engine, check_id: int, result: FetchResult, error: str) -> bool:
    """Record the failed check, waiting up to the busy timeout for a lock once more; False if that failed."""
    try:
        with session_scope(engine) as session:
            check = session.get_one(CheckRun, check_id)
            finish_check(session, check, outcome="failed", http_status=result.status, error=error)
            record_feed_failure(session, result.url)
    except Exception as exc:
        if describe_database_error(exc, engine.url) is None:
            log.exception("could not record the failed check either")
        else:
            log.debug("could not record the failed check either", exc_info=True)
        return False
    return True


def _round_brief(item: RoundItem) -> dict[str, Any]:
    return {
        "number": item.number,
        "date": item.date.isoformat(),
        "name": item.name,
        "category": item.category,
        "crs": item.crs,
        "invitations": item.invitations,
    }


def _log_summary(summary: CheckSummary) -> None:
    if summary.outcome == "failed":
        if not summary.database_error:  # database trouble: the caller says it in its own line
            log.info("check failed: %s", summary.error)  # the caller reports it; the daemon logs at INFO
    else:
        log.info(
            "check %s: %s rounds in feed, %d new, %d changed, %d skipped (%.2fs)",
            summary.outcome,
            summary.rounds_in_feed if summary.rounds_in_feed is not None else "?",
            len(summary.new_rounds),
            len(summary.changed_rounds),
            len(summary.skipped_rounds),
            summary.seconds,
        )
    for reason in summary.skipped_rounds:
        log.warning("skipped a malformed round: %s", reason)
