"""Recovery codes kept as one-way hashes.

allauth stores a seed that every code is derived from (encrypted with TRACKER_MFA_KEY here), so
a copy of the database plus the key gives anyone a user's codes. We store only a PBKDF2-SHA256
hash of each unused code (Django's hasher): using a code removes its hash, making new codes
replaces them all. Each new code is 16 random digits (53 bits), shown as 1234-5678-9012-3456.
NIST SP 800-63B asks for look-up secrets under 112 bits to be stored salted and through a
key-derivation function; a set shares one salt, so a typed code costs one derivation (about
25 ms) however many codes are left, and a six-digit authenticator code costs none.

The codes exist in plain text only while they are shown, once: in memory in the request that
made them, and encrypted in that user's session until the page that shows them is opened.
"""

import json
import re
import secrets
from types import SimpleNamespace

from allauth.core import context
from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal import auth as allauth_recovery_codes
from allauth.mfa.utils import decrypt, encrypt
from cryptography.fernet import InvalidToken
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import transaction
from django.utils.crypto import constant_time_compare

DIGITS = 16
SHOWN_CODES_SESSION_KEY = "tracker_recovery_codes"
HIDDEN = "****"


class CodeHasher(PBKDF2PasswordHasher):
    # Fewer iterations than Django's for passwords: the codes are random (53 bits, not a
    # guessable word), and making a set costs ten derivations (0.3 s here at 20,000).
    iterations = 20_000


def normalise(code):
    """What the user typed, without the spaces and dashes we show the code with."""
    return re.sub(r"[\s-]", "", code)


def formatted(code):
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def new_codes():
    return [
        f"{secrets.randbelow(10**DIGITS):0{DIGITS}}"
        for _ in range(app_settings.RECOVERY_CODE_COUNT)
    ]


def hashed(codes, *, total=None):
    """The stored form of a set of codes: their hashes (one salt for the set), their length,
    and how many the set had."""
    hasher = CodeHasher()
    salt = hasher.salt()
    return {
        "hashes": [hasher.encode(code, salt) for code in codes],
        "digits": len(codes[0]) if codes else DIGITS,
        "total": len(codes) if total is None else total,
    }


def matching(data, code):
    """The index of the stored hash that `code` matches, or None."""
    code = normalise(code)
    hashes = data["hashes"]
    if not hashes or len(code) != data["digits"]:
        return None
    hasher = CodeHasher()
    decoded = hasher.decode(hashes[0])
    candidate = hasher.encode(code, decoded["salt"], decoded["iterations"])
    found = None
    for index, stored in enumerate(hashes):
        if constant_time_compare(candidate, stored) and found is None:
            found = index
    return found


def hashed_from_legacy(data):
    """allauth's stored form (an encrypted seed and a mask of used codes, or a list of
    encrypted codes imported from another library) turned into ours; None if it is ours."""
    if "hashes" in data:
        return None
    try:
        unused = allauth_recovery_codes.RecoveryCodes(SimpleNamespace(data=data)).get_unused_codes()
    except InvalidToken:
        # Encrypted with another TRACKER_MFA_KEY: no code of that set can work any more (allauth
        # would fail on each try); the user makes new ones.
        unused = []
    converted = hashed(unused, total=max(len(unused), app_settings.RECOVERY_CODE_COUNT))
    if "viewed_at" in data:
        converted["viewed_at"] = data["viewed_at"]
    return converted


def _session():
    request = context.request
    return getattr(request, "session", None)


def remember_for_showing(authenticator, codes):
    session = _session()
    if session is not None:
        session[SHOWN_CODES_SESSION_KEY] = {
            "authenticator": authenticator.pk,
            "codes": encrypt(json.dumps(codes)),
        }


def waiting_to_be_shown(authenticator):
    session = _session()
    stored = session.get(SHOWN_CODES_SESSION_KEY) if session is not None else None
    return bool(stored) and stored.get("authenticator") == authenticator.pk


def take_for_showing(authenticator):
    if not waiting_to_be_shown(authenticator):
        return None
    return json.loads(decrypt(_session().pop(SHOWN_CODES_SESSION_KEY)["codes"]))


class RecoveryCodes(allauth_recovery_codes.RecoveryCodes):
    """allauth's recovery codes, stored as hashes (see the module's docstring). Rows still in
    allauth's form are converted when first read."""

    def __init__(self, instance, codes=None):
        super().__init__(instance)
        self._codes = codes  # in plain text, only in the request that shows them
        self._convert_legacy()

    def _convert_legacy(self):
        converted = hashed_from_legacy(self.instance.data)
        if converted is not None:
            self.instance.data = converted
            if self.instance.pk is not None:
                self.instance.save(update_fields=["data"])

    @classmethod
    def activate(cls, user):
        instance = Authenticator.objects.filter(
            user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES
        ).first()
        if instance:
            return cls(instance)
        codes = new_codes()
        instance = Authenticator.objects.create(
            user=user, type=Authenticator.Type.RECOVERY_CODES, data=hashed(codes)
        )
        remember_for_showing(instance, codes)
        return cls(instance, codes)

    def generate_codes(self):
        return self._shown() or [HIDDEN] * self.instance.data["total"]

    def get_unused_codes(self):
        return self._shown() or [HIDDEN] * len(self.instance.data["hashes"])

    def _shown(self):
        return [formatted(code) for code in self._codes] if self._codes else None

    @transaction.atomic
    def validate_code(self, code):
        if self.instance.pk is not None:
            self.instance = Authenticator.objects.select_for_update().get(pk=self.instance.pk)
            self._convert_legacy()
        index = matching(self.instance.data, code)
        if index is None:
            return False
        self.instance.data["hashes"].pop(index)
        self.instance.save(update_fields=["data"])
        return True

    def mark_as_viewed(self):
        codes = take_for_showing(self.instance)
        if codes is not None:
            self._codes = codes
        super().mark_as_viewed()

    @property
    def did_view(self):
        """Shown already, or no longer showable (we never had them in this session)."""
        if self.instance.data.get("viewed_at"):
            return True
        return self._codes is None and not waiting_to_be_shown(self.instance)
