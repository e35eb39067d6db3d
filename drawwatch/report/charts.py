"""The report's charts as inline SVG, drawn by matplotlib's SVG backend.

matplotlib is imported here only, and this module only when a report is written, so other commands do not pay
for it. No pyplot: each chart is a bare ``Figure`` on an SVG canvas (no Agg, no GUI, no global figure
registry), and the style is applied under a lock because rcParams are process-global and the daemon writes
reports from a worker thread.

Charts are drawn in px-sized figures (72 dpi, so one SVG user unit is one CSS px at native size) and served
without ``width``/``height``: the ``viewBox`` scales them to the column. Text stays text (``svg.fonttype:
none``): smaller files, selectable, searchable, in the reader's own sans-serif. Scaling shrinks text with the
chart, so the charts with a legend also come in a narrow layout (:data:`PHONE`) that pages show on small
screens instead of shrinking the wide one to unreadable type.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, DateFormatter, YearLocator, date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

if TYPE_CHECKING:
    from types import TracebackType

    from matplotlib.axes import Axes
    from matplotlib.typing import RcKeyType

DPI: Final = 72  # 1 figure inch = 72 SVG user units = 72 CSS px at native size
SPLIT: Final = 600  # the cut-off chart's axis break: a provincial nomination alone is worth 600 points
MAX_GAP: Final = dt.timedelta(days=183)  # rounds of one category further apart are not joined by a line
YOU_COLOUR: Final = "#c0392b"
INK: Final = "#1b1b1b"
MUTED: Final = "#5c5c5c"


@dataclass(frozen=True)
class Layout:
    """Native size and legend shape of a chart; pages pick one per screen width with CSS."""

    name: str
    width: int
    legend_columns: int
    max_date_ticks: int


WIDE: Final = Layout("wide", 720, 4, 9)
PHONE: Final = Layout("phone", 400, 2, 5)

# Colour and marker per category key: the same everywhere (charts, table swatches, category pages), and no two
# categories share both, so a reader who cannot tell two colours apart still has the shapes.
CATEGORY_STYLES: Final[Mapping[str, tuple[str, str]]] = {
    "general": ("#3d3d3d", "o"),
    "cec": ("#0072b2", "s"),
    "fsw": ("#8c564b", "D"),
    "fst": ("#e69f00", "^"),
    "pnp": ("#7b3294", "v"),
    "french": ("#d55e00", "P"),
    "stem": ("#009e73", "X"),
    "healthcare": ("#cc79a7", "*"),
    "trades": ("#56b4e9", "<"),
    "transport": ("#a6761d", ">"),
    "agriculture": ("#66a61e", "h"),
    "education": ("#e7298a", "p"),
    "physicians": ("#b2182b", "d"),
    "researchers": ("#1b9e77", "8"),
    "senior_managers": ("#2c3e91", "H"),
    "military": ("#6b6b00", "o"),
    "other": ("#999999", "s"),
}

STYLE: Final[Mapping[RcKeyType, Any]] = {
    "svg.fonttype": "none",
    # Fixed, so the same data gives the same SVG (otherwise a random UUID salts the ids of clip paths).
    "svg.hashsalt": "drawwatch",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 13,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#8a8a8a",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.titlesize": 14,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 10,
    # A fixed title height: automatic placement measures every tick label of every axes (a third of the time).
    "axes.titley": 1.0,
    "axes.labelsize": 13,
    "grid.color": "#e4e4e4",
    "grid.linewidth": 0.8,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "xtick.labelsize": 12.5,
    "ytick.labelsize": 12.5,
    "legend.frameon": False,
    "legend.fontsize": 13,
    "legend.handletextpad": 0.4,
    "legend.columnspacing": 1.2,
    "legend.labelspacing": 0.35,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
}
LEGEND_ROW_PX: Final = 17.5  # one legend row: legend.fontsize plus labelspacing

_LOCK = threading.Lock()
_SVG_SIZE = re.compile(r'\s(?:width|height)="[^"]*"')
_SVG_ID = re.compile(r'\sid="([^"]+)"')
_SVG_REF = re.compile(r'(url\(#|href="#)([^)"]+)')


@dataclass(frozen=True)
class Point:
    """One round as a chart needs it."""

    date: dt.date
    crs: int


@dataclass(frozen=True)
class Band:
    """One CRS band of the pool distribution, highest first."""

    label: str
    low: int
    high: int
    count: int


def cutoff_chart(
    series: Mapping[str, Sequence[Point]],
    labels: Mapping[str, str],
    *,
    crs: int | None = None,
    layout: Layout = WIDE,
) -> str:
    """CRS cut-offs over time, one line per category, with the y-axis broken at 600.

    PNP rounds (and the first general rounds of 2015) sit above 600 because a provincial nomination adds 600
    points; on one linear axis they would squeeze every other category into a thin band. Each series is drawn
    only in the panel(s) its values reach, which halves the drawing.
    """
    series = {key: points for key, points in series.items() if points}
    values = [p.crs for points in series.values() for p in points]
    if not values:
        return ""
    handles: list[Any] = [_marker_handle(key, labels) for key in series]
    if crs is not None:
        handles.append(Line2D([], [], color=YOU_COLOUR, linestyle="--", label=f"Reference score ({crs})"))
    legend_px = _legend_px(len(handles), layout)
    plot_px = 380 if layout is WIDE else 360
    name = f"cutoffs-{layout.name}"
    with _style():
        fig = _figure(layout, plot_px + legend_px)
        high, low = max(values), min(values)
        if high > SPLIT >= low:
            top, bottom = fig.subplots(
                2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 3], "hspace": 0.08}
            )
            top.set_ylim(SPLIT, _ceil(high + 15, 50))
            bottom.set_ylim(_floor(low - 15, 50), SPLIT)
            # The break's own value is labelled once, on the lower panel.
            top_ticks = MaxNLocator(nbins=3, integer=True).tick_values(SPLIT, top.get_ylim()[1])
            top.yaxis.set_major_locator(
                FixedLocator([v for v in top_ticks if SPLIT < v <= top.get_ylim()[1]])
            )
            _break_marks(top, bottom)
            panels = [(top, lambda v: v >= SPLIT), (bottom, lambda v: v <= SPLIT)]
        else:
            top = bottom = fig.subplots()
            panels = [(bottom, lambda v: True)]
        for ax, shows in panels:
            for key, points in series.items():
                if not any(shows(p.crs) for p in points):
                    continue
                colour, marker = _category_style(key)
                ax.plot(
                    *_gapped([p.date for p in points], [p.crs for p in points]),
                    color=colour,
                    marker=marker,
                    markersize=6 if marker != "*" else 8,
                    markeredgewidth=0,
                    linewidth=1.1,
                    alpha=0.9,
                )
            if crs is not None and ax.get_ylim()[0] <= crs <= ax.get_ylim()[1]:
                _your_line(ax, crs)
        bottom.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        top.set_title("CRS cut-off of each round")
        bottom.set_ylabel("CRS cut-off")
        days = [p.date for points in series.values() for p in points]
        _date_axis(bottom, layout, span_days=(max(days) - min(days)).days)
        _legend_below(fig, layout, handles, legend_px)
        return _svg(fig, name, "CRS cut-off of each round over time, by category")


def monthly_chart(
    months: Sequence[dt.date],
    stacks: Mapping[str, Sequence[int]],
    labels: Mapping[str, str],
    *,
    layout: Layout = WIDE,
) -> str:
    """Invitations issued per calendar month, stacked by category.

    Drawn as stacked step areas (``fill_between``) restricted to the months a category had rounds: one
    collection per category instead of a rectangle per month and category, a fraction of the time and SVG.
    """
    stacks = {key: values for key, values in stacks.items() if any(values)}
    if not months or not stacks:
        return ""
    handles = [Patch(color=_category_style(key)[0], label=labels.get(key, key)) for key in stacks]
    legend_px = _legend_px(len(handles), layout)
    name = f"monthly-{layout.name}"
    with _style():
        fig = _figure(layout, 300 + legend_px)
        ax = fig.subplots()
        last = months[-1]
        # One edge more than months: in a "post" step each month's value holds until the next edge.
        x = date2num([*months, dt.date(last.year + last.month // 12, last.month % 12 + 1, 1)])
        base = [0] * len(x)
        for key, values in stacks.items():
            extended = [*values, 0]
            top = [b + v for b, v in zip(base, extended, strict=True)]
            # Edge j bounds month j-1 (on its right) and month j (on its left).
            where = [extended[j] > 0 or (j > 0 and extended[j - 1] > 0) for j in range(len(x))]
            ax.fill_between(
                x, base, top, where=where, step="post", color=_category_style(key)[0], linewidth=0
            )
            base = top
        ax.set_xlim(x[0], x[-1])
        ax.set_ylim(0, max(base) * 1.05)
        ax.xaxis_date()
        ax.grid(axis="x", visible=False)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(v):,}"))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.set_title("Invitations per month")
        _date_axis(ax, layout, span_days=x[-1] - x[0])
        _legend_below(fig, layout, handles, legend_px)
        return _svg(fig, name, "Invitations issued per month, stacked by category")


def pool_chart(bands: Sequence[Band], title: str, *, crs: int | None = None) -> str:
    """The pool's CRS distribution as horizontal bars (highest band on top), the reader's band highlighted.

    Drawn narrow (400 px) in one layout: it has no legend, and bars read well at any width.
    """
    if not bands:
        return ""
    with _style():
        height = 30 + 26 * len(bands) + 62
        layout = Layout("pool", 400, 1, 5)
        fig = _figure(layout, height)
        ax = fig.subplots()
        y = list(range(len(bands)))
        yours = next((i for i, b in enumerate(bands) if crs is not None and b.low <= crs <= b.high), None)
        ax.barh(
            y,
            [b.count for b in bands],
            color=[YOU_COLOUR if i == yours else "#4a7ab5" for i in y],
            height=0.74,
        )
        ax.set_yticks(y, [b.label for b in bands])
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, (max(b.count for b in bands) or 1) * 1.3)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(v):,}"))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
        for i, band in enumerate(bands):
            ax.annotate(
                f"{band.count:,}" + (" ← you" if i == yours else ""),
                (band.count, i),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=12.5,
                color=YOU_COLOUR if i == yours else INK,
                fontweight="bold" if i == yours else "normal",
            )
        ax.set_xlabel("Candidates in the pool")
        ax.set_title(title)
        fig.subplots_adjust(left=72 / layout.width, right=0.97, top=1 - 36 / height, bottom=50 / height)
        return _svg(fig, "pool", f"CRS distribution of the Express Entry pool: {title}")


def category_chart(key: str, label: str, points: Sequence[Point], *, crs: int | None = None) -> str:
    """One category's cut-offs over time, each round labelled with its score when there are few.

    One narrow layout (400 px, no legend) that stays legible both shrunk on a phone and widened on a desktop;
    fifteen category pages make this the report's most repeated chart, so it is kept to one cheap axes.
    """
    if len(points) < 2:
        return ""  # a single round is a fact, not a trend: the page states it
    colour, marker = _category_style(key)
    layout = Layout("category", 400, 1, 5)
    height = 290
    with _style():
        fig = _figure(layout, height)
        ax = fig.subplots()
        dates = [p.date for p in points]
        values = [p.crs for p in points]
        ax.plot(
            *_gapped(dates, values),  # type: ignore[arg-type]  # stubs omit dates; matplotlib's units plot them
            color=colour,
            marker=marker,
            markersize=6 if len(points) > 40 else 8,
            markeredgewidth=0,
            linewidth=1.4,
        )
        if len(points) <= 12:
            for p in points:
                ax.annotate(
                    str(p.crs), (p.date, p.crs), xytext=(0, 8), textcoords="offset points", ha="center"
                )
        low, high = min(values), max(values)
        if crs is not None:
            low, high = min(low, crs), max(high, crs)
            _your_line(ax, crs)  # named in the caption: a label inside would cover rounds
        pad = max(20, (high - low) * 0.12)
        ax.set_ylim(low - pad, high + pad)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.set_ylabel("CRS cut-off")
        span = date2num(dates[-1]) - date2num(dates[0])
        ax.set_xlim(date2num(dates[0]) - span * 0.04 - 10, date2num(dates[-1]) + span * 0.04 + 10)
        _date_axis(ax, layout, span_days=span)
        fig.subplots_adjust(left=58 / layout.width, right=0.97, top=1 - 18 / height, bottom=36 / height)
        return _svg(fig, f"category-{key}", f"{label}: CRS cut-off of each round over time")


# --------------------------------------------------------------------------------------------- internals


class _style:
    """The report's rcParams, applied under the module lock (rcParams are global to the process)."""

    def __enter__(self) -> None:
        _LOCK.acquire()
        try:
            self.context = matplotlib.rc_context(dict(STYLE))
            self.context.__enter__()
        except BaseException:
            _LOCK.release()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self.context.__exit__(exc_type, exc, traceback)
        finally:
            _LOCK.release()


def _figure(layout: Layout, height_px: float) -> Figure:
    fig = Figure(figsize=(layout.width / DPI, height_px / DPI), dpi=DPI)
    FigureCanvasSVG(fig)
    fig.patch.set_alpha(0)
    return fig


def _svg(fig: Figure, name: str, description: str) -> str:
    """The figure as an ``<svg>`` element to inline: no XML prologue, no fixed size, labelled for readers.

    Every id gets the chart's name as a prefix: several charts share one page's id space, and matplotlib
    numbers its groups (``axes_1``, ``patch_1``…) the same way in every figure, so a clip path of one chart
    could otherwise resolve to another's.
    """
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Title": description})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    prefix = f"{name}-"
    ids = set(_SVG_ID.findall(text))
    text = _SVG_ID.sub(lambda m: f' id="{prefix}{m.group(1)}"', text)
    text = _SVG_REF.sub(lambda m: m.group(1) + prefix + m.group(2) if m.group(2) in ids else m.group(0), text)
    head, rest = text.split(">", 1)
    head = _SVG_SIZE.sub("", head)
    head += f' class="chart-svg" id="chart-{name}" role="img" aria-label="{_attr(description)}"'
    return f"{head}>{rest}".strip()


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _category_style(key: str) -> tuple[str, str]:
    return CATEGORY_STYLES.get(key, CATEGORY_STYLES["other"])


def _marker_handle(key: str, labels: Mapping[str, str]) -> Line2D:
    colour, marker = _category_style(key)
    return Line2D(
        [], [], color=colour, marker=marker, markersize=8, markeredgewidth=0, label=labels.get(key, key)
    )


def _legend_px(entries: int, layout: Layout) -> int:
    return round(LEGEND_ROW_PX * math.ceil(entries / layout.legend_columns) + 8)


def _legend_below(fig: Figure, layout: Layout, handles: list[Any], legend_px: int) -> None:
    """The legend in columns under the plot, so it scales with the chart (one beside it would squeeze it)."""
    height = fig.bbox.height
    left = 64 / layout.width
    fig.legend(
        handles=handles,
        loc="lower left",
        ncol=layout.legend_columns,
        bbox_to_anchor=(left - 0.012, 0.0),
        borderaxespad=0.2,
        alignment="left",
    )
    fig.subplots_adjust(left=left, right=0.975, top=1 - 36 / height, bottom=(legend_px + 34) / height)


def _date_axis(ax: Axes, layout: Layout, *, span_days: float | None = None) -> None:
    """Year ticks for spans of years (cheap, and what a reader scans for); concise dates for shorter ones."""
    if span_days is not None and span_days > 2.5 * 365:
        ax.xaxis.set_major_locator(
            YearLocator(base=max(1, math.ceil(span_days / 365 / layout.max_date_ticks)))
        )
        ax.xaxis.set_major_formatter(DateFormatter("%Y"))
        return
    locator = AutoDateLocator(minticks=3, maxticks=layout.max_date_ticks)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))


def _your_line(ax: Axes, crs: int) -> None:
    ax.axhline(crs, color=YOU_COLOUR, linestyle="--", linewidth=1.3, zorder=1)


def _break_marks(top: Axes, bottom: Axes) -> None:
    """The broken y-axis: hide the touching spines and draw matplotlib's usual slanted marks."""
    top.spines["bottom"].set_visible(False)
    top.tick_params(axis="x", which="both", bottom=False)
    kwargs: dict[str, Any] = {
        "marker": [(-1, -0.6), (1, 0.6)],
        "markersize": 10,
        "linestyle": "none",
        "color": "#8a8a8a",
        "mec": "#8a8a8a",
        "mew": 1,
        "clip_on": False,
    }
    top.plot([0], [0], transform=top.transAxes, **kwargs)
    bottom.plot([0], [1], transform=bottom.transAxes, **kwargs)


def _gapped(dates: Sequence[dt.date], values: Sequence[float]) -> tuple[list[dt.date], list[float]]:
    """The series with a NaN between rounds more than :data:`MAX_GAP` apart, so the line breaks there.

    A line drawn across a pause of years (CEC between 2016 and 2020) would suggest rounds that never happened.
    """
    xs: list[dt.date] = []
    ys: list[float] = []
    for i, (day, value) in enumerate(zip(dates, values, strict=True)):
        if i and day - dates[i - 1] > MAX_GAP:
            xs.append(dates[i - 1] + (day - dates[i - 1]) / 2)
            ys.append(math.nan)
        xs.append(day)
        ys.append(value)
    return xs, ys


def _ceil(value: float, step: int) -> int:
    return int(math.ceil(value / step) * step)


def _floor(value: float, step: int) -> int:
    return max(0, int(math.floor(value / step) * step))
