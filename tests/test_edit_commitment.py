"""Editing a commitment's descriptive fields, with conflict detection (never overwrite silently)."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied

from tests import factories
from tests.factories import HTMX
from tracker import services
from tracker.models import AuditEvent, Commitment, Status

pytestmark = pytest.mark.django_db


def url(commitment):
    return f"/commitments/{commitment.reference}/edit/"


def form_data(commitment, **changes):
    return factories.edit_form_data(commitment, **changes)


@pytest.fixture
def signed_in(client, manager):
    """A manager: may change every descriptive field."""
    client.force_login(manager)
    return client


@pytest.fixture
def as_owner(client, analyst):
    """The owning analyst: may change the description, nothing else."""
    client.force_login(analyst)
    return client


# Permissions and methods


def test_anonymous_is_sent_to_login(client, commitment):
    assert client.get(url(commitment))["Location"].startswith("/accounts/login/")


def test_anonymous_htmx_gets_an_hx_redirect(client, commitment):
    assert client.post(url(commitment), {}, **HTMX)["HX-Redirect"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["other_analyst", "outsider"])
def test_only_the_owner_managers_and_admins_may_edit(client, request, role, commitment):
    client.force_login(request.getfixturevalue(role))
    assert client.get(url(commitment)).status_code == 403
    response = client.post(url(commitment), form_data(commitment, title="Hijacked"))
    assert response.status_code == 403
    commitment.refresh_from_db()
    assert commitment.title == "Curb precursor shipments"


@pytest.mark.parametrize("role", ["manager", "admin_user"])
def test_managers_and_admins_see_every_field(client, request, role, commitment):
    client.force_login(request.getfixturevalue(role))
    page = client.get(url(commitment)).content.decode()
    assert '<form class="card edit-form" method="post"' in page
    assert 'name="version" value="1"' in page
    assert 'value="Curb precursor shipments"' in page
    for name in ("title", "description", "area", "parent", "owner", "assignees"):
        assert f'name="{name}"' in page


@pytest.mark.parametrize("role", ["owner", "assignee"])
def test_the_owner_and_assignees_see_only_the_description(
    client, role, analyst, other_analyst, commitment
):
    commitment.assignees.add(other_analyst)
    client.force_login(analyst if role == "owner" else other_analyst)
    response = client.get(url(commitment))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="description"' in page and 'name="version" value="1"' in page
    for name in ("title", "area", "event", "target_date", "review_cadence_days", "parent"):
        assert f'name="{name}"' not in page
    assert 'name="owner"' not in page and 'name="assignees"' not in page
    assert "a manager changes the other details" in page


@pytest.mark.parametrize("role", ["owner", "assignee"])
def test_the_owner_and_assignees_change_the_description_and_nothing_else(
    client, role, analyst, other_analyst, commitment
):
    """Even when they post the other fields by hand, only the description changes."""
    commitment.assignees.add(other_analyst)
    editor = analyst if role == "owner" else other_analyst
    client.force_login(editor)
    parent = factories.make_commitment("USCN-OTHER")
    before = Commitment.objects.values().get(pk=commitment.pk)
    response = client.post(
        url(commitment),
        form_data(
            commitment,
            description="Clarified.",
            title="Hijacked",
            area=factories.make_area().pk,
            target_date="2030-01-01",
            review_cadence_days="3650",
            parent=parent.pk,
            owner=other_analyst.pk if role == "owner" else analyst.pk,
            assignees=[],
        ),
    )
    assert response.status_code == 302
    after = Commitment.objects.values().get(pk=commitment.pk)
    assert after["description"] == "Clarified."
    assert after["version"] == 2
    unchanged = {"description", "version", "updated_at"}
    assert {k: v for k, v in after.items() if k not in unchanged} == {
        k: v for k, v in before.items() if k not in unchanged
    }
    assert list(commitment.assignees.all()) == [other_analyst]
    assert commitment.history.latest().history_user == editor


def test_the_service_refuses_fields_outside_the_policy(analyst, commitment):
    with pytest.raises(PermissionDenied):
        services.edit_commitment(
            commitment=commitment, editor=analyst, changes={"review_cadence_days": 3650}
        )
    commitment.refresh_from_db()
    assert (commitment.review_cadence_days, commitment.version) == (30, 1)


def test_it_answers_only_get_and_post(signed_in, commitment):
    assert signed_in.put(url(commitment)).status_code == 405
    assert signed_in.delete(url(commitment)).status_code == 405


# Saving


def test_saving_changes_the_fields_bumps_the_version_and_keeps_history(
    signed_in, manager, other_analyst, commitment
):
    area = factories.make_area("Counternarcotics")
    response = signed_in.post(
        url(commitment),
        form_data(
            commitment,
            title="Curb fentanyl precursor shipments",
            description="New text.",
            area=area.pk,
            target_date="2025-12-31",
            review_cadence_days="14",
            assignees=[other_analyst.pk],
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == "/commitments/USCN-TEST/"
    commitment.refresh_from_db()
    assert commitment.title == "Curb fentanyl precursor shipments"
    assert (commitment.description, commitment.area) == ("New text.", area)
    assert commitment.target_date == dt.date(2025, 12, 31)
    assert commitment.review_cadence_days == 14
    assert list(commitment.assignees.all()) == [other_analyst]
    assert commitment.version == 2
    latest = commitment.history.latest()
    assert (latest.version, latest.history_user) == (2, manager)
    assert AuditEvent.objects.filter(action="edit", target="USCN-TEST").exists()
    page = signed_in.get(response["Location"]).content.decode()
    assert "Saved your changes to USCN-TEST." in page


def test_saving_never_touches_the_official_status(signed_in, commitment, manager):
    form = form_data(commitment, title="New title")
    # An update is accepted while the form is open: the edit must not undo it.
    factories.record(commitment, status=Status.FULFILLED, progress=100)
    signed_in.post(url(commitment), form)
    commitment.refresh_from_db()
    assert (commitment.title, commitment.current_status) == ("New title", Status.FULFILLED)
    assert commitment.current_progress == 100


def test_a_shorter_cadence_moves_the_next_review(signed_in, commitment):
    before = commitment.next_review_due
    signed_in.post(url(commitment), form_data(commitment, review_cadence_days="7"))
    commitment.refresh_from_db()
    assert commitment.next_review_due == before - dt.timedelta(days=23)


def test_an_analyst_cannot_hand_the_commitment_to_someone_else(
    as_owner, analyst, other_analyst, commitment
):
    assert 'name="owner"' not in as_owner.get(url(commitment)).content.decode()
    as_owner.post(url(commitment), form_data(commitment, owner=other_analyst.pk, description="T2"))
    commitment.refresh_from_db()
    assert (commitment.description, commitment.owner) == ("T2", analyst)


def test_a_manager_may_change_the_owner(client, manager, other_analyst, commitment):
    client.force_login(manager)
    client.post(url(commitment), form_data(commitment, owner=other_analyst.pk))
    commitment.refresh_from_db()
    assert commitment.owner == other_analyst


def test_htmx_success_sends_the_browser_to_the_page(signed_in, commitment):
    response = signed_in.post(url(commitment), form_data(commitment, title="Via htmx"), **HTMX)
    assert response["HX-Redirect"] == "/commitments/USCN-TEST/"


def test_htmx_get_renders_only_the_form(signed_in, commitment):
    page = signed_in.get(url(commitment), **HTMX).content.decode()
    assert "<html" not in page
    assert page.lstrip().startswith('<div id="edit-form"')


# Bad input


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title": ""}, "title", "This field is required"),
        ({"review_cadence_days": "0"}, "review_cadence_days", "greater than or equal to 1"),
        ({"target_date": "someday"}, "target_date", "Enter a valid date"),
        ({"area": "999"}, "area", "Select a valid choice"),
    ],
)
def test_invalid_input_is_shown_next_to_its_field(signed_in, commitment, changes, field, message):
    for headers in ({}, HTMX):
        response = signed_in.post(url(commitment), form_data(commitment, **changes), **headers)
        assert response.status_code == 422
        page = response.content.decode()
        assert f'id="id_{field}_error"' in page
        assert message in page
    commitment.refresh_from_db()
    assert (commitment.version, commitment.title) == (1, "Curb precursor shipments")


def test_a_commitment_cannot_become_part_of_itself_or_of_its_own_parts(signed_in, commitment):
    child = factories.make_commitment("USCN-TEST-1", parent=commitment)
    grandchild = factories.make_commitment("USCN-TEST-1-A", parent=child)
    page = signed_in.get(url(commitment)).content.decode()
    for ref in ("USCN-TEST-1", "USCN-TEST-1-A"):
        assert f"{ref}: " not in page.split('name="parent"')[1].split("</select>")[0]
    for parent in (commitment, child, grandchild):
        response = signed_in.post(url(commitment), form_data(commitment, parent=parent.pk))
        assert response.status_code == 422
    commitment.refresh_from_db()
    assert commitment.parent is None


# Conflicts: someone saved in between


@pytest.fixture
def conflict(client, other_manager, manager, commitment):
    """Mike opens the form; Maria saves a change; Mike submits his."""
    mikes_form = form_data(commitment, title="Mike's title", description="Mike's text.")
    client.force_login(manager)
    client.post(url(commitment), form_data(commitment, title="Maria's title"))
    client.force_login(other_manager)
    return client, mikes_form


def test_a_stale_form_is_not_saved_and_both_versions_are_shown(conflict, commitment):
    client, mikes_form = conflict
    response = client.post(url(commitment), mikes_form)
    assert response.status_code == 409
    commitment.refresh_from_db()
    assert (commitment.title, commitment.version) == ("Maria's title", 2)
    page = response.content.decode()
    assert "Someone else saved this commitment while you were editing" in page
    assert "Maria Manager on" in page
    title_row = page[page.index('<th scope="row">Title') :]
    title_row = title_row[: title_row.index("</tr>")]
    # When Alice opened the form / saved now / hers.
    assert "changed since" in title_row
    assert "Curb precursor shipments" in title_row
    assert "Maria&#x27;s title" in title_row and "Mike&#x27;s title" in title_row
    # Only the fields that differ are compared; the others are named.
    assert '<th scope="row">Description' in page
    assert "The same in both versions: Area, Event, Target date" in page
    # Her values stay in the form, now based on the current version.
    assert 'value="Mike&#x27;s title"' in page
    assert "Mike&#x27;s text.</textarea>" in page
    assert 'name="version" value="2"' in page
    assert "Save my version" in page


def test_saving_again_after_a_conflict_applies_the_users_version(conflict, commitment):
    client, mikes_form = conflict
    client.post(url(commitment), mikes_form)
    response = client.post(url(commitment), {**mikes_form, "version": 2})
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.title, commitment.version) == ("Mike's title", 3)


def test_a_conflict_over_htmx_returns_the_form_with_both_versions(conflict, commitment):
    client, mikes_form = conflict
    response = client.post(url(commitment), mikes_form, **HTMX)
    assert response.status_code == 409
    page = response.content.decode()
    assert "<html" not in page and "Someone else saved" in page
    commitment.refresh_from_db()
    assert commitment.title == "Maria's title"


def test_a_save_from_outside_the_app_is_a_conflict_too(signed_in, commitment):
    form = form_data(commitment, title="Mine")
    theirs = Commitment.objects.get(pk=commitment.pk)
    theirs.title, theirs.version = "From a script", theirs.version + 1
    theirs.save()
    response = signed_in.post(url(commitment), form)
    assert response.status_code == 409
    assert re.search(r"Saved since you opened the form:\s+someone on", response.content.decode())
    commitment.refresh_from_db()
    assert commitment.title == "From a script"
