"""Deliveries in the back office: what was sent, what failed and why, and a retry button.

The task queue itself (django-tasks-db's "Task results") is in the admin too."""

from django.contrib import admin, messages
from django.utils import timezone

from .models import EmailDelivery, Follow, Notification, Preferences


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to", "subject", "state", "attempts", "sent_at", "last_error"]
    list_filter = ["state", "kind"]
    search_fields = ["to", "subject", "event_key"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    actions = ["retry_now"]
    readonly_fields = [f.name for f in EmailDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Try the selected failed emails again now")
    def retry_now(self, request, queryset):
        from .tasks import send_email

        State = EmailDelivery.State
        ids = list(
            queryset.filter(state__in=[State.FAILED, State.RETRYING]).values_list("pk", flat=True)
        )
        EmailDelivery.objects.filter(pk__in=ids).update(
            state=State.RETRYING, next_attempt_at=timezone.now()
        )
        for pk in ids:
            send_email.enqueue(pk)
        self.message_user(request, f"{len(ids)} email(s) queued again.", messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "recipient__username"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient", "commitment", "status_update"]


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["user", "commitment", "area", "created_at"]
    list_select_related = ["user", "commitment", "area"]
    raw_id_fields = ["user", "commitment"]


@admin.register(Preferences)
class PreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "digest", "last_digest_until", "update_submitted", "status_changed"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
