"""The role groups and who is in them."""

ANALYSTS = "Analysts"
MANAGERS = "Managers"


def user_in_group(user, name):
    if not user.is_authenticated:
        return False
    cache = getattr(user, "_tracker_groups", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._tracker_groups = cache
    return name in cache


def user_is_analyst(user):
    return user_in_group(user, ANALYSTS)


def user_is_manager(user):
    return user_in_group(user, MANAGERS)


def user_role(user):
    if not user.is_authenticated:
        return ""
    if user.is_superuser:
        return "Admin"
    if user_is_manager(user):
        return "Manager"
    if user_is_analyst(user):
        return "Analyst"
    return ""
