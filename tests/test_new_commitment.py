"""The New commitment page: managers create a commitment in the app, with and without HTMX."""

import pytest
import time_machine

from tests import factories
from tests.factories import HTMX
from tracker.models import AuditEvent, Commitment, Event
from tracker.new_commitment import suggest_reference

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client, manager, analyst, other_analyst):
    client.force_login(manager)
    china, usa = factories.make_party("China"), factories.make_party("United States")
    area = factories.make_area("Counternarcotics")
    event = Event.objects.create(name="APEC side meeting")
    parent = factories.make_commitment("PARENT-1", area=area)
    return {
        "client": client,
        "china": china,
        "usa": usa,
        "area": area,
        "event": event,
        "parent": parent,
        "analyst": analyst,
        "other": other_analyst,
    }


def form_data(world, **overrides):
    data = {
        "reference": "USCN-2026-NEW",
        "title": "Curb precursor exports",
        "description": "China will tighten controls on precursor exports.",
        "area": world["area"].pk,
        "event": world["event"].pk,
        "parties": [world["china"].pk, world["usa"].pk],
        "delivering": [world["china"].pk],
        "owner": world["analyst"].pk,
        "assignees": [world["other"].pk],
        "parent": world["parent"].pk,
        "target_date": "2027-06-30",
        "review_cadence_days": "14",
    }
    return {**data, **overrides}


def test_the_form_suggests_a_reference(world):
    with time_machine.travel("2026-05-01 12:00Z"):
        response = world["client"].get("/commitments/new/")
    assert response.status_code == 200
    assert b'value="C-2026-001"' in response.content
    assert "HX-Request" in response["Vary"]


def test_the_suggestion_follows_the_highest_of_the_year():
    factories.make_commitment("C-2026-001")
    factories.make_commitment("C-2026-003")
    with time_machine.travel("2026-05-01 12:00Z"):
        assert suggest_reference() == "C-2026-004"


def test_a_manager_creates_a_commitment(world, manager):
    response = world["client"].post("/commitments/new/", form_data(world))
    created = Commitment.objects.get(reference="USCN-2026-NEW")
    assert response.status_code == 302 and response["Location"] == created.get_absolute_url()
    assert (created.title, created.owner, created.parent, created.event) == (
        "Curb precursor exports",
        world["analyst"],
        world["parent"],
        world["event"],
    )
    assert str(created.target_date) == "2027-06-30" and created.review_cadence_days == 14
    bound = {cp.party.name: cp.must_deliver for cp in created.commitment_parties.all()}
    assert bound == {"China": True, "United States": False}
    assert list(created.assignees.all()) == [world["other"]]
    assert created.current_status == "not_assessed"
    assert AuditEvent.objects.filter(action="create", user=manager, target="USCN-2026-NEW").exists()
    assert created.history.get().history_user == manager


def test_an_htmx_create_redirects_the_browser(world):
    response = world["client"].post("/commitments/new/", form_data(world), **HTMX)
    assert response["HX-Redirect"] == "/commitments/USCN-2026-NEW/"


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"reference": "PARENT-1"}, "reference", "Commitment with this Reference already exists."),
        ({"reference": "has space"}, "reference", "Use letters, digits"),
        ({"reference": "new"}, "reference", "(and not “new”)"),
        ({"title": ""}, "title", "This field is required."),
        ({"title": "x" * 301}, "title", "at most 300 characters"),
        ({"target_date": "31/02/2024"}, "target_date", "Enter a valid date."),
        ({"review_cadence_days": "0"}, "review_cadence_days", "greater than or equal to 1"),
        ({"area": "99999999999999999999"}, "area", "Select a valid choice."),
        ({"parties": [], "delivering": []}, None, None),
    ],
)
def test_bad_input_is_an_inline_error_and_nothing_is_saved(world, overrides, field, message):
    response = world["client"].post("/commitments/new/", form_data(world, **overrides))
    if field is None:  # no parties at all is allowed
        assert response.status_code == 302
        return
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Commitment.objects.filter(title="Curb precursor exports").exists()


def test_who_must_deliver_must_be_bound(world):
    data = form_data(world, parties=[world["usa"].pk], delivering=[world["china"].pk])
    response = world["client"].post("/commitments/new/", data)
    assert response.status_code == 422
    assert "Not among the parties bound: China." in response.content.decode()


def test_an_htmx_error_returns_only_the_form(world):
    response = world["client"].post("/commitments/new/", form_data(world, title=""), **HTMX)
    assert response.status_code == 422
    assert b"<html" not in response.content and b'id="new-commitment-form"' in response.content


def test_the_reference_is_checked_inline_without_saving(world):
    data = form_data(world, reference="PARENT-1", check="reference")
    response = world["client"].post("/commitments/new/", data, **HTMX)
    assert response.status_code == 422
    assert b'id="reference-field"' in response.content and b"<form" not in response.content
    assert b"already exists" in response.content
    ok = world["client"].post("/commitments/new/", {**data, "reference": "FREE-1"}, **HTMX)
    assert ok.status_code == 200 and b"already exists" not in ok.content
    assert not Commitment.objects.filter(reference="FREE-1").exists()


@pytest.mark.parametrize("who", ["analyst", "outsider"])
def test_only_managers_create_commitments(client, world, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/commitments/new/").status_code == 403
    assert client.post("/commitments/new/", form_data(world)).status_code == 403
    assert not Commitment.objects.filter(reference="USCN-2026-NEW").exists()


def test_methods_and_anonymous(client, world):
    assert world["client"].put("/commitments/new/").status_code == 405
    client.logout()
    response = client.get("/commitments/new/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_list_links_to_it_for_managers_only(client, world, analyst):
    assert b'href="/commitments/new/"' in world["client"].get("/commitments/").content
    client.force_login(analyst)
    assert b'href="/commitments/new/"' not in client.get("/commitments/").content


def test_the_form_page_runs_a_fixed_number_of_queries(world, django_assert_num_queries):
    for n in range(5):
        factories.make_commitment(f"EXTRA-{n}", area=world["area"])
    world["client"].get("/commitments/new/")
    # Session, user with their roles; the suggestion; areas, events, parents, owners, parties twice,
    # assignees; the navigation's review count.
    with django_assert_num_queries(11):
        world["client"].get("/commitments/new/")
