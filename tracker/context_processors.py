from .models import user_role


def navigation(request):
    """The navigation bar's role label and counters (review queue, returned updates)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .access import may_import
    from .queries import navigation_counts

    return {
        "user_role": user_role(user),
        "nav_counts": navigation_counts(user),
        "nav_may_import": may_import(user),
    }
