"""The audit log: one call per event, from services, views and sign-in signals."""

import logging

from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from .models import AuditAction, AuditEvent

log = logging.getLogger("tracker.audit")


def client_ip(request):
    """The client's address as axes sees it: django-ipware with the configured proxy count
    (settings.TRACKER_PROXY_COUNT), so the audit log and the lockouts agree."""
    if request is None:
        return None
    return get_client_ip_address(request) or None


def record(action, *, user=None, request=None, target="", detail="", username=""):
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    username = username or (user.get_username() if user else "")
    # %r quotes what users typed: a name with a newline or spaces cannot pass for a field.
    log.info("audit %s user=%r target=%r %s", action, username or "-", str(target), detail)
    return AuditEvent.objects.create(
        action=action,
        user=user if user and user.pk else None,
        username=username[:150],
        target=str(target)[:200],
        detail=detail,
        ip_address=client_ip(request),
    )


@receiver(auth_signals.user_logged_in)
def on_sign_in(sender, request, user, **kwargs):
    record(AuditAction.SIGN_IN, user=user, request=request)


@receiver(auth_signals.user_logged_out)
def on_sign_out(sender, request, user, **kwargs):
    if user is not None:
        record(AuditAction.SIGN_OUT, user=user, request=request)


@receiver(auth_signals.user_login_failed)
def on_sign_in_failed(sender, credentials, request=None, **kwargs):
    if credentials.get("second_step"):
        return  # a wrong second-step code: audited as such by tracker.accounts.signals
    log.warning("sign-in failed for %r", credentials.get("username"))
    record(
        AuditAction.SIGN_IN_FAILED,
        request=request,
        username=str(credentials.get("username", ""))[:150],
        # Set by the password change form, which checks the current password this way.
        detail=str(credentials.get("purpose", "")),
    )


@receiver(user_locked_out)
def on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    record(AuditAction.LOCKED_OUT, request=request, username=str(username or "")[:150])
