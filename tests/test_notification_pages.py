"""The bell, /notifications/, follow, preferences and one-click unsubscribe."""

import pytest
from django.test import Client

from tests import factories
from tracker.notifications.mail import unsubscribe_token
from tracker.notifications.models import Follow, Frequency, Mode, Notification, Preferences

pytestmark = pytest.mark.django_db
HTMX = factories.HTMX


def bell(response):
    """The unread count the navigation shows ('' when none)."""
    html = response.content.decode()
    start = html.index('id="nav-unread"')
    chunk = html[start : html.index("</span>", start + 20) + 7]
    return chunk.split('aria-label="')[1].split(" ")[0] if "aria-label" in chunk else ""


# The bell


def test_the_bell_counts_my_unread_notifications_only(signed_in, analyst, manager, commitment):
    for _ in range(3):
        factories.make_notification(analyst, commitment)
    factories.make_notification(analyst, commitment, read=True)
    factories.make_notification(manager, commitment)
    assert bell(signed_in.get("/")) == "3"


def test_the_bell_adds_no_query_to_a_page(client, manager, commitment, django_assert_num_queries):
    client.force_login(manager)
    # session, user with their roles; preferences; follows; the navigation's counters, all in one
    # (review queue and unread notifications).
    with django_assert_num_queries(5):
        response = client.get("/notifications/preferences/")
    assert bell(response) == ""
    for _ in range(30):
        factories.make_notification(manager, commitment)
    with django_assert_num_queries(5):
        response = client.get("/notifications/preferences/")
    assert bell(response) == "30"


def test_users_without_a_role_have_no_bell(client, outsider):
    client.force_login(outsider)
    assert 'id="nav-unread"' not in client.get("/").content.decode()


# /notifications/


def test_anonymous_users_are_sent_to_sign_in(client):
    assert client.get("/notifications/")["Location"].startswith("/accounts/login/")


def test_users_without_a_role_are_refused(client, outsider):
    client.force_login(outsider)
    assert client.get("/notifications/").status_code == 403


def test_the_list_shows_my_notifications_newest_first_with_links(
    signed_in, analyst, manager, commitment
):
    old = factories.make_notification(analyst, commitment, title="Old news")
    new = factories.make_notification(analyst, commitment, title="New news")
    factories.make_notification(manager, commitment, title="Not mine")
    response = signed_in.get("/notifications/")
    html = response.content.decode()
    assert html.index("New news") < html.index("Old news")
    assert "Not mine" not in html
    assert f'href="{commitment.get_absolute_url()}"' in html
    assert f'id="notification-{new.pk}"' in html and f'id="notification-{old.pk}"' in html
    assert "<html" in html


def test_htmx_gets_the_list_alone_but_history_restore_the_page(signed_in, analyst, commitment):
    factories.make_notification(analyst, commitment)
    fragment = signed_in.get("/notifications/", **HTMX)
    assert "<html" not in fragment.content.decode()
    assert 'id="notification-list"' in fragment.content.decode()
    assert "HX-Request" in fragment["Vary"]
    restore = signed_in.get("/notifications/", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in restore.content.decode()


def test_the_list_pages_with_a_constant_number_of_queries(
    signed_in, analyst, commitment, django_assert_num_queries
):
    factories.make_notification(analyst, commitment)
    # session, user with their roles; navigation counters; the page's count; its notifications.
    with django_assert_num_queries(5):
        signed_in.get("/notifications/")
    for _ in range(60):
        factories.make_notification(analyst, commitment)
    with django_assert_num_queries(5):
        response = signed_in.get("/notifications/?page=2")
    assert response.content.decode().count('class="card notification') == 25
    assert signed_in.get("/notifications/?page=zzz").status_code == 200


def test_posting_to_the_list_is_refused(signed_in):
    assert signed_in.post("/notifications/").status_code == 405


# Mark read


def test_marking_one_read(signed_in, analyst, commitment):
    notification = factories.make_notification(analyst, commitment)
    response = signed_in.post(f"/notifications/{notification.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_marking_one_read_with_htmx_swaps_the_item_and_the_bell(signed_in, analyst, commitment):
    notification = factories.make_notification(analyst, commitment)
    factories.make_notification(analyst, commitment)
    response = signed_in.post(f"/notifications/{notification.pk}/read/", **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert f'id="notification-{notification.pk}"' in html and "Mark read" not in html
    assert 'id="nav-unread" hx-swap-oob="true"' in html and 'aria-label="1 unread"' in html


def test_nobody_marks_anyone_elses(client, other_analyst, analyst, commitment):
    notification = factories.make_notification(analyst, commitment)
    client.force_login(other_analyst)
    assert client.post(f"/notifications/{notification.pk}/read/").status_code == 404
    assert client.post("/notifications/999999/read/").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_read_needs_post(signed_in, analyst, commitment):
    notification = factories.make_notification(analyst, commitment)
    assert signed_in.get(f"/notifications/{notification.pk}/read/").status_code == 405


def test_marking_all_read(signed_in, analyst, manager, commitment):
    for _ in range(3):
        factories.make_notification(analyst, commitment)
    theirs = factories.make_notification(manager, commitment)
    response = signed_in.post("/notifications/read-all/", follow=True)
    assert "Marked 3 notifications read." in response.content.decode()
    assert not Notification.objects.filter(recipient=analyst).unread().exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = signed_in.post("/notifications/read-all/", **HTMX)
    assert "<html" not in response.content.decode()
    assert 'id="nav-unread" hx-swap-oob="true"' in response.content.decode()


# Follow


def test_following_a_commitment_without_javascript(client, other_analyst, commitment):
    client.force_login(other_analyst)
    page = client.get(commitment.get_absolute_url()).content.decode()
    assert "Follow this commitment" in page
    response = client.post(f"/commitments/{commitment.reference}/follow/", {"follow": "1"})
    assert response.status_code == 302 and response["Location"] == commitment.get_absolute_url()
    assert Follow.objects.filter(user=other_analyst, commitment=commitment).count() == 1
    client.post(f"/commitments/{commitment.reference}/follow/", {"follow": "1"})  # again
    assert Follow.objects.filter(user=other_analyst, commitment=commitment).count() == 1
    page = client.get(commitment.get_absolute_url()).content.decode()
    assert "You follow this commitment" in page and "Following USCN-TEST." in page
    client.post(f"/commitments/{commitment.reference}/follow/", {"follow": "0"})
    assert not Follow.objects.filter(user=other_analyst).exists()


def test_following_with_htmx_swaps_the_card(client, manager, commitment):
    client.force_login(manager)
    response = client.post(f"/commitments/{commitment.reference}/follow/", {"follow": "1"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="follow"') and "Stop following" in html


def test_a_bad_follow_request_saves_nothing(client, manager, commitment):
    client.force_login(manager)
    for data in ({}, {"follow": "maybe"}):
        response = client.post(f"/commitments/{commitment.reference}/follow/", data, **HTMX)
        assert response.status_code == 400
        assert "Say whether to follow" in response.content.decode()
    assert client.post("/commitments/NOPE/follow/", {"follow": "1"}).status_code == 404
    assert client.post(f"/areas/{commitment.area.slug}/follow/", {}).status_code == 400
    assert not Follow.objects.exists()


def test_following_an_area(client, manager, commitment):
    client.force_login(manager)
    response = client.post(
        f"/areas/{commitment.area.slug}/follow/",
        {"follow": "1", "commitment": commitment.reference},
        **HTMX,
    )
    assert "You follow every commitment in" in response.content.decode()
    assert Follow.objects.get(user=manager).area == commitment.area
    response = client.post(f"/areas/{commitment.area.slug}/follow/", {"follow": "0"})
    assert response["Location"] == "/notifications/preferences/"
    assert not Follow.objects.exists()


def test_owners_follow_their_commitments_without_asking(signed_in, commitment):
    page = signed_in.get(commitment.get_absolute_url()).content.decode()
    assert "you own or are assigned to this commitment" in page
    assert "Follow this commitment" not in page


def test_follow_needs_a_role_and_post(client, outsider, commitment):
    url = f"/commitments/{commitment.reference}/follow/"
    assert client.post(url, {"follow": "1"})["Location"].startswith("/accounts/login/")
    client.force_login(outsider)
    assert client.post(url, {"follow": "1"}).status_code == 403
    client.force_login(factories.make_manager())
    assert client.get(url).status_code == 405
    assert not Follow.objects.exists()


# Preferences


def test_a_managers_digest_is_weekly_by_default_an_analysts_never(client, manager, analyst):
    client.force_login(manager)
    assert client.get("/notifications/preferences/").context["form"]["digest"].value() == "weekly"
    client.force_login(analyst)
    assert client.get("/notifications/preferences/").context["form"]["digest"].value() == "never"


def test_saving_preferences(signed_in, analyst):
    data = {
        "update_submitted": "immediate",
        "update_decided": "digest",
        "review_due": "off",
        "status_changed": "immediate",
        "digest": "daily",
    }
    response = signed_in.post("/notifications/preferences/", data, follow=True)
    assert "Your notification preferences are saved." in response.content.decode()
    prefs = Preferences.objects.get(user=analyst)
    assert (prefs.update_decided, prefs.review_due, prefs.frequency) == (
        Mode.DIGEST,
        Mode.OFF,
        Frequency.DAILY,
    )


def test_bad_preferences_are_refused_inline_and_nothing_is_saved(signed_in, analyst):
    response = signed_in.post("/notifications/preferences/", {"digest": "hourly"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Preferences.objects.exists()
    fragment = signed_in.post("/notifications/preferences/", {"digest": "hourly"}, **HTMX)
    assert fragment.status_code == 422 and "<html" not in fragment.content.decode()


def test_the_preferences_page_lists_what_i_follow(signed_in, analyst, commitment):
    Follow.objects.create(user=analyst, commitment=commitment)
    Follow.objects.create(user=analyst, area=commitment.area)
    html = signed_in.get("/notifications/preferences/").content.decode()
    assert "USCN-TEST: Curb precursor shipments" in html
    assert f"Every commitment in {commitment.area.name}" in html


# One-click unsubscribe


def test_unsubscribing_works_signed_out_after_a_confirmation(analyst):
    client = Client()
    url = f"/notifications/unsubscribe/{unsubscribe_token(analyst, 'status_changed')}/"
    page = client.get(url)
    assert page.status_code == 200 and "Stop these emails?" in page.content.decode()
    assert not Preferences.objects.exists()  # a GET (a link scanner) changes nothing
    done = client.post(url)
    assert "Unsubscribed" in done.content.decode()
    assert Preferences.for_user(analyst).status_changed == Mode.OFF


def test_rfc_8058_one_click_post_needs_no_csrf_token(manager):
    client = Client(enforce_csrf_checks=True)
    url = f"/notifications/unsubscribe/{unsubscribe_token(manager, 'digest')}/"
    response = client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Preferences.for_user(manager).digest == Frequency.NEVER


@pytest.mark.parametrize("token", ["nonsense", "x" * 300])
def test_a_tampered_unsubscribe_link_is_refused(analyst, token):
    response = Client().post(f"/notifications/unsubscribe/{token}/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    forged = unsubscribe_token(analyst, "status_changed")[:-2] + "xx"
    assert Client().post(f"/notifications/unsubscribe/{forged}/").status_code == 400
    assert not Preferences.objects.exists()
