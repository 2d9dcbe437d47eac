"""Status updates, their evidence, and the periods of each official status."""

import datetime
from typing import NamedTuple

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from .. import limits
from ..compiled import Compiled
from ..markup import render_markdown
from ..people import display_name, name_in
from .choices import CONFIDENCE_LABELS, Confidence, Status
from .commitments import Commitment
from .fields import person, valid_choice
from .reference import Party, Source


class StatusUpdateQuerySet(models.QuerySet):
    def accepted(self):
        return self.filter(review_state=StatusUpdate.ReviewState.ACCEPTED)

    def submitted(self):
        return self.filter(review_state=StatusUpdate.ReviewState.SUBMITTED)

    def official_order(self):
        """Latest as-of date wins; ties go to the later acceptance, then the later record."""
        return self.order_by("-as_of", "-decided_at", "-id")

    def awaiting_decision_by(self, user):
        """Updates waiting for a decision that this user may take (never their own)."""
        return self.submitted().exclude(author=user)

    def returned_to(self, user):
        """The user's returned updates that no revision has answered yet."""
        revised = StatusUpdate.objects.filter(revises=models.OuterRef("pk"))
        return self.filter(author=user, review_state=StatusUpdate.ReviewState.RETURNED).exclude(
            models.Exists(revised)
        )


class ReviewState(models.TextChoices):
    SUBMITTED = "submitted", "Pending review"
    ACCEPTED = "accepted", "Accepted"
    RETURNED = "returned", "Returned"


def decided_how(decider, author_id):
    """Who decided an update, in words: "by Maria Manager" (`decider`: their name, or None),
    "by the seed import" (no author), or "on recording (no review step)"."""
    if decider is not None:
        return f"by {decider}"
    if author_id is None:
        return "by the seed import"
    return "on recording (no review step)"


REVIEW_LABELS = dict(ReviewState.choices)


def describe_row(row):
    """What a status update read by values() (with author_id, review_state, confidence and
    the author's and decider's name columns) shows, added to the row: `author` a name or
    None, the decision in words, the labels and which review state it is in. The review
    cards and the status history both draw their rows from this."""
    author_id, review_state = row["author_id"], row["review_state"]
    row["author"] = name_in(row, "author")
    row["decided_how"] = decided_how(name_in(row, "decided_by"), author_id)
    row["confidence_label"] = CONFIDENCE_LABELS[row["confidence"]]
    row["review_label"] = REVIEW_LABELS[review_state]
    row["is_pending"] = review_state == ReviewState.SUBMITTED
    row["is_accepted"] = review_state == ReviewState.ACCEPTED
    row["is_returned"] = review_state == ReviewState.RETURNED
    return row


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
    assessment = models.TextField(blank=True, max_length=limits.ASSESSMENT)
    # The assessment's Markdown rendered once, when it is written (see markup.py).
    assessment_html = models.TextField(blank=True, editable=False)
    as_of = models.DateField(help_text="When the situation was observed.")
    author = person("status_updates", help_text="Empty for imported seed data.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    review_state = models.CharField(
        max_length=10, choices=ReviewState.choices, default=ReviewState.SUBMITTED
    )
    decided_by = person("decided_updates")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True, max_length=limits.DECISION_COMMENT)
    # A revision of a returned update, or a correction of an accepted one.
    revises = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="revisions"
    )
    # One form submission creates one update, however often it is posted.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, editable=False)

    objects = StatusUpdateQuerySet.as_manager()

    # The fields the API, the admin and the benchmark's bulk writer list, in this order.
    PUBLIC_FIELDS = (
        "commitment",
        "status",
        "previous_status",
        "progress",
        "confidence",
        "assessment",
        "assessment_html",
        "as_of",
        "author",
        "created_at",
        "review_state",
        "decided_by",
        "decided_at",
        "decision_comment",
        "revises",
    )

    class Meta:
        ordering = ["-as_of", "-created_at", "-id"]
        indexes = [
            # The latest accepted update of each commitment.
            models.Index(
                fields=["commitment", "review_state", "-as_of", "-decided_at"],
                name="tracker_upd_official_idx",
            ),
            # A commitment's timeline, newest first, a page at a time: without it the page
            # sorts all of the commitment's updates (a thousand on the benchmark's) per view.
            models.Index(
                fields=["commitment", "-as_of", "-created_at", "-id"],
                name="tracker_upd_timeline_idx",
            ),
            # The dashboard as of a past day: each commitment's latest accepted as-of date
            # known by then, one seek each. Smaller than tracker_upd_official_idx (only
            # accepted updates, no review state), so PostgreSQL's 9,000 seeks a year back
            # take half the time (bench/README.md, third round). SQLite cannot match a
            # partial index to a bound parameter and keeps using the official index, which
            # covers the same query there.
            models.Index(
                fields=["commitment", "-as_of", "decided_at"],
                condition=Q(review_state=ReviewState.ACCEPTED),
                name="tracker_upd_known_idx",
            ),
            # Most recent updates (what changed, feeds, exports).
            models.Index(fields=["-created_at"], name="tracker_upd_recent_idx"),
            models.Index(fields=["-decided_at"], name="tracker_upd_decided_idx"),
            # Accepted updates decided in a period (the dashboard's "what changed"): without
            # it SQLite scans every accepted update through the review-state index. The
            # commitment is there to be read: the week's totals count commitments from the
            # index alone, not from each update's row (bench/README.md, sixth round).
            models.Index(
                fields=["review_state", "-decided_at", "commitment"],
                name="tracker_upd_state_decided_idx",
            ),
            # The review queue, oldest first, in its exact order (id breaks ties): a prepared
            # statement's generic plan, which cannot know the state asked for, walks it
            # too, where without the id it walked the newest updates (bench/README.md).
            models.Index(fields=["review_state", "created_at", "id"], name="tracker_upd_queue_idx"),
            # An author's updates by review state; the returned list walks it newest
            # decision first and stops after a page, instead of reading every returned
            # update in the system through tracker_upd_state_decided_idx (bench/README.md).
            models.Index(
                fields=["author", "review_state", "-decided_at", "-id"],
                name="tracker_upd_author_idx",
            ),
        ]
        constraints = [
            valid_choice("status", Status, "tracker_update_status_valid"),
            valid_choice("previous_status", Status, "tracker_update_previous_status_valid"),
            valid_choice("confidence", Confidence, "tracker_update_confidence_valid"),
            valid_choice("review_state", ReviewState, "tracker_update_review_state_valid"),
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
            # A key is the author's own, on one commitment: another analyst's key never
            # collides with theirs.
            models.UniqueConstraint(
                fields=["author", "commitment", "idempotency_key"],
                name="tracker_update_idempotency_key_per_author",
            ),
        ]

    def __str__(self):
        return f"{self.commitment.reference} {self.get_status_display()} as of {self.as_of}"

    def save(self, *args, **kwargs):
        self.assessment_html = render_markdown(self.assessment)
        super().save(*args, **kwargs)

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
    def decided_how(self):
        decider = display_name(self.decided_by) if self.decided_by_id else None
        return decided_how(decider, self.author_id)

    @property
    def review_label(self):
        return self.get_review_state_display()

    @property
    def is_pending(self):
        return self.review_state == self.ReviewState.SUBMITTED

    @property
    def is_accepted(self):
        return self.review_state == self.ReviewState.ACCEPTED

    @property
    def is_returned(self):
        return self.review_state == self.ReviewState.RETURNED


class ShownEvidence(NamedTuple):
    """What templates/jinja2/parts/updates.html's `evidence` macro shows of a piece of
    evidence; `reader_url` is None when the quote is unverified."""

    quote: str
    speaker: str
    party: str | None  # the speaker's party's name
    source_url: str
    source_title: str
    source_publisher: str
    source_published_on: datetime.date | None
    locator: str
    reader_url: str | None


def shown_evidence(update_ids):
    """The evidence of these status updates as the cards and the status history show it,
    read as values in one query (model instances with their source and party cost about
    twice as much): {update id: [ShownEvidence, ...]}, each list in the order recorded."""
    shown = {}
    for update_id, *values, source_id, paragraph, sha256 in SHOWN.rows(list(update_ids)):
        url = reader_url(source_id, paragraph) if sha256 else None
        shown.setdefault(update_id, []).append(ShownEvidence(*values, url))
    return shown


# What shown_evidence reads: one statement for each number of updates (a page's: 20 or 25).
SHOWN = Compiled(
    lambda update_ids: (
        Evidence.objects.filter(status_update_id__in=update_ids)
        .order_by("id")
        .values_list(
            "status_update_id",
            "quote",
            "speaker",
            "speaker_party__name",
            "source__url",
            "source__title",
            "source__publisher",
            "source__published_on",
            "locator",
            "source_id",
            "paragraph",
            "source_sha256",
        )
    )
)


def reader_url(source_id, paragraph):
    """Where a verified quote stands in the source reader (its page of paragraphs)."""
    from ..library.reader import page_of

    url = reverse("source-detail", args=[source_id])
    page = page_of(paragraph) if paragraph else 1
    return f"{url}?page={page}#p{paragraph}" if page > 1 else f"{url}#p{paragraph}"


class Evidence(models.Model):
    """A verbatim quote from a source, supporting one status update."""

    status_update = models.ForeignKey(
        StatusUpdate, on_delete=models.PROTECT, related_name="evidence"
    )
    # The update's commitment, copied when the evidence is recorded (an update never moves):
    # "what each side says" finds a commitment's attributed quotes by it with one index
    # lookup instead of walking every update the commitment has (bench/README.md, "The
    # seventh round"). `tracker.integrity` reports a copy that disagrees with its update.
    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="+", editable=False
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="evidence")
    quote = models.TextField(max_length=limits.QUOTE)
    speaker = models.CharField(max_length=200, blank=True)
    locator = models.CharField(
        max_length=100, blank=True, help_text="Page, paragraph or timestamp."
    )
    speaker_party = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Verified against the source's text (tracker/library/quotes.py): where the quote is, as
    # [[start, end], ...] in the text (one pair per piece around an ellipsis), its first
    # paragraph and the hash of the document it was verified against. Empty: unverified.
    spans = models.JSONField(null=True, blank=True, editable=False)
    paragraph = models.PositiveIntegerField(null=True, blank=True, editable=False)
    source_sha256 = models.CharField(
        max_length=64, blank=True, editable=False, default="", db_default=""
    )

    class Meta:
        ordering = ["status_update", "id"]
        verbose_name_plural = "evidence"
        indexes = [
            # "What each side says" on a commitment's page: the parties' quotes about it, read
            # without touching its other evidence (tracker/library/statements.py).
            models.Index(fields=["commitment", "speaker_party"], name="tracker_evidence_party_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(source_sha256="") & Q(paragraph__isnull=True))
                | (~Q(source_sha256="") & Q(paragraph__isnull=False)),
                name="tracker_evidence_verified_complete",
            ),
        ]

    def __str__(self):
        return f"“{self.quote[:60]}” ({self.source.title[:40]})"

    @property
    def is_verified(self):
        return bool(self.source_sha256)

    def reader_url(self):
        """Where the quote stands in the source reader (its page of paragraphs)."""
        return reader_url(self.source_id, self.paragraph)


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
