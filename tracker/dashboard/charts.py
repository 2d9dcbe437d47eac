"""Geometry for the dashboard's server-rendered SVG charts.

Only numbers and class names come out of here; the templates draw the shapes. Colours are
CSS classes (`c-<status>`), never inline styles, so the charts obey the strict CSP and the
print stylesheet.
"""

import dataclasses
import math

from ..models import Status
from .queries import STATUS_ORDER


def _n(value):
    """A coordinate for an SVG attribute: one decimal, no trailing zero."""
    return f"{value:.1f}".removesuffix(".0")


@dataclasses.dataclass(frozen=True)
class Segment:
    status: Status
    count: int
    share: float  # per cent of the total
    x: str
    width: str


def stacked_bar(counts, *, width=1000):
    """The segments of a bar `width` units wide, one per status present, best first."""
    total = sum(counts.values())
    segments, x = [], 0.0
    for status in STATUS_ORDER:
        n = counts.get(status, 0)
        if not n:
            continue
        w = width * n / total
        segments.append(Segment(status, n, 100 * n / total, _n(x), _n(w)))
        x += w
    return segments


def distribution_text(counts):
    """'3 fulfilled (25 %), 1 at risk (8 %)': the bar in words."""
    total = sum(counts.values())
    if not total:
        return "No commitments."
    parts = [
        f"{n} {status.label.lower()} ({round(100 * n / total)} %)"
        for status in STATUS_ORDER
        if (n := counts.get(status, 0))
    ]
    return ", ".join(parts) + "."


def nice_scale(value, ticks=4):
    """(top, step) of an axis from 0 to at least `value` in about `ticks` whole steps."""
    if value <= 0:
        return 1, 1
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(1, round(step))  # commitments come in whole numbers
    return math.ceil(value / step) * step, step


@dataclasses.dataclass
class Band:
    status: Status
    path: str


@dataclasses.dataclass
class Tick:
    pos: str
    label: str


@dataclasses.dataclass
class Column:
    """An invisible column per week, carrying that week's numbers as a tooltip."""

    x: str
    width: str
    title: str


@dataclasses.dataclass
class TrendChart:
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    bands: list
    y_ticks: list
    x_ticks: list
    columns: list
    summary: str

    @property
    def plot_height(self):
        return self.bottom - self.top


def from_first_data(points):
    """The trend's points from the first week that counts any commitment (or none)."""
    first = next((i for i, p in enumerate(points) if p.total), len(points))
    return points[first:]


def trend_chart(points, *, width=960, height=300):
    """A stacked area chart of weekly status counts (points: [TrendPoint], oldest first)."""
    left, right, top, bottom = 44, width - 12, 12, height - 28
    plot_w, plot_h = right - left, bottom - top
    ymax, step = nice_scale(max((p.total for p in points), default=0))
    last = max(len(points) - 1, 1)

    def x(i):
        return left + plot_w * i / last

    def y(value):
        return bottom - plot_h * value / ymax

    # Each week's x once, not once per band and edge (a year: 53 weeks, up to 16 edges).
    xs = [_n(x(i)) for i in range(len(points))]
    bands, floor = [], [0] * len(points)
    for status in STATUS_ORDER:
        values = [p.counts.get(status, 0) for p in points]
        if not any(values):
            continue
        ceiling = [f + v for f, v in zip(floor, values, strict=True)]
        upper = [f"{xs[i]},{_n(y(v))}" for i, v in enumerate(ceiling)]
        lower = [f"{xs[i]},{_n(y(v))}" for i, v in reversed(list(enumerate(floor)))]
        bands.append(Band(status, "M" + " L".join(upper + lower) + " Z"))
        floor = ceiling

    y_ticks = [Tick(_n(y(v)), str(v)) for v in range(0, ymax + 1, step)]

    # A tick at the first week of each month (but the window's first, partial month).
    starts = [i for i in range(1, len(points)) if points[i].day.month != points[i - 1].day.month]
    every = 1 if len(starts) <= 13 else 3
    x_ticks = []
    for n, i in enumerate(starts):
        if n % every:
            continue
        day = points[i].day
        label = f"{day:%b}" if day.month != 1 and x_ticks else f"{day:%b %Y}"
        x_ticks.append(Tick(_n(x(i)), label))

    column_w = plot_w / last
    columns = [
        Column(
            _n(max(left, x(i) - column_w / 2)),
            _n(column_w),
            f"Week ending {p.day:%d %b %Y}: " + distribution_text(p.counts),
        )
        for i, p in enumerate(points)
    ]

    first, latest = points[0], points[-1]
    summary = (
        f"On {first.day:%d %b %Y}: {distribution_text(first.counts)} "
        f"On {latest.day:%d %b %Y}: {distribution_text(latest.counts)}"
    )
    return TrendChart(
        width, height, left, top, right, bottom, bands, y_ticks, x_ticks, columns, summary
    )
