"""Values derived from a commitment's history, each defined once.

tracker/services/ writes them, the model and `verify_integrity` (tracker/integrity.py) recompute
them, and the benchmark's generator (bench/generate.py) derives them the same way.
"""

import datetime as dt

from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

# The Status value of a commitment that no accepted update assesses yet.
NOT_ASSESSED = "not_assessed"
# A commitment's fields copied from its official update (official_fields), and all it derives.
OFFICIAL_FIELDS = (
    "current_status",
    "current_progress",
    "current_confidence",
    "current_update_id",
    "current_as_of",
)
DERIVED_FIELDS = (*OFFICIAL_FIELDS, "next_review_due", "last_update_at")


def next_review_due(*, current_as_of, created_at, cadence_days):
    """The official update's as-of date (or the creation day) plus the review cadence."""
    start = current_as_of or timezone.localdate(created_at)
    return start + dt.timedelta(days=cadence_days)


def official_fields(official):
    """The `current_*` fields of a commitment whose official update is `official` (or None)."""
    if official is None:
        return {
            "current_status": NOT_ASSESSED,
            "current_progress": None,
            "current_confidence": "",
            "current_update_id": None,
            "current_as_of": None,
        }
    return {
        "current_status": official.status,
        "current_progress": official.progress,
        "current_confidence": official.confidence,
        "current_update_id": official.pk,
        "current_as_of": official.as_of,
    }


def last_update_at():
    """`last_update_at` as SQL, for a query on Commitment: when its latest update was recorded."""
    from .models import StatusUpdate

    return Subquery(
        StatusUpdate.objects.filter(commitment_id=OuterRef("pk"))
        .order_by()
        .values("commitment_id")
        .annotate(latest=Max("created_at"))
        .values("latest")[:1]
    )
