"""Personal access tokens for the API, the exports and the feed.

A token is `ct_<prefix>_<secret>`: the prefix (public, indexed) finds the row, the SHA-256
of the whole token proves it. Only the hash is stored; the token is shown once, on creation.
"""

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..models.fields import user_stamp

TOKEN_PREFIX = "ct_"  # noqa: S105 - not a secret: marks a tracker token
# last_used_at is written at most this often, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def hash_token(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


def split_token(raw):
    """The lookup prefix of a well-formed token, or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    prefix, sep, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    if not sep or len(prefix) != 8 or len(secret) < 32:
        return None
    return prefix


class Scope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"


class ApiTokenQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    Scope = Scope

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “Power BI”.")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=8, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = user_stamp()

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "personal access token"
        indexes = [models.Index(fields=["user", "-created_at"], name="tracker_token_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=Scope.values), name="tracker_apitoken_scope_valid"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="tracker_apitoken_expires_after_creation",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self):
        return f"{TOKEN_PREFIX}{self.prefix}_…"

    @classmethod
    def issue(cls, *, user, name, scope, expires_at):
        """A new token for `user`: (token, raw). The raw token is never stored."""
        while True:
            prefix = secrets.token_hex(4)
            if not cls.objects.filter(prefix=prefix).exists():
                break
        raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        token = cls.objects.create(
            user=user,
            name=name,
            scope=scope,
            prefix=prefix,
            token_hash=hash_token(raw),
            expires_at=expires_at,
        )
        return token, raw

    def matches(self, raw):
        return hmac.compare_digest(self.token_hash, hash_token(raw))

    @property
    def can_write(self):
        return self.scope == Scope.WRITE

    def state(self, now=None):
        """ "active", "revoked" or "expired"."""
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "active"

    def note_use(self, now=None):
        """Record the last use, writing at most once per LAST_USED_RESOLUTION."""
        now = now or timezone.now()
        if self.last_used_at and now - self.last_used_at < LAST_USED_RESOLUTION:
            return
        ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
        self.last_used_at = now

    def revoke(self, *, by):
        if self.revoked_at:
            return False
        now = timezone.now()
        revoked = ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=by
        )
        self.revoked_at, self.revoked_by = now, by
        return bool(revoked)
