"""A commitment's status history, a page at a time: its entries read as values, with what
the signed-in user may do with each (tracker/access.py), drawn by Jinja2
(templates/jinja2/commitments/timeline.html). The commitment page and a posted update's
re-rendered regions (views/commitments.py) show it."""

from types import SimpleNamespace

from django.urls import reverse

from .. import access, fragments
from ..compiled import Compiled
from ..models import StatusUpdate
from ..models.updates import describe_row, shown_evidence

TIMELINE_PAGE = 25


# What an entry of the status history shows, read as values: 25 updates as model instances
# with their author, decider and revised update were about 40% of the page's time
# (bench/README.md, "The commitment page (sixth round)").
TIMELINE_COLUMNS = (
    "id",
    "status",
    "previous_status",
    "progress",
    "confidence",
    "assessment",
    "assessment_html",
    "as_of",
    "created_at",
    "review_state",
    "decided_at",
    "decision_comment",
    "author_id",
    "author__first_name",
    "author__last_name",
    "author__username",
    "decided_by__first_name",
    "decided_by__last_name",
    "decided_by__username",
    "revises_id",
    "revises__as_of",
)


# A commitment's updates, newest first: one statement for every commitment and page.
HISTORY = Compiled(
    lambda commitment_id: (
        StatusUpdate.objects.filter(commitment_id=commitment_id)
        .order_by("-as_of", "-created_at", "-id")
        .values_list(*TIMELINE_COLUMNS)
    )
)


def timeline_entries(user, commitment, rows):
    """The entries (templates/jinja2/commitments/timeline.html) of these updates (rows of
    TIMELINE_COLUMNS' values): `author` a name or None, the labels, the decision in words, and
    what this user may do with each (tracker/access.py). Attributes, not keys, for Jinja2."""
    entries = []
    for values in rows:
        row = describe_row(dict(zip(TIMELINE_COLUMNS, values, strict=True)))
        row["may_review"] = access.can_review_update_by(user, row["author_id"])
        row["may_revise"] = access.can_revise_update(
            user, commitment, review_state=row["review_state"], author_id=row["author_id"]
        )
        entries.append(SimpleNamespace(**row))
    return entries


def timeline_page(user, commitment, page, *, new_update=None):
    """One page of the status history, newest first, and whether older updates remain.

    A commitment may have a thousand updates: the page renders them a page at a time.
    Each entry carries what this user may do with it (review it, revise it).
    """
    # One more than a page: whether older updates remain.
    rows = HISTORY.rows(commitment.pk, limit=TIMELINE_PAGE + 1, offset=(page - 1) * TIMELINE_PAGE)
    entries = timeline_entries(user, commitment, rows)
    timeline = entries[:TIMELINE_PAGE]
    return {
        "timeline": timeline,
        "timeline_items": fragments.render(
            "commitments/timeline",
            updates=timeline,
            evidence_of=shown_evidence([entry.id for entry in timeline]),
            new_update_pk=new_update.pk if new_update else None,
            commitment_url=commitment.get_absolute_url(),
            review_queue_url=reverse("review-queue"),
        ),
        "history_page": page,
        "timeline_more": len(entries) > TIMELINE_PAGE,
        "timeline_next": page + 1,
    }
