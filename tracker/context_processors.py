from . import access


def navigation(request):
    """The navigation bar: the role label, what the user may open, and the counters."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .queries import navigation_counts

    return {
        "user_role": access.role_label(user),
        "nav_counts": navigation_counts(user),
        "may_review_updates": access.can_review_updates(user),
        "sees_returned_updates": access.sees_returned_updates(user),
        "may_use_admin": access.can_use_admin(user),
        "may_use_tokens": access.has_role(user),
    }
