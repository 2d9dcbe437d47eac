from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBadRequest
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

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
