"""TRACKER_REQUIRE_2FA: a signed-in user without a second factor enrols before anything else."""

from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django_htmx.http import HttpResponseClientRedirect

# Where a user who must enrol may still go: the enrolment pages themselves (every allauth MFA
# page is named mfa_…), confirming the password before enrolling, and leaving.
ALLOWED_BEFORE_ENROLMENT = {"account_reauthenticate", "logout", "account_logout", "healthz"}
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
SESSION_KEY = "tracker_second_factor"


def has_second_factor(request):
    """True when this session was signed in with a second factor (or through the organisation's
    provider), or the user has enrolled one since. Only sessions without either ask the
    database, once per request until they enrol."""
    if request.session.get(SESSION_KEY):
        return True
    methods = {m.get("method") for m in request.session.get(AUTHENTICATION_METHODS_SESSION_KEY, [])}
    if "mfa" in methods or (settings.TRACKER_SSO_SATISFIES_2FA and "socialaccount" in methods):
        return True
    if is_mfa_enabled(request.user, types=SECOND_FACTORS):
        request.session[SESSION_KEY] = True
        return True
    return False


def forget_second_factor(request):
    request.session.pop(SESSION_KEY, None)


class RequireSecondFactorMiddleware(MiddlewareMixin):
    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.TRACKER_REQUIRE_2FA or not request.user.is_authenticated:
            return None
        # A personal access token (exports, feed) was made in a session that passed this check.
        if getattr(request, "api_token", None) is not None:
            return None
        name = request.resolver_match.url_name or ""
        enrolling = name.startswith("mfa_")
        if not enrolling and name in ALLOWED_BEFORE_ENROLMENT:
            return None
        # The enrolment pages say why the user is there.
        request.second_factor_missing = not has_second_factor(request)
        if enrolling or not request.second_factor_missing:
            return None
        url = reverse("mfa_index")
        if request.htmx:
            return HttpResponseClientRedirect(url)
        return redirect(url)
