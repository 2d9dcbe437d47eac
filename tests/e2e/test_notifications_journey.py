"""Notifications in a real browser: a manager follows a commitment, an analyst's update on
it is accepted by another manager, the follower's bell count rises, they read the
notification, and the (locmem) mail backend holds the email."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import assert_accessible
from tracker import services
from tracker.models import Commitment, Status

pytestmark = pytest.mark.e2e

REFERENCE = "USCN-FENTANYL"


def test_follow_then_hear_of_an_accepted_change(e2e_data, login, live_server, shot):
    manager, analyst = e2e_data["manager"], e2e_data["analyst"]
    manager.email, analyst.email = "morgan@example.org", "alex@example.org"
    manager.save()
    analyst.save()
    reviewer = factories.make_manager("reviewer", first_name="Rene", last_name="Reviewer")

    page = login("manager")
    page.set_viewport_size({"width": 1360, "height": 900})
    bell = page.locator("#nav-unread")
    expect(bell).to_have_text("")
    page.goto(f"{live_server.url}/commitments/{REFERENCE}/")
    follow = page.locator("#follow")
    follow.get_by_role("button", name="Follow this commitment").click()
    expect(follow).to_contain_text("You follow this commitment")
    assert_accessible(page)

    # Meanwhile an analyst's update is submitted and another manager accepts it (the worker's
    # tasks run at once here, on commit).
    commitment = Commitment.objects.get(reference=REFERENCE)
    update = factories.record(commitment, author=analyst, status=Status.AT_RISK)
    services.accept_update(update=update, manager=reviewer, comment="Well sourced.")

    page.reload()
    # Told of the update waiting for review, then of the change of status.
    expect(bell).to_have_text("2")
    page.get_by_role("link", name="Notifications").click()
    items = page.locator(".notification")
    expect(items.first).to_contain_text(f"{REFERENCE}: In progress → At risk")
    assert_accessible(page)
    shot(page, "notifications-list")
    items.first.get_by_role("button", name="Mark read").click()
    expect(bell).to_have_text("1")
    expect(items.first).not_to_contain_text("Unread")
    page.get_by_role("button", name="Mark all read").click()
    expect(bell).to_have_text("")
    items.first.get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}/commitments/{REFERENCE}/#update-{update.pk}")

    # The email, as the mail backend got it.
    to_manager = [m for m in mail.outbox if m.to == ["morgan@example.org"]]
    subjects = {m.subject for m in to_manager}
    assert subjects == {f"[Commitment Tracker] {REFERENCE}: {commitment.title}"}
    change = next(m for m in to_manager if "which you follow" in m.body)
    assert "is now At risk (was In progress)" in change.body
    assert "Well sourced." not in change.body  # the decision's comment is the author's
    assert change.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    to_analyst = [m for m in mail.outbox if m.to == ["alex@example.org"]]
    assert "Well sourced." in to_analyst[0].body
