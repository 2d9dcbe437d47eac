from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect


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
