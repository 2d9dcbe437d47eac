"""Two-factor sign-in in a real browser: an analyst whose organisation requires a second
factor is sent to enrol, scans (reads) the server-drawn QR code's key, turns the app on with
a code computed by the test, keeps the recovery codes, and signs in again with a fresh code.
No CSP violation and no axe-core violation on any of these pages."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, assert_accessible
from tests.two_factor import totp

pytestmark = pytest.mark.e2e


@pytest.fixture
def require_2fa(settings):
    settings.TRACKER_REQUIRE_2FA = True
    from django.core.cache import cache

    cache.clear()  # allauth counts sign-in attempts per address in the cache


def test_an_analyst_enrols_and_signs_in_with_a_code(
    e2e_data, require_2fa, live_server, login, shot
):
    page = login("analyst")
    # Sent to enrol before anything else.
    expect(page).to_have_url(f"{live_server.url}/accounts/2fa/")
    expect(page.get_by_text("Your organisation requires a second factor")).to_be_visible()
    assert_accessible(page)
    shot(page, "two-factor-security-page")
    page.goto(f"{live_server.url}/commitments/")
    expect(page).to_have_url(f"{live_server.url}/accounts/2fa/")

    page.get_by_role("link", name="Set up an authenticator app").click()
    # Changing a second factor asks for the password again.
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    assert_accessible(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert_accessible(page)
    shot(page, "two-factor-enrol")
    secret = page.get_by_label("Or type this key into the app").input_value()
    page.get_by_label("Code from the app").fill(totp(secret))
    page.get_by_role("button", name="Turn on").click()

    # The recovery codes, shown once.
    codes = page.locator("textarea")
    expect(codes).to_be_visible()
    recovery = codes.input_value().split()
    assert len(recovery) == 10 and all(
        re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{4}", c) for c in recovery
    )
    assert_accessible(page)
    shot(page, "two-factor-recovery-codes")

    page.get_by_label("I have saved my recovery codes").check()
    # Security keys and passkeys: allauth's WebAuthn script runs under the strict CSP too.
    page.goto(f"{live_server.url}/accounts/2fa/webauthn/add/")
    expect(page.get_by_role("heading", name="Add Security Key")).to_be_visible()
    expect(page.get_by_label("Name")).to_be_visible()
    assert page.evaluate("typeof window.allauth.webauthn.forms.addForm") == "function"
    assert_accessible(page)
    shot(page, "two-factor-add-security-key")
    page.goto(f"{live_server.url}/accounts/2fa/recovery-codes/")
    page.get_by_role("link", name="Continue to the tracker").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/commitments/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Commitments")
    page.get_by_role("button", name="Log out").click()

    # Next time: password, then a code from the app.
    page.get_by_label("Username").fill("analyst")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Second step")).to_be_visible()
    assert_accessible(page)
    shot(page, "two-factor-second-step")
    page.get_by_label("Code").fill("000000" if totp(secret) != "000000" else "111111")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    # The next 30 seconds' code: the one used to enrol cannot be used twice.
    import time

    page.get_by_label("Code").fill(totp(secret, at=time.time() + 30))
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/commitments/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Commitments")
