"""Hardened sign-in, sessions, CSP and production settings."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from tracker.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def fail_sign_in(client, username="alice", times=1):
    for _ in range(times):
        response = client.post(LOGIN, {"username": username, "password": "not-the-password"})
    return response


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.reset_attempts()  # start every test with a clean slate


def test_five_failures_lock_the_account_out_with_a_clear_message(client, analyst, axes_on):
    assert fail_sign_in(client, times=4).status_code == 200  # the form again, with an error
    response = fail_sign_in(client)
    assert response.status_code == 429
    assert b"locked for 15 minutes" in response.content
    # Even the right password is refused while locked.
    response = client.post(LOGIN, {"username": "alice", "password": "pw-for-tests-only"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_user_and_address(client, analyst, other_analyst, axes_on):
    fail_sign_in(client, times=5)
    response = client.post(LOGIN, {"username": "oscar", "password": "pw-for-tests-only"})
    assert response.status_code == 302  # another user from the same address is not locked


def test_the_lockout_ends_after_15_minutes(client, analyst, axes_on, time_machine):
    import datetime as dt

    time_machine.move_to(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC), tick=False)
    fail_sign_in(client, times=5)
    time_machine.shift(16 * 60)
    response = client.post(LOGIN, {"username": "alice", "password": "pw-for-tests-only"})
    assert response.status_code == 302


def test_sign_ins_and_failures_are_logged_and_audited(client, analyst, caplog):
    with caplog.at_level("INFO", logger="tracker"):
        fail_sign_in(client)
        client.post(LOGIN, {"username": "alice", "password": "pw-for-tests-only"})
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "username"))
    assert actions == [("sign_in_failed", "alice"), ("sign_in", "alice")]
    assert "sign-in failed for 'alice'" in caplog.text


def test_permission_refusals_are_audited(client, outsider):
    client.force_login(outsider)
    assert client.get("/review/").status_code == 403
    event = AuditEvent.objects.get(action="permission_denied")
    assert (event.username, event.target) == ("nobody", "/review/")


def test_users_in_no_group_get_a_friendly_page(client, outsider):
    client.force_login(outsider)
    response = client.get("/review/")
    assert response.status_code == 403
    assert b"Your account has no role yet" in response.content


def test_sessions_last_eight_hours_and_end_on_log_out(client, analyst):
    assert django_settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    client.post(LOGIN, {"username": "alice", "password": "pw-for-tests-only"})
    session_key = client.session.session_key
    assert client.session.get_expiry_age() == 8 * 60 * 60
    client.post("/accounts/logout/")
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get("/review/").status_code == 302


def test_password_validators_refuse_weak_passwords(client, analyst):
    client.force_login(analyst)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": "pw-for-tests-only",
            "new_password1": "12345678",
            "new_password2": "12345678",
        },
    )
    assert response.status_code == 200
    assert b"too common" in response.content or b"entirely numeric" in response.content


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get(LOGIN)
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in policy
    assert "'nonce-" in directives["script-src"]
    nonce = directives["script-src"].split("'nonce-")[1].split("'")[0]
    # The htmx script tag carries the nonce; nothing loads from another origin.
    assert f'nonce="{nonce}"'.encode() in response.content
    assert b"https://" not in response.content


def test_security_headers(client):
    response = client.get(LOGIN)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_production_settings_pass_the_deploy_check():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 30 + "-a-long-random-production-secret-key-value",
        "ALLOWED_HOSTS": "tracker.example.org",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "", "ALLOWED_HOSTS": "x.example.org"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


# Password changes are throttled like sign-ins.

PASSWORD_CHANGE = "/accounts/password_change/"


def change_password(client, old):
    return client.post(
        PASSWORD_CHANGE,
        {
            "old_password": old,
            "new_password1": "a-much-longer-passphrase-7",
            "new_password2": "a-much-longer-passphrase-7",
        },
    )


def test_wrong_current_passwords_lock_the_password_change_out(client, analyst, axes_on):
    client.force_login(analyst)
    for _ in range(4):
        response = change_password(client, "not-it")
        assert response.status_code == 200
        assert b'id="id_old_password_error"' in response.content
    response = change_password(client, "not-it")
    assert response.status_code == 429
    assert b"locked for 15 minutes" in response.content
    # Locked: even the right password changes nothing.
    assert change_password(client, "pw-for-tests-only").status_code == 429
    analyst.refresh_from_db()
    assert analyst.check_password("pw-for-tests-only")
    failures = AuditEvent.objects.filter(action="sign_in_failed", username="alice")
    assert failures.count() >= 5
    assert failures.first().detail == "password change: wrong current password"
    assert AuditEvent.objects.filter(action="locked_out", username="alice").exists()


def test_a_password_change_with_the_right_password_still_works(client, analyst, axes_on):
    client.force_login(analyst)
    assert change_password(client, "not-it").status_code == 200
    assert change_password(client, "pw-for-tests-only").status_code == 302
    analyst.refresh_from_db()
    assert analyst.check_password("a-much-longer-passphrase-7")


# Headers


def test_signed_in_pages_and_exports_are_never_stored_by_caches(client, manager):
    client.force_login(manager)
    for url in ("/", "/commitments/", "/review/", "/export/commitments.csv", LOGIN):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url


def test_every_response_carries_a_permissions_policy(client):
    for url in (LOGIN, "/healthz", "/no-such-page/"):
        policy = client.get(url)["Permissions-Policy"]
        assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy


@pytest.mark.parametrize("charset", ["utf-16", "latin-1", "UTF-16LE", "utf8"])
def test_a_form_posted_in_another_charset_is_a_400(charset):
    from django.test import Client

    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get(LOGIN)  # a CSRF cookie, as a browser would have
    response = client.post(
        LOGIN,
        "username=a&password=b",  # the client encodes it in that charset
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 400
    assert b"Forms must be sent as UTF-8." in response.content
    assert AuditEvent.objects.count() == 0
