"""Assessments are Markdown, rendered once when written by a linear-time parser, and the
sanitised HTML is stored: no page renders user Markdown on a read."""

import importlib
import time

import markdown_it
import pytest
from django.apps import apps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tracker import limits
from tracker.markup import render_markdown
from tracker.models import StatusUpdate

pytestmark = pytest.mark.django_db

# Inputs that took Python-Markdown from seconds to minutes (issue 12), at the field's limit.
# CPU seconds (not wall time, which other processes on a shared machine stretch). Rendered
# alone, the worst of these takes about 0.3 s; Python-Markdown took 9 s to minutes.
BOUND = 3.0
PATHOLOGICAL = ["[", "![", "\\", "a\n", "*", "_a", "<", "[a](", "> ", "- ", "`", "&#"]


def test_the_html_is_rendered_and_stored_when_the_update_is_written(commitment, analyst):
    update = factories.record(commitment, author=analyst, assessment="Shipments **continue**.")
    stored = StatusUpdate.objects.values_list("assessment_html", flat=True).get(pk=update.pk)
    assert stored == "<p>Shipments <strong>continue</strong>.</p>\n"


def test_raw_html_and_unsafe_links_are_never_stored(commitment, analyst):
    update = factories.record(
        commitment,
        author=analyst,
        assessment="<script>x</script> [a](javascript:alert(1)) [b](https://example.org)",
    )
    update.refresh_from_db()
    assert "<script>" not in update.assessment_html
    assert 'href="javascript' not in update.assessment_html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">b</a>' in (
        update.assessment_html
    )


def test_pages_show_the_stored_html_without_rendering_markdown(
    client, commitment, analyst, manager, monkeypatch
):
    factories.record(
        commitment, author=analyst, assessment="Shipments **continue**.", accept_by=manager
    )
    factories.record(commitment, author=analyst, assessment="Shipments **continue**.")
    # What the pages show is the stored HTML, whatever the source text would render to.
    StatusUpdate.objects.update(assessment_html="<p>As <em>stored</em></p>")

    def no_rendering(*args, **kwargs):
        raise AssertionError("Markdown rendered on a read")

    monkeypatch.setattr(markdown_it.MarkdownIt, "render", no_rendering)
    client.force_login(manager)
    for url in (commitment.get_absolute_url(), "/review/"):
        page = client.get(url).content.decode()
        assert "<p>As <em>stored</em></p>" in page
        assert "<strong>continue</strong>" not in page
    feed = client.get("/feed/updates.atom").content.decode()
    assert "&lt;p&gt;As &lt;em&gt;stored&lt;/em&gt;&lt;/p&gt;" in feed


def test_the_migration_renders_the_assessments_written_before_it(commitment, analyst):
    update = factories.record(commitment, author=analyst, assessment="*old*")
    StatusUpdate.objects.filter(pk=update.pk).update(assessment_html="")
    migration = importlib.import_module("tracker.migrations.0009_hardening")
    migration.render_assessments(apps, None)
    update.refresh_from_db()
    assert update.assessment_html == "<p><em>old</em></p>\n"


@pytest.mark.parametrize("unit", PATHOLOGICAL)
def test_pathological_input_at_the_limit_renders_in_bounded_time(unit):
    text = (unit * limits.ASSESSMENT)[: limits.ASSESSMENT]
    started = time.process_time()
    render_markdown(text)
    assert time.process_time() - started < BOUND


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.one_of(
        st.text(max_size=limits.ASSESSMENT),
        st.builds(
            lambda units, n: ("".join(units) * n)[: limits.ASSESSMENT],
            st.lists(st.sampled_from([*PATHOLOGICAL, "]", "(", ")", "\n", " ", "**"]), min_size=1),
            st.integers(min_value=1, max_value=limits.ASSESSMENT),
        ),
    )
)
def test_any_input_up_to_the_limit_renders_in_bounded_time(text):
    started = time.process_time()
    html = render_markdown(text)
    assert time.process_time() - started < BOUND
    assert "<script" not in html
