"""Creating and editing commitments: the row locked, the version checked, audited."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from .. import access, audit
from ..library import services as library
from ..models import AuditAction, Commitment, CommitmentParty


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
    current = Commitment.objects.lock(commitment.pk)
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
