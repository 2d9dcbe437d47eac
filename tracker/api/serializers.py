"""What the API returns. Read-only: writes are validated by the web's own forms
(tracker/forms.py) and written by tracker/services/, see writes.py."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import (
    STATUS_LABELS,
    Commitment,
    Evidence,
    Indicator,
    Measurement,
    Source,
    SourceParagraph,
    StatusUpdate,
)

NULLABLE_URI = {"type": "string", "format": "uri", "nullable": True}
# A commitment as in the list; the export (views/exports.py) has these columns too.
COMMITMENT_SUMMARY = [
    "title",
    "area",
    "parties",
    "owner",
    "status",
    "status_label",
    "progress",
    "confidence",
    "as_of",
    "next_review_due",
    "overdue",
    "target_date",
    "last_update_at",
]


def more_fields(serializer, *names):
    """The Meta of a serializer that shows what `serializer` shows, then `names`."""
    return type("Meta", (serializer.Meta,), {"fields": [*serializer.Meta.fields, *names]})


def with_label(fields, *, after):
    """`fields` with "status_label" next to the status it names."""
    at = fields.index(after) + 1
    return [*fields[:at], "status_label", *fields[at:]]


@extend_schema_field({"type": "string", "nullable": True, "description": "A username."})
class Username(serializers.RelatedField):
    """A user as their username (null for none, e.g. imported seed data)."""

    def to_representation(self, user):
        return user.username


def web_url(serializer, path):
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request else path


class SourceSerializer(serializers.ModelSerializer):
    """A source with what the library holds of its document (no query beyond its row)."""

    has_text = serializers.BooleanField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields = [
            "id",
            "title",
            "kind",
            "publisher",
            "url",
            "published_on",
            "created_at",
            "has_text",
            "paragraph_count",
            "original_name",
            "media_type",
            "size",
            "sha256",
            "download_url",
        ]

    @extend_schema_field(NULLABLE_URI)
    def get_download_url(self, source):
        """The web's original-file download (a session's, as an attachment); null: no file."""
        if not source.document:
            return None
        return web_url(self, reverse("source-download", args=[source.pk]))


class ParagraphSerializer(serializers.ModelSerializer):
    class Meta:
        model = SourceParagraph
        fields = ["number", "page", "start", "text"]


class SourceDetailSerializer(SourceSerializer):
    """A source with a slice of its text: `paragraphs` from `paragraphs_from`, at most
    PARAGRAPHS_PER_REQUEST; `next_paragraphs` links to the next slice (null at the end)."""

    web_url = serializers.SerializerMethodField()
    text_added_by = Username(read_only=True)
    paragraphs = ParagraphSerializer(source="paragraph_slice", many=True)
    next_paragraphs = serializers.SerializerMethodField()

    Meta = more_fields(
        SourceSerializer,
        "web_url",
        "text_added_by",
        "text_added_at",
        "paragraphs",
        "next_paragraphs",
    )

    def get_web_url(self, source) -> str:
        return web_url(self, source.get_absolute_url())

    @extend_schema_field(NULLABLE_URI)
    def get_next_paragraphs(self, source):
        if not source.paragraph_slice:
            return None
        following = source.paragraph_slice[-1].number + 1
        if following > source.paragraph_count:
            return None
        path = reverse("api-source-detail", args=[source.pk])
        return web_url(self, f"{path}?paragraphs_from={following}")


class EvidenceSerializer(serializers.ModelSerializer):
    """A quote; `verified` when the library found it in its source's text (then
    `paragraph` and `spans`, [[start, end], ...] offsets in that text, say where)."""

    source = SourceSerializer()
    verified = serializers.BooleanField(source="is_verified", read_only=True)
    speaker_party = serializers.SlugRelatedField(slug_field="name", read_only=True)
    reader_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "quote",
            "speaker",
            "speaker_party",
            "locator",
            "verified",
            "paragraph",
            "spans",
            "reader_url",
            "source",
        ]

    @extend_schema_field(NULLABLE_URI)
    def get_reader_url(self, evidence):
        """The quote in the web's source reader; null when unverified."""
        return web_url(self, evidence.reader_url()) if evidence.is_verified else None


class StatusUpdateSerializer(serializers.ModelSerializer):
    commitment = serializers.CharField(source="commitment.reference")
    status_label = serializers.SerializerMethodField()
    author = Username(read_only=True)
    decided_by = Username(read_only=True)
    revises = serializers.PrimaryKeyRelatedField(read_only=True)
    evidence = EvidenceSerializer(many=True)
    url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()

    class Meta:
        model = StatusUpdate
        fields = [
            "id",
            "url",
            "web_url",
            *with_label(StatusUpdate.PUBLIC_FIELDS, after="status"),
            "evidence",
        ]

    def get_status_label(self, update) -> str:
        return STATUS_LABELS[update.status]

    def get_url(self, update) -> str:
        return web_url(self, reverse("api-update-detail", args=[update.pk]))

    def get_web_url(self, update) -> str:
        return web_url(self, update.get_absolute_url())


class PartySerializer(serializers.Serializer):
    name = serializers.CharField(source="party.name")
    short_name = serializers.CharField(source="party.short_name")
    kind = serializers.CharField(source="party.kind")
    must_deliver = serializers.BooleanField()


class AreaSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class CommitmentSerializer(serializers.ModelSerializer):
    """A commitment as in the list: its official status copied from its accepted update."""

    url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()
    area = AreaSerializer()
    parties = PartySerializer(source="commitment_parties", many=True)
    owner = Username(read_only=True)
    status = serializers.CharField(source="current_status")
    status_label = serializers.SerializerMethodField()
    progress = serializers.IntegerField(source="current_progress")
    confidence = serializers.CharField(source="current_confidence")
    as_of = serializers.DateField(source="current_as_of")
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Commitment
        fields = ["reference", "url", "web_url", *COMMITMENT_SUMMARY]

    def get_url(self, commitment) -> str:
        return web_url(self, reverse("api-commitment-detail", args=[commitment.reference]))

    def get_web_url(self, commitment) -> str:
        return web_url(self, commitment.get_absolute_url())

    def get_status_label(self, commitment) -> str:
        return STATUS_LABELS[commitment.current_status]

    def get_overdue(self, commitment) -> bool:
        return commitment.is_overdue(self.context.get("today") or timezone.localdate())


class MeasurementSerializer(serializers.ModelSerializer):
    display_value = serializers.CharField(read_only=True)
    source = SourceSerializer()
    recorded_by = Username(read_only=True)

    class Meta:
        model = Measurement
        fields = [
            "id",
            "value",
            "qualifier",
            "display_value",
            "measured_on",
            "note",
            "source",
            "recorded_by",
            "created_at",
        ]


class IndicatorSerializer(serializers.ModelSerializer):
    measurements = MeasurementSerializer(source="points", many=True)
    latest = serializers.SerializerMethodField()

    class Meta:
        model = Indicator
        fields = ["id", "name", "unit", "baseline", "target", "direction", "latest", "measurements"]

    @extend_schema_field(MeasurementSerializer(allow_null=True))
    def get_latest(self, indicator):
        return MeasurementSerializer(indicator.latest).data if indicator.latest else None


class EventSerializer(serializers.Serializer):
    name = serializers.CharField()
    date = serializers.DateField()
    place = serializers.CharField()


class CommitmentDetailSerializer(CommitmentSerializer):
    description = serializers.CharField()
    event = EventSerializer(allow_null=True)
    parent = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    children = serializers.SerializerMethodField()
    assignees = Username(many=True, read_only=True)
    official_update = serializers.PrimaryKeyRelatedField(source="current_update", read_only=True)
    pending_updates = serializers.IntegerField(source="pending_count")
    indicators = IndicatorSerializer(many=True, source="indicator_list")
    updates = serializers.SerializerMethodField()

    Meta = more_fields(
        CommitmentSerializer,
        "description",
        "event",
        "parent",
        "children",
        "assignees",
        "review_cadence_days",
        "official_update",
        "pending_updates",
        "indicators",
        "updates",
    )

    def get_children(self, commitment) -> list[str]:
        return [child.reference for child in commitment.child_list]

    @extend_schema_field(OpenApiTypes.URI)
    def get_updates(self, commitment):
        return web_url(self, reverse("api-commitment-updates", args=[commitment.reference]))


class ReviewItemSerializer(StatusUpdateSerializer):
    commitment_title = serializers.CharField(source="commitment.title")
    area = serializers.CharField(source="commitment.area.slug")

    Meta = more_fields(StatusUpdateSerializer, "commitment_title", "area")
