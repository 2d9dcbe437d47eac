"""allauth's adapters: no self-service sign-up, accounts from the organisation's provider,
second-factor secrets encrypted at rest."""

import base64
import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from cryptography.fernet import Fernet
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    # The wording of the sign-in form before allauth, which users and tests know.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": (
            "Please enter a correct username and password. Note that both fields may be "
            "case-sensitive."
        ),
    }

    def is_open_for_signup(self, request):
        """Local accounts are made by administrators, never by visitors."""
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        """Anyone the organisation's provider signs in gets an account (their role comes from
        the provider's groups, see tracker.accounts.roles)."""
        return True


def _fernet():
    key = hashlib.sha256(f"tracker-mfa:{settings.TRACKER_MFA_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


class MFAAdapter(DefaultMFAAdapter):
    """Authenticator-app secrets are stored encrypted (Fernet, AES + HMAC): a copy of the
    database or a backup alone does not give anyone a user's codes. Recovery codes are not
    encrypted but hashed (tracker.accounts.recovery_codes)."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": "That code is not right. Check your authenticator app and try again.",
    }

    def encrypt(self, text):
        return _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text):
        return _fernet().decrypt(encrypted_text.encode()).decode()
