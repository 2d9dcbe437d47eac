"""Read-side queries shared by several pages: navigation counters, review queue."""

from django.db.models import Exists, OuterRef

from .models import StatusUpdate, user_is_analyst, user_is_manager


def review_queue(user):
    """Updates waiting for a decision that this user may take (never their own)."""
    return StatusUpdate.objects.submitted().exclude(author=user)


def returned_to(user):
    """The user's returned updates that no revision has answered yet."""
    revised = StatusUpdate.objects.filter(revises=OuterRef("pk"))
    return StatusUpdate.objects.filter(
        author=user, review_state=StatusUpdate.ReviewState.RETURNED
    ).exclude(Exists(revised))


def navigation_counts(user):
    counts = {}
    if user.is_superuser or user_is_manager(user):
        counts["review"] = review_queue(user).count()
    if user.is_superuser or user_is_analyst(user):
        counts["returned"] = returned_to(user).count()
    return counts
