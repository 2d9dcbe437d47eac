import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tracker import access
from tracker.models import Area, Commitment, StatusUpdate, valid_choice


class Kind(models.TextChoices):
    """What happened. Each kind has its own preference (immediate, digest, off)."""

    UPDATE_SUBMITTED = "update_submitted", "A status update waits for my review"
    UPDATE_DECIDED = "update_decided", "My status update was accepted or returned"
    REVIEW_DUE = "review_due", "A review of my commitment is due soon or overdue"
    STATUS_CHANGED = "status_changed", "A commitment I follow changed status"


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", "Email me at once"
    DIGEST = "digest", "Only in my digest"
    OFF = "off", "Off"


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly (Monday morning)"
    NEVER = "never", "Never"

    @property
    def days(self):
        return {"daily": 1, "weekly": 7}.get(self.value, 0)


class Follow(models.Model):
    """A user follows a commitment or a whole area (exactly one of the two)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(commitment__isnull=True, area__isnull=False)
                | Q(commitment__isnull=False, area__isnull=True),
                name="notifications_follow_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "commitment"],
                condition=Q(commitment__isnull=False),
                name="notifications_follow_commitment_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "area"],
                condition=Q(area__isnull=False),
                name="notifications_follow_area_unique",
            ),
        ]

    def __str__(self):
        return f"{self.user} follows {self.commitment or self.area}"


class Preferences(models.Model):
    """One row per user who changed a default (see `for_user`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    update_submitted = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    update_decided = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    review_due = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    status_changed = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    digest = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.NEVER)
    # The last day the user's last digest covered: the next one starts the day after.
    last_digest_until = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "preferences"
        constraints = [
            *(
                valid_choice(kind.value, Mode, f"notifications_prefs_{kind.value}_valid")
                for kind in Kind
            ),
            valid_choice("digest", Frequency, "notifications_prefs_digest_valid"),
        ]

    def __str__(self):
        return f"Notification preferences of {self.user}"

    @classmethod
    def default_for(cls, user):
        """A manager's digest defaults to weekly; everyone else's to never."""
        weekly = access.is_manager(user)
        return cls(user=user, digest=Frequency.WEEKLY if weekly else Frequency.NEVER)

    @classmethod
    def for_user(cls, user):
        return cls.objects.filter(user=user).first() or cls.default_for(user)

    def mode(self, kind):
        return Mode(getattr(self, Kind(kind).value))

    @property
    def frequency(self):
        return Frequency(self.digest)

    def digest_period(self, today):
        """(since, until) of the digest due today, or None; until is always yesterday."""
        if not self.frequency.days:
            return None
        if self.frequency == Frequency.WEEKLY and today.weekday() != 0:
            return None
        until = today - dt.timedelta(days=1)
        since = (
            self.last_digest_until + dt.timedelta(days=1)
            if self.last_digest_until
            else today - dt.timedelta(days=self.frequency.days)
        )
        return (since, until) if since <= until else None


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """What the bell counts and /notifications/ lists: one per recipient and event."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Names the event, e.g. "decided:42": the same event never notifies anyone twice.
    event_key = models.CharField(max_length=100)
    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status_update = models.ForeignKey(
        StatusUpdate, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=300)
    body = models.CharField(max_length=1000, blank=True)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notifications_list_idx"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notifications_unread_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event_key"], name="notifications_notification_once"
            ),
            valid_choice("kind", Kind, "notifications_kind_valid"),
        ]

    def __str__(self):
        return f"{self.recipient}: {self.title}"

    def get_absolute_url(self):
        return self.url

    @property
    def is_unread(self):
        return self.read_at is None


class DeliveryState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Waiting to retry"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"
    CANCELLED = "cancelled", "Cancelled"


class EmailDelivery(models.Model):
    """One email to one person about one event, rendered once and sent at most once.

    The worker claims a row (QUEUED → SENDING) in one transaction, talks to the mail server,
    then marks it SENT in another. A claim older than TRACKER_EMAIL_LEASE_SECONDS belongs to
    a worker that died and is sent again, with the same Message-ID (see README).
    """

    State = DeliveryState

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_deliveries"
    )
    kind = models.CharField(max_length=20, blank=True, help_text="Empty for a digest.")
    event_key = models.CharField(max_length=100)
    commitment = models.ForeignKey(
        Commitment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField()
    message_id = models.CharField(max_length=200, unique=True)
    thread_id = models.CharField(max_length=200, blank=True)
    unsubscribe_url = models.CharField(max_length=500, blank=True)

    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "email deliveries"
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notifications_due_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event_key"], name="notifications_delivery_once"
            ),
            valid_choice("state", DeliveryState, "notifications_delivery_state_valid"),
            models.CheckConstraint(
                condition=Q(state="sent", sent_at__isnull=False) | ~Q(state="sent"),
                name="notifications_delivery_sent_dated",
            ),
        ]

    def __str__(self):
        return f"{self.to}: {self.subject}"
