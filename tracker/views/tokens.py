"""The user's personal access tokens (Settings → API tokens): create, list, revoke.

A new token is shown once, on the response to its creation, and never stored in clear; the
page is not cached.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from .. import audit
from ..access import role_required
from ..api.forms import TokenForm
from ..api.models import ApiToken
from ..htmx import is_swap, render_page
from ..models import AuditAction

PAGE = "tracker/tokens.html"


def token_context(request, form, **extra):
    tokens = list(ApiToken.objects.filter(user=request.user))
    return {"form": form, "tokens": tokens, "nav_section": "tokens", **extra}


@require_http_methods(["GET", "POST"])
@role_required()
def token_list(request):
    if request.method == "GET":
        return render_page(request, PAGE, token_context(request, TokenForm(user=request.user)))
    form = TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        context = token_context(request, form)
        return render_page(request, PAGE, context, fragment="token-panel", status=422)
    token, raw = ApiToken.issue(
        user=request.user,
        name=form.cleaned_data["name"],
        scope=form.cleaned_data["scope"],
        expires_at=form.expires_at(),
    )
    audit.record(
        AuditAction.TOKEN_CREATED,
        request=request,
        target=token.display_prefix,
        detail=f"“{token.name}”, {token.scope} scope, expires {token.expires_at:%Y-%m-%d}",
    )
    feed = request.build_absolute_uri(reverse("feed-updates")) + f"?token={raw}"
    context = token_context(
        request, TokenForm(user=request.user), new_token=token, raw_token=raw, feed_url=feed
    )
    response = render_page(request, PAGE, context, fragment="token-panel", status=201)
    add_never_cache_headers(response)  # the token is in it: no cache may keep it
    return response


@require_POST
@role_required()
def revoke(request, pk):
    # Another user's token is not found, rather than refused: its existence is not theirs to know.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token.revoke(by=request.user):
        audit.record(
            AuditAction.TOKEN_REVOKED,
            request=request,
            target=token.display_prefix,
            detail=f"“{token.name}” by its owner",
        )
    if is_swap(request):
        return render_page(request, PAGE, {"token": token}, fragment="token-row")
    messages.success(request, f"Revoked “{token.name}”: it no longer works.")
    return redirect("token-list")
