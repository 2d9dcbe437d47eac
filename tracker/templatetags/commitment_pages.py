"""Template helpers of the commitment pages: the small measurement chart."""

from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()

WIDTH, HEIGHT, PAD, LEFT = 240, 72, 8, 34


def _number(value):
    text = f"{Decimal(value).normalize():f}"
    return text


@register.simple_tag
def measurement_chart(indicator, measurements):
    """An inline SVG line chart of the measurements, with the target as a dashed line.

    Server-rendered with presentation attributes and classes only: the CSP forbids inline
    style attributes. Undated measurements come first, as the source gave no date.
    """
    points = [m for m in measurements if m.value is not None]
    if not points:
        return ""
    values = [float(m.value) for m in points]
    target = float(indicator.target) if indicator.target is not None else None
    scale = values + ([target] if target is not None else [])
    low, high = min(scale), max(scale)
    if low == high:
        low, high = low - 1, high + 1
    span = high - low

    def x(i):
        if len(points) == 1:
            return (LEFT + WIDTH - PAD) / 2
        return LEFT + i * (WIDTH - LEFT - PAD) / (len(points) - 1)

    def y(v):
        return HEIGHT - PAD - (v - low) / span * (HEIGHT - 2 * PAD)

    coords = [(round(x(i), 1), round(y(v), 1)) for i, v in enumerate(values)]
    line = " ".join(f"{cx},{cy}" for cx, cy in coords)
    summary = f"{indicator.name}: {len(points)} measurement{'s' if len(points) != 1 else ''}"
    summary += f", latest {points[-1].display_value}"
    if target is not None:
        summary += f", target {_number(indicator.target)}"

    target_line = ""
    if target is not None:
        ty = round(y(target), 1)
        target_line = format_html(
            '<line class="chart-target" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
            '<text class="chart-label" x="{}" y="{}" text-anchor="end">target</text>',
            LEFT,
            ty,
            WIDTH - PAD,
            ty,
            WIDTH - PAD,
            max(ty - 3, 9),
        )
    # The scale: the highest and lowest value shown, at the left.
    labels = format_html_join(
        "",
        '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>',
        ((LEFT - 7, round(y(v) + 3, 1), _short(v)) for v in sorted({max(scale), min(scale)})),
    )
    axis = format_html(
        '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>{}',
        LEFT - 4,
        PAD,
        LEFT - 4,
        HEIGHT - PAD,
        labels,
    )
    polyline = (
        format_html('<polyline class="chart-line" points="{}"></polyline>', line)
        if len(coords) > 1
        else ""
    )
    dots = format_html_join(
        "",
        '<circle class="chart-dot" cx="{}" cy="{}" r="3.5"><title>{}{}</title></circle>',
        (
            (
                cx,
                cy,
                m.display_value,
                f" on {m.measured_on:%d %b %Y}" if m.measured_on else " (undated)",
            )
            for (cx, cy), m in zip(coords, points, strict=True)
        ),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="100%" height="{}" role="img" '
        'aria-label="{}" focusable="false">{}{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        HEIGHT,
        summary,
        axis,
        target_line,
        polyline,
        dots,
    )


def _short(value):
    """A compact axis label: 1200 → 1.2k, 3.5 → 3.5."""
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return f"{value:.1f}".removesuffix(".0")


@register.filter
def number(value):
    """A Decimal without trailing zeros: 140.0000 → 140."""
    if value is None:
        return ""
    return _number(value)
