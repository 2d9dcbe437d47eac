"""A real WebAuthn ceremony: Chromium's virtual authenticator (DevTools protocol, CTAP2, a
built-in key with a resident credential and user verification) stands in for a security key.
An analyst whose organisation requires a second factor adds it from the security page, signs
out, signs in with password and key, signs out, and signs in with the passkey alone. No CSP
violation and no axe-core violation on the way."""

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, assert_accessible
from tracker.models import AuditEvent

pytestmark = pytest.mark.e2e


@pytest.fixture
def security_key(page):
    """A virtual authenticator in this browser tab: answers WebAuthn as a key with a PIN or a
    fingerprint would, without anyone touching it."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    added = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )

    def credentials():
        return devtools.send(
            "WebAuthn.getCredentials", {"authenticatorId": added["authenticatorId"]}
        )["credentials"]

    yield credentials
    devtools.send("WebAuthn.disable")


@pytest.fixture
def webauthn_over_http(settings):
    """The live server speaks plain HTTP (browsers allow WebAuthn on localhost); production
    is HTTPS and leaves this off."""
    settings.TRACKER_REQUIRE_2FA = True
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True


def sign_out(page):
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_an_analyst_adds_a_security_key_and_signs_in_with_it(
    e2e_data, webauthn_over_http, live_server, login, security_key, shot
):
    page = login("analyst")
    expect(page).to_have_url(f"{live_server.url}/accounts/2fa/")
    page.get_by_role("link", name="Add a security key or passkey").click()
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Add Security Key")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Name").fill("Laptop key")
    page.get_by_label("Passwordless").check()
    page.get_by_role("button", name="Add").click()

    # The ceremony ran in the browser; the server checked it and kept the public key.
    expect(page.locator("textarea#recovery_codes")).to_be_visible()
    assert len(security_key()) == 1
    assert security_key()[0]["isResidentCredential"]
    key = Authenticator.objects.get(user=e2e_data["analyst"], type="webauthn")
    assert key.wrap().name == "Laptop key"
    assert key.wrap().is_passwordless
    assert AuditEvent.objects.filter(action="mfa_added", detail="webauthn").exists()
    assert_accessible(page)
    shot(page, "security-key-added")
    page.goto(f"{live_server.url}/accounts/2fa/")
    expect(page.get_by_text("1 security key or passkey added.")).to_be_visible()
    sign_out(page)

    # Password, then the key.
    login("analyst")
    expect(page.get_by_role("heading", name="Second step")).to_be_visible()
    assert_accessible(page)
    shot(page, "security-key-second-step")
    page.get_by_role("button", name="Use a security key or passkey").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/commitments/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Commitments")
    sign_out(page)

    # The passkey alone: no username, no password.
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/commitments/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Commitments")
    signed_in = AuditEvent.objects.filter(action="sign_in", username="analyst").count()
    assert signed_in == 3
    assert not AuditEvent.objects.filter(action="mfa_failed").exists()


def test_at_an_ip_address_the_page_says_why_the_key_is_refused(
    e2e_data, webauthn_over_http, live_server, page, csp_violations, security_key
):
    """Browsers refuse WebAuthn for a site addressed by number (http://127.0.0.1:8000, what
    a developer may type): the page says so, and where to go, rather than nothing at all."""
    by_number = live_server.url.replace("localhost", "127.0.0.1")
    page.goto(f"{by_number}/accounts/login/")
    page.get_by_role("button", name="Use a passkey").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("not a number")
    expect(alert).to_contain_text(f"{live_server.url}/accounts/login/")
    assert_accessible(page)
