"""A manager's decision on a submitted status update: accept it or return it to the analyst."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import access, audit
from ..models import AuditAction, Commitment, ReviewState, StatusUpdate
from ..notifications import events as notifications
from ..notifications.models import Kind
from .official import announce_status_change, refresh_official_status


class ReviewConflict(Exception):
    """The update was decided by someone else in the meantime."""


def _decide(update, *, manager, state, comment):
    if not access.can_review(manager, update):
        raise PermissionDenied("Only managers review status updates, never their own.")
    # The commitment first, as every writer does (CommitmentQuerySet.lock).
    Commitment.objects.lock(update.commitment_id)
    now = timezone.now()
    # A conditional UPDATE: of two managers deciding at once, exactly one wins.
    decided = StatusUpdate.objects.filter(
        pk=update.pk, review_state=StatusUpdate.ReviewState.SUBMITTED
    ).update(review_state=state, decided_by=manager, decided_at=now, decision_comment=comment)
    if not decided:
        raise ReviewConflict("This update has already been reviewed.")
    update.refresh_from_db()
    audit.record(
        AuditAction.ACCEPT if state == ReviewState.ACCEPTED else AuditAction.RETURN,
        user=manager,
        target=update.commitment.reference,
        detail=f"update {update.pk}" + (f": {comment}" if comment else ""),
    )
    notifications.announce(Kind.UPDATE_DECIDED, update_id=update.pk)
    return update


@transaction.atomic
def accept_update(*, update, manager, comment=""):
    update = _decide(
        update, manager=manager, state=StatusUpdate.ReviewState.ACCEPTED, comment=comment
    )
    announce_status_change(update, refresh_official_status(update.commitment))
    return update


@transaction.atomic
def return_update(*, update, manager, comment):
    if not comment.strip():
        raise ValidationError({"comment": "Say what is missing so the analyst can revise it."})
    return _decide(
        update, manager=manager, state=StatusUpdate.ReviewState.RETURNED, comment=comment
    )
