"""Who may do what. Views call these; templates only hide what the views already refuse.

- Analysts record status updates on commitments they own or are assigned to.
- Managers read everything, edit descriptive fields and review updates; they never post updates.
- Admins (superusers) may do everything; the Django admin needs staff status.
- Signed-in users in no group see a friendly page explaining they have no role yet.
"""

import functools

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from . import audit
from .models import AuditAction, Commitment, user_is_analyst, user_is_manager


def deny(request, reason):
    """Refuse with 403, logged and kept in the audit log."""
    audit.record(
        AuditAction.PERMISSION_DENIED,
        request=request,
        target=request.path[:200],
        detail=f"{request.method}: {reason}",
    )
    raise PermissionDenied(reason)


def has_role(user):
    return user.is_superuser or user_is_analyst(user) or user_is_manager(user)


def is_manager(user):
    return user.is_superuser or user_is_manager(user)


def is_analyst(user):
    return user.is_superuser or user_is_analyst(user)


def role_required(*checks):
    """Refuse (403) unless the user passes one of the checks; default: any role."""
    checks = checks or (has_role,)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not any(check(request.user) for check in checks):
                deny(request, "role")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def commitment_for_update(request, reference):
    """The commitment, if this user may record status updates on it; 403 otherwise."""
    commitment = get_object_or_404(Commitment, reference=reference)
    if not commitment.can_be_updated_by(request.user):
        deny(request, f"not owner or assignee of {reference}")
    return commitment


def commitment_for_edit(request, reference):
    commitment = get_object_or_404(Commitment, reference=reference)
    if not commitment.can_be_edited_by(request.user):
        deny(request, f"may not edit {reference}")
    return commitment


def may_import(user):
    """Bulk changes from a file (/import/, manage.py import_file): managers and admins."""
    return is_manager(user)


def may_create_commitments(user):
    return is_manager(user)


def import_for(request, pk):
    """An upload, for the manager who uploaded it (or an admin); 403 for anyone else."""
    from .models import ImportFile

    upload = get_object_or_404(ImportFile.objects.defer("content"), pk=pk)
    if not (request.user.is_superuser or upload.uploaded_by_id == request.user.pk):
        deny(request, f"not the uploader of import {pk}")
    return upload
