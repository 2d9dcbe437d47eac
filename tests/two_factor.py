"""Helpers for tests of the second factor: codes computed from an enrolled secret (RFC 6238,
as an authenticator app does), and enrolment without the browser."""

import base64
import hashlib
import hmac
import struct
import time


def totp(secret, at=None, period=30, digits=6):
    """The code an authenticator app shows for `secret` at time `at` (now by default)."""
    counter = int((time.time() if at is None else at) // period)
    digest = hmac.new(
        base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}}"


SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enrol(user, secret=SECRET):
    """Turn on an authenticator app (with recovery codes) for `user`; returns the codes."""
    from allauth.mfa.totp.internal.auth import TOTP

    from tracker.accounts.recovery_codes import RecoveryCodes

    TOTP.activate(user, secret)
    return RecoveryCodes.activate(user).get_unused_codes()
