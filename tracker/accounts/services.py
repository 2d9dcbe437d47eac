from allauth.mfa.models import Authenticator
from django.db import transaction

from .. import audit
from ..models import AuditAction


def reset_second_factor(*, user, request):
    """Remove every second factor of `user` (authenticator app, security keys, recovery codes),
    audited as done by the signed-in admin. With TRACKER_REQUIRE_2FA on, the user enrols again
    at their next sign-in. Returns how many factors were removed."""
    with transaction.atomic():
        removed = list(
            Authenticator.objects.filter(user=user).values_list("type", flat=True).order_by("type")
        )
        Authenticator.objects.filter(user=user).delete()
        audit.record(
            AuditAction.MFA_RESET,
            request=request,
            target=user.get_username(),
            detail=", ".join(removed) or "none enrolled",
        )
    return len(removed)
