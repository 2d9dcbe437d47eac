"""The analyst workspace: the commitments list, a commitment's page and its inline actions.

Each action works with and without JavaScript: an HTMX request gets the regions it
changes, a plain POST redirects back to the page (post/redirect/get) with a message.
"""

from collections import Counter
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import push_url

from .. import access, fragments, limits, services
from ..access import commitment_for_update, is_analyst, role_required
from ..compiled import Compiled
from ..context_processors import Counted
from ..filters import CommitmentFilter
from ..forms import (
    MeasurementForm,
    RecordUpdateForm,
    evidence_formset,
    returned_update_for,
    revision_initial,
)
from ..htmx import is_swap, render_page
from ..library import reader, statements
from ..models import (
    Commitment,
    CommitmentParty,
    Indicator,
    Measurement,
    Source,
    Status,
    StatusUpdate,
)
from ..models.reference import source_label
from ..notifications.views import follow_context
from .timeline import timeline_page

PAGE_SIZE = 25
RECENT_SOURCES = 30
SEARCH_LIMIT = 30


# The commitments list


@require_GET
@role_required()
def commitment_list(request):
    filterset = CommitmentFilter(request.GET, queryset=Commitment.objects.all(), request=request)
    paginator = Paginator(filterset.qs, PAGE_SIZE)
    asked = request.GET.get("page", "")
    page = paginator.get_page(asked)
    notices = filterset.ignored()
    if asked and asked != str(page.number):
        notices.append(
            f"There is no page “{asked}”: showing page {page.number} of {paginator.num_pages}."
        )
    params = filterset.active_params()
    if page.number > 1:
        params.append(("page", page.number))
    url = reverse("commitment-list") + (f"?{urlencode(params)}" if params else "")
    today = timezone.localdate()
    commitments = page.object_list.list_rows()
    context = {
        "filter": filterset,
        "page": page,
        "commitments": commitments,
        "rows": fragments.render(
            "commitments/rows",
            commitments=commitments,
            today=today,
        ),
        # An HTMX swap of the results shows no filters.
        "filter_fields": None
        if is_swap(request)
        else fragments.render("commitments/filters", form=filterset.form),
        "notices": notices,
        "filtered": bool(filterset.active_params()),
        "nav_section": "commitments",
        "may_create": access.may_create_commitments(request.user),
    }
    response = render_page(request, "tracker/commitment_list.html", context, fragment="results")
    if is_swap(request):
        push_url(response, url)
    return response


# A commitment's page


def with_pending_count(commitments):
    """Each commitment with `pending_count`, its updates waiting for review, read in the same
    statement (a count of its own was one round trip more on every view and post)."""
    pending = StatusUpdate.objects.filter(commitment=OuterRef("pk")).submitted()
    return commitments.annotate(pending_count=Counted(pending))


def commitment_page_queryset():
    return with_pending_count(
        Commitment.objects.select_related("area", "owner", "event", "parent", "passage__source")
    ).prefetch_related(
        Prefetch("commitment_parties", queryset=CommitmentParty.objects.select_related("party")),
        "assignees",
    )


RECENT = Compiled(
    lambda: Source.objects.order_by("-created_at", "-id").values_list(
        "pk", "title", "publisher", "published_on"
    )
)


def recent_source_choices():
    """The options of every source picker on the page: the most recently added sources."""
    rows = RECENT.rows(limit=RECENT_SOURCES)
    return [("", "— Choose a source —"), *((pk, source_label(*label)) for pk, *label in rows)]


def roll_up(children):
    """Sub-commitments summed up: how many in each status, and their average progress."""
    counts = Counter(child.current_status for child in children)
    by_status = [(Status(value), counts[value]) for value in Status.values if counts[value]]
    estimated = [c.current_progress for c in children if c.current_progress is not None]
    average = round(sum(estimated) / len(estimated)) if estimated else None
    return {"by_status": by_status, "average_progress": average, "estimated": len(estimated)}


def prepare_indicators(commitment, *, source_choices, bound=None):
    """The indicators with their measurements, oldest first, and a form to add one."""
    measurements = Measurement.objects.select_related("source").order_by(
        F("measured_on").asc(nulls_first=True), "created_at", "id"
    )
    indicators = list(
        Indicator.objects.filter(commitment=commitment).prefetch_related(
            Prefetch("measurements", queryset=measurements)
        )
    )
    for indicator in indicators:
        indicator.points = list(indicator.measurements.all())
        indicator.latest = indicator.points[-1] if indicator.points else None
        if bound is not None and bound.indicator_pk == indicator.pk:
            indicator.form = bound
        elif source_choices is not None:
            indicator.form = MeasurementForm(
                prefix=f"m{indicator.pk}", source_choices=source_choices
            )
    return indicators


def update_forms(request, commitment, *, source_choices, revising=None):
    """A fresh update form and evidence formset; prefilled when revising a returned update."""
    if revising is None:
        form = RecordUpdateForm(commitment=commitment, user=request.user)
        # "Quote this" in the source reader links here with the passage to cite.
        quoted = reader.quote_prefill(request.GET) if request.method == "GET" else None
        initial = [quoted] if quoted else None
        return form, evidence_formset(source_choices=source_choices, initial=initial)
    initial, evidence = revision_initial(revising)
    form = RecordUpdateForm(initial=initial, commitment=commitment, user=request.user)
    return form, evidence_formset(source_choices=source_choices, initial=evidence)


def history_page(request):
    """Which page of the status history to show: ?history_page=N, 1 when absent or invalid."""
    try:
        return max(1, min(int(request.GET.get("history_page", 1)), 100_000))
    except ValueError:
        return 1


def regions_context(request, commitment, *, page=1, new_update=None):
    """What the status header, the update form and the timeline show: the regions that a
    posted update re-renders, without the rest of the page's queries."""
    user = request.user
    return {
        "commitment": commitment,
        **timeline_page(user, commitment, page, new_update=new_update),
        "pending_count": commitment.pending_count,
        "can_update": access.can_record(user, commitment),
        "records_directly": access.records_directly(user),
        "today": timezone.localdate(),
    }


def page_context(request, commitment, **extra):
    """Everything the commitment page shows; `extra` overrides (bound forms, flashes)."""
    user = request.user
    page = history_page(request) if request.method == "GET" else 1
    context = regions_context(request, commitment, page=page)
    can_update = context["can_update"]
    children = list(commitment.children.order_by("reference"))
    source_choices = recent_source_choices() if can_update else None
    parties = list(commitment.commitment_parties.all())
    context |= {
        "delivering": [cp.party for cp in parties if cp.must_deliver],
        "also_bound": [cp.party for cp in parties if not cp.must_deliver],
        "statements": statements.party_statements(commitment, [cp.party for cp in parties]),
        "assignees": list(commitment.assignees.all()),
        "children": children,
        "roll_up": roll_up(children),
        "can_edit": access.can_edit(user, commitment),
        "nav_section": "commitments",
        **follow_context(user, commitment),
    }
    context["indicators"] = prepare_indicators(
        commitment, source_choices=source_choices, bound=extra.pop("measurement_form", None)
    )
    if can_update and "form" not in extra:
        context["form"], context["formset"] = update_forms(
            request, commitment, source_choices=source_choices, revising=extra.get("revising")
        )
    context.update(extra)
    return context


@require_GET
@role_required()
def commitment_detail(request, reference):
    commitment = get_object_or_404(commitment_page_queryset(), reference=reference)
    extra = {}
    asked = request.GET.get("revises")
    if asked and access.can_record(request.user, commitment):
        revising = returned_update_for(asked, commitment=commitment, user=request.user)
        if revising is None:
            extra["revise_error"] = (
                "That update cannot be revised here: only your own returned updates on this "
                "commitment can be. The form below starts afresh."
            )
        extra["revising"] = revising
    if is_swap(request) and "history_page" in request.GET:
        # "Show older updates": the next page of the history, appended in place.
        context = {
            "commitment": commitment,
            "can_update": access.can_record(request.user, commitment),
            **timeline_page(request.user, commitment, history_page(request)),
        }
        return render_page(
            request, "tracker/commitment_detail.html", context, fragment="timeline-page"
        )
    context = page_context(request, commitment, **extra)
    return render_page(
        request, "tracker/commitment_detail.html", context, fragment="commitment-page"
    )


def add_service_errors(exc, form, formset=None):
    """Errors the service raised (e.g. the status changed meanwhile) next to their fields."""
    for field, errors in exc.message_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        elif formset is not None and field == "evidence":
            formset.non_form_errors().extend(errors)
        else:
            form.add_error(None, errors)


def update_flash(update, created):
    if not created:
        return "This update had already been recorded; it was not saved a second time."
    if update.is_pending:
        return (
            "Your update was submitted for review. The official status changes once a manager "
            "accepts it."
        )
    return f"Your update was recorded. The status is now “{update.get_status_display()}”."


@require_POST
@role_required(is_analyst)
def record_update(request, reference):
    commitment = commitment_for_update(request, reference)
    form = RecordUpdateForm(request.POST, commitment=commitment, user=request.user)
    # Validated without the pickers' choices: they are read only for a form shown again.
    formset = evidence_formset(request.POST)
    form_ok = form.is_valid()
    formset.status_changes = form.status_changes()
    formset_ok = formset.is_valid()

    if form_ok and formset_ok:
        try:
            update, created = services.record_status_update(
                commitment=commitment,
                author=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"] or None,
                **form.update_fields(formset),
            )
        except ValidationError as exc:
            add_service_errors(exc, form, formset)
            form.renew_idempotency_key()  # nothing was saved: the next submit is a new one
        else:
            flash = update_flash(update, created)
            if is_swap(request):
                # Read again, as the post changed it (last_update_at, maybe the status, the
                # pending count); the regions shown need none of the page's related objects.
                commitment = with_pending_count(Commitment.objects).get(pk=commitment.pk)
                context = regions_context(request, commitment, new_update=update)
                # A fresh form, its source choices read again: the post may have added one.
                context["form"], context["formset"] = update_forms(
                    request, commitment, source_choices=recent_source_choices()
                )
                context["flash"] = flash
                return render_page(
                    request,
                    "tracker/commitment_detail.html",
                    context,
                    fragment="record-update-success",
                )
            messages.success(request, flash)
            return redirect(f"{commitment.get_absolute_url()}#update-{update.pk}")

    commitment = commitment_page_queryset().get(pk=commitment.pk)
    formset.offer_choices(recent_source_choices())
    revising = form.cleaned_data.get("revises") if hasattr(form, "cleaned_data") else None
    context = page_context(
        request, commitment, form=form, formset=formset, revising=revising, update_errors=True
    )
    # 422: the form is shown again with its errors (htmx swaps 422, see base.html).
    return render_page(
        request, "tracker/commitment_detail.html", context, fragment="record-update", status=422
    )


@require_POST
@role_required(is_analyst)
def add_measurement(request, pk):
    indicator = get_object_or_404(Indicator.objects.select_related("commitment"), pk=pk)
    commitment = commitment_for_update(request, indicator.commitment.reference)
    source_choices = recent_source_choices()
    form = MeasurementForm(request.POST, prefix=f"m{indicator.pk}", source_choices=source_choices)
    form.indicator_pk = indicator.pk
    if form.is_valid():
        try:
            measurement = services.record_measurement(
                indicator=indicator, recorded_by=request.user, **form.measurement_fields()
            )
        except ValidationError as exc:
            add_service_errors(exc, form)
        else:
            flash = f"Measurement added: {measurement.display_value}."
            if is_swap(request):
                indicators = prepare_indicators(commitment, source_choices=source_choices)
                context = {
                    "indicator": next(i for i in indicators if i.pk == indicator.pk),
                    "can_update": True,
                    "measurement_flash": flash,
                }
                return render_page(
                    request, "tracker/commitment_detail.html", context, fragment="indicator"
                )
            messages.success(request, flash)
            return redirect(f"{commitment.get_absolute_url()}#indicator-{indicator.pk}")

    if is_swap(request):
        indicators = prepare_indicators(commitment, source_choices=source_choices, bound=form)
        context = {
            "indicator": next(i for i in indicators if i.pk == indicator.pk),
            "can_update": True,
        }
        return render_page(
            request, "tracker/commitment_detail.html", context, fragment="indicator", status=422
        )
    commitment = commitment_page_queryset().get(pk=commitment.pk)
    return render_page(
        request,
        "tracker/commitment_detail.html",
        page_context(request, commitment, measurement_form=form),
        status=422,
    )


@require_GET
@role_required()
def source_search(request):
    """Sources matching `q`: <option>s for a source picker (HTMX), or a page of results."""
    query = request.GET.get("q", "").strip()
    if len(query) > limits.SEARCH_QUERY:
        # 422 with the reason in place of the results (htmx swaps a 422, see base.html).
        context = {
            "sources": [],
            "q": query[: limits.SEARCH_QUERY],
            "error": f"Searches are limited to {limits.SEARCH_QUERY} characters.",
        }
        status = 422
    else:
        sources = Source.objects.all()
        if query:
            sources = sources.filter(Q(title__icontains=query) | Q(publisher__icontains=query))
        sources = list(sources.order_by("-created_at", "-id")[:SEARCH_LIMIT])
        context, status = {"sources": sources, "q": query}, 200
    context["max_query"] = limits.SEARCH_QUERY
    return render_page(
        request, "tracker/source_search.html", context, fragment="source-options", status=status
    )
