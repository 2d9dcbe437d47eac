"""Reference data: parties, areas, events and sources."""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_valid_filename

from .fields import user_stamp, valid_choice


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
            valid_choice("kind", PartyKind, "tracker_party_kind_valid"),
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


def source_upload_path(source, filename):
    return f"sources/{source.sha256[:2]}/{source.sha256}/{get_valid_filename(filename)[-100:]}"


class SourceKind(models.TextChoices):
    READOUT = "readout", "Readout"
    STATEMENT = "statement", "Statement"
    INTERVIEW = "interview", "Interview"
    NEWS = "news", "News"
    REPORT = "report", "Report"
    OTHER = "other", "Other"


def source_label(title, publisher, published_on):
    """A source as pickers and lists name it: its title, then its publisher and date."""
    bits = [b for b in (publisher, published_on and f"{published_on:%d %b %Y}") if b]
    return f"{title} ({', '.join(bits)})" if bits else title


class Source(models.Model):
    """A document or statement used as evidence. Publisher, URL and date are optional."""

    Kind = SourceKind

    title = models.CharField(max_length=500)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STATEMENT)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    published_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The document itself, when the library has it (tracker/library/): the original file,
    # what it is, and its text as numbered SourceParagraphs.
    # Database defaults too: the benchmark's generator and raw SQL write rows without them.
    document = models.FileField(
        upload_to=source_upload_path, max_length=300, blank=True, default="", db_default=""
    )
    original_name = models.CharField(max_length=255, blank=True, default="", db_default="")
    media_type = models.CharField(max_length=100, blank=True, default="", db_default="")
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(
        "SHA-256", max_length=64, blank=True, editable=False, default="", db_default=""
    )
    text_sha256 = models.CharField(
        max_length=64, blank=True, editable=False, default="", db_default=""
    )
    paragraph_count = models.PositiveIntegerField(default=0, editable=False, db_default=0)
    text_added_by = user_stamp()
    text_added_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["title"], name="tracker_source_title_idx"),
            # The source pickers offer the most recently added sources.
            models.Index(fields=["-created_at", "-id"], name="tracker_source_recent_idx"),
        ]
        constraints = [
            valid_choice("kind", SourceKind, "tracker_source_kind_valid"),
            # One source per document: a second upload of the same file offers the first.
            models.UniqueConstraint(
                fields=["sha256"], condition=~Q(sha256=""), name="tracker_source_sha256_unique"
            ),
        ]

    def __str__(self):
        return source_label(self.title, self.publisher, self.published_on)

    def get_absolute_url(self):
        return reverse("source-detail", args=[self.pk])

    @property
    def has_text(self):
        return self.paragraph_count > 0
