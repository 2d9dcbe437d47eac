"""The manager dashboard: headline, needs attention, what changed, breakdowns, filters.

Every number is checked against a small fixed history, computed by hand (see `world`).
The as-of view and the trend are in test_dashboard_history.py.
"""

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.utils import timezone
from pytest_django.asserts import assertContains

from tests import factories
from tests.dashboard_world import TODAY, at, counts
from tracker import fields
from tracker.dashboard import history, overview, queries
from tracker.models import AuditEvent, Commitment, Status

pytestmark = pytest.mark.django_db


def dashboard(**kwargs):
    options = {"day": TODAY, "today": TODAY, "since": dt.date(2026, 2, 24), "until": TODAY}
    return overview.dashboard(**{**options, **kwargs})


# The aggregates


def test_headline_counts_every_commitment_by_status(world):
    tally = queries.snapshot(day=TODAY, today=TODAY).tally
    assert counts(tally) == {
        Status.AT_RISK: 1,
        Status.FULFILLED: 1,
        Status.STALLED: 1,
        Status.NOT_ASSESSED: 2,  # C4 never assessed, C5's update still pending
    }
    assert tally.total == 5
    assert tally.fulfilled_share == 20
    assert tally.attention == 2
    assert tally.overdue == 2  # C3 and C4; C2 is due tomorrow


def test_breakdowns_by_area_party_and_owner(world):
    snap = queries.snapshot(day=TODAY, today=TODAY)
    assert counts(snap.by_area[world.narcotics.pk]) == {Status.AT_RISK: 1, Status.FULFILLED: 1}
    assert counts(snap.by_area[world.military.pk]) == {Status.STALLED: 1, Status.NOT_ASSESSED: 2}
    assert snap.by_area[world.military.pk].overdue == 2
    assert counts(snap.by_party[world.us.pk]) == {
        Status.AT_RISK: 1,
        Status.FULFILLED: 1,
        Status.NOT_ASSESSED: 1,
    }
    assert counts(snap.by_party[world.china.pk]) == {Status.AT_RISK: 1, Status.STALLED: 1}
    assert counts(snap.by_owner[world.alice.pk]) == {Status.AT_RISK: 1, Status.FULFILLED: 1}
    assert counts(snap.by_owner[world.oscar.pk]) == {Status.STALLED: 1, Status.NOT_ASSESSED: 1}
    assert counts(snap.by_owner[None]) == {Status.NOT_ASSESSED: 1}


def test_needs_attention_lists_the_worst_first(world):
    d = dashboard()
    assert [(c.reference, s, since) for c, s, since, _ in d.at_risk] == [
        ("C3", Status.STALLED, dt.date(2026, 1, 21)),  # stalled before at risk
        ("C1", Status.AT_RISK, dt.date(2026, 2, 26)),
    ]
    assert [(c.reference, due) for c, due in d.overdue] == [
        ("C4", dt.date(2026, 2, 4)),  # longest overdue first
        ("C3", dt.date(2026, 2, 19)),
    ]
    assert [(c.reference, b, a) for c, b, a in d.worsened] == [
        ("C1", Status.IN_PROGRESS, Status.AT_RISK)
    ]
    assert d.worsened_count == 1


def test_needs_attention_names_at_most_the_limit_stalled_first(world):
    snap = queries.snapshot(day=TODAY, today=TODAY, limit=1)
    assert [(pk, status) for pk, status, _ in snap.at_risk] == [(world.c3.pk, Status.STALLED)]
    assert [pk for pk, _ in snap.overdue] == [world.c4.pk]


def test_got_worse_compares_the_day_before_the_period_with_its_end(world):
    # 12 Jan–2 Feb: C1 went from not assessed to in progress (not comparable), C3 to
    # stalled (same), C2 to fulfilled: nothing got worse. Over 1–28 Feb C1 fell.
    assert history.worsened(since=dt.date(2026, 1, 12), until=dt.date(2026, 2, 2)) == []
    assert history.worsened(since=dt.date(2026, 2, 1), until=dt.date(2026, 2, 28)) == [
        (world.c1.pk, Status.IN_PROGRESS, Status.AT_RISK)
    ]


def test_what_changed_groups_accepted_updates_by_commitment(world):
    changes = history.status_changes(since=dt.date(2026, 1, 1), until=TODAY)
    assert (changes.updates, changes.commitments) == (4, 3)  # C5's pending update not counted
    groups = [
        (c.reference, [(u.previous_status, u.status) for u in us]) for c, us in changes.groups
    ]
    assert groups == [
        ("C1", [(Status.IN_PROGRESS, Status.AT_RISK), (Status.NOT_ASSESSED, Status.IN_PROGRESS)]),
        ("C2", [(Status.NOT_ASSESSED, Status.FULFILLED)]),
        ("C3", [(Status.NOT_ASSESSED, Status.STALLED)]),
    ]
    week = history.status_changes(since=dt.date(2026, 2, 24), until=TODAY)
    assert (week.updates, week.commitments) == (1, 1)
    yesterday = history.status_changes(since=dt.date(2026, 3, 1), until=dt.date(2026, 3, 1))
    assert yesterday.updates == 0


def test_what_changed_shows_the_latest_updates_with_a_way_to_the_rest(client, world):
    # The week's one accepted update (C1's of 26 Feb) and as many more as the list shows.
    for _ in range(history.CHANGES_SHOWN):
        factories.record(world.c2, status=Status.FULFILLED, accept_by=world.manager)
    response = get(client, world.manager)
    changes = response.context["d"].changes
    assert changes.updates == history.CHANGES_SHOWN + 1  # and C1's of 26 Feb
    assert changes.shown == history.CHANGES_SHOWN
    page = " ".join(response.content.decode().split())
    assert f"<strong>{history.CHANGES_SHOWN + 1}</strong> accepted updates" in page
    assert f"Showing the latest {history.CHANGES_SHOWN}." in page
    assert "Download the full history" in page


def test_filters_narrow_every_aggregate(world):
    by_area = queries.Scope(area=world.military.pk)
    assert queries.snapshot(day=TODAY, today=TODAY, scope=by_area).tally.total == 3
    by_party = queries.Scope(party=world.china.pk)
    assert counts(queries.snapshot(day=TODAY, today=TODAY, scope=by_party).tally) == {
        Status.AT_RISK: 1,
        Status.STALLED: 1,
    }
    by_owner = queries.Scope(owner=world.alice.pk)
    d = dashboard(scope=by_owner)
    assert d.snapshot.tally.total == 2
    assert d.worsened_count == 1
    assert d.changes.updates == 1
    assert d.overdue == []
    both = queries.Scope(area=world.military.pk, owner=world.alice.pk)
    assert queries.snapshot(day=TODAY, today=TODAY, scope=both).tally.total == 0


# The page


def get(client, user, query="", **headers):
    if user:
        client.force_login(user)
    return client.get(f"/{query}", **headers)


def test_anonymous_users_are_sent_to_sign_in(client, world):
    response = get(client, None)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_users_without_a_role_are_refused(client, world, outsider):
    assert get(client, outsider).status_code == 403
    assert AuditEvent.objects.filter(action="permission_denied", user=outsider).exists()


@pytest.mark.parametrize("role", ["manager", "analyst", "admin_user"])
def test_managers_analysts_and_admins_see_the_dashboard(client, world, role, request):
    response = get(client, request.getfixturevalue(role))
    assert response.status_code == 200
    assert b"<html" in response.content


def test_it_only_answers_get(client, world):
    client.force_login(world.manager)
    assert client.post("/").status_code == 405


def test_the_page_shows_the_headline_and_the_lists(client, world):
    response = get(client, world.manager)
    page = response.content.decode()
    d = response.context["d"]
    assert d.snapshot.tally.total == 5
    assert "Monday 2 March 2026" in page
    assert '<span class="kpi-value">5</span>' in page
    assert "20<small>%</small>" in page
    assert "Curb precursors" in page and "Hotline" in page and "Annual talks" in page
    assert "1</strong> accepted update on <strong>1</strong> commitment" in page
    # The distribution bar and the trend carry text alternatives.
    assert (
        '<title id="dist-title">Status distribution: 1 fulfilled (20 %), 1 at risk (20 %)' in page
    )
    assert '<desc id="trend-svg-desc">' in page
    assert "The numbers behind the chart" in page


def test_an_htmx_request_gets_the_dashboard_region_only_and_a_clean_url(client, world):
    query = f"?area={world.military.pk}&party=&owner=&as_of="
    response = get(client, world.manager, query, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page and 'class="site-header"' not in page
    assert page.lstrip().startswith('<div id="dashboard"')
    assert response["HX-Push-Url"] == f"/?area={world.military.pk}"
    assert response.context["d"].snapshot.tally.total == 3


def test_filters_are_kept_in_a_shareable_url(client, world):
    query = f"?area={world.narcotics.pk}&party={world.us.pk}&owner={world.alice.pk}"
    response = get(client, world.manager, query)
    d = response.context["d"]
    assert d.scope == queries.Scope(
        area=world.narcotics.pk, party=world.us.pk, owner=world.alice.pk
    )
    assert d.snapshot.tally.total == 2
    assert "Counternarcotics · U.S. · Alice Analyst" in response.content.decode()
    assert response.context["options"].url() == f"/{query}"


def test_the_attention_lists_name_each_commitment_its_date_and_owner(client, world):
    page = " ".join(get(client, world.manager).content.decode().split())
    lists = page.split('class="attention-list"')[1:]
    at_risk, overdue, worse = (re.sub(r"<[^>]+>", "", part) for part in lists)
    # Stalled before at risk; "since" the day the status began; the owner after it.
    assert at_risk.index("C3 Hotline") < at_risk.index("C1 Curb precursors")
    assert "C3 Hotline since 21 Jan 2026 · Oscar Other" in at_risk
    assert "C1 Curb precursors since 26 Feb 2026 · Alice Analyst" in at_risk
    # Longest overdue first; nobody owns C4.
    assert overdue.index("C4") < overdue.index("C3")
    assert "C4 Annual talks due 4 Feb 2026C3" in overdue
    assert "C3 Hotline due 19 Feb 2026 · Oscar Other" in overdue
    # What it was and what it is now.
    assert "In progress → At risk C1 Curb precursors" in worse
    assert 'href="/commitments/C1/"' in lists[2]


def test_the_filters_show_what_is_chosen_and_every_option_there_is(client, world):
    """The selects are remembered by their options and choice (fields.RememberedSelect): a
    new choice, or a new area, shows at once."""

    def area_select(query=""):
        page = get(client, world.manager, query).content.decode()
        return re.search(r'<select name="area".*?</select>', page, re.S).group(0)

    assert 'value="" selected' in area_select()
    chosen = area_select(f"?area={world.military.pk}")
    assert f'value="{world.military.pk}" selected' in chosen
    assert 'value="" selected' not in chosen
    assert 'value="" selected' in area_select()  # and back
    trade = factories.make_area("Trade")
    assert f'<option value="{trade.pk}">Trade</option>' in area_select()
    # A value that is none of the options is drawn but not remembered (nothing a query
    # string sends stays in memory).
    remembered = fields._select_html.cache_info().currsize
    refused = area_select("?area=" + "9" * 3000)
    assert 'aria-invalid="true"' in refused and "selected" not in refused
    assert fields._select_html.cache_info().currsize == remembered


def test_counts_link_to_the_commitments_list_filtered_alike(client, world):
    response = get(client, world.manager, f"?party={world.us.pk}")
    links = response.context["links"]
    assert parse_qs(urlsplit(links["overdue"]).query) == {
        "party": [str(world.us.pk)],
        "overdue": ["1"],
    }
    area_row = response.context["breakdowns"][0][2][0]
    assert area_row.label == "Counternarcotics"
    cells = {status: url for status, n, url in area_row.cells}
    assert parse_qs(urlsplit(cells[Status.AT_RISK]).query) == {
        "party": [str(world.us.pk)],
        "area": [world.narcotics.slug],
        "status": ["at_risk"],
    }
    assert cells[Status.BROKEN] is None  # nothing to list
    owners = {row.label: row for row in response.context["breakdowns"][2][2]}
    assert parse_qs(urlsplit(owners["Alice Analyst"].url).query)["owner"] == ["alice"]
    assert owners["Nobody"].url is None  # the list cannot filter on "nobody"
    assert 'href="/commitments/?party=' in response.content.decode()


@pytest.mark.parametrize(
    "query, message",
    [
        ("?as_of=2026-13-45", "The as-of date is not a date"),
        ("?as_of=yesterday", "The as-of date is not a date"),
        ("?as_of=2026-03-03", "03 Mar 2026 is in the future"),
        ("?as_of=0001-01-01", "The tracker starts in 1900"),
        ("?since=0001-01-01&until=0001-01-02", "The tracker starts in 1900"),
        ("?area=999999", "There is no such area"),
        ("?area=abc", "There is no such area"),
        ("?party=-1", "There is no such party"),
        ("?owner=1e9", "There is no such owner"),
        ("?since=2026-03-01&until=2026-02-01", "The period starts after it ends"),
        ("?until=2026-04-01", "The period cannot end after 02 Mar 2026"),
        ("?since=2026-02-30", "The start of the period is not a date"),
        ("?months=7", "Unknown trend window"),
        ("?period=fortnight", "Unknown period"),
    ],
)
def test_bad_input_is_reported_and_the_rest_still_shows(client, world, query, message):
    response = get(client, world.manager, query)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["d"].snapshot.tally.total == 5
    assert response.context["d"].day == TODAY


def test_a_reversed_range_falls_back_to_the_last_seven_days(client, world):
    response = get(client, world.manager, "?since=2026-03-01&until=2026-02-01")
    changes = response.context["d"].changes
    assert (changes.since, changes.until) == (dt.date(2026, 2, 24), TODAY)


@pytest.mark.parametrize(
    "query, since, until",
    [
        ("", dt.date(2026, 2, 24), TODAY),
        ("?period=yesterday", dt.date(2026, 3, 1), dt.date(2026, 3, 1)),
        ("?period=30d", dt.date(2026, 2, 1), TODAY),
        ("?since=2026-01-01&until=2026-01-31", dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
        ("?since=2026-02-20", dt.date(2026, 2, 20), TODAY),
        ("?as_of=2026-02-15", dt.date(2026, 2, 9), dt.date(2026, 2, 15)),
        # A range may not end after the as-of date: reported, then the default period.
        ("?as_of=2026-02-15&until=2026-03-01", dt.date(2026, 2, 9), dt.date(2026, 2, 15)),
    ],
)
def test_what_changed_presets_and_custom_ranges(client, world, query, since, until):
    changes = get(client, world.manager, query).context["d"].changes
    assert (changes.since, changes.until) == (since, until)


def test_the_trend_window_can_be_chosen(client, world):
    assert len(get(client, world.manager).context["d"].trend) == 53  # 52 weeks and today
    assert len(get(client, world.manager, "?months=3").context["d"].trend) == 14


def test_the_trend_starts_at_the_first_week_with_a_commitment(client, world):
    response = get(client, world.manager)
    full, shown = response.context["d"].trend, response.context["trend"]
    assert full[0].total == 0 and shown[0].total > 0
    assert shown == full[len(full) - len(shown) :]
    first_created = dt.date(2026, 1, 5)  # C4, the oldest commitment
    assert shown[0].day - dt.timedelta(days=7) < first_created <= shown[0].day
    assertContains(response, f"weekly, {shown[0].day:%-d %b %Y} – 2 Mar 2026")


def test_the_trend_shows_a_status_accepted_since_the_last_view(client, world):
    """The trend's section is drawn once per content (views.trend_section): a write that
    moves its counts is in the very next view, chart and table."""
    latest_week = re.compile(r'<tr><th scope="row">02 Mar 2026</th>(.*?)</tr>')

    def latest(response):
        page = response.content.decode()
        cells = re.findall(r"<td[^>]*>(\d+)</td>", latest_week.search(page).group(1))
        return [int(n) for n in cells], " ".join(page.split())

    # Best first: fulfilled, partially, in progress, not started, at risk, stalled,
    # broken, not yet assessed; then the total.
    cells, page = latest(get(client, world.manager))
    assert cells == [1, 0, 0, 0, 1, 1, 0, 2, 5]
    assert "On 02 Mar 2026: 1 fulfilled (20 %)" in page
    factories.record(world.c4, author=world.alice, status=Status.FULFILLED, accept_by=world.manager)
    cells, page = latest(get(client, world.manager))
    assert cells == [2, 0, 0, 0, 1, 1, 0, 1, 5]
    assert "On 02 Mar 2026: 2 fulfilled (40 %)" in page


def test_a_fresh_install_says_the_trend_needs_more_history(client, manager, seeded):
    response = get(client, manager)
    assert len(response.context["trend"]) == 1
    assert 'class="trend-chart"' not in response.content.decode()
    assertContains(response, "Not enough history yet", count=1)


def test_exports_and_feed_links_carry_the_filters(client, world):
    page = get(client, world.manager, f"?area={world.military.pk}&months=6").content.decode()
    assert f'href="/export/commitments.csv?area={world.military.pk}"' in page
    assert f'href="/export/history.csv?area={world.military.pk}"' in page
    assert f'href="/feed/updates.atom?area={world.military.pk}"' in page


def test_the_printed_brief_states_the_date_and_the_filters(client, world):
    page = get(client, world.manager, f"?owner={world.oscar.pk}").content.decode()
    assert 'class="print-only print-meta"' in page
    assert "State on 2 March 2026 · Filters: Oscar Other" in " ".join(page.split())


def test_no_inline_styles_or_scripts(client, world):
    page = get(client, world.manager).content.decode()
    assert "style=" not in page
    assert "<script>" not in page and "onclick" not in page


# Queries: a fixed number, whatever the data


def grow(n, manager, analyst):
    """n more commitments, each with a few accepted updates."""
    area = factories.make_area()
    party = factories.make_party()
    for i in range(n):
        with at("2026-01-06 09:00"):
            c = factories.make_commitment(owner=analyst, area=area, parties=[party])
        for day, status in ((10, Status.IN_PROGRESS), (20, Status.AT_RISK), (40, Status.STALLED)):
            moment = dt.datetime(2026, 1, 6, 10, tzinfo=dt.UTC) + dt.timedelta(days=day + i % 3)
            with time_machine.travel(moment, tick=False):
                factories.record(c, author=analyst, status=status, accept_by=manager)


@pytest.mark.parametrize(
    "query, total", [("", 17), ("?as_of=2026-02-15", 16), ("?period=30d&months=24", 17)]
)
def test_the_dashboard_issues_a_fixed_number_of_queries(
    client, world, query, total, django_assert_num_queries
):
    client.force_login(world.manager)
    client.get("/")  # warm the session
    # 1. the session, 2. the user with their roles,
    # 3. the navigation's review-queue count,
    # 4-6. areas, parties and owners to filter by,
    # 7. the state of every commitment grouped by area, owner and party (one CTE),
    # 8. the commitments whose status got worse, 9. the commitments listed by name,
    # 10. the trend: periods started, periods ended and commitments created per week,
    # 11-12. what changed: the totals and the latest updates.
    with django_assert_num_queries(12):
        assert client.get(f"/{query}").status_code == 200
    grow(12, world.manager, world.alice)
    with django_assert_num_queries(12):
        response = client.get(f"/{query}")
    assert response.context["d"].snapshot.tally.total == total  # C5 came on 20 Feb


def test_commitments_show_up_the_day_they_are_created(world):
    with at("2026-03-02 15:00"):
        factories.make_commitment("C6", area=world.military)
    assert queries.snapshot(day=TODAY, today=TODAY).tally.counts[Status.NOT_ASSESSED] == 3
    assert queries.snapshot(day=dt.date(2026, 3, 1), today=TODAY).tally.total == 5
    assert Commitment.objects.count() == 6


def test_a_count_opens_the_list_of_just_those_commitments(client, world):
    """The links speak the list's language: its filters must give back the same rows."""
    response = get(client, world.manager)
    links, breakdowns = response.context["links"], response.context["breakdowns"]
    areas = {row.label: row for row in breakdowns[0][2]}
    owners = {row.label: row for row in breakdowns[2][2]}
    military = {status: url for status, _, url in areas["Military communications"].cells}
    cases = [
        (links["overdue"], {"C3", "C4"}),
        (links["at_risk"], {"C1"}),
        (military[Status.NOT_ASSESSED], {"C4", "C5"}),
        (areas["Military communications"].overdue_url, {"C3", "C4"}),
        (owners["Alice Analyst"].url, {"C1", "C2"}),
    ]
    for url, expected in cases:
        page = client.get(url).content.decode()
        shown = {ref for ref in ("C1", "C2", "C3", "C4", "C5") if f'id="row-{ref}"' in page}
        assert shown == expected, url


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/St_Johns"])
def test_the_local_date_of_a_creation_is_the_day_where_the_user_is(db, zone):
    # 23:30 UTC is already the next day in Auckland and still the same day in St John's.
    created = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    c = factories.make_commitment(created_at=created)
    with timezone.override(zone):
        day = Commitment.objects.filter(pk=c.pk).values_list(
            queries.LocalDate("created_at"), flat=True
        )
        assert day.get() == timezone.localdate(created)


def test_what_changed_names_each_update_its_author_and_who_accepted_it(client, world):
    def changes(query="?period=30d"):
        page = " ".join(get(client, world.manager, query).content.decode().split())
        part = page.split('class="changes-summary"')[1].split("</section>")[0]
        return re.sub(r"<[^>]+>", "", part)

    listed = changes()
    assert "C1 Curb precursors" in listed
    assert "as of 25 Feb · by Alice Analyst · accepted by Maria Manager 26 Feb, 09:00" in listed
    assert "as of 1 Feb · by Alice Analyst · accepted by Maria Manager 2 Feb, 09:00" in listed
    # The groups are remembered as drawn, by what they show: a new name shows at once.
    world.alice.first_name = "Alicia"
    world.alice.save()
    assert "by Alicia Analyst · accepted by Maria Manager 26 Feb" in changes()
