"""Writes that span several models. Each runs in one transaction.

The official status of a commitment (the `current_*` fields and its StatusPeriods) is
written in exactly one place: refresh_official_status().
"""

import dataclasses
import logging

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from . import access, audit, derived
from .library import services as library
from .models import (
    EARLIEST_DATE,
    AuditAction,
    Commitment,
    CommitmentParty,
    Evidence,
    Measurement,
    Party,
    ReviewState,
    Source,
    StatusPeriod,
    StatusUpdate,
)
from .notifications import events as notifications
from .notifications.models import Kind

log = logging.getLogger("tracker.services")


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


class ReviewConflict(Exception):
    """The update was decided by someone else in the meantime."""


class EditConflict(Exception):
    """The commitment was saved by someone else since the editor loaded it."""

    def __init__(self, current):
        super().__init__(f"{current.reference} changed since the version you started from")
        self.current = current


PARENT_CYCLE = "A commitment cannot be part of itself or of one of its own sub-commitments."
# Any constant: PostgreSQL's advisory lock serialising changes of the commitment hierarchy.
HIERARCHY_LOCK = 0x7472_6B72


def lock_hierarchy():
    """Serialise writers that change a parent, so two of them cannot close a cycle together.

    SQLite's IMMEDIATE transactions already serialise every writer. Taken before any row
    lock, so it never waits while holding one.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [HIERARCHY_LOCK])


def makes_cycle(commitment, parent):
    """True if `parent` is `commitment` itself or one of its sub-commitments, at any depth."""
    seen = set()
    pk = parent.pk if parent is not None else None
    while pk is not None and pk not in seen:
        if pk == commitment.pk:
            return True
        seen.add(pk)
        pk = Commitment.objects.filter(pk=pk).values_list("parent_id", flat=True).first()
    return False


@transaction.atomic
def edit_commitment(*, commitment, editor, changes, expected_version=None, request=None):
    """Change a commitment's descriptive fields (`changes`: {field: value}, assignees too).

    Only the fields access.editable_fields() allows; the row locked; refused with
    EditConflict if it is no longer `expected_version` (None: the admin, last write wins);
    the version bumped once when something changed; audited. Returns the saved commitment.
    """
    refused = set(changes) - set(access.editable_fields(editor, commitment))
    if refused:
        raise PermissionDenied(f"May not change {', '.join(sorted(refused))}.")
    if "parent" in changes:
        lock_hierarchy()
    current = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if expected_version is not None and current.version != expected_version:
        raise EditConflict(current)
    if "parent" in changes and makes_cycle(current, changes["parent"]):
        raise ValidationError({"parent": PARENT_CYCLE})
    assignees = changes.get("assignees")
    changed = sorted(
        name
        for name, value in changes.items()
        if name != "assignees" and getattr(current, name) != value
    )
    if assignees is not None and {u.pk for u in assignees} != set(
        current.assignees.values_list("pk", flat=True)
    ):
        changed.append("assignees")
    if not changed:
        return current
    for name in changed:
        if name != "assignees":
            setattr(current, name, changes[name])
    current.version += 1
    current._history_user = editor  # simple_history: who made this version
    current.save()
    if "assignees" in changed:
        current.assignees.set(assignees)
    audit.record(
        AuditAction.EDIT,
        user=editor,
        request=request,
        target=current.reference,
        detail=f"version {current.version}: " + ", ".join(changed),
    )
    return current


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
    submitted = {
        "status": status,
        "confidence": confidence,
        "as_of": as_of,
        "progress": progress,
        "assessment": assessment,
        "revises_id": revises.pk if revises else None,
        "quotes": [item.quote for item in evidence],
    }
    if idempotency_key:
        existing = _already_recorded(commitment, author, idempotency_key, submitted)
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
    if revises is not None and revises.commitment_id != commitment.pk:
        raise ValidationError("A revision belongs to the commitment of the update it revises.")
    if revises is not None and revises.is_returned and revises.revisions.exists():
        # Checked under the commitment's lock: two tabs revising at once store one revision.
        raise ValidationError(ALREADY_REVISED)

    accept_now = access.records_directly(author)
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
            existing = _already_recorded(commitment, author, idempotency_key, submitted)
            if existing:
                return existing, False
        raise

    for item in evidence:
        source = item.source or Source.objects.create(**item.new_source)
        fields = {"locator": item.locator}
        if source.has_text:
            fields = library.verified_fields(source, item.quote, match=item.match)
        Evidence.objects.create(
            status_update=update,
            source=source,
            quote=item.quote,
            speaker=item.speaker,
            speaker_party=item.speaker_party,
            **fields,
        )

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
            detail=f"update {update.pk}: {update.get_status_display()} as of {as_of}",
        )
    return update, True


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


def _decide(update, *, manager, state, comment):
    if not access.can_review(manager, update):
        raise PermissionDenied("Only managers review status updates, never their own.")
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


def announce_status_change(update, commitment):
    """Followers hear of a change of the official status (not of every accepted update)."""
    before, after = commitment.status_before_refresh, commitment.current_status
    if before != after:
        notifications.announce(Kind.STATUS_CHANGED, update_id=update.pk, before=before, after=after)


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


@transaction.atomic
def create_commitment(*, creator, fields, parties=(), assignees=(), via="form", passage=None):
    """A new commitment: `fields` are model fields, `parties` [(party, must_deliver), ...].

    Kept in the field-level history as its first version, audited. Its status starts as
    "not yet assessed" until a status update is accepted. With `passage` (a
    library.Passage), it is linked to the verified passage of a source that states it.
    """
    if not access.may_create_commitments(creator):
        raise PermissionDenied("Only managers create commitments.")
    commitment = Commitment(**fields)
    commitment._history_user = creator  # simple_history: who made this version
    # Lengths and ranges, a safety net under the form's and the importer's checks.
    commitment.clean_fields(exclude=["next_review_due", "area", "event", "owner", "parent"])
    commitment.save()
    CommitmentParty.objects.bulk_create(
        CommitmentParty(commitment=commitment, party=party, must_deliver=must)
        for party, must in parties
    )
    if assignees:
        commitment.assignees.add(*assignees)
    detail = f"{via}: created"
    if passage is not None:
        link = library.link_passage(commitment=commitment, passage=passage)
        detail += f" from source {link.source_id}, {link.locator}"
    audit.record(AuditAction.CREATE, user=creator, target=commitment.reference, detail=detail)
    return commitment


@transaction.atomic
def change_commitment(*, commitment, editor, changes, parties=None, expected_version=None):
    """edit_commitment() and, when `parties` is not None, the parties bound: an import's edit.

    `parties` is the whole new list [(party, must_deliver), ...]; managers may change it.
    """
    current = edit_commitment(
        commitment=commitment, editor=editor, changes=changes, expected_version=expected_version
    )
    if parties is None:
        return current
    if not access.is_manager(editor):
        raise PermissionDenied("May not change the parties bound.")
    wanted = {party.pk: must for party, must in parties}
    bound = {cp.party_id: cp.must_deliver for cp in current.commitment_parties.all()}
    if wanted == bound:
        return current
    CommitmentParty.objects.filter(
        commitment=current, party_id__in=bound.keys() - wanted.keys()
    ).delete()
    for party_id, must in wanted.items():
        if party_id not in bound:
            CommitmentParty.objects.create(commitment=current, party_id=party_id, must_deliver=must)
        elif bound[party_id] != must:
            CommitmentParty.objects.filter(commitment=current, party_id=party_id).update(
                must_deliver=must
            )
    audit.record(AuditAction.EDIT, user=editor, target=current.reference, detail="parties bound")
    return current
