import re
import uuid

import sentry_sdk
from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBadRequest
from django.shortcuts import resolve_url
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

from . import logs
from .api import problems


class LoginRequiredHtmxMiddleware(LoginRequiredMiddleware):
    """Every view needs a signed-in user unless marked @login_not_required.

    An HTMX request from an expired session would swap the login form into a fragment;
    instead the browser is sent to the login page, coming back to the page it was on.
    """

    def handle_no_permission(self, request, view_func):
        if getattr(request, "htmx", False):
            next_url = request.htmx.current_url_abs_path or "/"
            login = redirect_to_login(next_url, resolve_url(self.get_login_url(view_func)))
            return HttpResponseClientRedirect(login["Location"])
        return super().handle_no_permission(request, view_func)


def reject_nul_bytes(get_response):
    """A NUL character is never valid in an address or a query string, and PostgreSQL refuses
    it in text: answer 400 instead of letting it reach a query. (Form fields refuse NUL
    themselves, with an inline error.)"""

    def middleware(request):
        params = request.GET.lists()
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in params
        ):
            if request.path.startswith("/api/"):
                return problems.response(400, "The address contains a NUL character.")
            return HttpResponseBadRequest(
                "The address contains a NUL character.", content_type="text/plain"
            )
        return get_response(request)

    return middleware


REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id(get_response):
    """One id per request, in every log line it causes and in the `X-Request-ID` response
    header, so a user's report ("the page said 500 at 10:02") leads to its traceback.
    Behind a trusted proxy the proxy's id is kept, to follow a request across both logs."""

    def middleware(request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        if not (settings.TRACKER_PROXY_COUNT and _SAFE_ID.fullmatch(incoming)):
            incoming = uuid.uuid4().hex
        request.id = incoming
        token = logs.request_id.set(incoming)
        sentry_sdk.set_tag("request_id", incoming)
        try:
            response = get_response(request)
        finally:
            logs.request_id.reset(token)
        response[REQUEST_ID_HEADER] = incoming
        return response

    return middleware


def reject_non_utf8_forms(get_response):
    """A form body declared in another charset (e.g. `charset=utf-16`) is a 400 here, before
    the CSRF check reads it: Django refuses such bodies, and its error handlers would read
    the body again and fail with a 500."""

    def middleware(request):
        if (
            request.content_type == "application/x-www-form-urlencoded"
            and request.encoding is not None
            and request.encoding.lower() != "utf-8"  # exactly what Django accepts
        ):
            return HttpResponseBadRequest(
                "Forms must be sent as UTF-8.", content_type="text/plain; charset=utf-8"
            )
        return get_response(request)

    return middleware


PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


def security_headers(get_response):
    """A Permissions-Policy on every response; `Cache-Control: no-store` on every page and
    export the app renders (they hold signed-in users' data), unless the response set its
    own caching (static files keep theirs)."""

    def middleware(request):
        response = get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response

    return middleware
