"""The API's writes, through the web's forms (the same validation) and tracker/services/
(the same rules and the same one writer). A JSON body becomes the form's data; the form's
errors come back as a 422 problem naming each field by its JSON path."""

import hashlib
import re

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from .. import access, services
from ..forms import (
    NEW_SOURCE_FIELDS,
    DecisionForm,
    MeasurementForm,
    RecordUpdateForm,
    ReturnForm,
    evidence_formset,
)
from ..models import StatusUpdate
from ..people import display_name
from .conditional import etag
from .problems import Problem, invalid
from .reads import UPDATE_PARAMS, commitment_updates_get, indicator_for, updates_with_evidence
from .serializers import MeasurementSerializer, StatusUpdateSerializer

UPDATE_FIELDS = {"status", "progress", "confidence", "as_of", "assessment", "revises"}
EVIDENCE_FIELDS = {"quote", "speaker", "locator", "source", "new_source"}
SOURCE_FIELDS = {form_field.removeprefix("new_source_") for form_field in NEW_SOURCE_FIELDS}
MEASUREMENT_FIELDS = {"value", "qualifier", "measured_on", "note", "source", "new_source"}
MAX_EVIDENCE = 20
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,200}")


def require(request, check):
    """The web's role check (access.role_required), for one method of a view."""
    if not check(request.user):
        access.deny(request, "role")


def body(request):
    """The JSON body as an object; 400 when it is anything else."""
    data = request.data
    # An empty body is parsed as {}: it is no object either.
    if request.stream is None or not isinstance(data, dict):
        raise Problem("The body must be a JSON object.", kind="invalid-body")
    return data


def scalar(value, path, errors):
    """A JSON value as a form field's text; a list, an object or a boolean is refused."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors[path] = ["Must be a string or a number."]
        return ""
    return str(value)


def fields_of(obj, allowed, path, errors, prefix=""):
    """Form data from a JSON object's allowed fields; unknown fields are errors."""
    if not isinstance(obj, dict):
        errors[path or "body"] = ["Must be an object."]
        return {}
    data = {}
    for name, value in obj.items():
        where = f"{path}.{name}" if path else name
        if name not in allowed:
            errors[where] = ["Unknown field."]
        elif name == "new_source":
            if value is not None:
                for key, item in fields_of(value, SOURCE_FIELDS, where, errors).items():
                    data[f"{prefix}new_source_{key}"] = item
        else:
            data[prefix + name] = scalar(value, where, errors)
    return data


def update_form_data(payload):
    errors = {}
    data = fields_of(
        {k: v for k, v in payload.items() if k != "evidence"}, UPDATE_FIELDS, "", errors
    )
    evidence = payload.get("evidence", [])
    if not isinstance(evidence, list):
        errors["evidence"] = ["Must be a list."]
        evidence = []
    elif len(evidence) > MAX_EVIDENCE:
        errors["evidence"] = [f"At most {MAX_EVIDENCE} pieces of evidence."]
        evidence = []
    for i, item in enumerate(evidence):
        data.update(fields_of(item, EVIDENCE_FIELDS, f"evidence[{i}]", errors, f"evidence-{i}-"))
    data.update({"evidence-TOTAL_FORMS": str(len(evidence)), "evidence-INITIAL_FORMS": "0"})
    if errors:
        raise invalid(errors)
    return data


def json_path(name):
    """A form field's name as its JSON path: evidence-0-new_source_title -> ..."""
    if name == "__all__":
        return ""
    match = re.fullmatch(r"evidence-(\d+)-(.+)", name)
    path, field = (f"evidence[{match[1]}].", match[2]) if match else ("", name)
    if field.startswith("new_source_"):
        field = "new_source." + field.removeprefix("new_source_")
    return path + field


def form_errors(form, formset=None):
    errors = {}
    for f in [form, *(formset.forms if formset is not None else [])]:
        for name, messages in f.errors.items():
            errors[json_path(f.add_prefix(name) if name != "__all__" else name)] = list(messages)
    if formset is not None and formset.non_form_errors():
        errors["evidence"] = list(formset.non_form_errors())
    return errors


def idempotency_key(request):
    """The Idempotency-Key header as the service's key; None if absent, 400 if malformed."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise Problem(
            "The Idempotency-Key header must be 1 to 200 visible ASCII characters.",
            kind="invalid-body",
        )
    # The service scopes keys to the author and the commitment; hashed to fit its 64 characters.
    return "api-" + hashlib.sha256(key.encode()).hexdigest()[:60]


def same_request(update, data, items):
    """Whether a repeated request asks for exactly what the stored update holds."""
    stored = [
        (e.quote, e.speaker, e.locator, e.source.title, e.source_id) for e in update.evidence.all()
    ]
    asked = [
        (
            i.quote,
            i.speaker,
            i.locator,
            i.source.title if i.source else i.new_source["title"],
            i.source.pk if i.source else None,  # a new source: any id
        )
        for i in items
    ]
    same_evidence = len(stored) == len(asked) and all(
        s[:4] == a[:4] and a[4] in (None, s[4]) for s, a in zip(stored, asked, strict=True)
    )
    return (
        same_evidence
        and update.status == data["status"]
        and update.confidence == data["confidence"]
        and update.as_of == data["as_of"]
        and update.progress == data["progress"]
        and update.assessment == data["assessment"].strip()
        and update.revises_id == (data["revises"].pk if data["revises"] else None)
    )


def key_reused(exc):
    return any(e.code == "key_reused" for e in exc.error_dict.get(NON_FIELD_ERRORS, []))


def reused_key():
    return Problem(
        "This Idempotency-Key was already used for a different status update.",
        kind="idempotency-key-reused",
        status_code=422,
    )


RECORD_BODY = inline_serializer(
    "RecordStatusUpdate",
    {
        "status": serializers.CharField(),
        "confidence": serializers.CharField(),
        "as_of": serializers.DateField(),
        "progress": serializers.IntegerField(required=False, allow_null=True),
        "assessment": serializers.CharField(required=False),
        "revises": serializers.IntegerField(required=False, allow_null=True),
        "evidence": serializers.ListField(child=serializers.DictField(), required=False),
    },
)


@etag
@extend_schema(
    methods=["GET"],
    summary="A commitment's status updates with their evidence, newest first",
    parameters=UPDATE_PARAMS,
    responses=StatusUpdateSerializer(many=True),
)
@extend_schema(
    methods=["POST"],
    summary="Record a status update with evidence (the owner or an assignee)",
    parameters=[
        OpenApiParameter(
            "Idempotency-Key",
            str,
            OpenApiParameter.HEADER,
            description="Repeat a request safely: the same key and body answer 200 with "
            "the update recorded first; the same key with another body is refused (422).",
        )
    ],
    request=RECORD_BODY,
    responses={201: StatusUpdateSerializer, 200: StatusUpdateSerializer},
)
@api_view(["GET", "HEAD", "POST"])
def commitment_updates(request, reference):
    if request.method in ("GET", "HEAD"):
        return commitment_updates_get(request, reference)
    require(request, access.is_analyst)
    commitment = access.commitment_for_update(request, reference)
    key = idempotency_key(request)
    data = update_form_data(body(request))
    form = RecordUpdateForm(data, commitment=commitment, user=request.user)
    formset = evidence_formset(data)
    form_ok = form.is_valid()
    formset.status_changes = form.status_changes()
    if not (formset.is_valid() and form_ok):
        raise invalid(form_errors(form, formset))
    cleaned = form.cleaned_data
    try:
        update, created = services.record_status_update(
            commitment=commitment,
            author=request.user,
            idempotency_key=key,
            **form.update_fields(formset),
        )
    except ValidationError as exc:
        if key_reused(exc):
            raise reused_key() from exc
        raise invalid({json_path(k): v for k, v in exc.message_dict.items()}) from exc
    update = updates_with_evidence().get(pk=update.pk)
    # The service compares the quotes; the API also holds the sources and speakers to it.
    if not created and not same_request(update, cleaned, formset.evidence_items()):
        raise reused_key()
    data = StatusUpdateSerializer(update, context={"request": request}).data
    if not created:
        return Response(data, status=200)
    return Response(data, status=201, headers={"Location": data["url"]})


DECISION_BODY = inline_serializer(
    "Decision", {"comment": serializers.CharField(required=False, max_length=5000)}
)


def decide(request, pk, *, accept):
    require(request, access.is_manager)
    update = get_object_or_404(StatusUpdate.objects.select_related("commitment"), pk=pk)
    if not access.can_review(request.user, update):
        access.deny(request, "own update")
    errors = {}
    data = fields_of(body(request), {"comment"}, "", errors)
    if errors:
        raise invalid(errors)
    form = (DecisionForm if accept else ReturnForm)(data)
    if not form.is_valid():
        raise invalid(form_errors(form))
    decide_ = services.accept_update if accept else services.return_update
    try:
        decide_(update=update, manager=request.user, comment=form.cleaned_data["comment"])
    except services.ReviewConflict as exc:
        update.refresh_from_db()
        who = display_name(update.decided_by)
        raise Problem(
            f"Already {update.get_review_state_display().lower()} by {who}.",
            kind="already-decided",
            status_code=409,
        ) from exc
    except ValidationError as exc:
        raise invalid(exc.message_dict) from exc
    update = updates_with_evidence().get(pk=pk)
    return Response(StatusUpdateSerializer(update, context={"request": request}).data)


def decision_view(name, *, accept, summary):
    """The endpoint of one decision: POST a comment, get the decided update back."""

    def view(request, pk):
        return decide(request, pk, accept=accept)

    view.__name__ = view.__qualname__ = name
    return extend_schema(summary=summary, request=DECISION_BODY, responses=StatusUpdateSerializer)(
        api_view(["POST"])(view)
    )


accept = decision_view(
    "accept", accept=True, summary="Accept a status update (managers; never your own)"
)
return_ = decision_view(
    "return_",
    accept=False,
    summary="Return a status update with a comment saying what is missing (managers)",
)


MEASUREMENT_BODY = inline_serializer(
    "AddMeasurement",
    {
        "value": serializers.DecimalField(max_digits=16, decimal_places=4),
        "qualifier": serializers.CharField(required=False),
        "measured_on": serializers.DateField(required=False, allow_null=True),
        "note": serializers.CharField(required=False),
        "source": serializers.IntegerField(required=False, allow_null=True),
        "new_source": serializers.DictField(required=False, allow_null=True),
    },
)


@etag
@extend_schema(
    methods=["GET"],
    summary="An indicator's measurements, oldest first",
    responses=MeasurementSerializer(many=True),
)
@extend_schema(
    methods=["POST"],
    summary="Add a measurement (the commitment's owner or an assignee)",
    request=MEASUREMENT_BODY,
    responses={201: MeasurementSerializer},
)
@api_view(["GET", "HEAD", "POST"])
def indicator_measurements(request, pk):
    if request.method in ("GET", "HEAD"):
        return measurement_list(request, pk)
    require(request, access.is_analyst)
    indicator = indicator_for(pk)
    access.commitment_for_update(request, indicator.commitment.reference)
    errors = {}
    data = fields_of(body(request), MEASUREMENT_FIELDS, "", errors)
    if errors:
        raise invalid(errors)
    form = MeasurementForm(data)
    if not form.is_valid():
        raise invalid(form_errors(form))
    try:
        measurement = services.record_measurement(
            indicator=indicator, recorded_by=request.user, **form.measurement_fields()
        )
    except ValidationError as exc:
        raise invalid({json_path(k): v for k, v in exc.message_dict.items()}) from exc
    data = MeasurementSerializer(measurement).data
    location = reverse("api-indicator-measurements", args=[pk])
    return Response(data, status=201, headers={"Location": location})


def measurement_list(request, pk):
    indicator = indicator_for(pk)
    measurements = indicator.measurements.select_related("source", "recorded_by").order_by(
        "measured_on", "created_at", "id"
    )
    return Response(MeasurementSerializer(measurements, many=True).data)
