"""The dashboard's big repeated fragments, built in Python.

A breakdown by owner can have dozens of rows of ten linked counts each; rendered cell by
cell in the template language that alone took longer than all the dashboard's queries.
"""

from functools import cache
from html import escape  # Django's escape() is this, behind a slower lazy-string check

from django import template
from django.utils import timezone
from django.utils.dates import MONTHS_3
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


def _day_month_year(day):
    """The date filter's "j M Y" (1 Dec 2026)."""
    return f"{_day_month(day)} {day.year:04d}"


def _person(user):
    return escape(user.get_full_name() or user.username)


@cache
def _badge(status):
    return status_badge(status)


def _link(c, attrs=""):
    return (
        f'<a{attrs} href="{escape(c.get_absolute_url())}"><span class="ref-inline">'
        f"{escape(c.reference)}</span> {escape(c.title)}</a>"
    )


def _owner(c):
    return f" · {_person(c.owner)}" if c.owner else ""


@register.simple_tag
def at_risk_items(rows):
    """<li>s of the commitments at risk or stalled: status, link, since when, owner."""
    return mark_safe(  # noqa: S308 - titles, references and names escaped
        "".join(
            f'<li>{_badge(status)} {_link(c)} <span class="meta">'
            f"{f'since {_day_month_year(since)}' if since else ''}{_owner(c)}</span></li>"
            for c, status, since, _due in rows
        )
    )


@register.simple_tag
def overdue_items(rows):
    """<li>s of the commitments overdue for review: link, due date, owner."""
    return mark_safe(  # noqa: S308 - titles, references and names escaped
        "".join(
            f'<li>{_link(c)} <span class="meta">due {_day_month_year(due)}{_owner(c)}</span></li>'
            for c, due in rows
        )
    )


@register.simple_tag
def worsened_items(rows):
    """<li>s of the commitments that got worse: from and to status, link."""
    return mark_safe(  # noqa: S308 - titles and references escaped
        "".join(
            f'<li><span class="transition">{_badge(before)} <span aria-label="to">→</span> '
            f"{_badge(after)}</span> {_link(c)}</li>"
            for c, before, after in rows
        )
    )


@register.simple_tag
def change_groups(groups):
    """<li>s of "what changed": each commitment with its latest accepted updates."""
    html = []
    for c, updates in groups:
        html.append(f'<li>{_link(c, ' class="change-commitment"')}<ul class="change-updates">')
        for u in updates:
            if u.changes_status:
                transition = (
                    f'{_badge(u.previous_status)} <span aria-label="to">→</span> {_badge(u.status)}'
                )
            else:
                transition = f'{_badge(u.status)} <span class="muted small">confirmed</span>'
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
