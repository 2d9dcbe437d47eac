"""Field and constraint declarations several models share, each written once."""

from django.conf import settings
from django.db import models

from .choices import choices_condition


def valid_choice(field, choices, name):
    """The named CheckConstraint every choice field has: its value is one of `choices`."""
    return models.CheckConstraint(condition=choices_condition(field, choices), name=name)


def user_stamp():
    """Who last did something to a row (emptied if the user is deleted); not in forms."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )


def person(related_name, **options):
    """A user a row names (its owner, author, decider): optional, and never deleted from
    under the row (PROTECT)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
        **options,
    )
