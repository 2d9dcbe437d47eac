"""The Jinja2 fragments' filters give what Django's give."""

import datetime as dt

import pytest
import time_machine
from django.template import defaultfilters
from django.utils import timezone
from django.utils.safestring import mark_safe

from tracker import fragments
from tracker.fragments import Locale
from tracker.templatetags.tracker import days_since

AWKWARD = [
    "",
    "plain",
    "one\ntwo",
    "windows\r\nline\r\nends",
    "old mac\rline\rends",
    "mixed\r\n\r\n\n\rend\n",
    "<script>alert('x')</script>",
    "a & b < c > d \"quoted\" 'single'",
    "&amp; already escaped",
    "tabs\tand  spaces \u00a0 and é",
    None,
    42,
]


@pytest.mark.parametrize("value", AWKWARD)
def test_linebreaksbr_is_djangos(value):
    assert fragments.linebreaksbr(value) == defaultfilters.linebreaksbr(value, autoescape=True)


def test_linebreaksbr_leaves_safe_text_unescaped_as_django_does():
    value = mark_safe("<b>bold</b>\r\nnext")
    assert fragments.linebreaksbr(value) == "<b>bold</b><br>next"
    assert fragments.linebreaksbr(value) == defaultfilters.linebreaksbr(value, autoescape=True)


def test_a_quote_with_line_breaks_and_markup_shows_escaped_in_the_fragment():
    html = (
        fragments.environment()
        .from_string("{{ text|linebreaksbr }}")
        .render(text="<i>one</i>\r\ntwo & three")
    )
    assert html == "&lt;i&gt;one&lt;/i&gt;<br>two &amp; three"


def draw(source, **context):
    return fragments.environment().from_string(source).render(**context)


# 23:30 on 31 December in UTC: already 1 January in Auckland, still 31 December in New York.
NEW_YEAR = dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/New_York"])
@pytest.mark.parametrize("format_string", [*fragments.FORMATS, "D j F"])
def test_dates_in_a_fragment_are_djangos_in_the_active_time_zone(zone, format_string):
    with timezone.override(zone):
        expected = defaultfilters.date(timezone.template_localtime(NEW_YEAR), format_string)
        drawn = draw("{{ when|date(f) }}", when=NEW_YEAR, f=format_string, locale=Locale.current())
    assert drawn == expected


def test_a_plain_date_is_not_moved_by_the_time_zone():
    with timezone.override("Pacific/Auckland"):
        drawn = draw("{{ day|date('j M Y') }}", day=dt.date(2025, 12, 31), locale=Locale.current())
    assert drawn == "31 Dec 2025"


def test_days_since_in_a_fragment_counts_in_the_active_time_zone():
    now = NEW_YEAR + dt.timedelta(hours=1)  # 00:30 UTC on 1 January
    with time_machine.travel(now, tick=False):
        with timezone.override("UTC"):
            in_utc = draw("{{ when|days_since }}", when=NEW_YEAR, locale=Locale.current())
            assert in_utc == days_since(NEW_YEAR) == "1 day ago"
        with timezone.override("America/New_York"):
            in_new_york = draw("{{ when|days_since }}", when=NEW_YEAR, locale=Locale.current())
            assert in_new_york == days_since(NEW_YEAR) == "today"


def test_a_rows_key_comes_before_a_dicts_own_attribute_as_in_django_templates():
    row = {"items": "three items", "title": "A title"}
    assert draw("{{ row.items }} · {{ row.title }}", row=row) == "three items · A title"
