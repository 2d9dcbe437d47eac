"""An uploaded file, kept so that what was previewed is exactly what is applied."""

import gzip
import io
import json

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .fields import valid_choice


class ImportState(models.TextChoices):
    CHECKING = "checking", "Checking"
    CHECKED = "checked", "Ready to apply"
    REFUSED = "refused", "Cannot be applied"
    APPLYING = "applying", "Applying"
    APPLIED = "applied", "Applied"


class ImportFile(models.Model):
    """The upload (its bytes and hash), the dry run's report and, once applied, the outcome."""

    State = ImportState

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    # In the database, not on a disk: app servers and the worker keep no local state.
    content = models.BinaryField()
    kind = models.CharField(max_length=20, blank=True)
    file_format = models.CharField(max_length=10, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CHECKING)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    notes = models.JSONField(default=list, blank=True)
    problem = models.TextField(blank=True)
    # Every row's result as gzip'd JSON lines; the digest of the results, to spot a change.
    report = models.BinaryField(null=True, blank=True)
    digest = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    checked_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["uploaded_by", "-created_at"], name="tracker_import_mine_idx")
        ]
        constraints = [
            valid_choice("state", ImportState, "tracker_importfile_state_valid"),
        ]

    def __str__(self):
        return f"{self.filename} ({self.get_state_display()})"

    def get_absolute_url(self):
        return reverse("import-detail", args=[self.pk])

    @property
    def busy(self):
        return self.state in (ImportState.CHECKING, ImportState.APPLYING)

    @property
    def percent(self):
        if not self.rows_total:
            return 0
        return min(99, round(100 * self.rows_done / self.rows_total))

    def results(self):
        """Each row's result, read back one line at a time."""
        if not self.report:
            return
        with gzip.open(io.BytesIO(bytes(self.report)), "rt", encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)
