"""The Atom feed of accepted status updates, for signed-in users with a role."""

import xml.etree.ElementTree as ET

import pytest

from tests import factories
from tests.dashboard_world import at
from tracker.models import AuditEvent

pytestmark = pytest.mark.django_db


URL = "/feed/updates.atom"
ATOM = "{http://www.w3.org/2005/Atom}"


def entries(client, user, query=""):
    client.force_login(user)
    response = client.get(URL + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content).findall(f"{ATOM}entry")  # noqa: S314 - our own feed


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_users_without_a_role_are_refused(client, outsider):
    client.force_login(outsider)
    assert client.get(URL).status_code == 403
    assert AuditEvent.objects.filter(action="permission_denied", user=outsider).exists()


def test_it_only_answers_get(client, manager):
    client.force_login(manager)
    assert client.post(URL).status_code == 405


def test_a_bad_filter_is_refused_with_a_clear_message(client, manager):
    client.force_login(manager)
    response = client.get(URL + "?area=zzz")
    assert response.status_code == 400
    assert b"There is no such area" in response.content


@pytest.mark.parametrize("role", ["manager", "analyst", "admin_user"])
def test_accepted_updates_newest_first(client, world, role, request):
    feed = entries(client, request.getfixturevalue(role))
    titles = [e.find(f"{ATOM}title").text for e in feed]
    # C5's update is pending: not in the feed.
    assert titles == [
        "C1: In progress → At risk",
        "C2: Not yet assessed → Fulfilled",
        "C3: Not yet assessed → Stalled",
        "C1: Not yet assessed → In progress",
    ]
    first = feed[0]
    assert first.find(f"{ATOM}author/{ATOM}name").text == "Alice Analyst"
    assert first.find(f"{ATOM}updated").text.startswith("2026-02-26T09:00:00")
    link = first.find(f"{ATOM}link").get("href")
    assert link.startswith("http://testserver/commitments/C1/#update-")
    categories = {c.get("term") for c in first.findall(f"{ATOM}category")}
    assert categories == {"At risk", "Counternarcotics"}


def test_the_feed_honours_the_dashboard_filters(client, world):
    feed = entries(client, world.manager, f"?owner={world.oscar.pk}")
    assert [e.find(f"{ATOM}title").text for e in feed] == ["C3: Not yet assessed → Stalled"]


def test_text_from_users_is_escaped(client, world):
    with at("2026-03-02 10:00"):
        c = factories.make_commitment("X-1", title="<script>alert(1)</script>", area=world.military)
        factories.record(
            c, author=world.alice, assessment="**Bold** <img src=x onerror=alert(1)>",
            accept_by=world.manager,
        )  # fmt: skip
    summary = entries(client, world.manager)[0].find(f"{ATOM}summary").text
    assert "&lt;script&gt;" in summary
    # Raw HTML in an assessment is shown as the text it is, never as markup.
    assert "<script>" not in summary and "<img" not in summary
    assert "&lt;img src=x onerror=alert(1)&gt;" in summary
    assert "<strong>Bold</strong>" in summary


def test_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    client.force_login(world.manager)
    client.get(URL)
    # The session, the user with their roles, areas, parties and owners (the filters),
    # and the updates with their commitments, areas and people.
    with django_assert_num_queries(6):
        client.get(URL)
