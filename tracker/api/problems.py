"""Errors as RFC 9457 problem details (`application/problem+json`).

{"type": ..., "title": ..., "status": ..., "detail": ..., "instance": ..., "errors": {...}}
`type` is "about:blank" when the status says it all, otherwise one of PROBLEM_TYPES
(documented in docs/api.md, "Errors"). `errors` names each invalid field.
"""

import math
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "tag:commitment-tracker,2026:problem:"
PROBLEM_TYPES = {
    "invalid-query": "A query parameter is not understood.",
    "invalid-body": "The request body is not valid JSON of the expected shape.",
    "validation": "The data was understood but refused; `errors` says why, field by field.",
    "idempotency-key-reused": "The Idempotency-Key was already used for a different request.",
    "already-decided": "The status update was accepted or returned by someone else first.",
    "invalid-token": "The access token is unknown, revoked or expired.",
    "read-only-token": "The access token has read scope only.",
}

# access.deny()'s short reasons (kept as they are in the audit log), said in full.
REFUSALS = {
    exceptions.PermissionDenied.default_detail: "You do not have permission to do this.",
    "role": "Your role does not allow this.",
    "own update": "Nobody reviews their own status update.",
}


class Problem(exceptions.APIException):
    """An error with a problem type of our own and, optionally, errors per field."""

    def __init__(self, detail, *, kind, status_code=400, errors=None):
        super().__init__(detail)
        self.status_code = status_code
        self.kind = kind
        self.errors = errors


def invalid(errors, detail="The request was refused; see `errors`."):
    return Problem(detail, kind="validation", status_code=422, errors=errors)


def body(status_code, detail, *, kind=None, instance=None, errors=None):
    data = {
        "type": TYPE_BASE + kind if kind else "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
    }
    if instance:
        data["instance"] = instance
    if errors:
        data["errors"] = errors
    return data


def response(status_code, detail, **kwargs):
    """A problem as a plain Django response, for code outside Django REST framework."""
    return JsonResponse(
        body(status_code, detail, **kwargs), status=status_code, content_type=CONTENT_TYPE
    )


def flatten(detail):
    """Django REST framework's nested error details as plain strings."""
    if isinstance(detail, dict):
        return {key: flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [flatten(item) for item in detail]
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, RequestDataTooBig):
        exc = Problem(
            f"The body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
            kind="invalid-body",
            status_code=413,
        )
    elif isinstance(exc, BadRequest | SuspiciousOperation):
        # e.g. a Content-Type header too long to parse, or a body over the size limit
        exc = Problem(str(exc) or "The request is malformed.", kind="invalid-body")
    elif isinstance(exc, DjangoValidationError):
        exc = invalid(exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages})
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handling, logged

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))

    kind, errors = getattr(exc, "kind", None), getattr(exc, "errors", None)
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        kind, errors = "invalid-body", flatten(detail)
        detail = "The request was refused; see `errors`."
    elif isinstance(exc, exceptions.ParseError):
        kind = "invalid-body"
    elif isinstance(exc, exceptions.AuthenticationFailed):
        kind = "invalid-token"
    elif isinstance(exc, exceptions.Throttled):
        detail = f"Too many requests; try again in {headers.get('Retry-After', 'a few')} seconds."
    request = context.get("request")
    code = exc.status_code
    if code == status.HTTP_403_FORBIDDEN:
        detail = REFUSALS.get(str(detail), detail)
    data = body(
        code,
        str(flatten(detail)),
        kind=kind,
        errors=errors,
        instance=request.path if request is not None else None,
    )
    return Response(data, status=code, headers=headers, content_type=CONTENT_TYPE)
