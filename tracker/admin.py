"""The back office. Status updates are append-only here too: read-only once saved, never deleted."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property
from simple_history.admin import SimpleHistoryAdmin

from . import derived, services
from .models import (
    Area,
    AuditEvent,
    Commitment,
    CommitmentParty,
    CommitmentPassage,
    Event,
    Evidence,
    Indicator,
    Measurement,
    Party,
    Source,
    StatusUpdate,
)

admin.site.site_header = "Commitment Tracker administration"
admin.site.site_title = "Commitment Tracker admin"
admin.site.index_title = "Back office"


class EstimatedCountPaginator(Paginator):
    """Avoids COUNT(*) over a million rows: PostgreSQL's planner estimate when unfiltered."""

    @cached_property
    def count(self):
        query = self.object_list.query
        if connection.vendor == "postgresql" and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                    [self.object_list.model._meta.db_table],
                )
                estimate = cursor.fetchone()[0]
            if estimate and estimate > 100_000:
                return estimate
        return super().count


class LargeTableMixin:
    """A list of a table that grows without bound: no exact count of its rows on each page."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["name", "date", "place"]
    search_fields = ["name", "place"]
    date_hierarchy = "date"


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "publisher", "published_on", "paragraph_count"]
    list_filter = ["kind"]
    search_fields = ["title", "publisher", "url"]
    # The document is added through the library (/sources/), never replaced: verified quotes
    # point into its text.
    readonly_fields = [
        "document",
        "original_name",
        "media_type",
        "size",
        "sha256",
        "text_sha256",
        "paragraph_count",
        "text_added_by",
        "text_added_at",
    ]


class CommitmentPartyInline(admin.TabularInline):
    model = CommitmentParty
    extra = 0
    autocomplete_fields = ["party"]


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    show_change_link = True


class ReadOnlyMixin:
    """Recorded history: shown, never added, edited or deleted from the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin(ReadOnlyMixin):
    extra = 0
    can_delete = False


class StatusUpdateInline(ReadOnlyInlineMixin, admin.StackedInline):
    model = StatusUpdate
    fk_name = "commitment"
    fields = [
        "as_of",
        "status",
        "previous_status",
        "progress",
        "confidence",
        "assessment",
        "author",
        "review_state",
        "decided_by",
        "decided_at",
        "decision_comment",
        "evidence_summary",
    ]
    readonly_fields = fields
    show_change_link = True
    ordering = ["-as_of", "-created_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("author", "decided_by")
            .prefetch_related("evidence__source")
        )

    @admin.display(description="Evidence")
    def evidence_summary(self, obj):
        return (
            "\n".join(
                f"“{e.quote}” — {e.speaker or 'unattributed'} ({e.source.title}"
                f"{', ' + e.locator if e.locator else ''})"
                for e in obj.evidence.all()
            )
            or "—"
        )


class CommitmentAdminForm(forms.ModelForm):
    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if self.instance.pk and services.makes_cycle(self.instance, parent):
            raise ValidationError(services.PARENT_CYCLE)
        return parent


@admin.register(Commitment)
class CommitmentAdmin(LargeTableMixin, SimpleHistoryAdmin):
    form = CommitmentAdminForm
    list_display = [
        "reference",
        "title",
        "area",
        "current_status",
        "current_progress",
        "owner",
        "next_review_due",
        "last_update_at",
    ]
    list_filter = ["current_status", "area", "owner", "event"]
    list_select_related = ["area", "owner"]
    search_fields = ["reference", "title", "description"]
    autocomplete_fields = ["owner", "assignees", "parent", "event", "area"]
    # What the app derives (the official update and what it copies from it), never typed here.
    readonly_fields = [
        *(name.removesuffix("_id") for name in derived.DERIVED_FIELDS),
        "version",
        "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["reference", "title", "description", "area", "event", "parent"]}),
        (
            "Responsibility",
            {"fields": ["owner", "assignees", "target_date", "review_cadence_days"]},
        ),
        (
            "Official status (from the latest accepted update)",
            {"fields": readonly_fields},
        ),
    ]
    inlines = [CommitmentPartyInline, IndicatorInline, StatusUpdateInline]
    history_list_display = ["title", "owner", "target_date", "review_cadence_days"]

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # An edit goes through the one writer of commitment edits: lock, one version bump,
        # the cycle check, audit. The m2m (assignees) follow in save_related().
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        saved = services.edit_commitment(
            commitment=obj, editor=request.user, changes=changes, request=request
        )
        obj.version = saved.version
        return None


class EvidenceInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Evidence
    fields = [
        "quote",
        "speaker",
        "speaker_party",
        "locator",
        "source",
        "paragraph",
        "source_sha256",
    ]
    readonly_fields = fields


# Updates are recorded on the commitment page, through the service that keeps the official
# status in step and requires evidence for a change of status.
@admin.register(StatusUpdate)
class StatusUpdateAdmin(LargeTableMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "commitment",
        "as_of",
        "status",
        "progress",
        "confidence",
        "author",
        "review_state",
        "created_at",
    ]
    list_filter = ["review_state", "status", "confidence", "commitment__area"]
    list_select_related = ["commitment", "author"]
    search_fields = ["commitment__reference", "commitment__title", "assessment"]
    # Newest first along an index; no date hierarchy (it scans every row for its years).
    ordering = ["-created_at"]
    inlines = [EvidenceInline]
    # As the API lists them; the rendered assessment is the app's, not the back office's.
    fields = [name for name in StatusUpdate.PUBLIC_FIELDS if name != "assessment_html"]


@admin.register(Evidence)
class EvidenceAdmin(LargeTableMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["short_quote", "speaker", "source", "status_update"]
    list_select_related = ["source", "status_update__commitment"]
    search_fields = ["quote", "speaker", "source__title"]
    ordering = ["-id"]

    @admin.display(description="Quote")
    def short_quote(self, obj):
        return obj.quote[:80]


@admin.register(CommitmentPassage)
class CommitmentPassageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The verified passages commitments were created from: read-only, like evidence."""

    list_display = ["commitment", "source", "paragraph", "created_at"]
    list_select_related = ["commitment", "source"]
    search_fields = ["commitment__reference", "quote", "source__title"]
    ordering = ["-id"]


class MeasurementInline(admin.TabularInline):
    model = Measurement
    extra = 1
    autocomplete_fields = ["source"]
    fields = ["value", "qualifier", "measured_on", "source", "note"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["name", "commitment", "unit", "baseline", "target", "direction"]
    list_select_related = ["commitment"]
    list_filter = ["direction"]
    search_fields = ["name", "commitment__reference", "commitment__title"]
    autocomplete_fields = ["commitment"]
    inlines = [MeasurementInline]


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    list_display = ["indicator", "display_value", "measured_on", "source"]
    list_select_related = ["indicator", "source"]
    search_fields = ["indicator__name", "note"]
    autocomplete_fields = ["indicator", "source"]


@admin.register(AuditEvent)
class AuditEventAdmin(LargeTableMixin, ReadOnlyMixin, admin.ModelAdmin):
    """The audit log: visible to admins, never editable."""

    list_display = ["at", "username", "action", "target", "ip_address"]
    list_filter = ["action"]
    search_fields = ["username", "target", "detail"]


from .accounts import admin as accounts_admin  # noqa: E402, F401  (the user admin, admin sign-in)
from .api import admin as api_admin  # noqa: E402, F401 - registers the tokens' admin
from .imports import admin as imports_admin  # noqa: E402, F401  (registers ImportFile)
