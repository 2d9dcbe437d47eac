"""The audit log: one call per event, from services, views and sign-in signals."""

import logging

from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from .models import AuditAction, AuditEvent

log = logging.getLogger("tracker.audit")


def client_ip(request):
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(action, *, user=None, request=None, target="", detail="", username=""):
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    username = username or (user.get_username() if user else "")
    log.info("audit %s user=%s target=%s %s", action, username or "-", target, detail)
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
    )
