"""The product's URLs plus a hello-world view: the fastest page this stack can serve."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET


@require_GET
def hello(request):
    # Signed in like every page (LoginRequiredMiddleware), so both pay for session and user.
    return HttpResponse("Hello, world", content_type="text/plain")


urlpatterns = [
    path("bench/hello/", hello, name="bench-hello"),
    path("", include("tracker.urls")),
]
