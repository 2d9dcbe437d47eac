"""Single sign-on configuration and role mapping (the sign-in itself, against a real
provider, is tests/e2e/test_sso.py)."""

import json
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests import factories
from tracker.accounts import roles

MAP = {"tracker-analysts": "Analysts", "tracker-managers": "Managers"}


@pytest.fixture
def role_map(settings):
    settings.TRACKER_OIDC_ROLE_MAP = MAP
    settings.TRACKER_OIDC_ROLE_CLAIM = "groups"


@pytest.mark.parametrize(
    "claims,expected",
    [
        ({"groups": ["tracker-analysts"]}, {"Analysts"}),
        ({"groups": ["tracker-managers", "tracker-analysts", "canteen"]}, {"Analysts", "Managers"}),
        ({"groups": "tracker-managers other"}, {"Managers"}),  # one space-separated string
        ({"groups": ["canteen"]}, set()),
        ({"groups": [{"id": "tracker-analysts"}]}, set()),  # not a list of names
        ({"groups": 7}, set()),
        ({}, set()),
    ],
)
def test_the_claim_maps_to_roles(role_map, claims, expected):
    assert roles.roles_from_claims(claims) == expected


def test_another_claim_can_carry_the_roles(settings):
    settings.TRACKER_OIDC_ROLE_MAP = {"editor": "Managers"}
    settings.TRACKER_OIDC_ROLE_CLAIM = "roles"
    assert roles.roles_from_claims({"roles": ["editor"], "groups": ["x"]}) == {"Managers"}


def test_only_our_roles_can_be_mapped(settings):
    settings.TRACKER_OIDC_ROLE_MAP = {"admins": "Superusers"}
    with pytest.raises(ImproperlyConfigured, match="Analysts or Managers"):
        roles.roles_from_claims({"groups": ["admins"]})


@pytest.mark.django_db
def test_roles_follow_the_provider_both_ways():
    """Granted when the provider adds the group, taken away when it removes it; other
    groups and staff status are the tracker's own business."""
    from django.contrib.auth.models import Group

    user = factories.make_analyst("pat")
    other = Group.objects.create(name="Newsletter")
    user.groups.add(other)
    assert roles.set_roles(user, {"Managers"}) is True
    assert set(user.groups.values_list("name", flat=True)) == {"Managers", "Newsletter"}
    assert roles.set_roles(user, {"Managers"}) is False  # nothing changed, nothing audited
    assert roles.set_roles(user, set()) is True
    assert set(user.groups.values_list("name", flat=True)) == {"Newsletter"}


def settings_in_a_fresh_process(env):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'apps': s.SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS'], "
        "'form_action': [str(x) for x in s.SECURE_CSP['form-action']], "
        "'role_map': s.TRACKER_OIDC_ROLE_MAP, 'require_2fa': s.TRACKER_REQUIRE_2FA}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"DJANGO_SETTINGS_MODULE": "tracker.settings", "PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_the_provider_comes_from_the_environment():
    values = settings_in_a_fresh_process(
        {
            "OIDC_ISSUER": "https://login.example.gov/realms/staff/",
            "OIDC_CLIENT_ID": "tracker",
            "OIDC_CLIENT_SECRET": "s3cret",
            "OIDC_PROVIDER_NAME": "Example Ministry",
            "OIDC_ROLE_MAP": "tracker-analysts=Analysts, tracker-managers=Managers",
        }
    )
    [app] = values["apps"]
    assert app["provider_id"] == "sso" and app["name"] == "Example Ministry"
    assert (app["client_id"], app["secret"]) == ("tracker", "s3cret")
    assert app["settings"] == {"server_url": "https://login.example.gov/realms/staff"}
    assert values["form_action"] == ["'self'", "https://login.example.gov"]
    assert values["role_map"] == MAP
    assert values["require_2fa"] is False  # DEBUG is on by default: development


def test_without_an_issuer_there_is_no_single_sign_on():
    values = settings_in_a_fresh_process({"DEBUG": "0", "SECRET_KEY": "x" * 50})
    assert values["apps"] == [] and values["form_action"] == ["'self'"]
    assert values["require_2fa"] is True  # on by default in production


def test_a_wrong_role_map_stops_the_app_at_start(settings):
    from tracker.accounts.checks import check_sso_settings

    settings.TRACKER_OIDC_ROLE_MAP = {"admins": "Superusers"}
    [error] = check_sso_settings(None)
    assert error.id == "tracker.E201" and "not Superusers" in error.msg
    settings.TRACKER_OIDC_ROLE_MAP = MAP
    assert check_sso_settings(None) == []
