"""Who is calling: a personal access token (`Authorization: Bearer ct_...`) or a session.

Every use of a token is audited; a revoked, expired or unknown token is refused with 401
and a message that says which. The exports and the feed accept a token too, in the header
or, for feed readers that cannot send one, as `?token=` (TokenForExportsMiddleware).
"""

from django.utils import timezone
from django.utils.deprecation import MiddlewareMixin
from rest_framework import authentication, exceptions

from .. import audit
from ..models import AuditAction
from . import problems
from .models import ApiToken, split_token

SessionAuthentication = authentication.SessionAuthentication


class TokenRefused(Exception):
    """The token cannot be used; the message says why, for the caller."""


def bearer_token(request):
    """The token of an `Authorization: Bearer ...` header, "" when there is none."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return value.strip() or " "  # "Bearer" with nothing after it is a bad token, not none


def authenticate_token(raw, request):
    """(user, token) for a raw token, audited; TokenRefused otherwise."""
    prefix = split_token(raw)
    token = None
    if prefix:
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    now = timezone.now()
    if token is None or not token.matches(raw):
        refuse(request, None, "The access token is not valid.")
    if token.revoked_at:
        refuse(request, token, f"This access token was revoked on {token.revoked_at:%d %b %Y}.")
    if token.expires_at <= now:
        refuse(request, token, f"This access token expired on {token.expires_at:%d %b %Y}.")
    if not token.user.is_active:
        refuse(request, token, "The account of this access token is disabled.")
    token.note_use(now)
    audit.record(
        AuditAction.TOKEN_USED,
        user=token.user,
        request=request,
        target=request.path[:200],
        detail=f"{request.method} with {token.display_prefix} “{token.name}”",
    )
    return token.user, token


def refuse(request, token, message):
    audit.record(
        AuditAction.TOKEN_REFUSED,
        user=token.user if token else None,
        request=request,
        target=request.path[:200],
        detail=f"{request.method}: {message}",
        username="" if token else "(unknown token)",
    )
    raise TokenRefused(message)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw = bearer_token(request)
        if not raw:
            return None
        try:
            return authenticate_token(raw, request._request)
        except TokenRefused as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


def token_readable(view):
    """Mark an export or feed view as readable with a token (read scope is enough)."""
    view.token_readable = True
    return view


class TokenForExportsMiddleware(MiddlewareMixin):
    """For views marked @token_readable: sign the request in with a token, if it has one."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "token_readable", False):
            return None
        raw = bearer_token(request) or request.GET.get("token", "")
        if not raw:
            return None
        try:
            user, token = authenticate_token(raw, request)
        except TokenRefused as exc:
            response = problems.response(401, str(exc), kind="invalid-token", instance=request.path)
            response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        request.user = user
        request.api_token = token
        return None


def without_token(query_dict):
    """A query string with any `token=` taken out (for logs and the audit log)."""
    query = query_dict.copy()
    query.pop("token", None)
    return query.urlencode()
