"""The Django admin as back office."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests import factories
from tracker.models import Commitment, StatusUpdate

pytestmark = pytest.mark.django_db

TRACKER_MODELS = [m for m in admin.site._registry if m._meta.app_label == "tracker"]
# Recorded history: shown in the admin, never added or changed there.
# Not added in the admin: recorded history, uploads, and access tokens (their user creates them).
READ_ONLY = {
    "StatusUpdate",
    "Evidence",
    "CommitmentPassage",
    "AuditEvent",
    "ImportFile",
    "ApiToken",
}


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def test_every_tracker_model_is_registered():
    names = {m.__name__ for m in TRACKER_MODELS}
    assert {
        "Party",
        "Area",
        "Event",
        "Source",
        "Commitment",
        "StatusUpdate",
        "Evidence",
        "Indicator",
        "Measurement",
    } <= names


@pytest.mark.parametrize("model", TRACKER_MODELS, ids=lambda m: m.__name__)
def test_every_changelist_renders_for_an_admin(client, admin_user, seeded, model):
    client.force_login(admin_user)
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "model",
    [m for m in TRACKER_MODELS if m.__name__ not in READ_ONLY],
    ids=lambda m: m.__name__,
)
def test_every_add_page_renders_for_an_admin(client, admin_user, model):
    client.force_login(admin_user)
    assert client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", TRACKER_MODELS, ids=lambda m: m.__name__)
def test_changelists_are_refused_to_users_without_permission(client, analyst, model):
    client.force_login(analyst)  # not staff: sent to the admin's sign-in page
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]

    staff = factories.make_user("staff-no-perms", is_staff=True)
    client.force_login(staff)
    assert client.get(admin_url(model, "changelist")).status_code == 403


def test_the_seeded_commitment_shows_its_updates_quotes_and_indicator(client, admin_user, seeded):
    client.force_login(admin_user)
    coalition = Commitment.objects.get(reference="USCN-COALITION")
    page = client.get(admin_url(Commitment, "change", coalition.pk)).content.decode()
    assert "coalition of more than 140 countries" in page
    assert "Countries in the coalition" in page
    assert "Secretary of State Antony Blinken" in page


def test_status_updates_cannot_be_added_changed_or_deleted(client, admin_user, seeded):
    client.force_login(admin_user)
    update = StatusUpdate.objects.first()
    assert client.get(admin_url(StatusUpdate, "add")).status_code == 403
    page = client.get(admin_url(StatusUpdate, "change", update.pk))
    assert page.status_code == 200
    assert b'name="assessment"' not in page.content  # read-only
    response = client.post(admin_url(StatusUpdate, "delete", update.pk), {"post": "yes"})
    assert response.status_code == 403
    assert StatusUpdate.objects.filter(pk=update.pk).exists()


def test_commitment_edits_keep_field_level_history(client, admin_user, seeded):
    client.force_login(admin_user)
    commitment = Commitment.objects.get(reference="USCN-FENTANYL")
    commitment.title = "Curb fentanyl precursor shipments"
    commitment.save()
    assert commitment.history.count() == 2
    newest, previous = commitment.history.all()[:2]
    changes = {c.field: (c.old, c.new) for c in newest.diff_against(previous).changes}
    assert changes["title"][1] == "Curb fentanyl precursor shipments"
    page = client.get(admin_url(Commitment, "history", commitment.pk))
    assert page.status_code == 200
    assert b"Curb fentanyl precursor shipments" in page.content


def test_editing_in_the_admin_bumps_the_version(client, admin_user, seeded):
    client.force_login(admin_user)
    commitment = Commitment.objects.get(reference="USCN-FENTANYL")
    url = admin_url(Commitment, "change", commitment.pk)
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        title="New title",
        area=commitment.area_id,
        event=commitment.event_id or "",
        assignees=[],
        reference=commitment.reference,
        review_cadence_days=30,
    )
    for prefix in ("commitment_parties", "indicators", "status_updates"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = client.post(url, {k: v for k, v in data.items() if v is not None})
    assert response.status_code == 302, response.context and response.context["errors"]
    commitment.refresh_from_db()
    assert commitment.title == "New title"
    assert commitment.version == 2


@pytest.mark.parametrize("model_name", sorted(READ_ONLY))
def test_recorded_history_cannot_be_added_in_the_admin(client, admin_user, model_name):
    client.force_login(admin_user)
    model = next(m for m in TRACKER_MODELS if m.__name__ == model_name)
    assert client.get(admin_url(model, "add")).status_code == 403


def test_the_audit_log_shows_sign_ins_and_cannot_be_changed(client, admin_user, analyst):
    from tracker.models import AuditEvent

    client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    client.force_login(admin_user)
    event = AuditEvent.objects.get(action="sign_in_failed")
    assert event.username == "alice"
    page = client.get(admin_url(AuditEvent, "changelist")).content.decode()
    assert "Sign-in failed" in page
    change = client.get(admin_url(AuditEvent, "change", event.pk))
    assert b'name="detail"' not in change.content
    assert (
        client.post(admin_url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    )
