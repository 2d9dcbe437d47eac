"""Recovery codes: shown once, stored only as hashes, each works once, new codes replace the
old ones, and codes made before they were hashed keep working."""

import importlib
import re

import pytest
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal import auth as allauth_recovery_codes
from allauth.mfa.recovery_codes.internal import flows as allauth_flows
from allauth.mfa.totp.internal.auth import TOTP as AllauthTOTP
from cryptography.fernet import InvalidToken

from tests.test_two_factor import (
    ACTIVATE,
    SECOND_STEP,
    axes_on,  # noqa: F401  (a fixture)
    confirm_password,
    sign_in,
)
from tests.two_factor import SECRET, enrol, totp
from tracker.accounts import recovery_codes
from tracker.models import AuditEvent

pytestmark = pytest.mark.django_db

CODES_PAGE = "/accounts/2fa/recovery-codes/"
GENERATE = "/accounts/2fa/recovery-codes/generate/"
DOWNLOAD = "/accounts/2fa/recovery-codes/download/"


def shown_codes(response):
    textarea = re.search(
        r'<textarea id="recovery_codes"[^>]*>(.*?)</textarea>', response.text, re.S
    )
    assert textarea, "no codes on the page"
    return textarea[1].split()


def stored(user):
    return Authenticator.objects.get(user=user, type="recovery_codes").data


def strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def assert_no_code_recoverable(data, codes):
    """Neither the codes (with or without their dashes) nor anything that decrypts with the
    server's key (allauth's encrypted seed did, and every code derives from it) is in the
    stored row."""
    plain = [recovery_codes.normalise(c) for c in codes] + codes
    adapter = get_adapter()
    for text in strings_in(data):
        assert not any(code in text for code in plain)
        try:
            adapter.decrypt(text)
        except InvalidToken:
            continue
        raise AssertionError(f"{text[:20]}... decrypts with the server's key")


def enrol_through_the_pages(client):
    sign_in(client)
    confirm_password(client)
    client.get(ACTIVATE)
    secret = client.session["mfa.totp.secret"]
    response = client.post(ACTIVATE, {"code": totp(secret)})
    assert response.status_code == 302
    return secret


def test_the_codes_are_shown_once_and_stored_only_as_hashes(client, analyst):
    enrol_through_the_pages(client)
    page = client.get(CODES_PAGE)
    codes = shown_codes(page)
    assert len(codes) == 10
    assert all(re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{4}", code) for code in codes)
    assert len(set(codes)) == 10

    data = stored(analyst)
    assert len(data["hashes"]) == 10
    assert all(h.startswith("pbkdf2_sha256$20000$") for h in data["hashes"])
    assert_no_code_recoverable(data, codes)
    # Nor in the session once shown.
    assert recovery_codes.SHOWN_CODES_SESSION_KEY not in client.session

    again = client.get(CODES_PAGE)
    assert again.status_code == 200
    assert b'id="recovery_codes"' not in again.content
    assert b"The codes were shown when they were made" in again.content
    assert not any(code.encode() in again.content for code in codes)
    assert client.get(DOWNLOAD).status_code == 403
    security = client.get("/accounts/2fa/")
    assert b"10 unused recovery codes left" in security.content
    assert b"Show my recovery codes" not in security.content


def test_the_codes_can_be_downloaded_instead_once(client, analyst):
    enrol_through_the_pages(client)
    download = client.get(DOWNLOAD)
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="recovery-codes.txt"'
    codes = download.content.decode().split()
    assert len(codes) == 10
    assert_no_code_recoverable(stored(analyst), codes)
    assert client.get(DOWNLOAD).status_code == 403
    assert b'id="recovery_codes"' not in client.get(CODES_PAGE).content


def test_a_code_works_once_with_or_without_its_dashes(client, analyst):
    codes = enrol(analyst)
    sign_in(client)
    assert client.post(SECOND_STEP, {"code": recovery_codes.normalise(codes[0])}).status_code == 302
    assert len(stored(analyst)["hashes"]) == 9
    client.post("/accounts/logout/")

    sign_in(client)
    refused = client.post(SECOND_STEP, {"code": codes[0]})
    assert refused.status_code == 200
    assert b"That code is not right" in refused.content
    assert "_auth_user_id" not in client.session
    assert client.post(SECOND_STEP, {"code": f" {codes[1]} "}).status_code == 302
    assert len(stored(analyst)["hashes"]) == 8
    assert b"8 unused recovery codes left" in client.get("/accounts/2fa/").content


def test_wrong_recovery_codes_lock_out_like_wrong_app_codes(client, analyst, axes_on):  # noqa: F811
    codes = enrol(analyst)
    sign_in(client)
    wrong = "0000-0000-0000-0000" if "0000-0000-0000-0000" not in codes else "1111-1111-1111-1111"
    for _ in range(4):
        assert client.post(SECOND_STEP, {"code": wrong}).status_code == 200
    assert client.post(SECOND_STEP, {"code": wrong}).status_code == 429
    # Locked: a right recovery code is refused too, and is not used up.
    assert client.post(SECOND_STEP, {"code": codes[0]}).status_code == 429
    assert len(stored(analyst)["hashes"]) == 10
    assert AuditEvent.objects.filter(action="mfa_failed").count() == 5


def test_new_codes_replace_the_old_ones(client, analyst, django_capture_on_commit_callbacks):
    old = enrol(analyst)
    sign_in(client)
    client.post(SECOND_STEP, {"code": totp(SECRET)})
    confirm_password(client)
    page = client.get(GENERATE)
    assert b"You are about to generate a new set of recovery codes" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(GENERATE)
    assert response["Location"] == CODES_PAGE
    new = shown_codes(client.get(CODES_PAGE))
    assert len(new) == 10 and not set(new) & set(old)
    assert_no_code_recoverable(stored(analyst), new + old)
    event = AuditEvent.objects.get(action="mfa_new_codes")
    assert (event.username, event.detail) == ("alice", "recovery_codes")
    client.post("/accounts/logout/")

    sign_in(client)
    assert client.post(SECOND_STEP, {"code": old[0]}).status_code == 200
    assert client.post(SECOND_STEP, {"code": new[0]}).status_code == 302


def test_new_codes_need_the_password_again(client, analyst):
    enrol(analyst)
    sign_in(client)
    client.post(SECOND_STEP, {"code": totp(SECRET)})
    response = client.post(GENERATE)
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert len(stored(analyst)["hashes"]) == 10
    assert not AuditEvent.objects.filter(action="mfa_new_codes").exists()


def legacy_enrol(user):
    """Enrolment as allauth alone stored it: an encrypted seed the codes derive from."""
    AllauthTOTP.activate(user, SECRET)
    legacy = allauth_recovery_codes.RecoveryCodes.activate(user)
    codes = legacy.get_unused_codes()
    assert legacy.validate_code(codes[0])  # one used before the upgrade
    assert "seed" in stored(user)
    with pytest.raises(AssertionError):  # the check above has teeth
        assert_no_code_recoverable(stored(user), codes)
    return codes


def test_codes_made_before_hashing_keep_working_after_the_migration(client, analyst):
    codes = legacy_enrol(analyst)
    migration = importlib.import_module("tracker.migrations.0016_hash_recovery_codes")
    from django.apps import apps

    migration.hash_recovery_codes(apps, None)
    data = stored(analyst)
    assert "seed" not in data and len(data["hashes"]) == 9 and data["digits"] == 8
    assert_no_code_recoverable(data, codes)

    sign_in(client)
    assert client.post(SECOND_STEP, {"code": codes[0]}).status_code == 200  # used before
    assert client.post(SECOND_STEP, {"code": codes[1]}).status_code == 302
    client.post("/accounts/logout/")
    sign_in(client)
    assert client.post(SECOND_STEP, {"code": codes[1]}).status_code == 200  # used now
    assert client.post(SECOND_STEP, {"code": codes[2]}).status_code == 302


def test_codes_in_allauths_form_are_converted_when_first_read(client, analyst):
    codes = legacy_enrol(analyst)
    sign_in(client)
    assert client.post(SECOND_STEP, {"code": codes[3]}).status_code == 302
    data = stored(analyst)
    assert "seed" not in data and len(data["hashes"]) == 8
    assert_no_code_recoverable(data, codes)


def test_codes_encrypted_with_another_key_become_an_empty_set(client, analyst, settings):
    legacy_enrol(analyst)
    settings.TRACKER_MFA_KEY = "another key"
    sign_in(client)
    # Neither set can be read: the user signs in with the app (its secret is unreadable too,
    # so here: refused, not a server error) and makes new codes.
    assert client.post(SECOND_STEP, {"code": "1234-5678"}).status_code == 200
    assert stored(analyst)["hashes"] == []


def test_our_recovery_codes_and_app_codes_replace_allauths():
    from tracker.accounts import totp as tracker_totp

    assert allauth_flows.RecoveryCodes is recovery_codes.RecoveryCodes
    assert isinstance(
        Authenticator(type="recovery_codes", data={"hashes": [], "digits": 16, "total": 10}).wrap(),
        recovery_codes.RecoveryCodes,
    )
    assert isinstance(Authenticator(type="totp", data={}).wrap(), tracker_totp.TOTP)
