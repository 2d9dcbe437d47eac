"""Writes that span several models. Each runs in one transaction.

The official status of a commitment (the `current_*` fields and its StatusPeriods) is
written in exactly one place: refresh_official_status().
"""

import dataclasses
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import audit
from .models import (
    AuditAction,
    Commitment,
    CommitmentParty,
    Evidence,
    Measurement,
    ReviewState,
    Source,
    Status,
    StatusPeriod,
    StatusUpdate,
    user_is_manager,
)

log = logging.getLogger("tracker.services")


@dataclasses.dataclass
class EvidenceItem:
    quote: str
    source: Source | None = None
    # Fields of a new Source to create when `source` is None.
    new_source: dict | None = None
    speaker: str = ""
    locator: str = ""


class ReviewConflict(Exception):
    """The update was decided by someone else in the meantime."""


def review_required():
    return settings.TRACKER_REVIEW_REQUIRED


def check_status_update(*, official_status, status, as_of, has_evidence):
    """The rules of a new status update, also run by an import's dry run before it writes."""
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": "The as-of date cannot be in the future."})
    if status != official_status and not has_evidence:
        raise ValidationError(
            {"evidence": "A change of status needs at least one piece of evidence."}
        )


def accepted_on_creation(author):
    """Seed data (no author) and updates recorded with the review step turned off."""
    return author is None or not review_required()


@transaction.atomic
def record_status_update(
    *,
    commitment,
    author,
    status,
    confidence,
    as_of,
    progress=None,
    assessment="",
    evidence=(),
    revises=None,
    idempotency_key=None,
):
    """Record a status update with its evidence, all or nothing.

    Returns (update, created). A repeated idempotency key returns the first update.
    """
    if idempotency_key:
        existing = StatusUpdate.objects.filter(idempotency_key=idempotency_key).first()
        if existing:
            return existing, False

    # Serialises writers on one commitment (PostgreSQL; SQLite's IMMEDIATE does the same).
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    check_status_update(
        official_status=commitment.current_status,
        status=status,
        as_of=as_of,
        has_evidence=bool(evidence),
    )

    accept_now = accepted_on_creation(author)
    now = timezone.now()
    update = StatusUpdate(
        commitment=commitment,
        status=status,
        previous_status=commitment.current_status,
        progress=progress,
        confidence=confidence,
        assessment=assessment,
        as_of=as_of,
        author=author,
        created_at=now,
        revises=revises,
        idempotency_key=idempotency_key or None,
        review_state=(
            StatusUpdate.ReviewState.ACCEPTED if accept_now else StatusUpdate.ReviewState.SUBMITTED
        ),
        decided_at=now if accept_now else None,
    )
    try:
        with transaction.atomic():
            update.save()
    except IntegrityError:
        if idempotency_key:
            existing = StatusUpdate.objects.filter(idempotency_key=idempotency_key).first()
            if existing:
                return existing, False
        raise

    for item in evidence:
        source = item.source or Source.objects.create(**item.new_source)
        Evidence.objects.create(
            status_update=update,
            source=source,
            quote=item.quote,
            speaker=item.speaker,
            locator=item.locator,
        )

    Commitment.objects.filter(pk=commitment.pk).update(last_update_at=now)
    if accept_now:
        refresh_official_status(commitment)
    if author is not None:
        audit.record(
            AuditAction.STATUS_UPDATE,
            user=author,
            target=commitment.reference,
            detail=f"update {update.pk}: {update.get_status_display()} as of {as_of}",
        )
    return update, True


def _decide(update, *, manager, state, comment):
    if not (manager.is_superuser or user_is_manager(manager)):
        raise PermissionDenied("Only managers review status updates.")
    if update.author_id == manager.pk:
        raise PermissionDenied("Nobody reviews their own status update.")
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
    transaction.on_commit(lambda: notify_author(update))
    return update


def notify_author(update):
    """Email the analyst when their update is accepted or returned (if they have an address)."""
    author = update.author
    if not (settings.TRACKER_EMAIL_NOTIFICATIONS and author and author.email):
        return
    commitment = update.commitment
    verb = "accepted" if update.is_accepted else "returned"
    decider = update.decided_by.get_full_name() or update.decided_by.username
    lines = [
        f"Your status update on {commitment.reference} ({commitment.title}) was {verb} "
        f"by {decider}.",
        "",
        f"Status: {update.get_status_display()} as of {update.as_of:%d %b %Y}",
    ]
    if update.decision_comment:
        lines += ["", "Comment:", update.decision_comment]
    if update.is_returned:
        lines += ["", "Revise it from your list of returned updates."]
    try:
        send_mail(
            f"[Commitment Tracker] {commitment.reference}: update {verb}",
            "\n".join(lines),
            None,
            [author.email],
        )
    except OSError:
        # A mail server being down must not undo a recorded decision.
        log.exception("could not email %s about update %s", author.email, update.pk)


@transaction.atomic
def accept_update(*, update, manager, comment=""):
    update = _decide(
        update, manager=manager, state=StatusUpdate.ReviewState.ACCEPTED, comment=comment
    )
    refresh_official_status(update.commitment)
    return update


@transaction.atomic
def return_update(*, update, manager, comment):
    if not comment.strip():
        raise ValidationError({"comment": "Say what is missing so the analyst can revise it."})
    return _decide(
        update, manager=manager, state=StatusUpdate.ReviewState.RETURNED, comment=comment
    )


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
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    accepted = list(
        StatusUpdate.objects.accepted()
        .filter(commitment_id=commitment.pk)
        .only("id", "status", "progress", "confidence", "as_of", "decided_at")
    )
    official = max(accepted, key=official_key, default=None)
    if official:
        commitment.current_status = official.status
        commitment.current_progress = official.progress
        commitment.current_confidence = official.confidence
        commitment.current_update = official
        commitment.current_as_of = official.as_of
    else:
        commitment.current_status = Status.NOT_ASSESSED
        commitment.current_progress = None
        commitment.current_confidence = ""
        commitment.current_update = None
        commitment.current_as_of = None
    commitment.next_review_due = commitment.compute_next_review_due()
    Commitment.objects.filter(pk=commitment.pk).update(
        current_status=commitment.current_status,
        current_progress=commitment.current_progress,
        current_confidence=commitment.current_confidence,
        current_update=commitment.current_update,
        current_as_of=commitment.current_as_of,
        next_review_due=commitment.next_review_due,
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


@transaction.atomic
def record_measurement(
    *, indicator, value, source, measured_on=None, qualifier="", note="", recorded_by=None
):
    if measured_on and measured_on > timezone.localdate():
        raise ValidationError({"measured_on": "The date cannot be in the future."})
    if isinstance(source, dict):
        source = Source.objects.create(**source)
    measurement = Measurement.objects.create(
        indicator=indicator,
        value=value,
        qualifier=qualifier,
        measured_on=measured_on,
        source=source,
        note=note,
        recorded_by=recorded_by,
    )
    if recorded_by is not None:
        audit.record(
            AuditAction.MEASUREMENT,
            user=recorded_by,
            target=indicator.commitment.reference,
            detail=f"{indicator.name}: {measurement.display_value}",
        )
    return measurement


@transaction.atomic
def save_commitment(*, by, commitment=None, fields, parties=None, assignees=None, via="form"):
    """Create a commitment (`commitment` None) or change some of its descriptive fields.

    `fields` maps model fields to values; `parties` is [(party, must_deliver), ...] and
    `assignees` a list of users, each None to leave them as they are. An update bumps the
    version (edit conflicts) and is kept in the field-level history; both are audited.
    """
    creating = commitment is None
    if creating:
        commitment = Commitment(**fields)
    else:
        commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
        for name, value in fields.items():
            setattr(commitment, name, value)
        commitment.version += 1
    commitment._history_user = by  # simple-history's author outside a request
    # Lengths and ranges, a safety net under the forms' and the importer's checks.
    commitment.clean_fields(exclude=["next_review_due", "area", "event", "owner", "parent"])
    commitment.save()
    if parties is not None:
        wanted = {party.pk: must for party, must in parties}
        bound = {} if creating else {cp.party_id: cp for cp in commitment.commitment_parties.all()}
        CommitmentParty.objects.filter(
            commitment=commitment, party_id__in=bound.keys() - wanted.keys()
        ).delete()
        for party_id, must in wanted.items():
            if party_id not in bound:
                CommitmentParty.objects.create(
                    commitment=commitment, party_id=party_id, must_deliver=must
                )
            elif bound[party_id].must_deliver != must:
                CommitmentParty.objects.filter(pk=bound[party_id].pk).update(must_deliver=must)
    if assignees and creating:
        commitment.assignees.add(*assignees)
    elif assignees is not None and not creating:
        commitment.assignees.set(assignees)
    if creating:
        detail = f"{via}: created"
    else:
        changed = [
            *fields,
            *["parties"] * (parties is not None),
            *["assignees"] * (assignees is not None),
        ]
        detail = f"{via}: version {commitment.version}: {', '.join(sorted(changed))}"
    audit.record(
        AuditAction.CREATE if creating else AuditAction.EDIT,
        user=by,
        target=commitment.reference,
        detail=detail,
    )
    return commitment
