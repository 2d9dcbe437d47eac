from django.contrib import admin

from ..models import ImportFile


@admin.register(ImportFile)
class ImportFileAdmin(admin.ModelAdmin):
    """Uploads and what became of them: admins see them and may delete old ones, never edit."""

    list_display = ["created_at", "filename", "uploaded_by", "kind", "state", "applied_at"]
    list_filter = ["state", "kind"]
    search_fields = ["filename", "sha256", "uploaded_by__username"]
    exclude = ["content", "report"]
    list_select_related = ["uploaded_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content", "report")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
