"""A commitment's Edit page: its descriptive fields, with conflict detection.

A save that crossed someone else's shows both versions side by side (409); a second submit
knowingly re-applies the user's values on top of the current version.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from .. import access, services
from ..access import commitment_for_edit, role_required
from ..commitment_forms import CommitmentEditForm
from ..htmx import is_swap, render_page, vary
from ..people import display_name
from .commitments import add_service_errors


def display(value):
    if value is None or value == "":
        return "—"
    if hasattr(value, "all"):
        return ", ".join(display(v) for v in value.all()) or "—"
    if isinstance(value, list | tuple | set):
        return ", ".join(display(v) for v in value) or "—"
    if hasattr(value, "get_full_name"):
        return display_name(value)
    if hasattr(value, "strftime"):
        return f"{value:%d %b %Y}"
    return str(value)


def conflict_rows(form, current, started_from):
    """Per field: the value the user started from, the value saved since, and theirs."""
    historical = current.history.filter(version=started_from).order_by("-history_date").first()
    later = list(
        current.history.filter(version__gt=started_from)
        .select_related("history_user")
        .order_by("history_date")
    )
    for edit in later:
        # Saved outside a request (a script, the shell) when there is no user.
        edit.who = display(edit.history_user) if edit.history_user else "someone"
    rows = []
    for name in form.editable:
        label = form.fields[name].label or name
        saved = getattr(current, name) if name != "assignees" else current.assignees.all()
        theirs = form.cleaned_data.get(name)
        before = getattr(historical, name) if historical and name != "assignees" else None
        changed_since = (
            historical is not None and name != "assignees" and (display(before) != display(saved))
        )
        rows.append(
            {
                "label": label,
                "before": display(before) if historical is not None else None,
                "saved": display(saved),
                "yours": display(theirs),
                "changed_since": changed_since,
                "differs": display(saved) != display(theirs),
            }
        )
    return rows, later


def conflict_context(form, current, started_from):
    """Both versions side by side, for an edit that crossed someone else's."""
    rows, later = conflict_rows(form, current, started_from)
    return {
        "rows": [r for r in rows if r["changed_since"] or r["differs"]],
        "same": [r["label"] for r in rows if not (r["changed_since"] or r["differs"])],
        "has_before": any(r["before"] is not None for r in rows),
        "edits": later,
    }


@require_http_methods(["GET", "POST"])
@role_required()
def edit_commitment(request, reference):
    commitment = commitment_for_edit(request, reference)
    conflict = None
    if request.method == "POST":
        form = CommitmentEditForm(request.POST, instance=commitment, user=request.user)
        if form.is_valid():
            try:
                current = services.edit_commitment(
                    commitment=commitment,
                    editor=request.user,
                    changes=form.changes(),
                    expected_version=form.cleaned_data["version"],
                    request=request,
                )
            except services.EditConflict as exc:
                # Someone saved in between: keep the user's values, show both versions, and
                # let a second submit knowingly re-apply theirs on top of the current version.
                current = exc.current
                conflict = conflict_context(form, current, form.cleaned_data["version"])
                data = request.POST.copy()
                data["version"] = current.version
                form = CommitmentEditForm(data, instance=current, user=request.user)
                form.is_valid()
            except ValidationError as exc:
                add_service_errors(exc, form)
            else:
                messages.success(request, f"Saved your changes to {current.reference}.")
                if is_swap(request):
                    return vary(HttpResponseClientRedirect(current.get_absolute_url()))
                return redirect(current)
    else:
        form = CommitmentEditForm(instance=commitment, user=request.user)
    context = {
        "commitment": commitment,
        "form": form,
        "conflict": conflict,
        "edits_everything": set(access.MANAGER_FIELDS) <= set(form.editable),
        "nav_section": "commitments",
    }
    # 409: someone saved in between; 422: invalid input. Both show the form again.
    status = 409 if conflict else 422 if form.is_bound and form.errors else 200
    return render_page(
        request, "tracker/commitment_edit.html", context, fragment="edit-form", status=status
    )
