"""The API's routes, under /api/. Every view answers with JSON, errors as problem details;
none redirects to the sign-in page (a caller without credentials gets 401)."""

from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse

from . import reads, schema, writes  # noqa: F401 - schema registers the token scheme
from .conditional import etag


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(request, rest):
    raise NotFound(f"There is no API endpoint at {request.path}; see /api/docs/.")


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema (YAML, or JSON with ?format=json); its errors in JSON like the rest."""

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/problem+json"
        return super().finalize_response(request, response, *args, **kwargs)


@extend_schema(exclude=True)
@api_view(["GET", "HEAD"])
def root(request):
    """Where to start: the main lists, the schema and the docs."""
    names = {
        "commitments": "api-commitment-list",
        "updates": "api-update-list",
        "sources": "api-source-list",
        "dashboard": "api-dashboard",
        "review": "api-review-queue",
        "schema": "api-schema",
        "docs": "api-docs",
    }
    return Response({key: reverse(name, request=request) for key, name in names.items()})


def api(route, view, name):
    return path(route, login_not_required(view), name=name)


urlpatterns = [
    api("", etag(root), "api-root"),
    api("schema/", SchemaView.as_view(), "api-schema"),
    # The docs page is for people: without a session it sends them to sign in.
    # (Django REST framework marks its views login_not_required; this one is not.)
    path(
        "docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    api("commitments/", reads.commitment_list, "api-commitment-list"),
    api("commitments/<str:reference>/", reads.commitment_detail, "api-commitment-detail"),
    api(
        "commitments/<str:reference>/updates/", writes.commitment_updates, "api-commitment-updates"
    ),
    api("updates/", reads.update_list, "api-update-list"),
    api("updates/<int:pk>/", reads.update_detail, "api-update-detail"),
    api("updates/<int:pk>/accept/", writes.accept, "api-update-accept"),
    api("updates/<int:pk>/return/", writes.return_, "api-update-return"),
    api(
        "indicators/<int:pk>/measurements/",
        writes.indicator_measurements,
        "api-indicator-measurements",
    ),
    api("sources/", reads.source_list, "api-source-list"),
    api("sources/<int:pk>/", reads.source_detail, "api-source-detail"),
    api("dashboard/", reads.dashboard_snapshot, "api-dashboard"),
    api("review/", reads.review_queue, "api-review-queue"),
    re_path(r"^(?P<rest>.*)$", login_not_required(not_found), name="api-not-found"),
]
