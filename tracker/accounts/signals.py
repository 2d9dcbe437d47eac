"""allauth's signals into the audit log, django-axes and our roles."""

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from .. import audit
from ..models import AuditAction
from . import roles
from .lockout import axes_credentials
from .middleware import SESSION_KEY, forget_second_factor


@receiver(mfa_signals.authentication_failed)
def on_code_refused(sender, request, user, authenticator, reauthentication=False, **kwargs):
    audit.record(
        AuditAction.MFA_FAILED,
        user=user,
        request=request,
        detail="reauthentication" if reauthentication else "sign-in",
    )
    # django-axes counts it with the password failures of the same user and address.
    user_login_failed.send(sender=__name__, credentials=axes_credentials(user), request=request)


@receiver(mfa_signals.authenticator_added)
def on_factor_added(sender, request, user, authenticator, **kwargs):
    audit.record(AuditAction.MFA_ADDED, user=user, request=request, detail=authenticator.type)
    if request is not None and authenticator.type != authenticator.Type.RECOVERY_CODES:
        request.session[SESSION_KEY] = True


@receiver(mfa_signals.authenticator_removed)
def on_factor_removed(sender, request, user, authenticator, **kwargs):
    audit.record(AuditAction.MFA_REMOVED, user=user, request=request, detail=authenticator.type)
    if request is not None:
        forget_second_factor(request)


@receiver(mfa_signals.authenticator_reset)
def on_codes_replaced(sender, request, user, authenticator, **kwargs):
    """New recovery codes: the old ones no longer work."""
    audit.record(AuditAction.MFA_NEW_CODES, user=user, request=request, detail=authenticator.type)


@receiver(account_signals.user_logged_in)
def on_signed_in(sender, request, user, sociallogin=None, **kwargs):
    """At every single sign-on, the user's roles follow the provider's groups."""
    if sociallogin is None:
        return
    granted = roles.roles_from_claims(roles.claims_of(sociallogin))
    if roles.set_roles(user, granted):
        audit.record(
            AuditAction.SSO_ROLES,
            user=user,
            request=request,
            target=sociallogin.account.provider,
            detail=", ".join(sorted(granted)) or "no role",
        )
