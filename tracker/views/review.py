"""Review and sign-off: managers accept or return analysts' status updates."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.template.backends.utils import csrf_input
from django.views.decorators.http import require_GET, require_POST

from .. import fragments, services
from ..access import can_review, can_review_updates, deny, role_required, sees_returned_updates
from ..compiled import Compiled
from ..context_processors import request_navigation_counts
from ..filters import ReviewQueueFilter
from ..forms import DecisionForm, ReturnForm
from ..htmx import is_swap, render_page
from ..models import Evidence, StatusUpdate
from ..models.updates import describe_row, shown_evidence

# Twenty full cards, each with its evidence and two decision forms, fill several screens;
# fifty made the queue the slowest page to draw (bench/README.md).
PAGE_SIZE = 20


class CountedPaginator(Paginator):
    """A paginator told its total, for a list whose count the navigation has already run."""

    def __init__(self, object_list, per_page, *, count):
        super().__init__(object_list, per_page)
        self.count = count


# What a card shows, read as values: 20 updates as model instances, each with its
# commitment, area, author and revised update, cost about 2 ms a page in the ORM
# (bench/README.md, "Review cards and the status history from values").
CARD_COLUMNS = (
    "id",
    "commitment__reference",
    "commitment__title",
    "commitment__area__name",
    "author_id",
    "author__first_name",
    "author__last_name",
    "author__username",
    "created_at",
    "as_of",
    "previous_status",
    "status",
    "progress",
    "confidence",
    "assessment",
    "assessment_html",
    "review_state",
    "decided_at",
    "decision_comment",
    "decided_by__first_name",
    "decided_by__last_name",
    "decided_by__username",
    "revises_id",
    "revises__decision_comment",
)


# An analyst's returned updates, newest first: one statement for every analyst and page.
RETURNED = Compiled(
    lambda author_id: (
        StatusUpdate.objects.returned_to(author_id)
        .order_by("-decided_at", "-id")
        .values_list(*CARD_COLUMNS)
    )
)


def card_rows(updates):
    """The cards (templates/jinja2/review/) of these updates, from CARD_COLUMNS' values
    (models.updates.describe_row adds the names, labels and the decision in words)."""
    return [describe_row(card) for card in updates.values(*CARD_COLUMNS)]


def queue_cards(request, cards, *, error=None, comment="", decision=None):
    """The review queue's cards, each with its decision forms (templates/jinja2/review/)."""
    return fragments.render(
        "review/cards",
        updates=cards,
        evidence_of=shown_evidence([card["id"] for card in cards]),
        accept_to=fragments.PathTo("review-accept"),
        return_to=fragments.PathTo("review-return"),
        csrf_input=csrf_input(request),
        error=error,
        comment=comment,
        decision=decision,
    )


def with_details(updates):
    """Updates with what a card shows, evidence included, as model instances (the API's)."""
    return updates.select_related(
        "commitment", "commitment__area", "author", "revises"
    ).prefetch_related(
        Prefetch(
            "evidence",
            queryset=Evidence.objects.select_related("source", "speaker_party").order_by("id"),
        )
    )


@require_GET
@role_required(can_review_updates)
def review_queue(request):
    waiting = StatusUpdate.objects.awaiting_decision_by(request.user)
    filterset = ReviewQueueFilter(request.GET, queryset=waiting)
    # Unknown filter values are reported on the form and ignored, never a 500.
    updates = filterset.qs if filterset.is_valid() else waiting
    updates = updates.order_by("created_at", "id")
    if filterset.is_valid() and not any(filterset.form.cleaned_data.values()):
        # Unfiltered, the queue holds what the navigation's "review" counter counts.
        total = request_navigation_counts(request)["review"]
        paginator = CountedPaginator(updates, PAGE_SIZE, count=total)
    else:
        paginator = Paginator(updates, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    cards = card_rows(page.object_list)
    context = {
        "filter": filterset,
        "page": page,
        "updates": cards,
        "cards": queue_cards(request, cards),
        "nav_section": "review",
    }
    return render_page(request, "tracker/review_queue.html", context, fragment="queue")


def decide(request, pk, *, accept):
    update = get_object_or_404(StatusUpdate.objects.select_related("commitment"), pk=pk)
    if not can_review(request.user, update):
        deny(request, "own update")
    form = (DecisionForm if accept else ReturnForm)(request.POST)
    error = None
    if form.is_valid():
        try:
            if accept:
                services.accept_update(
                    update=update, manager=request.user, comment=form.cleaned_data["comment"]
                )
            else:
                services.return_update(
                    update=update, manager=request.user, comment=form.cleaned_data["comment"]
                )
        except services.ReviewConflict:
            update.refresh_from_db()
            error = f"Already {update.get_review_state_display().lower()} {update.decided_how}."
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(form.errors.get("comment", ["Invalid comment."]))

    if not is_swap(request) and not error:
        verb = "accepted" if accept else "returned"
        messages.success(request, f"{update.commitment.reference}: update {verb}.")
        return redirect("review-queue")

    (card,) = card_rows(StatusUpdate.objects.filter(pk=pk))
    status = 200
    if error:
        # 409: someone else decided first; 422: the comment is missing or invalid.
        status = 422 if card["is_pending"] else 409
    comment = request.POST.get("comment", "")[:5000]
    decision = "accept" if accept else "return"
    context = {
        "update": card,
        "cards": queue_cards(request, [card], error=error, comment=comment, decision=decision),
        "swap": is_swap(request),
    }
    if is_swap(request):
        response = render_page(
            request, "tracker/review_queue.html", context, fragment="queue-item", status=status
        )
        response["HX-Trigger"] = "review-decided"
        return response
    # Without JavaScript an error shows on the item, the typed comment kept.
    return render_page(
        request, "tracker/review_decision.html", {**context, "nav_section": "review"}, status=status
    )


@require_POST
@role_required(can_review_updates)
def accept(request, pk):
    return decide(request, pk, accept=True)


@require_POST
@role_required(can_review_updates)
def return_(request, pk):
    return decide(request, pk, accept=False)


@require_GET
@role_required(sees_returned_updates)
def returned_updates(request):
    # The navigation's "returned" counter is this list's total: one anti-join, not two.
    total = request_navigation_counts(request)["returned"]
    page = Paginator(range(total), PAGE_SIZE).get_page(request.GET.get("page"))
    # Its cards show no evidence.
    offset = (page.number - 1) * PAGE_SIZE
    rows = RETURNED.rows(request.user.pk, limit=PAGE_SIZE, offset=offset)
    returned = [describe_row(dict(zip(CARD_COLUMNS, row, strict=True))) for row in rows]
    cards = fragments.render("review/returned", updates=returned)
    context = {"page": page, "updates": returned, "cards": cards, "nav_section": "returned"}
    return render_page(request, "tracker/returned.html", context)
