"""Our versions of two of allauth's authenticators, put in the two places allauth looks them
up: `Authenticator.wrap()` (every read, check and display of a factor) and the recovery-code
flows' `RecoveryCodes` (making codes at enrolment and on "Make new codes"). allauth 65 has no
setting or adapter hook for either; tests/test_two_factor.py checks that these stay in place."""

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal import flows as recovery_code_flows
from allauth.mfa.webauthn.internal.auth import WebAuthn

from .recovery_codes import RecoveryCodes
from .totp import TOTP

WRAPPERS = {
    Authenticator.Type.TOTP: TOTP,
    Authenticator.Type.RECOVERY_CODES: RecoveryCodes,
    Authenticator.Type.WEBAUTHN: WebAuthn,
}


def wrap(authenticator):
    return WRAPPERS[authenticator.type](authenticator)


def install():
    Authenticator.wrap = wrap
    recovery_code_flows.RecoveryCodes = RecoveryCodes
