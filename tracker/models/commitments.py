"""Commitments and the parties bound by them."""

import functools

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .. import derived, limits
from ..compiled import Compiled
from ..people import name_in
from .choices import CONFIDENCE_LABELS, Confidence, Status, choices_condition
from .fields import person, valid_choice
from .reference import Area, Event, Party


@functools.lru_cache(maxsize=20_000)
def _detail_url(reference, prefix, urlconf):
    return reverse("commitment-detail", args=[reference], urlconf=urlconf)


def commitment_url(reference):
    """The page of the commitment with this reference (its get_absolute_url).

    Remembered per reference, script prefix and URLconf, all it depends on: a reverse()
    costs some 40 µs, and the dashboard alone names 80 commitments."""
    return _detail_url(reference, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


class CommitmentQuerySet(models.QuerySet):
    def lock(self, pk):
        """The commitment, its row locked until the transaction ends.

        Every write to a commitment or its status updates takes this lock first, before it
        touches any other row: one order for everyone, so writers queue and never deadlock
        (an accept that changed its update first deadlocked with a resent form's insert).
        """
        return self.select_for_update().get(pk=pk)

    def for_list(self):
        return self.select_related("area", "owner", "event").prefetch_related(
            models.Prefetch(
                "commitment_parties",
                queryset=CommitmentParty.objects.select_related("party"),
            )
        )

    # What a row of the commitments list shows, read as values: 25 rows as model instances
    # (each with its area, owner, event and parties) cost about 3.5 ms a page in the ORM, as
    # values about 1 (bench/README.md, "Row pages and the post (fifth round)").
    ROW_COLUMNS = (
        "id",
        "reference",
        "title",
        "area__name",
        "owner__first_name",
        "owner__last_name",
        "owner__username",
        "current_status",
        "current_confidence",
        "current_progress",
        "last_update_at",
        "next_review_due",
    )

    def list_rows(self):
        """The commitments list's rows (templates/jinja2/commitments/rows.html): ROW_COLUMNS'
        values, each with `parties` as (label, must deliver), `owner` a name or None and the
        confidence's label; two queries."""
        rows = list(self.values(*self.ROW_COLUMNS))
        parties = {row["id"]: [] for row in rows}
        for commitment_id, short_name, name, must_deliver in BOUND.rows(list(parties)):
            parties[commitment_id].append((short_name or name, must_deliver))
        for row in rows:
            row["parties"] = parties[row["id"]]
            row["confidence_label"] = CONFIDENCE_LABELS.get(row["current_confidence"], "")
            row["owner"] = name_in(row, "owner")
        return rows

    def overdue(self, today=None):
        return self.filter(next_review_due__lt=today or timezone.localdate())

    def involving(self, user):
        """Commitments the user owns or is assigned to, each once.

        The assignees as a subquery, not a join: no duplicate rows to take out with
        DISTINCT, which PostgreSQL cannot combine with an ORDER BY of bound parameters
        (the list's health sort) once statements are bound server-side.
        """
        assigned = Commitment.assignees.through.objects.filter(user=user)
        return self.filter(Q(owner=user) | Q(pk__in=assigned.values("commitment_id")))


class Commitment(models.Model):
    reference = models.CharField(
        max_length=40, unique=True, help_text="Short, human-friendly code, e.g. USCN-2023-FENT."
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, max_length=limits.DESCRIPTION)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="commitments")
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, null=True, blank=True, related_name="commitments"
    )
    parties = models.ManyToManyField(Party, through="CommitmentParty", related_name="commitments")
    owner = person("owned_commitments", help_text="The responsible analyst.")
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="assigned_commitments",
        help_text="Other analysts who may record status updates.",
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    target_date = models.DateField(null=True, blank=True)
    review_cadence_days = models.PositiveIntegerField(
        default=30, help_text="How often, in days, the status must be reviewed."
    )
    # Derived: the latest accepted update's as-of date (or creation) plus the cadence.
    next_review_due = models.DateField(editable=False)
    # Bumped on every edit of the descriptive fields, for conflict detection.
    version = models.PositiveIntegerField(default=1, editable=False)

    # Copied from the latest accepted status update by services.refresh_official_status(),
    # so lists and the dashboard never scan the history.
    current_status = models.CharField(
        max_length=30, choices=Status.choices, default=Status.NOT_ASSESSED, editable=False
    )
    current_progress = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    current_confidence = models.CharField(
        max_length=10, choices=Confidence.choices, blank=True, editable=False
    )
    current_update = models.ForeignKey(
        "StatusUpdate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    current_as_of = models.DateField(null=True, blank=True, editable=False)
    last_update_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(
        excluded_fields=[
            "current_status",
            "current_progress",
            "current_confidence",
            "current_update",
            "current_as_of",
            "last_update_at",
            "updated_at",
        ]
    )
    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        indexes = [
            models.Index(fields=["current_status", "reference"], name="tracker_cmt_status_idx"),
            # The list filtered by area and status, in its default order: read a page from
            # the index instead of sorting every match (bench/README.md).
            models.Index(
                fields=["area", "current_status", "reference"], name="tracker_cmt_area_ref_idx"
            ),
            models.Index(fields=["next_review_due"], name="tracker_cmt_review_idx"),
            models.Index(fields=["-last_update_at"], name="tracker_cmt_lastupd_idx"),
            models.Index(fields=["title"], name="tracker_cmt_title_idx"),
            # The dashboard counts today's commitments by area and by owner from these
            # alone, in their order: due date and creation are there to be read, not sought.
            models.Index(
                fields=["area", "current_status", "next_review_due", "created_at"],
                name="tracker_cmt_area_state_idx",
            ),
            models.Index(
                fields=["owner", "current_status", "next_review_due", "created_at"],
                name="tracker_cmt_owner_state_idx",
            ),
            # The dashboard's trend counts the commitments created in its window: without
            # it both databases read every commitment (bench/README.md, sixth round).
            models.Index(fields=["created_at"], name="tracker_cmt_created_idx"),
            # "Needs attention": the first stalled, then at-risk commitments by review date,
            # read from the index in order instead of sorting every one of them.
            models.Index(
                fields=["current_status", "next_review_due", "id"], name="tracker_cmt_worst_idx"
            ),
        ]
        constraints = [
            valid_choice("current_status", Status, "tracker_commitment_status_valid"),
            models.CheckConstraint(
                condition=Q(current_confidence="")
                | choices_condition("current_confidence", Confidence),
                name="tracker_commitment_confidence_valid",
            ),
            models.CheckConstraint(
                condition=Q(current_progress__isnull=True)
                | Q(current_progress__gte=0, current_progress__lte=100),
                name="tracker_commitment_progress_range",
            ),
            models.CheckConstraint(
                condition=Q(review_cadence_days__gte=1), name="tracker_commitment_cadence_positive"
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")), name="tracker_commitment_not_own_parent"
            ),
        ]

    def __str__(self):
        return f"{self.reference}: {self.title}"

    def save(self, *args, **kwargs):
        self.next_review_due = self.compute_next_review_due()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return commitment_url(self.reference)

    @property
    def stated_passage(self):
        """The verified passage of a source that states this commitment (CommitmentPassage),
        when it was created from one; None otherwise. Pages select_related("passage")."""
        return getattr(self, "passage", None)

    @property
    def status(self):
        return Status(self.current_status)

    def compute_next_review_due(self):
        return derived.next_review_due(
            current_as_of=self.current_as_of,
            created_at=self.created_at,
            cadence_days=self.review_cadence_days,
        )

    def is_overdue(self, today=None):
        return self.next_review_due < (today or timezone.localdate())

    def delivering_parties(self):
        return [cp.party for cp in self.commitment_parties.all() if cp.must_deliver]


class CommitmentParty(models.Model):
    """A party bound by a commitment; `must_deliver` marks who has to act."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="commitment_parties"
    )
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    must_deliver = models.BooleanField(default=True)

    class Meta:
        ordering = ["-must_deliver", "party__name"]
        verbose_name = "party bound"
        verbose_name_plural = "parties bound"
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "party"], name="tracker_commitmentparty_unique"
            ),
        ]

    def __str__(self):
        role = "must deliver" if self.must_deliver else "bound"
        return f"{self.party} ({role})"


# The parties of a page of the list's rows (list_rows): those that must deliver first, by name.
BOUND = Compiled(
    lambda commitment_ids: CommitmentParty.objects.filter(
        commitment_id__in=commitment_ids
    ).values_list("commitment_id", "party__short_name", "party__name", "must_deliver")
)
