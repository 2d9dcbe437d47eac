"""A commitment's page: what was promised, its status, sub-commitments, indicators, timeline."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import get_script_prefix, set_script_prefix

from tests import factories
from tests.factories import HTMX
from tracker import services
from tracker.models import CommitmentParty, Event, Measurement, Status

pytestmark = pytest.mark.django_db


def page_of(client, commitment, **params):
    response = client.get(commitment.get_absolute_url(), params)
    assert response.status_code == 200
    return response.content.decode()


def timeline_ids(page):
    return [int(pk) for pk in re.findall(r'<li id="update-(\d+)"', page)]


# Permissions and methods


def test_anonymous_is_sent_to_login(client, commitment):
    response = client.get(commitment.get_absolute_url())
    assert response["Location"] == "/accounts/login/?next=/commitments/USCN-TEST/"


def test_anonymous_htmx_gets_an_hx_redirect(client, commitment):
    response = client.get(commitment.get_absolute_url(), **HTMX)
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_users_without_a_role_get_403(client, outsider, commitment):
    client.force_login(outsider)
    assert client.get(commitment.get_absolute_url()).status_code == 403


def test_it_only_answers_get(signed_in, commitment):
    assert signed_in.post(commitment.get_absolute_url()).status_code == 405


def test_an_unknown_reference_is_404(signed_in):
    assert signed_in.get("/commitments/NOPE/").status_code == 404


def test_htmx_gets_the_page_content_without_the_frame(signed_in, commitment):
    response = signed_in.get(commitment.get_absolute_url(), **HTMX)
    page = response.content.decode()
    assert "<html" not in page and 'class="site-header"' not in page
    assert "Curb precursor shipments</h1>" in page


# What the page says


def test_it_shows_what_was_promised_by_whom_and_where(signed_in, analyst, other_analyst):
    china = factories.make_party("China")
    usa = factories.make_party("United States")
    event = Event.objects.create(
        name="APEC summit", date=dt.date(2023, 11, 15), place="Woodside, California"
    )
    commitment = factories.make_commitment(
        "USCN-FENT",
        owner=analyst,
        title="Curb fentanyl precursors",
        description="China acts against\nprecursor shipments.",
        event=event,
        target_date=dt.date(2025, 6, 30),
    )
    CommitmentParty.objects.create(commitment=commitment, party=china, must_deliver=True)
    CommitmentParty.objects.create(commitment=commitment, party=usa, must_deliver=False)
    commitment.assignees.add(other_analyst)
    page = page_of(signed_in, commitment)
    assert "USCN-FENT" in page and "Curb fentanyl precursors</h1>" in page
    assert "China acts against<br>precursor shipments." in page
    assert '<dt>Must deliver</dt><dd><span class="block">China</span>' in page
    assert '<dt>Also bound</dt><dd><span class="block">United States</span>' in page
    assert "APEC summit, 15 Nov 2023" in page and "Woodside, California" in page
    assert "<dt>Owner</dt><dd>Alice Analyst</dd>" in page
    assert "<dt>Also assigned</dt><dd>Oscar Other</dd>" in page
    assert "<dt>Target date</dt><dd>30 Jun 2025</dd>" in page
    next_review = f"{commitment.next_review_due:%-d %b %Y}"
    assert f"<dt>Next review</dt><dd>{next_review}" in page


def test_the_status_header_shows_the_official_status(signed_in, commitment, manager):
    factories.record(commitment, status=Status.AT_RISK, progress=45, confidence="high")
    header = section(page_of(signed_in, commitment), "commitment-status")
    assert 'class="badge status-at-risk badge-large"' in header and ">At risk</span>" in header
    assert "evidence suggests it may not be delivered" in header  # the definition
    assert "progress-fill w-45" in header and "45 %" in header
    assert "<dt>Confidence</dt><dd>High</dd>" in header
    assert "pending review" not in header


def test_an_overdue_review_is_marked_in_words(signed_in, commitment):
    commitment.review_cadence_days = 1
    commitment.created_at -= dt.timedelta(days=10)
    commitment.save()
    header = section(page_of(signed_in, commitment), "commitment-status")
    assert '<span class="overdue-tag">Overdue</span>' in header


def test_pending_updates_are_counted_in_the_header(signed_in, commitment, analyst):
    factories.record(commitment, author=analyst, status=Status.STALLED)
    factories.record(commitment, author=analyst, status=Status.BROKEN)
    header = section(page_of(signed_in, commitment), "commitment-status")
    assert "2 updates pending review" in header
    assert ">Not yet assessed</span>" in header


def section(page, element_id):
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</section>", start)]


# Sub-commitments and indicators


def test_sub_commitments_show_their_status_and_a_roll_up(signed_in, commitment):
    a = factories.make_commitment("USCN-TEST-A", parent=commitment, title="Part A")
    b = factories.make_commitment("USCN-TEST-B", parent=commitment, title="Part B")
    c = factories.make_commitment("USCN-TEST-C", parent=commitment, title="Part C")
    factories.record(a, status=Status.FULFILLED, progress=100)
    factories.record(b, status=Status.FULFILLED, progress=50)
    factories.record(c, status=Status.STALLED)
    page = page_of(signed_in, commitment)
    children = page[page.index('id="children-heading"') :]
    children = children[: children.index("</section>")]
    assert 'href="/commitments/USCN-TEST-A/"' in children and "Part C" in children
    assert re.search(r">Fulfilled</span> × 2", children)
    assert re.search(r">Stalled</span> × 1", children)
    assert "Average progress" in children and "(2 of 3 estimated)" in children
    assert "progress-fill w-75" in children  # (100 + 50) / 2


def test_indicators_show_latest_value_against_target_and_a_chart(signed_in, commitment):
    indicator = factories.make_indicator(
        commitment, "Countries in the coalition", unit="countries", target=Decimal("160")
    )
    source = factories.make_source()
    for day, value in [(3, 120), (20, 100), (1, 141)]:
        Measurement.objects.create(
            indicator=indicator,
            value=Decimal(value),
            measured_on=factories.days_ago(day),
            source=source,
            qualifier="more_than" if value == 141 else "",
        )
    page = page_of(signed_in, commitment)
    block = page[page.index(f'id="indicator-{indicator.pk}"') :]
    assert "<strong>more than 141</strong> countries" in block
    assert "<dt>Target</dt><dd>160 countries</dd>" in block
    svg = block[block.index("<svg") : block.index("</svg>")]
    assert 'role="img"' in svg and "3 measurements, latest more than 141, target 160" in svg
    assert svg.count("<circle") == 3 and "<polyline" in svg and 'class="chart-target"' in svg
    assert "style=" not in svg  # the CSP forbids inline styles
    # Oldest first on the chart: 100, 120, then 141.
    titles = re.findall(r"<title>([^<]+)</title>", svg)
    assert [t.split(" on ")[0] for t in titles] == ["100", "120", "more than 141"]


def test_the_page_has_no_inline_style_or_script(signed_in, commitment):
    indicator = factories.make_indicator(commitment)
    Measurement.objects.create(
        indicator=indicator, value=Decimal(1), source=factories.make_source()
    )
    factories.record(commitment, status=Status.IN_PROGRESS, progress=60)
    page = page_of(signed_in, commitment)
    assert " style=" not in page
    assert re.findall(r"<script(?![^>]*nonce=)", page) == []


# The timeline


def test_the_timeline_is_newest_first_with_from_and_to(signed_in, commitment, manager):
    first = factories.record(commitment, status=Status.IN_PROGRESS, as_of=factories.days_ago(9))
    second = factories.record(commitment, status=Status.AT_RISK, as_of=factories.days_ago(2))
    page = page_of(signed_in, commitment)
    assert timeline_ids(page) == [second.pk, first.pk]
    item = timeline_item(page, second)
    transition = item[item.index('class="transition"') : item.index("</p>")]
    assert re.search(
        r">In progress</span> <span[^>]*>→</span> <span[^>]*>At risk</span>", transition
    )


def timeline_item(page, update):
    """The HTML of one update in the timeline, up to the next one."""
    start = page.index(f'<li id="update-{update.pk}"')
    following = page.find('<li id="update-', start + 1)
    return page[start : following if following != -1 else page.index("</ol>", start)]


def test_a_timeline_item_shows_everything_about_the_update(signed_in, commitment, analyst):
    source = factories.make_source(
        "Press briefing", url="https://example.org/briefing", publisher="White House"
    )
    update = factories.record(
        commitment,
        author=analyst,
        status=Status.AT_RISK,
        progress=20,
        confidence="low",
        as_of=dt.date(2024, 3, 5),
        assessment="Shipments *continue*.\n\n<script>alert(1)</script>",
        quote="We have more to do.",
        source=source,
    )
    update.evidence.update(speaker="The spokesperson", locator="00:14:10")
    item = timeline_item(page_of(signed_in, commitment), update)
    assert '<dt>As of</dt><dd><time datetime="2024-03-05">5 Mar 2024</time>' in item
    assert "<dt>Progress</dt><dd>20 %</dd>" in item
    assert "<dt>Confidence</dt><dd>Low</dd>" in item
    assert "<dt>By</dt><dd>Alice Analyst</dd>" in item
    assert "Shipments <em>continue</em>." in item
    assert "<script>" not in item
    assert "We have more to do." in item
    assert '<span class="speaker">The spokesperson</span>' in item
    assert (
        '<a href="https://example.org/briefing" rel="noopener noreferrer">Press briefing</a>'
        in item
    )
    assert '<span class="locator">00:14:10</span>' in item
    assert "Pending review" in item and "waiting for a manager" in item


def test_imported_updates_say_so(signed_in, commitment):
    update = factories.record(commitment, quote="From the statement.")
    item = timeline_item(page_of(signed_in, commitment), update)
    assert "Imported seed data" in item
    assert "<cite>" in item  # a source without a URL is cited, not linked


def test_review_decisions_show_who_when_and_why(signed_in, commitment, analyst, manager):
    accepted = factories.record(commitment, author=analyst, as_of=factories.days_ago(3))
    services.accept_update(update=accepted, manager=manager, comment="Well sourced.")
    returned = factories.record(commitment, author=analyst, status=Status.BROKEN)
    services.return_update(update=returned, manager=manager, comment="Which *law*?")
    page = page_of(signed_in, commitment)
    item = timeline_item(page, accepted)
    assert "Accepted</span>" in item and "Accepted by Maria Manager on" in item
    assert "Well sourced." in item
    item = timeline_item(page, returned)
    assert "Returned</span>" in item and "Returned by Maria Manager on" in item
    assert "Which *law*?" in item
    # The author may revise it from here.
    assert f"?revises={returned.pk}#record-update" in item


def test_a_revision_links_to_the_update_it_revises(signed_in, commitment, analyst, manager):
    first = factories.record(commitment, author=analyst, as_of=dt.date(2024, 1, 2))
    services.return_update(update=first, manager=manager, comment="More.")
    revision = factories.record(commitment, author=analyst, revises=first)
    item = timeline_item(page_of(signed_in, commitment), revision)
    assert f'Revises <a href="#update-{first.pk}">the update as of 2 Jan 2024</a>' in item


def test_without_review_an_update_says_it_was_accepted_on_recording(
    settings, signed_in, commitment, analyst
):
    settings.TRACKER_REVIEW_REQUIRED = False
    update = factories.record(commitment, author=analyst)
    item = timeline_item(page_of(signed_in, commitment), update)
    assert "Accepted on recording" in item and "no review step" in item


# Who sees the form


def test_the_owner_sees_the_update_form_and_the_edit_link(signed_in, commitment):
    page = page_of(signed_in, commitment)
    assert 'id="record-update"' in page
    assert 'action="/commitments/USCN-TEST/updates/"' in page
    assert 'href="/commitments/USCN-TEST/edit/"' in page


def test_an_analyst_not_involved_reads_but_cannot_record_or_edit(client, other_analyst, commitment):
    client.force_login(other_analyst)
    page = page_of(client, commitment)
    assert 'id="record-update"' not in page
    assert "/edit/" not in page


def test_a_manager_may_edit_but_not_record(client, manager, commitment):
    client.force_login(manager)
    page = page_of(client, commitment)
    assert 'id="record-update"' not in page
    assert 'href="/commitments/USCN-TEST/edit/"' in page


def test_the_form_starts_from_the_current_status_and_today(settings, signed_in, commitment):
    factories.record(commitment, status=Status.AT_RISK, progress=40, confidence="high")
    page = page_of(signed_in, commitment)
    form = section(page, "record-update")
    assert '<option value="at_risk" selected>' in form
    assert 'name="progress" value="40"' in form
    assert '<option value="high" selected>' in form
    today = dt.date.today().isoformat()
    assert f'name="as_of" value="{today}"' in form and f'max="{today}"' in form
    assert '<option value="not_assessed"' not in form


# Query count


def test_the_query_count_does_not_grow_with_the_history(
    signed_in, commitment, analyst, django_assert_num_queries
):
    indicator = factories.make_indicator(commitment)
    factories.make_commitment(parent=commitment)
    for _ in range(2):
        factories.record(commitment, author=analyst, status=Status.IN_PROGRESS)
        Measurement.objects.create(indicator=indicator, value=1, source=factories.make_source())
    # session, user (+ roles); the commitment with area, owner, event and parent and its
    # pending count; its parties; its assignees; the timeline with authors, deciders and
    # revised updates; their evidence with sources; sub-commitments; recent sources for the
    # pickers; indicators; their measurements with sources; the user's follows of the
    # commitment or its area; the navigation's counters ("returned to me", unread
    # notifications) in one; the parties for the evidence forms' "speaking for" (what each
    # side says: one more when the commitment binds parties).
    # (The owner may record without a query; an assignee costs one more.)
    with django_assert_num_queries(14):
        page = page_of(signed_in, commitment)
    assert len(timeline_ids(page)) == 2
    for _ in range(40):
        factories.record(commitment, author=analyst, status=Status.IN_PROGRESS)
        factories.make_commitment(parent=commitment)
        Measurement.objects.create(indicator=indicator, value=2, source=factories.make_source())
    factories.make_indicator(commitment)
    with django_assert_num_queries(14):
        page = page_of(signed_in, commitment)
    assert len(timeline_ids(page)) == 25  # a page of the history


def test_a_long_history_shows_a_page_at_a_time(signed_in, commitment, analyst, settings):
    settings.TRACKER_REVIEW_REQUIRED = False
    updates = [factories.record(commitment, author=analyst) for _ in range(60)]
    newest_first = [u.pk for u in reversed(updates)]
    page = page_of(signed_in, commitment)
    assert timeline_ids(page) == newest_first[:25]
    assert 'href="?history_page=2#status-timeline"' in page
    # With HTMX, "Show older updates" brings only the next items (and the next button).
    response = signed_in.get(commitment.get_absolute_url(), {"history_page": 2}, **HTMX)
    fragment = response.content.decode()
    assert "<html" not in fragment and "status-header" not in fragment
    assert timeline_ids(fragment) == newest_first[25:50]
    assert 'id="timeline-more-3"' in fragment
    last = signed_in.get(commitment.get_absolute_url(), {"history_page": 3}, **HTMX)
    assert timeline_ids(last.content.decode()) == newest_first[50:]
    assert "Show older updates" not in last.content.decode()
    # Without JavaScript, the same link opens the page with that part of the history.
    page = page_of(signed_in, commitment, history_page=2)
    assert timeline_ids(page) == newest_first[25:50]
    assert "Back to the newest" in page


@pytest.mark.parametrize("value", ["abc", "-3", "0", ""])
def test_an_invalid_history_page_shows_the_newest(signed_in, commitment, analyst, value):
    update = factories.record(commitment, author=analyst)
    page = page_of(signed_in, commitment, history_page=value)
    assert timeline_ids(page) == [update.pk]


def test_a_manager_is_pointed_to_the_review_queue_for_pending_updates(
    client, manager, analyst, commitment
):
    update = factories.record(commitment, author=analyst)
    client.force_login(manager)
    item = timeline_item(page_of(client, commitment), update)
    assert '<a href="/review/">Review it in the queue</a>' in item
    client.force_login(analyst)
    assert "Review it in the queue" not in page_of(client, commitment)


def test_its_url_follows_the_reference_and_the_script_prefix(commitment):
    # get_absolute_url remembers each URL: a new reference or prefix must still be honoured.
    assert commitment.get_absolute_url() == f"/commitments/{commitment.reference}/"
    commitment.reference = "RENAMED-1"
    assert commitment.get_absolute_url() == "/commitments/RENAMED-1/"
    before = get_script_prefix()
    set_script_prefix("/tracker/")
    try:
        assert commitment.get_absolute_url() == "/tracker/commitments/RENAMED-1/"
    finally:
        set_script_prefix(before)
