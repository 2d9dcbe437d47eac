"""Long repeated fragments (rows, cards, timeline entries), drawn by Jinja2 templates
compiled once.

Through Django's template language a row of a list, a card of the review queue or an entry
of a commitment's history cost 0.5-1 ms each (a dozen variable lookups, an include per piece
of evidence): more than the page's queries (figures in bench/README.md). Jinja2 compiles a
template to Python once, so the markup stays in templates (`templates/jinja2/<page>/`) at a
fraction of the cost. The rest of each page is an ordinary Django template; what a user may
do is decided by the view (`tracker/access.py`) and passed in, never guessed here.
"""

import datetime
import functools
import html
from typing import NamedTuple
from urllib.parse import quote

import jinja2
from django.conf import settings
from django.template import defaultfilters
from django.urls import reverse
from django.utils import dates, timezone, translation
from django.utils.safestring import SafeData, SafeString, mark_safe

from .models.commitments import commitment_url
from .people import display_name
from .templatetags import tracker as tags


@functools.cache
def month_abbreviation(language, month):
    return str(dates.MONTHS_3[month]).title()  # as Django's "M"; `language` keys the cache


def _day_month_year(value, language):
    return f"{value.day} {month_abbreviation(language, value.month)} {value.year:04d}"


# The formats the fragments use, written out: through django.utils.dateformat a date took
# about 0.1 ms, the largest part of a row (bench/README.md, "The row pages, third round").
FORMATS = {
    "c": lambda value, language: value.isoformat(),
    "Y-m-d": lambda value, language: f"{value.year:04d}-{value.month:02d}-{value.day:02d}",
    "j M Y": _day_month_year,
    "j M Y, H:i": lambda value, language: (
        f"{_day_month_year(value, language)}, {value.hour:02d}:{value.minute:02d}"
    ),
}


class Locale(NamedTuple):
    """Where and when a fragment is drawn: the active time zone and language, and today there.

    Looked up once per fragment and given to it as `locale`: looked up for every date (as
    Django's filters do, through asgiref's Local) they were about a sixth of a list row's
    time (bench/README.md, "The eleventh round")."""

    zone: datetime.tzinfo
    language: str
    today: datetime.date

    @classmethod
    def current(cls):
        zone = timezone.get_current_timezone()
        return cls(zone, translation.get_language(), timezone.localdate(timezone=zone))


@jinja2.pass_context
def date(context, value, format_string):
    """Django's `date` filter, in the fragment's time zone as in a Django template."""
    if value in (None, ""):
        return ""
    locale = context["locale"]
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = value.astimezone(locale.zone)
    fast = FORMATS.get(format_string)
    return fast(value, locale.language) if fast else defaultfilters.date(value, format_string)


@jinja2.pass_context
def days_since(context, value):
    locale = context["locale"]
    return tags.days_since(value, zone=locale.zone, today=locale.today)


def linebreaksbr(value):
    """Django's `linebreaksbr` filter as in an autoescaped template, the same output
    (tests/test_fragments.py) without Django's lazy-text wrappers: a commitment page calls it
    about thirty times (bench/README.md, "The commitment page (sixth round)")."""
    text = str(value)
    if not isinstance(value, SafeData):
        text = html.escape(text)  # as django.utils.html.escape
    return SafeString(text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>"))


class Environment(jinja2.Environment):
    """Jinja2 with Django's order of lookups: `row.title` on a dict is its key, tried first.

    The fragments' rows are dicts (`values()`); Jinja2 tries an attribute before a key, so
    every lookup on a row raised and caught an AttributeError first: about a fifth of a
    list row's time (bench/README.md, "The eleventh round")."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


@functools.cache
def environment():
    env = Environment(
        loader=jinja2.FileSystemLoader(settings.BASE_DIR / "templates" / "jinja2"),
        autoescape=True,  # as in Django: every value escaped unless marked safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # These return Django's SafeString, which Jinja2 honours (it has __html__).
    env.globals["badge"] = tags.status_badge
    env.globals["progress_bar"] = tags.progress_bar
    env.globals["commitment_url"] = commitment_url
    env.filters["person"] = display_name
    env.filters["date"] = date
    env.filters["days_since"] = days_since
    env.filters["linebreaksbr"] = linebreaksbr
    return env


def render(name, **context):
    """One fragment (`name`: its template under templates/jinja2/, without ".html"), as safe
    HTML for the Django template to place."""
    html = environment().get_template(f"{name}.html").render(locale=Locale.current(), **context)
    return mark_safe(html)  # noqa: S308 - rendered with autoescape on


@functools.lru_cache(maxsize=4096)
def _row(name, row, locale):
    return environment().get_template(f"{name}.html").render(row=row, locale=locale)


def render_rows(name, rows):
    """Rows drawn one by one by `name`, each remembered by its content (a hashable tuple).

    A write changes a row or two of a breakdown and the trend's latest week; the other rows
    are the same text as before and are not drawn again (at most 4,096 rows are kept, a few
    megabytes per process)."""
    locale = Locale.current()
    return mark_safe("".join(_row(name, row, locale) for row in rows))  # noqa: S308 - autoescaped


class PathTo:
    """A URL with one argument, reversed once per request and formatted per row:
    `PathTo("review-accept")(update.pk)` is reverse("review-accept", args=[update.pk]).
    (A commitment's address is `commitment_url`, remembered by the model.)"""

    MARKER = "9876543210"  # matches both an int and a str converter

    def __init__(self, url_name):
        self.before, self.after = reverse(url_name, args=[self.MARKER]).split(self.MARKER)

    def __call__(self, value):
        # As reverse() quotes a path argument.
        return f"{self.before}{quote(str(value), safe="!$&'()*+,;=/~:@")}{self.after}"
