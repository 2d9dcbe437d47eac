"""How the tracker names people: the one definition of a person's display name."""

# A user's columns that name_of() reads, in its order.
NAME_COLUMNS = ("first_name", "last_name", "username")


def name_of(first_name, last_name, username):
    """Full name or, without one, the username, from a user's columns (a query's values)."""
    return f"{first_name} {last_name}".strip() or username


def name_in(values, prefix):
    """The name of the user whose columns a values() query read as `prefix`__first_name,
    __last_name and __username; None when there is no such user."""
    username = values[f"{prefix}__username"]
    if username is None:
        return None
    return name_of(values[f"{prefix}__first_name"], values[f"{prefix}__last_name"], username)


def display_name(user, missing=""):
    """Full name or, without one, the username; `missing` when there is no user."""
    if user is None:
        return missing
    return name_of(user.first_name, user.last_name, user.username)
