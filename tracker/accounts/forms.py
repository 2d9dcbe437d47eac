from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm as AllauthAuthenticateForm
from allauth.mfa.base.forms import BaseAuthenticateForm
from allauth.mfa.base.forms import ReauthenticateForm as AllauthReauthenticateForm
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings

from .lockout import axes_credentials

CODE_MAX_LENGTH = 20  # a six-digit code or an eight-digit recovery code, with spaces


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form, posting `username` (as Django's form did, and as scripts,
    password managers and the load test do) instead of allauth's `login`."""

    def add_prefix(self, field_name):
        return super().add_prefix("username" if field_name == "login" else field_name)


class CodeForm(BaseAuthenticateForm):
    """A second-factor code: at the second step of signing in, or to confirm it is you before
    changing a second factor. A locked-out user/address pair is refused before its code is
    even looked at; each wrong code counts as a failed sign-in for django-axes (see
    tracker.accounts.signals), so guessing codes ends in the same 429 as guessing passwords."""

    code = forms.CharField(
        label="Code",
        max_length=CODE_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text="The six digits your authenticator app shows, or one of your recovery codes.",
    )

    def clean_code(self):
        request = context.request
        credentials = axes_credentials(self.user)
        if settings.AXES_ENABLED and not AxesProxyHandler.is_allowed(request, credentials):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            raise forms.ValidationError("Too many failed sign-ins.")
        return super().clean_code()


class AuthenticateForm(CodeForm, AllauthAuthenticateForm):
    pass


class ReauthenticateForm(CodeForm, AllauthReauthenticateForm):
    pass
