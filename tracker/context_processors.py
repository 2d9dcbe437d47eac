from django.contrib.auth import get_user_model
from django.db.models import IntegerField, Subquery

from . import access
from .models import StatusUpdate
from .notifications.models import Notification


class Counted(Subquery):
    """The number of rows of a queryset, as a scalar subquery."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()

    def __init__(self, queryset):
        super().__init__(queryset.order_by().values("pk"))


def navigation_counts(user):
    """The navigation's counters (review queue, returned updates, unread notifications),
    all in one query: the bell adds none to any page."""
    counts = {}
    if access.can_review_updates(user):
        counts["review"] = Counted(StatusUpdate.objects.awaiting_decision_by(user))
    if access.sees_returned_updates(user):
        counts["returned"] = Counted(StatusUpdate.objects.returned_to(user))
    if not counts:
        return {}
    counts["unread"] = Counted(Notification.objects.filter(recipient=user).unread())
    return get_user_model().objects.filter(pk=user.pk).values(**counts).get()


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_role": access.role_label(user),
        "nav_counts": navigation_counts(user),
        "may_review_updates": access.can_review_updates(user),
        "sees_returned_updates": access.sees_returned_updates(user),
        "may_use_admin": access.can_use_admin(user),
        "may_import": access.may_import(user),
        "may_use_tokens": access.has_role(user),
    }
