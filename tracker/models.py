import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from . import derived

ANALYSTS = "Analysts"
MANAGERS = "Managers"
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


def choices_condition(field, choices):
    return Q(**{f"{field}__in": choices.values})


class PartyKind(models.TextChoices):
    GOVERNMENT = "government", "Government"
    ORGANIZATION = "organization", "Organization"
    COALITION = "coalition", "Coalition"


class Party(models.Model):
    Kind = PartyKind

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=50, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.GOVERNMENT)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "parties"
        constraints = [
            models.CheckConstraint(
                condition=choices_condition("kind", PartyKind), name="tracker_party_kind_valid"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def label(self):
        return self.short_name or self.name


class Area(models.Model):
    """A policy area, e.g. military communications or counternarcotics."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Event(models.Model):
    """Where commitments were made: a summit, a meeting, a call."""

    name = models.CharField(max_length=300)
    date = models.DateField(null=True, blank=True)
    place = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-date", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "date"], name="tracker_event_name_date_unique"),
        ]

    def __str__(self):
        return f"{self.name} ({self.date:%d %b %Y})" if self.date else self.name


class SourceKind(models.TextChoices):
    READOUT = "readout", "Readout"
    STATEMENT = "statement", "Statement"
    INTERVIEW = "interview", "Interview"
    NEWS = "news", "News"
    REPORT = "report", "Report"
    OTHER = "other", "Other"


class Source(models.Model):
    """A document or statement used as evidence. Publisher, URL and date are optional."""

    Kind = SourceKind

    title = models.CharField(max_length=500)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STATEMENT)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    published_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["title"], name="tracker_source_title_idx"),
            # The source pickers offer the most recently added sources.
            models.Index(fields=["-created_at", "-id"], name="tracker_source_recent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=choices_condition("kind", SourceKind), name="tracker_source_kind_valid"
            ),
        ]

    def __str__(self):
        bits = [
            b for b in (self.publisher, self.published_on and f"{self.published_on:%d %b %Y}") if b
        ]
        return f"{self.title} ({', '.join(bits)})" if bits else self.title


class CommitmentQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("area", "owner", "event").prefetch_related(
            models.Prefetch(
                "commitment_parties",
                queryset=CommitmentParty.objects.select_related("party"),
            )
        )

    def overdue(self, today=None):
        return self.filter(next_review_due__lt=today or timezone.localdate())

    def involving(self, user):
        return self.filter(Q(owner=user) | Q(assignees=user))


class Commitment(models.Model):
    reference = models.CharField(
        max_length=40, unique=True, help_text="Short, human-friendly code, e.g. USCN-2023-FENT."
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="commitments")
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, null=True, blank=True, related_name="commitments"
    )
    parties = models.ManyToManyField(Party, through="CommitmentParty", related_name="commitments")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_commitments",
        help_text="The responsible analyst.",
    )
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
        ]
        constraints = [
            models.CheckConstraint(
                condition=choices_condition("current_status", Status),
                name="tracker_commitment_status_valid",
            ),
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
        return reverse("commitment-detail", args=[self.reference])

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


class StatusUpdateQuerySet(models.QuerySet):
    def accepted(self):
        return self.filter(review_state=StatusUpdate.ReviewState.ACCEPTED)

    def submitted(self):
        return self.filter(review_state=StatusUpdate.ReviewState.SUBMITTED)

    def official_order(self):
        """Latest as-of date wins; ties go to the later acceptance, then the later record."""
        return self.order_by("-as_of", "-decided_at", "-id")

    def for_timeline(self):
        return (
            self.select_related("author", "decided_by", "revises")
            .prefetch_related(
                models.Prefetch("evidence", queryset=Evidence.objects.select_related("source"))
            )
            .order_by("-as_of", "-created_at", "-id")
        )


class ReviewState(models.TextChoices):
    SUBMITTED = "submitted", "Pending review"
    ACCEPTED = "accepted", "Accepted"
    RETURNED = "returned", "Returned"


class StatusUpdate(models.Model):
    """An assessment of a commitment at a date. Append-only: corrections are new updates."""

    ReviewState = ReviewState

    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="status_updates"
    )
    status = models.CharField(max_length=30, choices=Status.choices)
    # The official status when this update was recorded: the timeline's "from".
    previous_status = models.CharField(
        max_length=30, choices=Status.choices, default=Status.NOT_ASSESSED
    )
    progress = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="0–100 %, empty when not estimated."
    )
    confidence = models.CharField(max_length=10, choices=Confidence.choices)
    assessment = models.TextField(blank=True)
    as_of = models.DateField(help_text="When the situation was observed.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_updates",
        help_text="Empty for imported seed data.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    review_state = models.CharField(
        max_length=10, choices=ReviewState.choices, default=ReviewState.SUBMITTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decided_updates",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    # A revision of a returned update, or a correction of an accepted one.
    revises = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="revisions"
    )
    # One form submission creates one update, however often it is posted.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, editable=False)

    objects = StatusUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-as_of", "-created_at", "-id"]
        indexes = [
            # The latest accepted update of each commitment.
            models.Index(
                fields=["commitment", "review_state", "-as_of", "-decided_at"],
                name="tracker_upd_official_idx",
            ),
            # Most recent updates (what changed, feeds, exports).
            models.Index(fields=["-created_at"], name="tracker_upd_recent_idx"),
            models.Index(fields=["-decided_at"], name="tracker_upd_decided_idx"),
            # Accepted updates decided in a period (the dashboard's "what changed"): without
            # it SQLite scans every accepted update through the review-state index.
            models.Index(
                fields=["review_state", "-decided_at"], name="tracker_upd_state_decided_idx"
            ),
            # The review queue, oldest first.
            models.Index(fields=["review_state", "created_at"], name="tracker_upd_queue_idx"),
            models.Index(fields=["author", "review_state"], name="tracker_upd_author_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=choices_condition("status", Status), name="tracker_update_status_valid"
            ),
            models.CheckConstraint(
                condition=choices_condition("previous_status", Status),
                name="tracker_update_previous_status_valid",
            ),
            models.CheckConstraint(
                condition=choices_condition("confidence", Confidence),
                name="tracker_update_confidence_valid",
            ),
            models.CheckConstraint(
                condition=choices_condition("review_state", ReviewState),
                name="tracker_update_review_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(progress__isnull=True) | Q(progress__gte=0, progress__lte=100),
                name="tracker_update_progress_range",
            ),
            # A decision always says when it was taken; a pending update has none.
            models.CheckConstraint(
                condition=(Q(review_state="submitted") & Q(decided_at__isnull=True))
                | (~Q(review_state="submitted") & Q(decided_at__isnull=False)),
                name="tracker_update_decision_dated",
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"], name="tracker_update_idempotency_key_unique"
            ),
        ]

    def __str__(self):
        return f"{self.commitment.reference} {self.get_status_display()} as of {self.as_of}"

    def get_absolute_url(self):
        return f"{self.commitment.get_absolute_url()}#update-{self.pk}"

    @property
    def status_obj(self):
        return Status(self.status)

    @property
    def previous_status_obj(self):
        return Status(self.previous_status)

    @property
    def changes_status(self):
        return self.status != self.previous_status

    @property
    def is_pending(self):
        return self.review_state == self.ReviewState.SUBMITTED

    @property
    def is_accepted(self):
        return self.review_state == self.ReviewState.ACCEPTED

    @property
    def is_returned(self):
        return self.review_state == self.ReviewState.RETURNED


class Evidence(models.Model):
    """A verbatim quote from a source, supporting one status update."""

    status_update = models.ForeignKey(
        StatusUpdate, on_delete=models.PROTECT, related_name="evidence"
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="evidence")
    quote = models.TextField()
    speaker = models.CharField(max_length=200, blank=True)
    locator = models.CharField(
        max_length=100, blank=True, help_text="Page, paragraph or timestamp."
    )

    class Meta:
        ordering = ["status_update", "id"]
        verbose_name_plural = "evidence"

    def __str__(self):
        return f"“{self.quote[:60]}” ({self.source.title[:40]})"


class StatusPeriod(models.Model):
    """The official status of a commitment as known over a span of dates.

    Derived from accepted updates by services.refresh_official_status(): on a date D the
    known updates are those with as_of <= D and accepted on or before D, and the official
    one is the latest by as-of date. Lets the dashboard's as-of view and trend count
    periods instead of scanning the history.
    """

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="status_periods"
    )
    status_update = models.ForeignKey(StatusUpdate, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=30, choices=Status.choices)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Exclusive; empty while current.")

    class Meta:
        ordering = ["commitment", "valid_from"]
        indexes = [
            models.Index(fields=["valid_from", "valid_to"], name="tracker_period_span_idx"),
            models.Index(fields=["valid_to"], name="tracker_period_to_idx"),
            # The dashboard reads these without touching the table: a commitment's status
            # on a date (one seek each), and the periods starting or ending in the trend.
            models.Index(
                fields=["commitment", "valid_from", "status"], name="tracker_period_status_on_idx"
            ),
            models.Index(fields=["valid_from", "status"], name="tracker_period_from_status_idx"),
            models.Index(fields=["valid_to", "status"], name="tracker_period_to_status_idx"),
            models.Index(
                fields=["commitment", "valid_to", "status"], name="tracker_period_ended_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "valid_from"], name="tracker_period_start_unique"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="tracker_period_not_empty",
            ),
        ]

    def __str__(self):
        return f"{self.commitment_id} {self.status} {self.valid_from}–{self.valid_to or ''}"


class Direction(models.TextChoices):
    INCREASE = "increase", "Higher is better"
    DECREASE = "decrease", "Lower is better"
    MAINTAIN = "maintain", "Keep at target"


class Indicator(models.Model):
    """A quantitative measure of a commitment, e.g. countries in the coalition."""

    Direction = Direction

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=50, blank=True)
    baseline = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    target = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.INCREASE
    )

    class Meta:
        ordering = ["commitment", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "name"], name="tracker_indicator_name_unique"
            ),
            models.CheckConstraint(
                condition=choices_condition("direction", Direction),
                name="tracker_indicator_direction_valid",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.unit})" if self.unit else self.name


class Qualifier(models.TextChoices):
    EXACT = "", "exactly"
    ABOUT = "about", "about"
    AT_LEAST = "at_least", "at least"
    MORE_THAN = "more_than", "more than"
    LESS_THAN = "less_than", "less than"


class Measurement(models.Model):
    Qualifier = Qualifier

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="measurements")
    value = models.DecimalField(max_digits=16, decimal_places=4)
    qualifier = models.CharField(max_length=10, choices=Qualifier.choices, blank=True, default="")
    measured_on = models.DateField(
        null=True, blank=True, help_text="Empty when the source gives no date."
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="measurements")
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["indicator", "measured_on", "id"]
        indexes = [models.Index(fields=["indicator", "measured_on"], name="tracker_meas_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=choices_condition("qualifier", Qualifier),
                name="tracker_measurement_qualifier_valid",
            ),
        ]

    def __str__(self):
        return f"{self.indicator.name}: {self.display_value}"

    @property
    def display_value(self):
        value = Decimal(str(self.value)).normalize()
        text = f"{value:f}"
        return f"{self.get_qualifier_display()} {text}" if self.qualifier else text


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_OUT = "sign_out", "Signed out"
    PERMISSION_DENIED = "permission_denied", "Permission refused"
    STATUS_UPDATE = "status_update", "Recorded a status update"
    MEASUREMENT = "measurement", "Recorded a measurement"
    EDIT = "edit", "Edited a commitment"
    ACCEPT = "accept", "Accepted an update"
    RETURN = "return", "Returned an update"
    EXPORT = "export", "Exported data"
    TOKEN_CREATED = "token_created", "Created an access token"
    TOKEN_REVOKED = "token_revoked", "Revoked an access token"
    TOKEN_USED = "token_used", "Used an access token"
    TOKEN_REFUSED = "token_refused", "Refused an access token"


class AuditEvent(models.Model):
    """Who did what, when: sign-ins, status updates, edits, review decisions, exports.

    Written by tracker.audit.record(); shown read-only in the admin, never edited by the app.
    """

    Action = AuditAction

    at = models.DateTimeField(default=timezone.now, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    target = models.CharField(max_length=200, blank=True)
    detail = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at"], name="tracker_audit_at_idx"),
            models.Index(fields=["action", "-at"], name="tracker_audit_action_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=choices_condition("action", AuditAction),
                name="tracker_auditevent_action_valid",
            ),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_action_display()} {self.target}"


# Personal access tokens live with the API that uses them.
from .api.models import ApiToken  # noqa: E402, F401
