"""The status vocabulary and the helpers every model's constraints use."""

import datetime as dt

from django.db import models
from django.db.models import Q

# No date the tracker records (or the dashboard shows) is earlier: 0001-01-01 is a typo.
EARLIEST_DATE = dt.date(1900, 1, 1)


class Status(models.TextChoices):
    """The status vocabulary. Each status has a definition the UI shows and a health rank."""

    NOT_ASSESSED = "not_assessed", "Not yet assessed"
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    AT_RISK = "at_risk", "At risk"
    STALLED = "stalled", "Stalled"
    PARTIALLY_FULFILLED = "partially_fulfilled", "Partially fulfilled"
    FULFILLED = "fulfilled", "Fulfilled"
    BROKEN = "broken", "Broken"

    @property
    def definition(self):
        return STATUS_DEFINITIONS[self]

    @property
    def rank(self):
        """Health, higher is better; None for "not yet assessed" (not comparable)."""
        return STATUS_RANKS[self]

    @property
    def css(self):
        return self.value.replace("_", "-")

    @classmethod
    def got_worse(cls, before, after):
        before, after = cls(before).rank, cls(after).rank
        return before is not None and after is not None and after < before

    @classmethod
    def attention(cls):
        return [cls.AT_RISK, cls.STALLED]


STATUS_DEFINITIONS = {
    Status.NOT_ASSESSED: "No analyst has assessed this commitment yet.",
    Status.NOT_STARTED: "No observable action has been taken towards the commitment yet.",
    Status.IN_PROGRESS: "Action towards the commitment is under way and on course.",
    Status.AT_RISK: (
        "Action is under way, but evidence suggests it may not be delivered as promised."
    ),
    Status.STALLED: "Action has stopped or shown no progress for a significant period.",
    Status.PARTIALLY_FULFILLED: "Some, but not all, of what was promised has been delivered.",
    Status.FULFILLED: "What was promised has been delivered in full.",
    Status.BROKEN: "The commitment has been abandoned, reversed or clearly contradicted.",
}
STATUS_LABELS = dict(Status.choices)
STATUS_RANKS = {
    Status.NOT_ASSESSED: None,
    Status.BROKEN: 0,
    Status.STALLED: 1,
    Status.AT_RISK: 2,
    Status.NOT_STARTED: 3,
    Status.IN_PROGRESS: 4,
    Status.PARTIALLY_FULFILLED: 5,
    Status.FULFILLED: 6,
}


class Confidence(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


# A value's label without building the enum member (the list's and queue's rows read values).
CONFIDENCE_LABELS = dict(Confidence.choices)


def choices_condition(field, choices):
    return Q(**{f"{field}__in": choices.values})
