"""The access policy (tracker/access.py), asked directly, and the answers the pages show."""

import pytest
from django.contrib.auth.models import Group, Permission

from tests import factories
from tracker import access
from tracker.models import ANALYSTS, MANAGERS, StatusUpdate

pytestmark = pytest.mark.django_db


def test_who_may_record_edit_and_review(
    commitment, analyst, other_analyst, manager, admin_user, outsider
):
    assert access.can_record(analyst, commitment)
    assert not access.can_record(other_analyst, commitment)
    assert not access.can_record(manager, commitment)
    assert not access.can_record(outsider, commitment)
    assert access.can_record(admin_user, commitment)
    assert access.editable_fields(analyst, commitment) == ("description",)
    assert access.editable_fields(other_analyst, commitment) == ()
    assert set(access.editable_fields(manager, commitment)) >= {"owner", "assignees", "parent"}
    assert "reference" in access.editable_fields(admin_user, commitment)
    assert not access.can_edit(outsider, commitment)

    fresh = type(commitment).objects.get(pk=commitment.pk)  # no remembered answers
    fresh.assignees.add(other_analyst)
    assert access.can_record(other_analyst, fresh)
    assert access.editable_fields(other_analyst, fresh) == ("description",)

    update = factories.record(commitment, author=analyst)
    assert access.can_review(manager, update)
    assert access.can_review(admin_user, update)
    assert not access.can_review(analyst, update)
    assert not access.can_review(outsider, update)


def test_whose_updates_need_review(settings, analyst, admin_user):
    assert not access.records_directly(analyst)
    assert access.records_directly(admin_user)
    assert access.records_directly(None)  # imported seed data
    settings.TRACKER_REVIEW_REQUIRED = False
    assert access.records_directly(analyst)


def test_the_role_groups_carry_no_permission_that_nothing_checks():
    for name in (ANALYSTS, MANAGERS):
        assert not Group.objects.get(name=name).permissions.exists()
    assert not Permission.objects.filter(codename="review_statusupdate").exists()


def record_form(commitment):
    return {
        "status": "in_progress",
        "confidence": "moderate",
        "as_of": "2024-01-10",
        "evidence-TOTAL_FORMS": "1",
        "evidence-INITIAL_FORMS": "0",
        "evidence-0-quote": "They met.",
        "evidence-0-new_source_title": "A readout",
        "evidence-0-new_source_kind": "readout",
    }


def test_an_admin_is_told_record_update_and_the_update_is_official(client, admin_user, commitment):
    client.force_login(admin_user)
    page = client.get(commitment.get_absolute_url()).content.decode()
    assert "Record update</button>" in page and "Submit for review" not in page
    response = client.post(f"{commitment.get_absolute_url()}updates/", record_form(commitment))
    assert response.status_code == 302
    update = StatusUpdate.objects.get(commitment=commitment)
    assert update.review_state == StatusUpdate.ReviewState.ACCEPTED
    commitment.refresh_from_db()
    assert commitment.current_status == "in_progress"


def test_an_analyst_is_told_submit_for_review_and_the_update_waits(client, analyst, commitment):
    client.force_login(analyst)
    page = client.get(commitment.get_absolute_url()).content.decode()
    assert "Submit for review</button>" in page
    client.post(f"{commitment.get_absolute_url()}updates/", record_form(commitment))
    update = StatusUpdate.objects.get(commitment=commitment)
    assert update.review_state == StatusUpdate.ReviewState.SUBMITTED


def test_the_navigation_shows_what_the_policy_allows(client, analyst, manager, outsider):
    client.force_login(analyst)
    page = client.get("/").content.decode()
    assert 'href="/returned/"' in page and 'href="/review/"' not in page
    client.force_login(manager)
    page = client.get("/").content.decode()
    assert 'href="/review/"' in page and 'href="/returned/"' not in page


# The signed-in user's roles come with the user (access.RolesWithUser), read every request


def test_a_user_removed_from_their_group_loses_its_access_at_once(client, analyst):
    client.force_login(analyst)
    assert client.get("/returned/").status_code == 200
    analyst.groups.remove(Group.objects.get(name=ANALYSTS))
    assert client.get("/returned/").status_code == 403


def test_a_user_added_to_a_group_gains_its_access_at_once(client, analyst):
    client.force_login(analyst)
    assert client.get("/review/").status_code == 403
    analyst.groups.add(Group.objects.get(name=MANAGERS))
    assert client.get("/review/").status_code == 200


def test_a_deactivated_user_is_signed_out_at_once(client, analyst):
    client.force_login(analyst)
    analyst.is_active = False
    analyst.save()
    response = client.get("/commitments/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_signed_in_user_is_read_as_the_orm_reads_them(client, analyst):
    analyst.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(analyst)  # sets last_login
    user = access.ModelBackend().get_user(analyst.pk)
    stored = type(analyst).objects.get(pk=analyst.pk)
    assert [getattr(user, f.attname) for f in stored._meta.concrete_fields] == [
        getattr(stored, f.attname) for f in stored._meta.concrete_fields
    ]
    assert user.last_login.tzinfo is not None  # SQLite's text made aware, as the ORM does
    assert access.is_manager(user) and access.is_analyst(user)
    assert access.ModelBackend().get_user(10**9) is None
