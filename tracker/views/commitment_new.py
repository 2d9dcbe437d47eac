"""The New commitment page for managers: a plain form that also works through HTMX."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from .. import services
from ..access import may_create_commitments, role_required
from ..htmx import is_swap, render_page
from ..new_commitment import NewCommitmentForm


@require_http_methods(["GET", "POST"])
@role_required(may_create_commitments)
def new_commitment(request):
    if request.method == "GET":
        form = NewCommitmentForm()
        return render_page(
            request, "tracker/commitment_new.html", {"form": form}, fragment="new-commitment-form"
        )
    form = NewCommitmentForm(request.POST)
    if request.POST.get("check") == "reference":
        # Inline validation while typing: the reference field alone, nothing saved.
        form.is_valid()
        status = 422 if "reference" in form.errors else 200
        return render_page(
            request,
            "tracker/commitment_new.html",
            {"form": form},
            fragment="reference-field",
            status=status,
        )
    if form.is_valid():
        commitment = services.create_commitment(creator=request.user, **form.service_arguments())
        messages.success(request, f"Created {commitment.reference}.")
        if is_swap(request):
            return HttpResponseClientRedirect(commitment.get_absolute_url())
        return redirect(commitment)
    return render_page(
        request,
        "tracker/commitment_new.html",
        {"form": form},
        fragment="new-commitment-form",
        status=422,
    )
