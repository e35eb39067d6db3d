"""Builds the static report from the stored rounds: pages, charts, the Atom feed and the exports.

The site has to work wherever it is copied (file://, any static host) and leak nothing to third parties, so
every page is self-contained: inline CSS, inline SVG charts, a small inline script for the table, relative
links, and a Content-Security-Policy that would block any external request a template override added.

Pages come from Jinja2 templates under ``templates/report/``, rendered by the alerts' sandboxed
:class:`~drawwatch.notify.render.Renderer`, so operators override them the same way (a file of the same
relative name in ``DRAWWATCH_TEMPLATES_DIR``), within the report's larger :data:`REPORT_LIMITS`. The exports
are written by code, not templates: their shape is the contract of ``draws list --json`` and must not depend on
an override. In ``rounds.csv`` a text cell that a spreadsheet would run as a formula (it starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return, e.g. a round named ``=HYPERLINK(…)``) gets a leading
apostrophe, as OWASP advises; numbers stay numbers.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

from markupsafe import Markup

from drawwatch import __version__
from drawwatch.app.display import round_json
from drawwatch.domain.categories import CATEGORY_KEYS, CATEGORY_LABELS, CATEGORY_SHORT_LABELS
from drawwatch.domain.clock import utcnow
from drawwatch.domain.rounds import DISTRIBUTION_BANDS, SUBTOTAL_BANDS
from drawwatch.notify.sandbox import RenderLimits
from drawwatch.storage.db import session_scope
from drawwatch.storage.rounds import get_distribution, list_rounds

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from drawwatch.report.charts import Band, Point
    from drawwatch.storage.models import PoolDistribution, Round

INDEX_TEMPLATE: Final = "report/index.html.j2"
CATEGORY_TEMPLATE: Final = "report/category.html.j2"
FEED_TEMPLATE: Final = "report/feed.atom.j2"
CATEGORY_DIR: Final = "categories"
EXPORT_FIELDS: Final = ("number", "date", "name", "category", "crs", "invitations", "tie_break")
# Atom ids must never change for a round (RFC 4287 §4.2.6); a tag URI (RFC 4151) keyed on the round number
# survives IRCC's edits to the round's URL and name and a move of the report to another host.
FEED_ID: Final = "tag:drawwatch,2015:rounds"
ENTRY_ID: Final = "tag:drawwatch,2015:round/{number}"
MAX_PAGE_BYTES: Final = 32 * 1024 * 1024
# A page loops over every round (hundreds, growing by ~50 a year) and is built by the operator's command, not
# by the daemon's delivery: room for decades of rounds, still bounded against a template that never ends.
REPORT_LIMITS: Final = RenderLimits(
    max_steps=2_000_000,
    max_seconds=30.0,
    max_size=MAX_PAGE_BYTES,
    max_allocated=4 * MAX_PAGE_BYTES,
)
# Cell openings a spreadsheet takes for a formula (OWASP, "CSV Injection").
FORMULA_OPENINGS: Final = ("=", "+", "-", "@", "\t", "\r")
Progress = Callable[[int, int], None]  # (steps done, steps in all)

# dd keys highest band first, without the subtotals (dd3, dd9) and the total (dd18): docs/feed.md.
POOL_BANDS: Final = tuple(key for key in DISTRIBUTION_BANDS if key not in SUBTOTAL_BANDS)


@dataclass
class ReportResult:
    """What :func:`write_report` wrote, for the command's message and the daemon's log."""

    out_dir: Path
    files: list[Path]
    rounds: int
    categories: list[str]
    pool_as_on: date | None
    seconds: float


@dataclass(frozen=True)
class RoundRow:
    """One stored round as the templates see it."""

    number: str
    rank: int  # chronological position, 1 = round #1: the sort key of the "#" column
    date: date
    name: str
    category: str
    label: str
    short: str
    colour: str
    crs: int
    invitations: int
    tie_break: datetime | None
    tie_break_raw: str
    tie_break_text: str  # "2026-03-01 18:34:05" (UTC), else IRCC's unparsed text, else "—"
    tie_break_sort: int  # seconds since the epoch, 0 when unknown: the table's sort key
    run_at: datetime | None
    url: str
    page: str  # the category page, relative to the site root
    entry_id: str
    updated: datetime  # the Atom entry's: when first stored, or when IRCC's last correction was stored
    published: datetime


@dataclass
class CategoryInfo:
    """A category with at least one stored round: its page, its latest round and a few facts."""

    key: str
    label: str
    short: str
    colour: str
    page: str
    rounds: list[RoundRow] = field(default_factory=list)  # newest first

    @property
    def count(self) -> int:
        return len(self.rounds)

    @property
    def latest(self) -> RoundRow:
        return self.rounds[0]

    @property
    def first(self) -> RoundRow:
        return self.rounds[-1]

    @property
    def lowest(self) -> RoundRow:
        # The latest of equal lows: "how low did it go, and when last".
        return min(self.rounds, key=lambda r: (r.crs, -r.rank))

    @property
    def highest(self) -> RoundRow:
        return max(self.rounds, key=lambda r: (r.crs, r.rank))

    @property
    def invitations(self) -> int:
        return sum(r.invitations for r in self.rounds)

    def rounds_since(self, day: date) -> int:
        return sum(1 for r in self.rounds if r.date >= day)


@dataclass(frozen=True)
class PoolInfo:
    """The latest published pool distribution, and where ``crs`` sits in it."""

    as_on: date
    total: int
    bands: list[Band]  # highest first
    crs: int | None
    your_band: str | None
    above: int | None  # candidates in bands entirely above the reader's band

    @property
    def above_share(self) -> float | None:
        return None if self.above is None or not self.total else self.above / self.total


def write_report(
    engine: Engine,
    out_dir: Path,
    *,
    crs: int | None = None,
    templates_dir: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    progress: Progress | None = None,
) -> ReportResult:
    """Write the whole report into ``out_dir`` (created if missing) and return what was written.

    ``crs`` marks the reader's score on the charts; ``templates_dir`` holds operator overrides of
    ``report/*.j2``; ``base_url`` (where the site will be served, e.g. ``https://example.org/ee/``) makes the
    feed's links absolute, as feed readers prefer; without it they are relative to the feed. Each file is
    replaced atomically, so a static host serving ``out_dir`` never serves a half-written page. Raises
    :class:`~drawwatch.notify.render.TemplateProblem` for a broken template and ``OSError`` when ``out_dir``
    cannot be written. ``progress``, when given, is called as ``progress(done, total)`` once the rounds are
    read (``done`` 0) and after each step (the front page, each category page, the feed, the exports).
    """
    started = time.perf_counter()
    with _gc_paused():
        return _write_report(engine, Path(out_dir), crs, templates_dir, base_url, started, progress)


def _write_report(
    engine: Engine,
    out_dir: Path,
    crs: int | None,
    templates_dir: str | os.PathLike[str] | None,
    base_url: str | None,
    started: float,
    progress: Progress | None = None,
) -> ReportResult:
    """:func:`write_report`'s work: read the rounds once, draw the charts, render and write every file."""
    from drawwatch.notify.render import Renderer, long_date
    from drawwatch.report import charts

    now = utcnow().replace(microsecond=0)
    with session_scope(engine) as session:
        rounds = list_rounds(session)
        distribution = _latest_distribution(session, rounds)

    rows = _rows(rounds)
    categories = _categories(rows)
    steps = 3 + len(categories)  # the front page, each category page, the feed, the exports
    done = 0

    def step() -> None:
        nonlocal done
        if progress is not None:
            progress(done, steps)
        done += 1

    step()
    pool = _pool(distribution, crs)
    renderer = Renderer(templates_dir, max_output_bytes=MAX_PAGE_BYTES, limits=REPORT_LIMITS)
    renderer.env.filters.update(rfc3339=rfc3339, percent=_percent)
    labels = {key: CATEGORY_SHORT_LABELS.get(key, key) for key in CATEGORY_KEYS}

    by_key = {c.key: c for c in categories}
    series = {key: _points(by_key[key].rounds) for key in CATEGORY_KEYS if key in by_key}
    months, stacks = _monthly(rows)
    pool_title = f"Pool on {long_date(pool.as_on)}" if pool else ""
    index_charts = {
        "cutoffs": Markup(charts.cutoff_chart(series, labels, crs=crs)),
        "cutoffs_phone": Markup(charts.cutoff_chart(series, labels, crs=crs, layout=charts.PHONE)),
        "monthly": Markup(charts.monthly_chart(months, stacks, labels)),
        "monthly_phone": Markup(charts.monthly_chart(months, stacks, labels, layout=charts.PHONE)),
        "pool": Markup(charts.pool_chart(pool.bands, pool_title, crs=crs)) if pool else Markup(""),
    }
    common = {
        "generated_at": now,
        "version": __version__,
        "crs": crs,
        "rounds_total": len(rows),
        "all_categories": [by_key[key] for key in CATEGORY_KEYS if key in by_key],
        "year_ago": now.date() - timedelta(days=365),
    }

    written: list[Path] = []
    index = renderer.render(
        INDEX_TEMPLATE,
        {
            **common,
            "root": "",
            "rounds": rows,
            "categories": sorted(categories, key=lambda c: (c.latest.date, c.latest.rank), reverse=True),
            "charts": index_charts,
            "pool": pool,
        },
    )
    written.append(_write(out_dir / "index.html", index))
    step()
    for category in categories:
        chart = charts.category_chart(category.key, category.label, _points(category.rounds), crs=crs)
        page = renderer.render(
            CATEGORY_TEMPLATE,
            {
                **common,
                "root": "../",
                "category": category,
                "rounds": category.rounds,
                "chart": Markup(chart),
            },
        )
        written.append(_write(out_dir / category.page, page))
        step()
    _remove_stale_pages(out_dir / CATEGORY_DIR, {c.key for c in categories})

    base = base_url.rstrip("/") + "/" if base_url else ""
    feed = renderer.render(
        FEED_TEMPLATE,
        {
            **common,
            "feed_id": FEED_ID,
            "self_href": base + "feed.atom",
            "site_href": base + "index.html",
            "updated": max((r.updated for r in rows), default=now),
            "rounds": rows,
        },
    )
    written.append(_write(out_dir / "feed.atom", feed))
    step()
    written.append(_write(out_dir / "rounds.json", exports_json(rounds)))
    written.append(_write(out_dir / "rounds.csv", exports_csv(rounds)))
    step()
    return ReportResult(
        out_dir=out_dir,
        files=written,
        rounds=len(rows),
        categories=[c.key for c in categories],
        pool_as_on=pool.as_on if pool else None,
        seconds=time.perf_counter() - started,
    )


def exports_json(rounds: Iterable[Round]) -> str:
    """Every round, newest first, exactly as ``drawwatch draws list --json --limit 0`` prints it."""
    return json.dumps([round_json(d) for d in rounds], indent=2) + "\n"


def exports_csv(rounds: Iterable[Round]) -> str:
    """The same rows as :func:`exports_json` as RFC 4180 CSV; a missing tie-break is an empty cell, and a
    text cell a spreadsheet would take for a formula is neutralised (:func:`csv_cell`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for round_ in rounds:
        row = round_json(round_)
        writer.writerow({key: csv_cell(row[key]) for key in EXPORT_FIELDS})
    return buffer.getvalue()


def csv_cell(value: object) -> object:
    """One CSV cell: ``None`` empty, a number as it is (``-5`` is a number, not a formula), text that starts
    like a formula (:data:`FORMULA_OPENINGS`) behind an apostrophe so spreadsheets show it as text."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_OPENINGS):
        return "'" + value
    return value


def rfc3339(value: datetime) -> str:
    """An aware datetime as Atom wants it: ``2026-08-19T12:35:37Z`` (RFC 3339, UTC, whole seconds)."""
    if value.tzinfo is None:
        raise ValueError("rfc3339 needs a timezone-aware datetime")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------------------------- internals


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the report is built.

    matplotlib allocates hundreds of thousands of short-lived objects with reference cycles (artists and
    their transforms); the collector's passes over them took a tenth of the build. Nothing of the build
    outlives it, and the collector runs again afterwards as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _latest_distribution(session: Session, rounds: Sequence[Round]) -> PoolDistribution | None:
    """The pool snapshot of the newest round that has one (rounds of one week share it)."""
    tried: set[date] = set()
    for round_ in rounds:
        if round_.distribution_as_on is None or round_.distribution_as_on in tried:
            continue
        tried.add(round_.distribution_as_on)
        found = get_distribution(session, round_.distribution_as_on)
        if found is not None:
            return found
    return None


def _rows(rounds: Sequence[Round]) -> list[RoundRow]:
    from drawwatch.report.charts import CATEGORY_STYLES

    total = len(rounds)
    rows = []
    for i, round_ in enumerate(rounds):
        colour = CATEGORY_STYLES.get(round_.category, CATEGORY_STYLES["other"])[0]
        run_at = round_.run_at.astimezone(UTC) if round_.run_at else None
        tie_break = round_.tie_break.astimezone(UTC) if round_.tie_break else None
        midnight = datetime(round_.date.year, round_.date.month, round_.date.day, tzinfo=UTC)
        # drawDateTime is free text, once plainly wrong (#357 ran "July 12" for a July 22 round): it dates the
        # entry only when it falls on the round's day or the next (IRCC's dates are Ottawa time).
        trusted = run_at is not None and midnight <= run_at < midnight + timedelta(days=2)
        rows.append(
            RoundRow(
                number=round_.number,
                rank=total - i,
                date=round_.date,
                name=round_.name,
                category=round_.category,
                label=CATEGORY_LABELS.get(round_.category, round_.category),
                short=CATEGORY_SHORT_LABELS.get(round_.category, round_.category),
                colour=colour,
                crs=round_.crs,
                invitations=round_.invitations,
                tie_break=tie_break,
                tie_break_raw=round_.tie_break_raw,
                tie_break_text=f"{tie_break:%Y-%m-%d %H:%M:%S}"
                if tie_break
                else (round_.tie_break_raw or "—"),
                tie_break_sort=int(tie_break.timestamp()) if tie_break else 0,
                run_at=run_at,
                url=round_.url,
                page=f"{CATEGORY_DIR}/{round_.category}.html",
                entry_id=ENTRY_ID.format(number=round_.number),
                updated=round_.updated_at.astimezone(UTC),
                published=run_at if trusted and run_at else midnight,
            )
        )
    return rows


def _categories(rows: Sequence[RoundRow]) -> list[CategoryInfo]:
    """Categories that have rounds, in the canonical key order, each with its rounds newest first."""
    found: dict[str, CategoryInfo] = {}
    for row in rows:
        info = found.get(row.category)
        if info is None:
            info = found[row.category] = CategoryInfo(
                key=row.category,
                label=row.label,
                short=row.short,
                colour=row.colour,
                page=row.page,
            )
        info.rounds.append(row)
    order = {key: i for i, key in enumerate(CATEGORY_KEYS)}
    return sorted(found.values(), key=lambda c: order.get(c.key, len(order)))


def _points(rows: Sequence[RoundRow]) -> list[Point]:
    from drawwatch.report.charts import Point

    return [Point(r.date, r.crs) for r in reversed(rows)]  # oldest first


def _monthly(rows: Sequence[RoundRow]) -> tuple[list[date], dict[str, list[int]]]:
    """Calendar months from the first round's to the last's, and invitations per month for each category."""
    if not rows:
        return [], {}
    sums: dict[str, Counter[tuple[int, int]]] = defaultdict(Counter)
    for row in rows:
        sums[row.category][(row.date.year, row.date.month)] += row.invitations
    first, last = min(r.date for r in rows), max(r.date for r in rows)
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    stacks = {key: [sums[key][(m.year, m.month)] for m in months] for key in CATEGORY_KEYS if key in sums}
    return months, stacks


def _pool(distribution: PoolDistribution | None, crs: int | None) -> PoolInfo | None:
    from drawwatch.report.charts import Band

    if distribution is None:
        return None
    bands = []
    for key in POOL_BANDS:
        low, high = (int(part) for part in DISTRIBUTION_BANDS[key].split("-"))
        bands.append(
            Band(label=f"{low}–{high}", low=low, high=high, count=int(distribution.counts.get(key, 0)))
        )
    total = int(distribution.counts.get("dd18", 0)) or sum(b.count for b in bands)
    yours = next((b for b in bands if crs is not None and b.low <= crs <= b.high), None)
    above = sum(b.count for b in bands if b.low > yours.high) if yours else None
    return PoolInfo(
        as_on=distribution.as_on,
        total=total,
        bands=bands,
        crs=crs,
        your_band=yours.label if yours else None,
        above=above,
    )


def _percent(value: float) -> str:
    """``0.0421`` -> ``"4.2%"``; shares under a tenth of a percent read ``"<0.1%"`` rather than ``"0.0%"``."""
    if 0 < value < 0.001:
        return "<0.1%"
    return f"{value * 100:.1f}%"


def _write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename: readers see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8", newline="")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _remove_stale_pages(directory: Path, keep: set[str]) -> None:
    """Delete category pages of categories that no longer have rounds (IRCC renamed them into another).

    Only files named after a category key are touched: the directory may be shared with other content.
    """
    if not directory.is_dir():
        return
    for key in CATEGORY_KEYS:
        if key not in keep:
            (directory / f"{key}.html").unlink(missing_ok=True)
