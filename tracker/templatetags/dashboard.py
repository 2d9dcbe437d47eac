"""The dashboard's big repeated fragments, built in Python.

A breakdown by owner can have dozens of rows of ten linked counts each; rendered cell by
cell in the template language that alone took longer than all the dashboard's queries.
"""

from django import template
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .tracker import status_badge

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


def _day_month(day):
    """The date filter's "j M" (1 Dec), without its per-call parsing of the format."""
    return f"{day.day} {MONTHS_3[day.month].title()}"


def _person(user):
    return escape(user.get_full_name() or user.username)


@register.simple_tag
def change_groups(groups):
    """<li>s of "what changed": each commitment with its latest accepted updates."""
    html = []
    for c, updates in groups:
        html.append(
            f'<li><a class="change-commitment" href="{escape(c.get_absolute_url())}">'
            f'<span class="ref-inline">{escape(c.reference)}</span> {escape(c.title)}</a>'
            '<ul class="change-updates">'
        )
        for u in updates:
            if u.changes_status:
                transition = (
                    f'{status_badge(u.previous_status)} <span aria-label="to">→</span> '
                    f"{status_badge(u.status)}"
                )
            else:
                transition = f'{status_badge(u.status)} <span class="muted small">confirmed</span>'
            author = _person(u.author) if u.author else "the seed import"
            accepted = f" · accepted by {_person(u.decided_by)}" if u.decided_by else ""
            decided = timezone.localtime(u.decided_at)
            html.append(
                f'<li><span class="transition">{transition}</span> <span class="meta"> '
                f"as of {_day_month(u.as_of)} · by {author}{accepted} "
                f'<time datetime="{decided.isoformat()}">'
                f"{_day_month(decided)}, {decided:%H:%M}</time> </span></li>"
            )
        html.append("</ul></li>")
    return mark_safe("".join(html))  # noqa: S308 - names, titles and references escaped above
