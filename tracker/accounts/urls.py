"""The sign-in URLs, under /accounts/: only the allauth views the tracker uses are mounted.

Not mounted: sign-up (administrators make local accounts; the identity provider makes the
others), email management and password reset by email (administrators reset passwords),
login by emailed code, and linking extra providers to an account.
"""

from allauth.account import views as account_views
from allauth.socialaccount import views as social_views
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from ..views import accounts as password_views

login = account_views.login
logout = auth_views.LogoutView.as_view()

urlpatterns = [
    # "login" and "logout" are the names the rest of the tracker (and Django) use.
    path("login/", login, name="login"),
    path("login/", login, name="account_login"),
    path("logout/", logout, name="logout"),
    path("logout/", logout, name="account_logout"),
    path("inactive/", account_views.account_inactive, name="account_inactive"),
    path("reauthenticate/", account_views.reauthenticate, name="account_reauthenticate"),
    path(
        "password_change/",
        password_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # Two-factor: the security settings page, enrolment, the second step of signing in.
    path("2fa/", include("allauth.mfa.urls")),
    # Single sign-on: /accounts/oidc/sso/login/ and its callback.
    path("", include("allauth.socialaccount.providers.openid_connect.urls")),
    path("sso/cancelled/", social_views.login_cancelled, name="socialaccount_login_cancelled"),
    path(
        "sso/error/",
        login_not_required(social_views.login_error),
        name="socialaccount_login_error",
    ),
    path("sso/signup/", social_views.signup, name="socialaccount_signup"),
]
