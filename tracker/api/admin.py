"""Personal access tokens in the back office: listed, never created or shown, revocable."""

from django.contrib import admin, messages

from .. import audit
from ..models import AuditAction
from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "display_prefix",
        "scope",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    readonly_fields = [
        "user",
        "name",
        "scope",
        "display_prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "revoked_by",
    ]
    fields = readonly_fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # a token is created by its user, who alone sees it once

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the record of a token stays with its audit trail

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related("user"):
            if token.revoke(by=request.user):
                revoked += 1
                audit.record(
                    AuditAction.TOKEN_REVOKED,
                    request=request,
                    target=token.display_prefix,
                    detail=f"“{token.name}” of {token.user.username}, by an admin",
                )
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)
