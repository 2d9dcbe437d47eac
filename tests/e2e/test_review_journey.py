"""Review and sign-off in a real browser: analyst submits, manager returns with a comment,
analyst revises, manager accepts, and the dashboard's counts change."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, assert_accessible

pytestmark = pytest.mark.e2e

REFERENCE = "USCN-FENTANYL"
SOURCE = "On Responsibly Managing the U.S.-China Relationship"


def sign_in_as(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Log out")


def sign_out(page):
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def at_risk_or_stalled(page, live_server):
    page.goto(f"{live_server.url}/")
    return int(page.locator(".kpi-warn .kpi-value").inner_text())


def test_submit_return_revise_accept(e2e_data, live_server, page, csp_violations, shot):
    page.set_viewport_size({"width": 1360, "height": 900})

    sign_in_as(page, live_server, "manager")
    assert at_risk_or_stalled(page, live_server) == 0
    # A fresh install: no empty year of trend, a sentence instead.
    expect(page.locator(".dash-trend")).to_contain_text("Not enough history yet")
    shot(page, "dashboard-fresh-install")
    sign_out(page)

    # The analyst submits an "At risk" assessment with a quote.
    sign_in_as(page, live_server, "analyst")
    page.goto(f"{live_server.url}/commitments/{REFERENCE}/")
    form = page.locator("#record-update")
    form.get_by_text("Record a status update").click()
    form.get_by_label("Status").select_option(label="At risk")
    form.get_by_label("Assessment").fill("Shipments are rerouted through third countries.")
    form.get_by_label("Quote").first.fill("More needs to be done … to really carry this forward")
    form.get_by_label("Existing source").first.select_option(label=SOURCE)
    form.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#status-timeline .timeline-item").first).to_contain_text("Pending review")
    sign_out(page)

    # The manager sees it in the queue and returns it with a comment, inline.
    sign_in_as(page, live_server, "manager")
    expect(page.locator("#nav-review-count")).to_have_text("1")
    page.get_by_role("link", name="Review queue").click()
    item = page.locator(".queue-item").first
    expect(item).to_contain_text("Shipments are rerouted")
    assert_accessible(page)
    shot(page, "review-queue")  # Accept (solid green) and Return (outlined red) side by side
    # Returning needs a comment: the error shows inline, nothing is decided.
    item.get_by_role("button", name="Return to analyst").click()
    expect(item).to_contain_text("Say what is missing")
    item = page.locator(".queue-item").first
    item.get_by_label("What is missing?").fill("Which third countries? Add the source.")
    item.get_by_role("button", name="Return to analyst").click()
    expect(page.locator(".queue-item").first).to_contain_text("Returned")
    expect(page.locator("#nav-review-count")).to_have_text("")
    shot(page, "review-returned")
    sign_out(page)

    # The analyst sees the returned update, with the comment, and revises it.
    sign_in_as(page, live_server, "analyst")
    page.get_by_role("link", name="Returned to me").click()
    expect(page.locator("main")).to_contain_text("Which third countries? Add the source.")
    assert_accessible(page)
    shot(page, "review-returned-to-analyst")
    page.get_by_role("link", name="Revise and resubmit").click()
    form = page.locator("#record-update")
    expect(form).to_contain_text("Which third countries?")
    expect(form.get_by_label("Status")).to_have_value("at_risk")
    form.get_by_label("Assessment").fill(
        "Shipments are rerouted through third countries, per the statement."
    )
    form.get_by_label("Quote").first.fill("More needs to be done … to really carry this forward")
    form.get_by_label("Existing source").first.select_option(label=SOURCE)
    form.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#status-timeline .timeline-item").first).to_contain_text("Pending review")
    sign_out(page)

    # The manager accepts the revision; the dashboard now counts it.
    sign_in_as(page, live_server, "manager")
    page.get_by_role("link", name="Review queue").click()
    item = page.locator(".queue-item").first
    expect(item).to_contain_text("Revises a returned update")
    item.get_by_label("Comment").fill("Thanks, well sourced.")
    item.get_by_role("button", name="Accept").click()
    expect(page.locator(".queue-item").first).to_contain_text("Accepted")
    shot(page, "review-accepted")
    assert at_risk_or_stalled(page, live_server) == 1

    # Every decision is kept and shown in the timeline.
    page.goto(f"{live_server.url}/commitments/{REFERENCE}/")
    timeline = page.locator("#status-timeline")
    expect(timeline).to_contain_text("Which third countries? Add the source.")
    expect(timeline).to_contain_text("Thanks, well sourced.")
    expect(page.locator("#commitment-status")).to_contain_text("At risk")
    shot(page, "review-timeline")
