"""Two-factor sign-in: enrolling an authenticator app, the second step, recovery codes,
lockout of code guessing, TRACKER_REQUIRE_2FA, and the admin's reset."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator

from tests import factories
from tests.two_factor import SECRET, enrol, totp
from tracker.models import AuditEvent, UsedTotpStep

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
SECOND_STEP = "/accounts/2fa/authenticate/"
SECURITY = "/accounts/2fa/"
ACTIVATE = "/accounts/2fa/totp/activate/"
PASSWORD = "pw-for-tests-only"
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/commitments/"}


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.reset_attempts()


@pytest.fixture
def require_2fa(settings):
    settings.TRACKER_REQUIRE_2FA = True


def sign_in(client, username="alice", password=PASSWORD, next_url=None):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def confirm_password(client, password=PASSWORD):
    """Changing a second factor asks for the password again, even right after signing in."""
    response = client.post("/accounts/reauthenticate/", {"password": password})
    assert response.status_code == 302, response.content
    return response


def actions():
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# Enrolling


def test_the_security_page_offers_an_authenticator_app_and_security_keys(client, analyst):
    client.force_login(analyst)
    response = client.get(SECURITY)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Security</h1>" in page
    assert f'href="{ACTIVATE}"' in page
    assert 'href="/accounts/2fa/webauthn/add/"' in page
    assert 'href="/accounts/2fa/">Security</a>' in page  # in the navigation


def test_enrolling_an_authenticator_app(client, analyst, django_capture_on_commit_callbacks):
    sign_in(client)
    response = client.get(ACTIVATE)
    assert (
        response["Location"]
        == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    )
    confirm_password(client)
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    html = page.content.decode()
    # The QR code is drawn on the server, as an SVG image: no script, nothing external.
    assert re.search(r'<img class="totp-qr" src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"', html)
    secret = re.search(r'id="authenticator_secret" type="text" value="([A-Z2-7]+)"', html)[1]

    wrong = client.post(ACTIVATE, {"code": "000000" if totp(secret) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert b'class="errorlist"' in wrong.content
    assert not Authenticator.objects.filter(user=analyst).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ACTIVATE, {"code": totp(secret)})
    assert response.status_code == 302
    types = set(Authenticator.objects.filter(user=analyst).values_list("type", flat=True))
    assert types == {"totp", "recovery_codes"}
    assert AuditEvent.objects.filter(action="mfa_added", user=analyst, detail="totp").exists()
    # Recovery codes: shown once, on the page enrolment leads to.
    codes_page = client.get(client.get(response["Location"]).wsgi_request.path)
    assert codes_page.status_code == 200


def test_secrets_are_stored_encrypted(analyst):
    codes = enrol(analyst)
    stored = str(list(Authenticator.objects.filter(user=analyst).values_list("data", flat=True)))
    assert SECRET not in stored
    assert not any(code in stored for code in codes)


def test_an_over_long_code_is_refused_inline(client, analyst):
    enrol(analyst)
    sign_in(client)
    response = client.post(SECOND_STEP, {"code": "1" * 5000})
    assert response.status_code == 200
    assert b"Ensure this value has at most 20 characters" in response.content
    assert "_auth_user_id" not in client.session


# The second step


def test_signing_in_asks_for_the_code_after_the_password(client, analyst):
    enrol(analyst)
    response = sign_in(client, next_url="/commitments/")
    assert response.status_code == 302
    assert response["Location"] == SECOND_STEP
    assert "_auth_user_id" not in client.session  # not signed in yet
    assert client.get("/commitments/")["Location"].startswith(LOGIN)
    page = client.get(SECOND_STEP)
    assert b"<h1>Second step</h1>" in page.content
    response = client.post(SECOND_STEP, {"code": totp(SECRET)})
    assert response.status_code == 302
    assert response["Location"] == "/commitments/"
    assert client.get("/commitments/").status_code == 200
    assert actions() == ["sign_in"]


def test_a_wrong_code_is_refused_and_audited(client, analyst):
    enrol(analyst)
    sign_in(client)
    response = client.post(SECOND_STEP, {"code": "12345678"})
    assert response.status_code == 200
    assert b"That code is not right" in response.content
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="mfa_failed")
    assert (event.username, event.detail) == ("alice", "sign-in")


def test_a_code_works_once(client, analyst):
    enrol(analyst)
    code = totp(SECRET)
    sign_in(client)
    assert client.post(SECOND_STEP, {"code": code}).status_code == 302
    client.post("/accounts/logout/")
    sign_in(client)
    response = client.post(SECOND_STEP, {"code": code})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_code_is_refused_again_by_another_app_server(client, analyst):
    """Two gunicorn workers each have their own cache: clearing it between the two attempts is
    what the second worker would see. The database, which they share, refuses the replay."""
    from django.core.cache import cache

    enrol(analyst)
    code = totp(SECRET)
    sign_in(client)
    assert client.post(SECOND_STEP, {"code": code}).status_code == 302
    assert UsedTotpStep.objects.filter(authenticator__user=analyst).count() == 1
    client.post("/accounts/logout/")
    cache.clear()
    sign_in(client)
    response = client.post(SECOND_STEP, {"code": code})
    assert response.status_code == 200
    assert b"That code is not right" in response.content
    assert "_auth_user_id" not in client.session
    # The next 30 seconds' code is a new one.
    assert client.post(SECOND_STEP, {"code": totp(SECRET, at=time.time() + 30)}).status_code == 302


def test_a_used_time_step_is_claimed_once_and_old_steps_forgotten(analyst):
    enrol(analyst)
    factor = Authenticator.objects.get(user=analyst, type="totp")
    claim = UsedTotpStep.objects.claim
    assert claim(authenticator=factor, time_step=1000, tolerance=1)
    assert not claim(authenticator=factor, time_step=1000, tolerance=1)
    assert claim(authenticator=factor, time_step=1001, tolerance=1)
    assert claim(authenticator=factor, time_step=1003, tolerance=1)
    steps = UsedTotpStep.objects.filter(authenticator=factor).values_list("time_step", flat=True)
    assert sorted(steps) == [1001, 1003]  # 1000 can no longer be typed in time


def test_a_recovery_code_signs_in_once(client, analyst):
    codes = enrol(analyst)
    sign_in(client)
    assert client.post(SECOND_STEP, {"code": codes[0]}).status_code == 302
    client.post("/accounts/logout/")
    sign_in(client)
    assert client.post(SECOND_STEP, {"code": codes[0]}).status_code == 200  # used up
    assert "_auth_user_id" not in client.session
    assert client.post(SECOND_STEP, {"code": codes[1]}).status_code == 302


def test_guessing_codes_locks_out_with_429(client, analyst, axes_on):
    enrol(analyst)
    sign_in(client)
    for _ in range(4):
        assert client.post(SECOND_STEP, {"code": "00000000"}).status_code == 200
    response = client.post(SECOND_STEP, {"code": "00000000"})
    assert response.status_code == 429
    assert b"locked for 15 minutes" in response.content
    # Locked: the right code is refused too, and so is the password step.
    assert client.post(SECOND_STEP, {"code": totp(SECRET)}).status_code == 429
    assert "_auth_user_id" not in client.session
    assert sign_in(client).status_code == 429
    assert actions().count("mfa_failed") == 5


def test_password_and_code_failures_count_together(client, analyst, axes_on):
    enrol(analyst)
    for _ in range(3):
        sign_in(client, password="wrong")
    sign_in(client)
    client.post(SECOND_STEP, {"code": "00000000"})
    assert client.post(SECOND_STEP, {"code": "00000000"}).status_code == 429


def test_guessing_codes_to_confirm_a_change_locks_out_too(client, analyst, axes_on):
    enrol(analyst)
    sign_in(client)
    client.post(SECOND_STEP, {"code": totp(SECRET)})
    for _ in range(4):
        assert client.post("/accounts/2fa/reauthenticate/", {"code": "00000000"}).status_code == 200
    assert client.post("/accounts/2fa/reauthenticate/", {"code": "00000000"}).status_code == 429
    response = client.post(
        "/accounts/2fa/reauthenticate/", {"code": totp(SECRET, at=time.time() + 30)}
    )
    assert response.status_code == 429
    events = AuditEvent.objects.filter(action="mfa_failed", detail="reauthentication")
    assert events.count() == 5


def test_the_lockout_is_per_user(client, analyst, other_analyst, axes_on):
    enrol(analyst)
    sign_in(client)
    for _ in range(5):
        client.post(SECOND_STEP, {"code": "00000000"})
    client.post("/accounts/logout/")
    assert sign_in(client, "oscar").status_code == 302


# TRACKER_REQUIRE_2FA


def test_without_the_setting_nobody_is_asked_to_enrol(client, analyst):
    client.force_login(analyst)
    assert client.get("/commitments/").status_code == 200


def test_a_user_without_a_second_factor_is_sent_to_enrol(client, analyst, require_2fa):
    sign_in(client)
    response = client.get("/commitments/")
    assert response.status_code == 302
    assert response["Location"] == SECURITY
    page = client.get(SECURITY)
    assert b"Your organisation requires a second factor" in page.content
    confirm_password(client)  # allowed before enrolling
    assert client.get(ACTIVATE).status_code == 200  # enrolment itself is allowed


def test_htmx_requests_get_hx_redirect_to_enrol(client, analyst, require_2fa):
    client.force_login(analyst)
    response = client.get("/commitments/?status=at_risk", headers=HTMX)
    assert response["HX-Redirect"] == SECURITY
    assert response.content == b""


def test_the_admin_is_behind_the_second_factor_too(client, admin_user, require_2fa):
    client.force_login(admin_user)
    assert client.get("/admin/")["Location"] == SECURITY


def test_an_access_token_reads_exports_and_the_feed_without_a_session(client, analyst, require_2fa):
    """A token was made in a session that passed the second factor; a script has no session."""
    token = factories.make_token(analyst)
    export = client.get("/export/commitments.csv", headers={"authorization": f"Bearer {token.raw}"})
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/csv")
    feed = client.get(f"/feed/updates.atom?token={token.raw}")
    assert feed.status_code == 200
    assert b"<feed" in feed.content


def test_signing_out_is_always_possible(client, analyst, require_2fa):
    client.force_login(analyst)
    assert client.post("/accounts/logout/")["Location"] == LOGIN


def test_after_enrolling_every_page_opens(client, analyst, require_2fa):
    sign_in(client)
    confirm_password(client)
    page = client.get(ACTIVATE).content.decode()
    secret = re.search(r'id="authenticator_secret" type="text" value="([A-Z2-7]+)"', page)[1]
    client.post(ACTIVATE, {"code": totp(secret)})
    assert client.get("/commitments/").status_code == 200


def test_an_enrolled_user_signing_in_goes_straight_through(client, analyst, require_2fa):
    enrol(analyst)
    sign_in(client)
    client.post(SECOND_STEP, {"code": totp(SECRET)})
    assert client.get("/commitments/").status_code == 200


def test_enforcement_costs_no_query_once_signed_in_with_the_second_factor(
    client, analyst, settings, django_assert_num_queries
):
    enrol(analyst)
    sign_in(client)
    client.post(SECOND_STEP, {"code": totp(SECRET)})
    # The list's own queries (pinned in tests/test_commitment_list.py), and not one more.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as without:
        assert client.get("/commitments/").status_code == 200
    settings.TRACKER_REQUIRE_2FA = True
    with django_assert_num_queries(len(without)):
        assert client.get("/commitments/").status_code == 200


# The admin


def test_the_admin_sign_in_is_the_sites(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Fadmin%2F"


def test_an_admin_resets_a_second_factor_after_confirming(client, admin_user, analyst):
    enrol(analyst)
    other = factories.make_analyst("bob")
    enrol(other)
    client.force_login(admin_user)
    changelist = "/admin/auth/user/"
    form = {"action": "reset_second_factor", "_selected_action": [analyst.pk]}
    confirm = client.post(changelist, form)
    assert confirm.status_code == 200
    assert b"Yes, reset" in confirm.content
    assert Authenticator.objects.filter(user=analyst).count() == 2  # nothing yet

    response = client.post(changelist, {**form, "confirmed": "yes"})
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=analyst).exists()
    assert Authenticator.objects.filter(user=other).count() == 2
    event = AuditEvent.objects.get(action="mfa_reset")
    assert (event.username, event.target, event.detail) == ("root", "alice", "recovery_codes, totp")


def test_only_admins_may_reset_a_second_factor(client, analyst):
    from django.contrib.auth.models import Permission

    staff = factories.make_user("sam", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    enrol(analyst)
    client.force_login(staff)
    form = {"action": "reset_second_factor", "_selected_action": [analyst.pk], "confirmed": "yes"}
    client.post("/admin/auth/user/", form)
    assert Authenticator.objects.filter(user=analyst).count() == 2
    assert not AuditEvent.objects.filter(action="mfa_reset").exists()


def test_the_reset_user_enrols_again(client, admin_user, analyst, require_2fa):
    enrol(analyst)
    from tracker.accounts.services import reset_second_factor

    reset_second_factor(user=analyst, request=None)
    sign_in(client)
    assert "_auth_user_id" in client.session  # no second step any more...
    assert client.get("/commitments/")["Location"] == SECURITY  # ...but must enrol


def test_second_factors_cannot_be_deleted_row_by_row_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/mfa/authenticator/").status_code == 404
