"""Authenticator-app codes refused on reuse by every app server.

allauth remembers a used code in Django's default cache, which is per process here: a second
gunicorn worker would accept the same code once more. We claim the code's time step in the
database instead (tracker.models.UsedTotpStep, unique per authenticator and step)."""

from allauth.core.internal.cryptokit import compare_user_code
from allauth.mfa import app_settings
from allauth.mfa.totp.internal import auth as allauth_totp
from allauth.mfa.utils import decrypt

from ..models import UsedTotpStep


class TOTP(allauth_totp.TOTP):
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
