"""Check, and optionally repair, every value derived from the status history.

Derived values: each commitment's official status (`current_*`), `next_review_due`,
`last_update_at` and its StatusPeriod rows. They are recomputed here from the updates by
the same rules tracker/services/ uses, and compared with what is stored. Repairs go through
services.refresh_official_status(), the one writer of the official status.

`StatusUpdate.previous_status` is not derived: it records what was official when the
update was written, a historical fact, so it is never "repaired".

Memory stays bounded: commitments are read in chunks by primary key, and for each chunk
only the accepted updates' few columns, as tuples.
"""

import collections
import dataclasses
import datetime as dt
from typing import NamedTuple

from django.db import transaction
from django.db.models import F, OuterRef, Subquery

from . import derived, services
from .models import Commitment, Evidence, StatusPeriod, StatusUpdate

CHUNK_SIZE = 200
MAX_EXAMPLES = 20
CHECKED = (*derived.DERIVED_FIELDS, "status_periods")


class Accepted(NamedTuple):
    """The columns of an accepted update that the official rule reads (services.official_key)."""

    pk: int
    status: str
    progress: int | None
    confidence: str
    as_of: dt.date
    decided_at: dt.datetime


@dataclasses.dataclass
class Drift:
    commitment_id: int
    reference: str
    # field -> (stored, expected)
    fields: dict

    def describe(self):
        return "; ".join(
            _describe_periods(stored, expected)
            if name == "status_periods"
            else f"{name} {_show(stored)}, expected {_show(expected)}"
            for name, (stored, expected) in self.fields.items()
        )


def _show(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):  # a status period
        update_id, status, start, end = value
        return f"{status} {start}–{end or 'now'} (update {update_id})"
    return repr(value)


def _describe_periods(stored, expected):
    first = next(
        i
        for i in range(max(len(stored), len(expected)))
        if stored[i : i + 1] != expected[i : i + 1]
    )
    return (
        f"status periods: {len(stored)} stored, {len(expected)} expected, first difference "
        f"at #{first + 1}: {_show(stored[first]) if first < len(stored) else 'none'}, expected "
        f"{_show(expected[first]) if first < len(expected) else 'none'}"
    )


@dataclasses.dataclass
class Report:
    commitments: int = 0
    accepted_updates: int = 0
    drifted: int = 0
    repaired: int = 0
    by_field: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    examples: list = dataclasses.field(default_factory=list)

    @property
    def clean(self):
        return self.drifted == 0


def expected_values(commitment, accepted, last_created):
    """What the derived fields of `commitment` (a dict of its row) should hold."""
    official = max(accepted, key=services.official_key, default=None)
    expected = {
        **derived.official_fields(official),
        "last_update_at": last_created,
        "status_periods": [
            (update.pk, update.status, start, end)
            for update, start, end in services.compute_periods(accepted)
        ],
    }
    expected["next_review_due"] = derived.next_review_due(
        current_as_of=expected["current_as_of"],
        created_at=commitment["created_at"],
        cadence_days=commitment["review_cadence_days"],
    )
    return expected


def drift_of(commitment, accepted, last_created, periods):
    """Fields whose stored value differs from the recomputed one: {field: (stored, expected)}."""
    expected = expected_values(commitment, accepted, last_created)
    stored = {**commitment, "status_periods": periods}
    return {
        name: (stored[name], expected[name]) for name in CHECKED if stored[name] != expected[name]
    }


def _chunk_state(ids):
    """Accepted updates, latest creation time and stored periods of these commitments."""
    accepted = collections.defaultdict(list)
    rows = (
        StatusUpdate.objects.accepted()
        .filter(commitment_id__in=ids)
        .order_by()
        .values_list(
            "commitment_id", "id", "status", "progress", "confidence", "as_of", "decided_at"
        )
    )
    for commitment_id, *fields in rows:
        accepted[commitment_id].append(Accepted(*fields))
    last_created = dict(
        Commitment.objects.filter(pk__in=ids)
        .order_by()
        .annotate(last=derived.last_update_at())
        .values_list("pk", "last")
    )
    periods = collections.defaultdict(list)
    rows = (
        StatusPeriod.objects.filter(commitment_id__in=ids)
        .order_by("commitment_id", "valid_from")
        .values_list("commitment_id", "status_update_id", "status", "valid_from", "valid_to")
    )
    for commitment_id, *fields in rows:
        periods[commitment_id].append(tuple(fields))
    return accepted, last_created, periods


COMMITMENT_COLUMNS = (
    "id",
    "reference",
    "created_at",
    "review_cadence_days",
    *derived.DERIVED_FIELDS,
)


def _check_chunk(commitments):
    ids = [c["id"] for c in commitments]
    accepted, last_created, periods = _chunk_state(ids)
    for commitment in commitments:
        pk = commitment["id"]
        fields = drift_of(commitment, accepted[pk], last_created.get(pk), periods[pk])
        yield commitment, len(accepted[pk]), fields


def _recheck_locked(commitment_id):
    """Check one commitment again with its row locked, inside the caller's transaction.

    The chunked reads are not one snapshot: an update committed between them looks like
    drift. Writers lock the commitment row, so under the lock the answer is exact.
    """
    commitment = (
        Commitment.objects.select_for_update().filter(pk=commitment_id).values(*COMMITMENT_COLUMNS)
    ).first()
    if commitment is None:
        return None, {}
    accepted, last_created, periods = _chunk_state([commitment_id])
    fields = drift_of(
        commitment, accepted[commitment_id], last_created.get(commitment_id), periods[commitment_id]
    )
    return commitment, fields


def repair(commitment_id):
    """Rewrite one commitment's derived values from its history."""
    with transaction.atomic():
        commitment, fields = _recheck_locked(commitment_id)
        if not fields:
            return False
        services.refresh_official_status(Commitment(pk=commitment_id))
        Commitment.objects.filter(pk=commitment_id).update(last_update_at=derived.last_update_at())
        return True


def verify(*, repair_drift=False, chunk_size=CHUNK_SIZE, max_examples=MAX_EXAMPLES):
    """Check every commitment; with `repair_drift`, fix what differs. Returns a Report."""
    report = Report()
    last_pk = 0
    while True:
        chunk = list(
            Commitment.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values(*COMMITMENT_COLUMNS)[:chunk_size]
        )
        if not chunk:
            return report
        last_pk = chunk[-1]["id"]
        for commitment, n_accepted, fields in _check_chunk(chunk):
            report.commitments += 1
            report.accepted_updates += n_accepted
            if not fields:
                continue
            with transaction.atomic():
                _, fields = _recheck_locked(commitment["id"])
            if not fields:
                continue  # A write landed between the chunk's reads; nothing is wrong.
            report.drifted += 1
            report.by_field.update(fields.keys())
            if len(report.examples) < max_examples:
                report.examples.append(Drift(commitment["id"], commitment["reference"], fields))
            if repair_drift and repair(commitment["id"]):
                report.repaired += 1


def misplaced_evidence():
    """Evidence whose copy of its update's commitment (`Evidence.commitment`, read by "what
    each side says") names another commitment."""
    return Evidence.objects.exclude(commitment_id=F("status_update__commitment_id"))


def repair_evidence():
    """Copy each misplaced piece of evidence's commitment from its update again; how many."""
    of_update = StatusUpdate.objects.filter(pk=OuterRef("status_update_id"))
    return misplaced_evidence().update(commitment_id=Subquery(of_update.values("commitment_id")))
