"""The API's reads: commitments, status updates, sources, the dashboard, the review queue.

Each list pages with a cursor and issues a fixed number of queries per page; each read
carries an ETag (conditional.py). Filters are the web's own (tracker/filters.py, the
review queue's and the dashboard's forms), strict here: a value not understood is a 400.
"""

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from ..filters import CommitmentFilter, ReviewQueueFilter
from ..models import Commitment, Evidence, Indicator, Source, StatusUpdate
from ..views.commitments import commitment_page_queryset, prepare_indicators
from ..views.review import with_details
from . import dashboard
from .conditional import etag
from .filtering import ParagraphsForm, SourceFilterForm, UpdateFilterForm, refuse_invalid
from .pagination import ByReference, Cursor, Oldest
from .permissions import IsManager
from .serializers import (
    CommitmentDetailSerializer,
    CommitmentSerializer,
    ReviewItemSerializer,
    SourceDetailSerializer,
    SourceSerializer,
    StatusUpdateSerializer,
)


def read(**schema):
    """A read: GET and HEAD, with an ETag (conditional.py), documented by `schema`."""

    def decorate(view):
        return etag(extend_schema(**schema)(api_view(["GET", "HEAD"])(view)))

    return decorate


def paginated(request, queryset, serializer_class, pagination_class=Cursor, **context):
    paginator = pagination_class()
    page = paginator.paginate_queryset(queryset, request)
    context = {"request": request, "today": timezone.localdate(), **context}
    return paginator.get_paginated_response(serializer_class(page, many=True, context=context).data)


def param(name, description, type_=str, enum=None):
    return OpenApiParameter(name, type_, description=description, enum=enum)


CURSOR_PARAMS = [
    param("cursor", "The `next` or `previous` link's cursor."),
    param("page_size", "Items per page, 1–200 (default 50).", int),
]


@read(
    summary="Commitments, filtered and searched like the commitments list",
    parameters=[
        param("q", "Search the reference, title and description."),
        param("status", "Official status, e.g. `at_risk`."),
        param("area", "Area slug."),
        param("party", "Party id."),
        param("owner", "Owner's username."),
        param("mine", "`true`: only commitments you own or are assigned to.", bool),
        param("overdue", "`true`: only those overdue for review.", bool),
        *CURSOR_PARAMS,
    ],
    responses=CommitmentSerializer(many=True),
)
def commitment_list(request):
    commitments = Commitment.objects.for_list()
    filterset = CommitmentFilter(request.query_params, queryset=commitments, request=request)
    refuse_invalid(filterset)
    return paginated(request, filterset.qs, CommitmentSerializer, ByReference)


@read(
    summary="A commitment: parties, official status, indicators with their measurements",
    responses=CommitmentDetailSerializer,
)
def commitment_detail(request, reference):
    commitment = get_object_or_404(commitment_page_queryset(), reference=reference)
    commitment.child_list = list(commitment.children.order_by("reference").only("reference"))
    commitment.indicator_list = prepare_indicators(commitment, source_choices=None)
    context = {"request": request, "today": timezone.localdate()}
    return Response(CommitmentDetailSerializer(commitment, context=context).data)


def updates_with_evidence():
    evidence = Evidence.objects.select_related("source", "speaker_party").order_by("id")
    return (
        StatusUpdate.objects.select_related("commitment", "author", "decided_by")
        .defer("commitment__description")
        .prefetch_related(Prefetch("evidence", queryset=evidence))
    )


UPDATE_PARAMS = [
    param(
        "since",
        "Only updates recorded, accepted or returned since this date or date-time (ISO 8601).",
    ),
    param("review_state", "`submitted`, `accepted` or `returned`."),
    param("status", "The status the update reports, e.g. `fulfilled`."),
    *CURSOR_PARAMS,
]


def update_list_response(request, updates):
    form = refuse_invalid(UpdateFilterForm(request.query_params))
    return paginated(request, form.filter(updates), StatusUpdateSerializer)


@read(
    summary="Status updates with their evidence, newest first, across all commitments",
    parameters=[param("commitment", "A commitment's reference."), *UPDATE_PARAMS],
    responses=StatusUpdateSerializer(many=True),
)
def update_list(request):
    return update_list_response(request, updates_with_evidence())


def commitment_updates_get(request, reference):
    commitment = get_object_or_404(Commitment.objects.only("id"), reference=reference)
    return update_list_response(request, updates_with_evidence().filter(commitment=commitment))


@read(summary="A status update with its evidence", responses=StatusUpdateSerializer)
def update_detail(request, pk):
    update = get_object_or_404(updates_with_evidence(), pk=pk)
    return Response(StatusUpdateSerializer(update, context={"request": request}).data)


@read(
    summary="Sources, newest first",
    parameters=[param("q", "Search the title and publisher."), *CURSOR_PARAMS],
    responses=SourceSerializer(many=True),
)
def source_list(request):
    form = refuse_invalid(SourceFilterForm(request.query_params))
    sources = Source.objects.all()
    if query := form.cleaned_data.get("q", "").strip():
        sources = sources.filter(Q(title__icontains=query) | Q(publisher__icontains=query))
    return paginated(request, sources, SourceSerializer)


PARAGRAPHS_PER_REQUEST = 200


@read(
    summary="A source: its document's metadata and a slice of its text as numbered paragraphs",
    parameters=[
        param(
            "paragraphs_from",
            f"The first paragraph's number (default 1); at most {PARAGRAPHS_PER_REQUEST} "
            "follow, `next_paragraphs` links to the rest.",
            int,
        )
    ],
    responses=SourceDetailSerializer,
)
def source_detail(request, pk):
    form = refuse_invalid(ParagraphsForm(request.query_params))
    source = get_object_or_404(Source.objects.select_related("text_added_by"), pk=pk)
    first = form.cleaned_data.get("paragraphs_from") or 1
    source.paragraph_slice = list(
        source.paragraphs.filter(number__gte=first).order_by("number")[:PARAGRAPHS_PER_REQUEST]
    )
    context = {"request": request}
    return Response(SourceDetailSerializer(source, context=context).data)


@read(
    summary="The review queue: updates waiting for your decision, oldest first (managers)",
    parameters=[
        param("area", "Area id."),
        param("analyst", "The author's user id."),
        *CURSOR_PARAMS,
    ],
    responses=ReviewItemSerializer(many=True),
)
@permission_classes([IsManager])
def review_queue(request):
    waiting = StatusUpdate.objects.awaiting_decision_by(request.user)
    filterset = refuse_invalid(ReviewQueueFilter(request.query_params, queryset=waiting))
    updates = with_details(filterset.qs).select_related("decided_by")
    return paginated(request, updates, ReviewItemSerializer, Oldest)


@read(
    summary="Where the commitments stood on a date: counts by status, area, party and owner",
    parameters=[
        param("as_of", "A past date (YYYY-MM-DD); today when absent.", OpenApiTypes.DATE),
        param("area", "Area id."),
        param("party", "Party id."),
        param("owner", "Owner's user id."),
    ],
    responses=inline_serializer("DashboardSnapshot", {"as_of": serializers.DateField()}),
)
def dashboard_snapshot(request):
    return Response(dashboard.snapshot_for(request))


def indicator_for(pk):
    return get_object_or_404(Indicator.objects.select_related("commitment"), pk=pk)
