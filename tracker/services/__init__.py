"""Writes that span several models. Each runs in one transaction.

One module per kind of write: `commitments` (create, edit), `updates` (status updates with
their evidence, measurements), `review` (accept, return), `official` (the official status,
written in exactly one place: refresh_official_status()). Callers use `services.<name>`.
"""

from .commitments import (
    HIERARCHY_LOCK,
    PARENT_CYCLE,
    EditConflict,
    change_commitment,
    create_commitment,
    edit_commitment,
    lock_hierarchy,
    makes_cycle,
)
from .official import (
    announce_status_change,
    compute_periods,
    known_from,
    official_key,
    refresh_official_status,
)
from .review import ReviewConflict, accept_update, return_update
from .updates import (
    ALREADY_REVISED,
    EvidenceItem,
    check_status_update,
    implausible_date,
    record_measurement,
    record_status_update,
)

__all__ = [
    "ALREADY_REVISED",
    "HIERARCHY_LOCK",
    "PARENT_CYCLE",
    "EditConflict",
    "EvidenceItem",
    "ReviewConflict",
    "accept_update",
    "announce_status_change",
    "change_commitment",
    "check_status_update",
    "compute_periods",
    "create_commitment",
    "edit_commitment",
    "implausible_date",
    "known_from",
    "lock_hierarchy",
    "makes_cycle",
    "official_key",
    "record_measurement",
    "record_status_update",
    "refresh_official_status",
    "return_update",
]
