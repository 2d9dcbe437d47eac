"""The Jinja2 fragments' filters give what Django's give."""

import pytest
from django.template import defaultfilters
from django.utils.safestring import mark_safe

from tracker import fragments

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
