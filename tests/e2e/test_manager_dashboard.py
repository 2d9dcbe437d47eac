"""The manager's morning in a real browser: the dashboard, its filters, the past, the print.

The seed data plus a year of invented history (commitments created over the months, their
status moving along), so the trend and the lists have something to show.
"""

import datetime as dt
import re
import shutil
import subprocess

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import ARTIFACTS, PASSWORD, assert_accessible
from tracker.models import Area, Party, Status

pytestmark = pytest.mark.e2e


S = Status
HISTORY = [
    # (title, created days ago, [(days ago, status), ...])
    ("Resume counternarcotics working group", 340, [(330, S.IN_PROGRESS), (200, S.FULFILLED)]),
    ("Joint list of controlled precursors", 320, [(300, S.NOT_STARTED), (150, S.IN_PROGRESS),
                                                  (20, S.AT_RISK)]),
    ("Exchange of liaison officers", 300, [(280, S.IN_PROGRESS), (90, S.PARTIALLY_FULFILLED)]),
    ("Annual defence policy talks", 290, [(270, S.IN_PROGRESS), (60, S.STALLED)]),
    ("Maritime safety consultations", 260, [(250, S.IN_PROGRESS), (120, S.FULFILLED)]),
    ("Crisis hotline drills", 240, [(230, S.NOT_STARTED), (100, S.IN_PROGRESS), (3, S.STALLED)]),
    ("Port inspections of chemical shipments", 220, [(200, S.IN_PROGRESS), (40, S.BROKEN)]),
    ("Know-your-customer rules for brokers", 200, [(180, S.IN_PROGRESS),
                                                   (30, S.PARTIALLY_FULFILLED)]),
    ("Coalition ministerial on synthetic drugs", 180, [(170, S.IN_PROGRESS), (80, S.FULFILLED)]),
    ("Theatre-level commander calls", 150, [(140, S.NOT_STARTED), (2, S.AT_RISK)]),
    ("Shared laboratory standards", 120, [(100, S.IN_PROGRESS)]),
    ("Joint statement on AI in military systems", 90, [(80, S.NOT_STARTED)]),
    ("Data sharing on seizures", 60, []),
    ("Training for customs officers", 10, []),
]  # fmt: skip


@pytest.fixture(autouse=True)
def _role_groups(transactional_db):
    """The live server's tests flush the database, groups from the data migration included."""
    from django.contrib.auth.models import Group

    from tracker.models import ANALYSTS, MANAGERS

    for name in (ANALYSTS, MANAGERS):
        Group.objects.get_or_create(name=name)


@pytest.fixture
def history(e2e_data):
    analyst, manager = e2e_data["analyst"], e2e_data["manager"]
    other = factories.make_analyst("sam", first_name="Sam", last_name="Sharma")
    areas, parties = list(Area.objects.all()), list(Party.objects.all())
    now = timezone.now()
    for i, (title, created, steps) in enumerate(HISTORY):
        with time_machine.travel(now - dt.timedelta(days=created), tick=False):
            commitment = factories.make_commitment(
                f"DEMO-{i + 1:02d}",
                title=title,
                owner=(analyst, other)[i % 2],
                area=areas[i % len(areas)],
                parties=[parties[i % 2]],
            )
        for days_ago, status in steps:
            with time_machine.travel(now - dt.timedelta(days=days_ago), tick=False):
                factories.record(
                    commitment, author=commitment.owner, status=status, accept_by=manager
                )
    return e2e_data


def kpi(page, label):
    return page.locator(".kpi", has_text=label).locator(".kpi-value")


def test_the_managers_morning(history, live_server, login, shot):
    page = login("manager")
    page.set_viewport_size({"width": 1360, "height": 900})
    # Signing in lands on the dashboard.
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(kpi(page, "Commitments")).to_have_text("17")
    expect(kpi(page, "At risk or stalled")).to_have_text("4")
    expect(page.locator(".dash-attention")).to_contain_text("Crisis hotline drills")
    expect(page.locator(".dash-changes")).to_contain_text("Theatre-level commander calls")
    expect(page.locator(".trend-chart .bands path")).not_to_have_count(0)
    # The charts speak: their text alternatives are in the page.
    expect(page.locator(".trend-chart desc")).to_contain_text("fulfilled")
    page.get_by_text("The numbers behind the chart").click()
    # A row a week from the week of the oldest commitment (340 days ago: 49 weeks), not a
    # year with empty weeks before it.
    expect(page.locator(".trend-data table tbody tr")).to_have_count(49)
    assert_accessible(page)
    shot(page, "dashboard")
    page.reload()  # Playwright's screenshot leaves style attributes htmx would copy

    # Narrow to one area: only the dashboard swaps, the address follows.
    page.evaluate("window.__noReload = true")
    area = Area.objects.get(slug="counternarcotics")
    page.get_by_label("Area", exact=True).select_option(label="Counternarcotics")
    expect(page).to_have_url(f"{live_server.url}/?area={area.pk}")
    expect(page.locator(".dash-subtitle")).to_contain_text("Counternarcotics")
    total = int(kpi(page, "Commitments").inner_text())
    assert 0 < total < 17
    page.get_by_role("link", name="Last 30 days").click()
    expect(page).to_have_url(f"{live_server.url}/?area={area.pk}&period=30d")
    assert page.evaluate("window.__noReload") is True
    assert_accessible(page)

    # Looking back four months: the numbers are as known then.
    page.get_by_label("As of").fill((timezone.localdate() - dt.timedelta(days=120)).isoformat())
    page.get_by_label("As of").dispatch_event("change")
    expect(page.locator(".asof-banner")).to_contain_text("Looking back")
    expect(page).to_have_url(re.compile(r"as_of=\d{4}-\d\d-\d\d"))
    assert page.evaluate("window.__noReload") is True
    assert_accessible(page)
    shot(page, "dashboard-as-of")
    page.reload()

    # The address is shareable: a fresh page shows the same.
    url = page.url
    page.goto(url)
    expect(page.locator(".asof-banner")).to_be_visible()
    expect(page.get_by_label("Area", exact=True)).to_have_value(str(area.pk))

    # Back to today, everything; then a count opens the filtered list.
    page.get_by_role("link", name="Back to today").click()
    expect(page.locator(".asof-banner")).to_have_count(0)
    page.get_by_role("link", name="Reset").click()
    expect(page).to_have_url(f"{live_server.url}/")
    overdue = page.locator(".kpi", has_text="Overdue for review")
    overdue.click()
    expect(page).to_have_url(f"{live_server.url}/commitments/?overdue=1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Commitments")


def test_the_dashboard_without_javascript(history, live_server, browser, shot):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("manager")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
        page.get_by_label("Party", exact=True).select_option(label="China")
        page.get_by_label("As of").fill("2999-01-01")
        page.get_by_role("button", name="Apply").click()
        expect(page).to_have_url(re.compile(r"party=\d+"))
        expect(page.locator(".dash-notice")).to_contain_text("is in the future")
        expect(page.locator(".dash-subtitle")).to_contain_text("China")
    finally:
        context.close()


def test_the_dashboard_on_a_phone(history, live_server, login, shot):
    page = login("manager")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "dashboard-phone")


def test_the_printed_brief(history, live_server, login, shot):
    page = login("manager")
    page.goto(f"{live_server.url}/?period=30d")
    page.emulate_media(media="print")
    expect(page.locator(".print-meta")).to_be_visible()
    expect(page.locator(".print-meta")).to_contain_text("Filters: All commitments")
    expect(page.locator(".dash-filters")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "dashboard-print.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    text = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", text))
    assert 1 <= pages <= 2, f"the brief has {pages} pages"
    if shutil.which("pdftoppm"):  # poppler-utils: look at the pages as images
        prefix = ARTIFACTS / "dashboard-print"
        subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(prefix)], check=True)
