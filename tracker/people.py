"""How the tracker names people: the one definition of a person's display name."""


def display_name(user, missing=""):
    """Full name or, without one, the username; `missing` when there is no user."""
    if user is None:
        return missing
    return user.get_full_name() or user.username
