"""Commitment edits go through services.edit_commitment(), from the app and the admin alike:
one version bump, the row locked, no cycle of parents, every edit audited."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests import factories
from tracker import services
from tracker.models import AuditEvent, Commitment

pytestmark = pytest.mark.django_db


@pytest.fixture
def mil(db):
    return factories.make_commitment("MIL")


@pytest.fixture
def fent(db):
    return factories.make_commitment("FENT")


def test_two_managers_setting_parents_cannot_make_a_cycle(mil, fent, manager, other_manager):
    """Both forms were valid when opened; the second save is checked under the lock."""
    services.edit_commitment(commitment=fent, editor=manager, changes={"parent": mil})
    with pytest.raises(ValidationError) as raised:
        services.edit_commitment(commitment=mil, editor=other_manager, changes={"parent": fent})
    assert raised.value.message_dict == {"parent": [services.PARENT_CYCLE]}
    mil.refresh_from_db()
    assert (mil.parent, mil.version) == (None, 1)


def test_a_cycle_through_the_form_is_an_inline_error(client, mil, fent, manager):
    grandchild = factories.make_commitment("FENT-1", parent=fent)
    services.edit_commitment(commitment=fent, editor=manager, changes={"parent": mil})
    client.force_login(manager)
    response = client.post(
        "/commitments/MIL/edit/", factories.edit_form_data(mil, parent=grandchild.pk)
    )
    assert response.status_code == 422
    assert services.PARENT_CYCLE in response.content.decode()
    mil.refresh_from_db()
    assert mil.parent is None


def admin_post(client, commitment, **changes):
    url = reverse("admin:tracker_commitment_change", args=[commitment.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        reference=commitment.reference,
        area=commitment.area_id,
        event=commitment.event_id or "",
        parent=commitment.parent_id or "",
        assignees=[],
        review_cadence_days=commitment.review_cadence_days,
    )
    data.update(changes)
    for prefix in ("commitment_parties", "indicators", "status_updates"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return client.post(url, data)


def test_an_admin_edit_bumps_the_version_once_and_is_audited(client, admin_user, mil, analyst):
    client.force_login(admin_user)
    response = admin_post(client, mil, title="Restored channels", assignees=[analyst.pk])
    assert response.status_code == 302
    mil.refresh_from_db()
    assert (mil.title, mil.version) == ("Restored channels", 2)
    assert list(mil.assignees.all()) == [analyst]
    assert mil.history.latest().history_user == admin_user
    edit = AuditEvent.objects.get(action="edit", target="MIL")
    assert edit.user == admin_user and "title" in edit.detail


def test_the_admin_refuses_a_cycle_with_a_clear_message(client, admin_user, mil, fent, manager):
    services.edit_commitment(commitment=fent, editor=manager, changes={"parent": mil})
    client.force_login(admin_user)
    response = admin_post(client, mil, parent=fent.pk)
    assert response.status_code == 200
    assert services.PARENT_CYCLE in response.content.decode()
    assert Commitment.objects.get(pk=mil.pk).parent is None


def test_an_unchanged_save_keeps_the_version(mil, manager):
    saved = services.edit_commitment(
        commitment=mil, editor=manager, changes={"title": mil.title}, expected_version=1
    )
    assert saved.version == 1
    assert not AuditEvent.objects.filter(action="edit").exists()
