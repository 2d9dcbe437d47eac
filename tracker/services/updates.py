"""Recording status updates (with their evidence) and measurements."""

import dataclasses

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import access, audit, derived
from ..library import services as library
from ..models import (
    EARLIEST_DATE,
    AuditAction,
    Commitment,
    Evidence,
    Measurement,
    Party,
    Source,
    StatusUpdate,
)
from ..notifications import events as notifications
from ..notifications.models import Kind
from .official import announce_status_change, refresh_official_status


@dataclasses.dataclass
class EvidenceItem:
    quote: str
    source: Source | None = None
    # Fields of a new Source to create when `source` is None.
    new_source: dict | None = None
    speaker: str = ""
    locator: str = ""
    speaker_party: Party | None = None
    # Where the quote is in the source's text, when the form verified it already.
    match: object = None


def implausible_date(value):
    """Why a recorded date cannot be right, or None: never in the future, never before 1900."""
    if value is None:
        return None
    if value > timezone.localdate():
        return "The date cannot be in the future."
    if value < EARLIEST_DATE:
        return f"Enter a date from {EARLIEST_DATE:%-d %B %Y} on."
    return None


ALREADY_REVISED = (
    "This returned update has already been revised; its revision is in the status history."
)


def check_status_update(*, official_status, status, as_of, has_evidence):
    """The rules of a new status update, also run by an import's dry run before it writes."""
    if problem := implausible_date(as_of):
        raise ValidationError({"as_of": problem})
    if status != official_status and not has_evidence:
        raise ValidationError(
            {"evidence": "A change of status needs at least one piece of evidence."}
        )


# Long (about 65 lines, a third of them the signature and the submitted content): the replay
# check, the lock, the rules and the save read best in this order.
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

    Returns (update, created). The author's key on this commitment posted again with the
    same content returns the first update; with different content it is refused.
    """
    content = {
        "status": status,
        "confidence": confidence,
        "as_of": as_of,
        "progress": progress,
        "assessment": assessment,
    }
    submitted = {
        **content,
        "revises_id": revises.pk if revises else None,
        "quotes": [item.quote for item in evidence],
    }
    if idempotency_key:
        existing = _already_recorded(commitment, author, idempotency_key, submitted)
        if existing:
            return existing, False

    # Serialises writers on one commitment (PostgreSQL; SQLite's IMMEDIATE does the same).
    commitment = Commitment.objects.lock(commitment.pk)
    check_status_update(
        official_status=commitment.current_status,
        status=status,
        as_of=as_of,
        has_evidence=bool(evidence),
    )
    _check_revision(commitment, revises)

    accept_now = access.records_directly(author)
    now = timezone.now()
    update = StatusUpdate(
        **content,
        commitment=commitment,
        previous_status=commitment.current_status,
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
            existing = _already_recorded(commitment, author, idempotency_key, submitted)
            if existing:
                return existing, False
        raise

    _attach_evidence(update, evidence)
    _after_recording(update, accept_now=accept_now)
    return update, True


def _check_revision(commitment, revises):
    """A revision revises an update of this commitment, and a returned update only once."""
    if revises is not None and revises.commitment_id != commitment.pk:
        raise ValidationError("A revision belongs to the commitment of the update it revises.")
    if revises is not None and revises.is_returned and revises.revisions.exists():
        # Checked under the commitment's lock: two tabs revising at once store one revision.
        raise ValidationError(ALREADY_REVISED)


def _attach_evidence(update, evidence):
    """The update's evidence, each quote verified against its source's text when it has one."""
    for item in evidence:
        source = item.source or Source.objects.create(**item.new_source)
        fields = {"locator": item.locator}
        if source.has_text:
            fields = library.verified_fields(source, item.quote, match=item.match)
        Evidence.objects.create(
            status_update=update,
            commitment_id=update.commitment_id,
            source=source,
            quote=item.quote,
            speaker=item.speaker,
            speaker_party=item.speaker_party,
            **fields,
        )


def _after_recording(update, *, accept_now):
    """What follows a new update: the derived date, the news, the audit trail."""
    commitment, author = update.commitment, update.author
    Commitment.objects.filter(pk=commitment.pk).update(last_update_at=derived.last_update_at())
    if accept_now:
        announce_status_change(update, refresh_official_status(commitment))
    else:
        notifications.announce(Kind.UPDATE_SUBMITTED, update_id=update.pk)
    if author is not None:
        audit.record(
            AuditAction.STATUS_UPDATE,
            user=author,
            target=commitment.reference,
            detail=f"update {update.pk}: {update.get_status_display()} as of {update.as_of}",
        )


def _already_recorded(commitment, author, key, submitted):
    """The update this author already recorded on `commitment` with `key`, if the same.

    A key is one form submission: sent again with other content, it is not a double
    submit but a stale form, and silently keeping the first would lose the second.
    """
    existing = (
        StatusUpdate.objects.filter(commitment=commitment, author=author, idempotency_key=key)
        .prefetch_related("evidence")
        .first()
    )
    if existing is None:
        return None
    recorded = {name: getattr(existing, name) for name in submitted if name != "quotes"}
    recorded["quotes"] = [item.quote for item in existing.evidence.all()]
    if recorded != submitted:
        message = (
            "This form was already used for another update with different content, so it "
            "was not saved. Check your update and submit it again: it will be recorded as a "
            "new one."
        )
        raise ValidationError({NON_FIELD_ERRORS: ValidationError(message, code="key_reused")})
    return existing


@transaction.atomic
def record_measurement(
    *, indicator, value, source, measured_on=None, qualifier="", note="", recorded_by=None
):
    if problem := implausible_date(measured_on):
        raise ValidationError({"measured_on": problem})
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
