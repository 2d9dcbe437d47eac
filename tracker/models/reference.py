"""Reference data: parties, areas, events and sources."""

from django.db import models
from django.utils import timezone

from .choices import choices_condition


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
