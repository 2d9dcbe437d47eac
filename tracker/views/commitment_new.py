"""The New commitment page for managers: a plain form that also works through HTMX.

From a document: the reader links here with ?source=ID and &paragraph=N or &text= (a
selection); "what was promised" starts as that passage, verbatim, and the commitment is
saved linked to it (a CommitmentPassage, verified like a quote).
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from .. import services
from ..access import may_create_commitments, role_required
from ..htmx import is_swap, render_page
from ..new_commitment import NewCommitmentForm, PassageRefused, passage_from_query

TEMPLATE = "tracker/commitment_new.html"


def page(request, form, *, fragment="new-commitment-form", status=200, **context):
    if "stated_source" not in context:
        data = getattr(form, "cleaned_data", None) or {}
        context["stated_source"] = data.get("from_source")
    return render_page(
        request, TEMPLATE, {"form": form, **context}, fragment=fragment, status=status
    )


@require_http_methods(["GET", "POST"])
@role_required(may_create_commitments)
def new_commitment(request):
    if request.method == "GET":
        try:
            passage = passage_from_query(request.GET)
        except PassageRefused as refused:
            # The form still works: it starts empty, and says why.
            return page(request, NewCommitmentForm(), status=refused.status, passage_error=refused)
        return page(
            request,
            NewCommitmentForm(passage=passage),
            stated_source=passage and passage.source,
            stated_match=passage and passage.match,
        )
    form = NewCommitmentForm(request.POST)
    if request.POST.get("check") == "reference":
        # Inline validation while typing: the reference field alone, nothing saved.
        form.is_valid()
        status = 422 if "reference" in form.errors else 200
        return page(request, form, fragment="reference-field", status=status)
    if form.is_valid():
        commitment = services.create_commitment(creator=request.user, **form.service_arguments())
        note = ""
        if form.passage:
            note = f", stated in “{form.passage.source.title}”, {form.passage.match.locator}"
        messages.success(request, f"Created {commitment.reference}{note}.")
        if is_swap(request):
            return HttpResponseClientRedirect(commitment.get_absolute_url())
        return redirect(commitment)
    return page(request, form, status=422, stated_match=form.passage and form.passage.match)
