from . import access
from .models import StatusUpdate


def navigation_counts(user):
    counts = {}
    if access.can_review_updates(user):
        counts["review"] = StatusUpdate.objects.awaiting_decision_by(user).count()
    if access.sees_returned_updates(user):
        counts["returned"] = StatusUpdate.objects.returned_to(user).count()
    return counts


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
        "may_use_tokens": access.has_role(user),
    }
