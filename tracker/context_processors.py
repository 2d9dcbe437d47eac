from .models import StatusUpdate, user_is_analyst, user_is_manager, user_role


def navigation_counts(user):
    counts = {}
    if user.is_superuser or user_is_manager(user):
        counts["review"] = StatusUpdate.objects.awaiting_decision_by(user).count()
    if user.is_superuser or user_is_analyst(user):
        counts["returned"] = StatusUpdate.objects.returned_to(user).count()
    return counts


def navigation(request):
    """The navigation bar's role label and counters (review queue, returned updates)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"user_role": user_role(user), "nav_counts": navigation_counts(user)}
