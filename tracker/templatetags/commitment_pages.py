"""Template helpers of the commitment pages: the small measurement chart's geometry, the
status update form."""

import dataclasses
from decimal import Decimal

from django import template
from django.urls import reverse

from .. import fragments

register = template.Library()

WIDTH, HEIGHT, PAD, LEFT = 240, 72, 8, 34


def _number(value):
    return f"{Decimal(value).normalize():f}"


@dataclasses.dataclass
class Dot:
    x: float
    y: float
    title: str


@register.inclusion_tag("tracker/commitment_detail.html#measurement-chart")
def measurement_chart(indicator, measurements):
    """An inline SVG line chart of the measurements, with the target as a dashed line.

    The numbers are computed here, the SVG is drawn by the template (presentation
    attributes and classes only: the CSP forbids inline styles). Undated measurements come
    first, as the source gave no date.
    """
    points = [m for m in measurements if m.value is not None]
    if not points:
        return {"chart": None}
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

    dots = [
        Dot(
            round(x(i), 1),
            round(y(v), 1),
            m.display_value + (f" on {m.measured_on:%d %b %Y}" if m.measured_on else " (undated)"),
        )
        for i, (v, m) in enumerate(zip(values, points, strict=True))
    ]
    summary = f"{indicator.name}: {len(points)} measurement{'s' if len(points) != 1 else ''}"
    summary += f", latest {points[-1].display_value}"
    if target is not None:
        summary += f", target {_number(indicator.target)}"
    target_y = round(y(target), 1) if target is not None else None
    return {
        "chart": {
            "width": WIDTH,
            "height": HEIGHT,
            "left": LEFT,
            "axis_x": LEFT - 4,
            "label_x": LEFT - 7,
            "top": PAD,
            "bottom": HEIGHT - PAD,
            "right": WIDTH - PAD,
            "summary": summary,
            "target_y": target_y,
            "target_label_y": max(target_y - 3, 9) if target is not None else None,
            # The scale: the highest and lowest value shown, at the left.
            "labels": [(round(y(v) + 3, 1), _short(v)) for v in sorted({max(scale), min(scale)})],
            "line": " ".join(f"{d.x},{d.y}" for d in dots) if len(dots) > 1 else "",
            "dots": dots,
        }
    }


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


@register.simple_tag(takes_context=True)
def record_update_form(context, form, formset, commitment, records_directly):
    """The status update form, drawn by Jinja2 (templates/jinja2/commitments/record_form.html):
    its 35 fields through forms.html#field took about 7 ms of every commitment page and post
    (bench/README.md, "Posting a status update (fourth round)")."""
    return fragments.render(
        "commitments/record_form",
        form=form,
        formset=formset,
        commitment=commitment,
        records_directly=records_directly,
        action=reverse("commitment-record-update", args=[commitment.reference]),
        source_search_url=reverse("source-search"),
        csrf_token=context.get("csrf_token", ""),
    )


@register.simple_tag
def source_picker(sform):
    """A form's source picker (a measurement's), drawn by the macro the status update form's
    evidence uses (templates/jinja2/parts/form_fields.html): one markup for both."""
    return fragments.render(
        "parts/source_picker", sform=sform, source_search_url=reverse("source-search")
    )
