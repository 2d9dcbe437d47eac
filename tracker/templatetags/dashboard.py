"""The dashboard's big repeated fragments, built in Python.

A breakdown by owner can have dozens of rows of ten linked counts each; rendered cell by
cell in the template language that alone took longer than all the dashboard's queries.
"""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

ZERO = '<span class="zero">·</span>'


def _count(n, url):
    if url:
        return f'<a href="{escape(url)}">{n}</a>'
    return str(n) if n else ZERO


@register.simple_tag
def breakdown_rows(rows):
    """<tr>s of a breakdown table: label, distribution bar, total, counts, overdue.

    Plain f-strings: every value is a number or a class name of ours, but the label and
    the URLs, which are escaped."""
    html = []
    for row in rows:
        bar = "".join(
            f'<rect class="c-{s.status.css}" x="{s.x}" y="0" width="{s.width}" height="10"></rect>'
            for s in row["bar"]
        )
        cells = "".join(f"<td>{_count(n, url)}</td>" for _status, n, url in row["cells"])
        html.append(
            f'<tr><th scope="row">{escape(row["label"])}</th><td class="bar-col">'
            '<svg class="mini-bar" viewBox="0 0 100 10" preserveAspectRatio="none" '
            f'aria-hidden="true" focusable="false">{bar}</svg></td>'
            f'<td class="total">{_count(row["tally"].total, row["url"])}</td>{cells}'
            f'<td class="overdue">{_count(row["tally"].overdue, row["overdue_url"])}</td></tr>'
        )
    return mark_safe("".join(html))  # noqa: S308 - labels and URLs escaped above


@register.simple_tag
def trend_rows(rows):
    """<tr>s of the trend's data table: week ending, a count per status, total."""
    return mark_safe(  # noqa: S308 - dates and numbers only
        "".join(
            f'<tr><th scope="row">{day:%d %b %Y}</th>'
            + "".join(f"<td>{n}</td>" for n in counts)
            + f'<td class="total">{total}</td></tr>'
            for day, counts, total in rows
        )
    )


@register.simple_tag
def trend_columns(chart):
    """Invisible columns over the trend chart, one per week, each with its numbers."""
    height = chart.bottom - chart.top
    return mark_safe(  # noqa: S308 - numbers, and titles escaped
        "".join(
            f'<rect x="{c.x}" y="{chart.top}" width="{c.width}" height="{height}">'
            f"<title>{escape(c.title)}</title></rect>"
            for c in chart.columns
        )
    )
