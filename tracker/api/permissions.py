"""The API asks the same access policy as the web (tracker/access.py).

A refusal is audited by access.deny(). A read-only token may read whatever its user may
read; writing needs a token with write scope (or a signed-in session, CSRF-checked).
"""

from rest_framework import permissions

from .. import access
from .models import ApiToken


def token_may_write(request):
    return not isinstance(request.auth, ApiToken) or request.auth.can_write


class HasRole(permissions.BasePermission):
    """Any role reads; unsafe methods also need a token with write scope."""

    check = staticmethod(access.has_role)

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False  # 401, with WWW-Authenticate
        if not self.check(request.user):
            access.deny(request, "role")
        if request.method not in permissions.SAFE_METHODS and not token_may_write(request):
            access.deny(
                request, "This access token has read scope only; writing needs write scope."
            )
        return True


class IsManager(HasRole):
    check = staticmethod(access.is_manager)


class IsAnalyst(HasRole):
    check = staticmethod(access.is_analyst)
