"""Authenticator-app codes refused on reuse by every app server.

allauth remembers a used code in Django's default cache, which is per process here: a second
gunicorn worker would accept the same code once more. We claim the code's time step in the
database instead (tracker.models.UsedTotpStep, unique per authenticator and step)."""

import logging

from allauth.core.internal.cryptokit import compare_user_code
from allauth.mfa import app_settings
from allauth.mfa.totp.internal import auth as allauth_totp
from allauth.mfa.utils import decrypt
from cryptography.fernet import InvalidToken

from ..models import UsedTotpStep

log = logging.getLogger(__name__)


class TOTP(allauth_totp.TOTP):
    def validate_code(self, code):
        try:
            return super().validate_code(code)
        except InvalidToken:
            # Refused rather than a server error; the operator has a key to put back.
            log.error(
                "the authenticator-app secret of user %s does not decrypt: is TRACKER_MFA_KEY "
                "the key it was stored with?",
                self.instance.user_id,
            )
            return False

    def _mark_code_used(self, code):
        """Called by allauth once `code` was found right: which step it belongs to, claimed."""
        secret = decrypt(self.instance.data["secret"])
        for step in allauth_totp.yield_hotp_counters_from_time():
            expected = allauth_totp.format_hotp_value(allauth_totp.hotp_value(secret, step))
            if compare_user_code(actual=code, expected=expected):
                return UsedTotpStep.objects.claim(
                    authenticator=self.instance,
                    time_step=step,
                    tolerance=app_settings.TOTP_TOLERANCE,
                )
        return False
