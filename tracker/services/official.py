"""The official status of a commitment: which accepted update is official, and its periods.

The `current_*` fields and the StatusPeriods are written in exactly one place:
refresh_official_status().
"""

from django.db import transaction
from django.utils import timezone

from .. import derived
from ..models import Commitment, StatusPeriod, StatusUpdate
from ..notifications import events as notifications
from ..notifications.models import Kind


def official_key(update):
    """Which accepted update is official: latest as-of date, then latest acceptance."""
    return (update.as_of, update.decided_at, update.pk)


def known_from(update):
    """The first date on which an accepted update is known: observed and accepted."""
    return max(update.as_of, timezone.localdate(update.decided_at))


def compute_periods(accepted_updates):
    """Status periods from accepted updates: [(update, valid_from, valid_to), ...]."""
    periods = []
    winner = None
    for update in sorted(accepted_updates, key=lambda u: (known_from(u), official_key(u))):
        start = known_from(update)
        if winner is not None and official_key(update) < official_key(winner):
            continue  # Known now, but an update with a later as-of date is already official.
        winner = update
        if periods and periods[-1][1] == start:
            # Several updates known from the same day: the day's last winner holds it.
            periods.pop()
            if periods:
                periods[-1] = (*periods[-1][:2], None)
        if periods and periods[-1][0].status == update.status:
            continue  # Same status: the period goes on.
        if periods:
            prev, prev_start, _ = periods[-1]
            periods[-1] = (prev, prev_start, start)
        periods.append((update, start, None))
    return periods


@transaction.atomic
def refresh_official_status(commitment):
    """Recompute the commitment's official status and status periods from its history."""
    # Lock the commitment before reading its history: two managers accepting updates of
    # one commitment at once would otherwise each write a result missing the other's.
    commitment = Commitment.objects.lock(commitment.pk)
    commitment.status_before_refresh = commitment.current_status
    accepted = list(
        StatusUpdate.objects.accepted()
        .filter(commitment_id=commitment.pk)
        .only("id", "status", "progress", "confidence", "as_of", "decided_at")
    )
    official = max(accepted, key=official_key, default=None)
    fields = derived.official_fields(official)
    for name, value in fields.items():
        setattr(commitment, name, value)
    commitment.next_review_due = commitment.compute_next_review_due()
    Commitment.objects.filter(pk=commitment.pk).update(
        **fields, next_review_due=commitment.next_review_due
    )
    StatusPeriod.objects.filter(commitment_id=commitment.pk).delete()
    StatusPeriod.objects.bulk_create(
        StatusPeriod(
            commitment_id=commitment.pk,
            status_update=update,
            status=update.status,
            valid_from=start,
            valid_to=end,
        )
        for update, start, end in compute_periods(accepted)
    )
    return commitment


def announce_status_change(update, commitment):
    """Followers hear of a change of the official status (not of every accepted update)."""
    before, after = commitment.status_before_refresh, commitment.current_status
    if before != after:
        notifications.announce(Kind.STATUS_CHANGED, update_id=update.pk, before=before, after=after)
