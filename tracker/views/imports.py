"""Bulk changes from a file: upload, read the dry run's preview, apply all or nothing.

Big files are checked and applied by a background task; their page shows a progress bar
that HTMX polls (and that a plain page refresh, every few seconds, updates without it).
"""

import re

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from ..access import import_for, may_import, role_required
from ..htmx import is_swap, render_page
from ..imports import jobs, preview
from ..imports.commitments import CommitmentImporter
from ..imports.forms import UploadForm
from ..imports.history import HistoryImporter
from ..imports.readers import FileProblem
from ..models import ImportFile
from .exports import stream_csv

RECENT = 10


def page(request, template, context, *, fragment, status=200):
    return render_page(
        request, template, {"nav_section": "import", **context}, fragment=fragment, status=status
    )


@require_http_methods(["GET", "POST"])
@role_required(may_import)
def import_start(request):
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                stored = jobs.store(user=request.user, name=upload.name, data=upload.read())
            except FileProblem as exc:
                form.add_error("file", str(exc))
            else:
                if is_swap(request):
                    return HttpResponseClientRedirect(stored.get_absolute_url())
                return redirect(stored)
        status = 422
    recent = (
        ImportFile.objects.filter(uploaded_by=request.user)
        .only("id", "filename", "kind", "state", "counts", "created_at")
        .order_by("-created_at", "-id")[:RECENT]
    )
    context = {
        "form": form,
        "recent": recent,
        "commitment_columns": CommitmentImporter.columns(),
        "history_columns": HistoryImporter.columns(),
    }
    return page(request, "tracker/import.html", context, fragment="upload", status=status)


@require_GET
@role_required(may_import)
def import_detail(request, pk):
    upload = import_for(request, pk)
    if is_swap(request) and request.GET.get("poll"):
        if not upload.busy:
            return HttpResponseClientRefresh()  # done: show the whole preview
        return page(
            request, "tracker/import_detail.html", {"upload": upload}, fragment="import-progress"
        )
    context = {"upload": upload, "preview": None if upload.busy else preview.summary(upload)}
    return page(request, "tracker/import_detail.html", context, fragment="import-result")


@require_POST
@role_required(may_import)
def import_apply(request, pk):
    upload = import_for(request, pk)
    sha256 = request.POST.get("sha256", "")[:64]
    if not jobs.begin_apply(upload, sha256=sha256):
        context = {
            "upload": upload,
            "preview": None if upload.busy else preview.summary(upload),
            "refusal": "This preview cannot be applied: it is not the file you previewed, "
            "or it was applied or refused already. Nothing was changed.",
        }
        return page(
            request, "tracker/import_detail.html", context, fragment="import-result", status=409
        )
    upload.refresh_from_db()
    if upload.state == ImportFile.State.APPLIED:
        messages.success(request, f"Applied {upload.filename}.")
    elif upload.state == ImportFile.State.APPLYING:
        messages.info(request, f"Applying {upload.filename} in the background.")
    else:
        messages.error(request, f"Nothing was applied from {upload.filename}: see below.")
    if is_swap(request):
        return HttpResponseClientRedirect(upload.get_absolute_url())
    return redirect(upload)


@require_GET
@role_required(may_import)
def import_report(request, pk):
    """Every error, warning and change of a dry run (or an apply) as CSV."""
    from .exports import download

    upload = import_for(request, pk)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", upload.filename.rsplit(".", 1)[0])[:80] or "import"
    return download(
        request,
        stream_csv(preview.REPORT_COLUMNS, preview.report_rows(upload)),
        "text/csv; charset=utf-8",
        f"{stem}-report.csv",
    )
