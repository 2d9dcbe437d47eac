from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from tracker.access import role_label
from tracker.models import Commitment

pytestmark = pytest.mark.django_db


def test_demo_accounts_get_their_roles_and_never_a_reset_password(monkeypatch, seeded):
    monkeypatch.setenv("DEMO_PASSWORD", "first-password-1")
    call_command("create_demo_accounts", stdout=StringIO())
    roles = {
        name: role_label(authenticate(username=name, password="first-password-1"))
        for name in ("analyst", "manager", "admin")
    }
    assert roles == {"analyst": "Analyst", "manager": "Manager", "admin": "Admin"}
    assert set(Commitment.objects.values_list("owner__username", flat=True)) == {"analyst"}

    monkeypatch.setenv("DEMO_PASSWORD", "second-password-2")
    out = StringIO()
    call_command("create_demo_accounts", stdout=out)
    assert "password unchanged" in out.getvalue()
    assert authenticate(username="analyst", password="first-password-1") is not None


def test_a_generated_password_is_kept_for_the_next_run(monkeypatch, tmp_path):
    from tracker.management.commands import create_demo_accounts as command

    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    monkeypatch.setattr(command, "PASSWORD_FILE", tmp_path / "demo-password.txt")
    first = command.demo_password()
    assert len(first) >= 12
    assert command.demo_password() == first
