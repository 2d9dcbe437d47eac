"""The audit log."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .fields import valid_choice


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    LOCKED_OUT = "locked_out", "Locked out after failed attempts"
    SIGN_OUT = "sign_out", "Signed out"
    PERMISSION_DENIED = "permission_denied", "Permission refused"
    STATUS_UPDATE = "status_update", "Recorded a status update"
    MEASUREMENT = "measurement", "Recorded a measurement"
    EDIT = "edit", "Edited a commitment"
    CREATE = "create", "Created a commitment"
    IMPORT = "import", "Imported a file"
    ACCEPT = "accept", "Accepted an update"
    RETURN = "return", "Returned an update"
    EXPORT = "export", "Exported data"
    TOKEN_CREATED = "token_created", "Created an access token"
    TOKEN_REVOKED = "token_revoked", "Revoked an access token"
    TOKEN_USED = "token_used", "Used an access token"
    TOKEN_REFUSED = "token_refused", "Refused an access token"
    MFA_FAILED = "mfa_failed", "Second-step code refused"
    MFA_ADDED = "mfa_added", "Added a second factor"
    MFA_REMOVED = "mfa_removed", "Removed a second factor"
    MFA_RESET = "mfa_reset", "Reset a user's second factor"
    MFA_NEW_CODES = "mfa_new_codes", "Made new recovery codes"
    SSO_ROLES = "sso_roles", "Roles set by the identity provider"


class AuditEvent(models.Model):
    """Who did what, when: sign-ins, status updates, edits, review decisions, exports.

    Written by tracker.audit.record(); shown read-only in the admin, never edited by the app.
    """

    Action = AuditAction

    at = models.DateTimeField(default=timezone.now, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    target = models.CharField(max_length=200, blank=True)
    detail = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at"], name="tracker_audit_at_idx"),
            models.Index(fields=["action", "-at"], name="tracker_audit_action_idx"),
        ]
        constraints = [
            valid_choice("action", AuditAction, "tracker_auditevent_action_valid"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_action_display()} {self.target}"
