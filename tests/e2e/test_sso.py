"""Single sign-on, end to end, against a real OpenID Connect provider: django-oauth-toolkit
in its own process (tests/oidc_provider/), never a mock of the protocol. Sign in at the
provider, come back signed in with the role the provider's groups map to, sign out."""

import http.client
import os
import subprocess
import sys
import time

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from bench.load_writers import ROOT, free_port
from tests.e2e.conftest import assert_accessible
from tests.oidc_provider.serve import PASSWORD as IDP_PASSWORD
from tracker.models import AuditEvent

pytestmark = pytest.mark.e2e

CLIENT_ID = "commitment-tracker"
CLIENT_SECRET = "a-client-secret-for-tests-only"  # noqa: S105


def discovery_answers(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/o/.well-known/openid-configuration")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


@pytest.fixture
def identity_provider(live_server, tmp_path):
    port = free_port()
    redirect_uri = f"{live_server.url}/accounts/oidc/sso/login/callback/"
    log = open(tmp_path / "idp.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve", str(port), CLIENT_ID]
        + [CLIENT_SECRET, redirect_uri],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
            "OIDC_PROVIDER_DB": str(tmp_path / "idp.sqlite3"),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}/o"
    deadline = time.monotonic() + 60
    while not discovery_answers(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(
                f"the identity provider did not start:\n{(tmp_path / 'idp.log').read_text()}"
            )
        time.sleep(0.2)
    yield issuer
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture
def sso(settings, identity_provider):
    """The tracker configured as the documented environment variables would configure it."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Example IdP",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": identity_provider},
                }
            ],
        }
    }
    # As tracker/settings.py allows the provider when OIDC_ISSUER is set.
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": [*settings.SECURE_CSP["form-action"], identity_provider.removesuffix("/o")],
    }
    settings.TRACKER_OIDC_ROLE_MAP = {
        "tracker-analysts": "Analysts",
        "tracker-managers": "Managers",
    }
    settings.TRACKER_REQUIRE_2FA = True  # the provider's sign-in counts as the second factor
    return identity_provider


def sign_in_at_the_provider(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Example IdP").click()
    expect(page.get_by_role("heading", name="Example Identity Provider")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(IDP_PASSWORD)
    page.get_by_role("button", name="Sign in to the identity provider").click()


def test_single_sign_on_maps_groups_to_roles_and_signs_out(
    e2e_data, sso, live_server, page, csp_violations, shot
):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("button", name="Sign in with Example IdP")).to_be_visible()
    assert_accessible(page)
    shot(page, "sso-login")

    sign_in_at_the_provider(page, live_server, "pat")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".nav-user .who")).to_contain_text("Pat Provider")
    expect(page.locator(".nav-user .role")).to_have_text("Analyst")
    page.goto(f"{live_server.url}/commitments/")  # no enrolment asked: the provider did it
    expect(page.get_by_role("heading", level=1)).to_have_text("Commitments")
    shot(page, "sso-signed-in")

    pat = User.objects.get(username="pat")
    assert (pat.first_name, pat.email) == ("Pat", "pat@idp.example")
    assert list(pat.groups.values_list("name", flat=True)) == ["Analysts"]
    assert not pat.has_usable_password() and not pat.is_staff
    event = AuditEvent.objects.get(action="sso_roles")
    assert (event.username, event.detail) == ("pat", "Analysts")
    assert AuditEvent.objects.filter(action="sign_in", username="pat").count() == 1

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/commitments/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/commitments/")


def test_a_manager_and_a_user_in_no_mapped_group(e2e_data, sso, live_server, page, csp_violations):
    sign_in_at_the_provider(page, live_server, "morgan")
    expect(page.locator(".nav-user .role")).to_have_text("Manager")
    assert set(User.objects.get(username="morgan").groups.values_list("name", flat=True)) == {
        "Analysts",
        "Managers",
    }
    page.get_by_role("button", name="Log out").click()
    page.context.clear_cookies()  # leave the provider's session too

    sign_in_at_the_provider(page, live_server, "nora")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_text("Your account has no role yet")).to_be_visible()
    assert not User.objects.get(username="nora").groups.exists()
