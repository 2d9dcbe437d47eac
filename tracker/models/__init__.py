"""The domain model, one module per seam; import from here (`from tracker.models import X`)."""

# Personal access tokens live with the API that uses them (tracker/api/models.py).
from ..api.models import ApiToken
from .audit import AuditAction, AuditEvent
from .choices import (
    EARLIEST_DATE,
    STATUS_DEFINITIONS,
    STATUS_LABELS,
    STATUS_RANKS,
    Confidence,
    Status,
    choices_condition,
)
from .commitments import Commitment, CommitmentParty, CommitmentQuerySet
from .fields import user_stamp, valid_choice
from .imports import ImportFile, ImportState
from .indicators import Direction, Indicator, Measurement, Qualifier
from .library import CommitmentPassage, SourceParagraph
from .reference import Area, Event, Party, PartyKind, Source, SourceKind
from .roles import ANALYSTS, MANAGERS, ROLE_GROUPS
from .second_factor import UsedTotpStep
from .updates import Evidence, ReviewState, StatusPeriod, StatusUpdate, StatusUpdateQuerySet

__all__ = [
    "ANALYSTS",
    "ApiToken",
    "EARLIEST_DATE",
    "MANAGERS",
    "ROLE_GROUPS",
    "STATUS_DEFINITIONS",
    "STATUS_LABELS",
    "STATUS_RANKS",
    "Area",
    "AuditAction",
    "AuditEvent",
    "Commitment",
    "CommitmentParty",
    "CommitmentPassage",
    "CommitmentQuerySet",
    "Confidence",
    "Direction",
    "Event",
    "Evidence",
    "ImportFile",
    "ImportState",
    "Indicator",
    "Measurement",
    "Party",
    "PartyKind",
    "Qualifier",
    "ReviewState",
    "Source",
    "SourceKind",
    "SourceParagraph",
    "Status",
    "StatusPeriod",
    "StatusUpdate",
    "StatusUpdateQuerySet",
    "UsedTotpStep",
    "choices_condition",
    "user_stamp",
    "valid_choice",
]
