"""The dashboard's long repeated fragments, drawn by Jinja2 templates compiled once.

A breakdown by owner has dozens of rows of a dozen linked counts, the trend's table a row
per week: through Django's template language these alone took longer than the rest of
the page, queries included (figures in bench/README.md). Jinja2 compiles a template to
Python once, so the markup stays in templates (templates/jinja2/dashboard/) at a fraction
of the cost. The rest of the dashboard is an ordinary Django template.
"""

import functools

import jinja2
from django.conf import settings
from django.utils import timezone
from django.utils.safestring import mark_safe

from ..people import display_name
from ..templatetags.tracker import status_badge


@functools.cache
def environment():
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(settings.BASE_DIR / "templates" / "jinja2"),
        autoescape=True,  # as in Django: every value escaped unless marked safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["badge"] = status_badge  # returns Django's SafeString, which Jinja2 honours
    env.filters["person"] = display_name
    env.filters["localtime"] = timezone.localtime
    return env


def render(name, **context):
    """One fragment, as safe HTML for the Django template to place."""
    html = environment().get_template(f"dashboard/{name}.html").render(**context)
    return mark_safe(html)  # noqa: S308 - rendered with autoescape on


@functools.lru_cache(maxsize=4096)
def _row(name, row):
    return environment().get_template(f"dashboard/{name}.html").render(row=row)


def render_rows(name, rows):
    """Rows drawn one by one by `name`, each remembered by its content (a hashable tuple).

    A write changes a row or two of a breakdown and the trend's latest week; the other rows
    are the same text as before and are not drawn again (at most 4,096 rows are kept, a few
    megabytes per process)."""
    return mark_safe("".join(_row(name, row) for row in rows))  # noqa: S308 - autoescaped
