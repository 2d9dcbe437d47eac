"""django-axes for the second step: the same user/address counter as the password step."""


def axes_credentials(user):
    return {"username": user.get_username(), "second_step": True}
