"""Who may do what: the one access policy. Views, services, forms, the admin and the context
processor ask these functions; templates receive their answers in the context, never guess.

- Analysts record status updates and measurements on the commitments they own or are
  assigned to, and may edit those commitments' description (nothing else).
- Managers read everything, edit every descriptive field (owner and assignees included) and
  review updates; they never post updates, and nobody reviews their own update.
- Admins (superusers) may do everything a manager or an analyst may; their own updates are
  official at once (they are the last reviewer), as is every update when review is off.
- Signed-in users in no group see a friendly page explaining they have no role yet.
- Django model permissions are not used by the app: the groups carry none (migration 0008);
  the Django admin is for superusers.
"""

import functools

from allauth.account.auth_backends import AuthenticationBackend
from django.conf import settings
from django.contrib.auth import backends
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404

from . import audit
from .models import (
    ANALYSTS,
    MANAGERS,
    ROLE_GROUPS,
    AuditAction,
    Commitment,
    ImportFile,
    ReviewState,
)

# What each role may change on a commitment (the edit form offers exactly these).
INVOLVED_ANALYST_FIELDS = ("description",)
MANAGER_FIELDS = (
    "title",
    "description",
    "area",
    "event",
    "target_date",
    "review_cadence_days",
    "parent",
    "owner",
    "assignees",
)
# The Django admin also lets a superuser change the reference.
ADMIN_FIELDS = ("reference", *MANAGER_FIELDS)


# Roles


# Stands for the user's id while the signed-in user's statement is compiled (no id is negative).
SOMEONE = -7_654_321


@functools.lru_cache(maxsize=4)
def user_with_roles_statement(alias):
    """The user's row and, as one flag per role group, whether they are in it: SQL and
    parameters compiled once per database with SOMEONE for the id."""
    flags = {
        f"in_role_{i}": Exists(
            User.groups.through.objects.filter(user=OuterRef("pk"), group__name=name)
        )
        for i, name in enumerate(ROLE_GROUPS)
    }
    queryset = User.objects.filter(pk=SOMEONE).annotate(**flags)
    return queryset.query.get_compiler(alias).as_sql()


def from_db(connection, field, value):
    """A column's value as the ORM would give it (SQLite's datetimes made aware, etc.)."""
    column = field.get_col(field.model._meta.db_table)
    for convert in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
        value = convert(value, column, connection)
    return value


class RolesWithUser:
    """A signed-in user read with their role groups in one statement, on every request: the
    separate groups query cost each page a round trip and its ORM compilation. Read afresh
    each request, so a user removed from a group loses its access at once."""

    def get_user(self, user_id):
        user_id = User._meta.pk.to_python(user_id)
        alias = User.objects.db
        connection = connections[alias]
        sql, params = user_with_roles_statement(alias)
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id if p == SOMEONE else p for p in params])
            row = cursor.fetchone()
        if row is None:
            return None
        fields = User._meta.concrete_fields
        columns, flags = row[: len(fields)], row[len(fields) :]
        values = [from_db(connection, f, v) for f, v in zip(fields, columns, strict=True)]
        user = User.from_db(alias, [f.attname for f in fields], values)
        user._tracker_groups = {name for name, flag in zip(ROLE_GROUPS, flags, strict=True) if flag}
        return user if self.user_can_authenticate(user) else None


class ModelBackend(RolesWithUser, backends.ModelBackend):
    pass


class AllauthBackend(RolesWithUser, AuthenticationBackend):
    pass


def in_group(user, name):
    """Whether the user is in this role group. The signed-in user's role groups come with
    the user (RolesWithUser); any other user's cost one query, remembered on the user."""
    if name not in ROLE_GROUPS:
        raise ValueError(f"{name!r} is not a role group")
    if not user.is_authenticated:
        return False
    cache = getattr(user, "_tracker_groups", None)
    if cache is None:
        cache = set(user.groups.filter(name__in=ROLE_GROUPS).values_list("name", flat=True))
        user._tracker_groups = cache
    return name in cache


def is_admin(user):
    return user.is_authenticated and user.is_superuser


def is_manager(user):
    return is_admin(user) or in_group(user, MANAGERS)


def is_analyst(user):
    return is_admin(user) or in_group(user, ANALYSTS)


def has_role(user):
    return is_analyst(user) or is_manager(user)


def role_label(user):
    if is_admin(user):
        return "Admin"
    if in_group(user, MANAGERS):
        return "Manager"
    if in_group(user, ANALYSTS):
        return "Analyst"
    return ""


def can_use_admin(user):
    return user.is_authenticated and user.is_staff


def can_reset_second_factor(user):
    """Removing someone's second factor lets whoever knows their password in: admins only."""
    return is_admin(user)


# Commitments and status updates


def is_involved(user, commitment):
    """Owner or assignee; remembered on the commitment so a page asks the database once."""
    if commitment.owner_id is not None and commitment.owner_id == user.pk:
        return True
    cache = commitment.__dict__.setdefault("_tracker_involved", {})
    if user.pk not in cache:
        cache[user.pk] = commitment.assignees.filter(pk=user.pk).exists()
    return cache[user.pk]


def can_record(user, commitment):
    """May record status updates and measurements on this commitment."""
    if is_admin(user):
        return True
    return in_group(user, ANALYSTS) and is_involved(user, commitment)


def records_directly(user):
    """True when this user's update is official at once, without review."""
    return user is None or not settings.TRACKER_REVIEW_REQUIRED or is_admin(user)


def editable_fields(user, commitment):
    """The commitment's fields this user may change; empty when they may not edit it."""
    if is_admin(user):
        return ADMIN_FIELDS
    if is_manager(user):
        return MANAGER_FIELDS
    if in_group(user, ANALYSTS) and is_involved(user, commitment):
        return INVOLVED_ANALYST_FIELDS
    return ()


def can_edit(user, commitment):
    return bool(editable_fields(user, commitment))


def can_review_updates(user):
    """May open the review queue."""
    return is_manager(user)


def can_review(user, update):
    """May accept or return this update: a manager, never on their own update."""
    return can_review_update_by(user, update.author_id)


def can_review_update_by(user, author_id):
    """can_review from the update's author's id alone (a status history read as values)."""
    return is_manager(user) and author_id != user.pk


def can_revise(user, update, commitment):
    """May revise this returned update: its author, still allowed to record on it."""
    return can_revise_update(
        user, commitment, review_state=update.review_state, author_id=update.author_id
    )


def can_revise_update(user, commitment, *, review_state, author_id):
    """can_revise from the update's review state and author's id (values, not an instance)."""
    return (
        review_state == ReviewState.RETURNED
        and author_id == user.pk
        and can_record(user, commitment)
    )


def sees_returned_updates(user):
    return is_analyst(user)


def recordable_commitments(user):
    """The commitments this user may record status updates on (see can_record)."""
    if is_admin(user):
        return Commitment.objects.all()
    if not in_group(user, ANALYSTS):
        return Commitment.objects.none()
    return Commitment.objects.involving(user)


# The source library: everyone with a role reads it and downloads the originals (the reader
# shows their text anyway); analysts and managers add documents; analysts quote from them.


def can_add_sources(user):
    return is_analyst(user) or is_manager(user)


def can_quote(user):
    return is_analyst(user)


# Refusing


def deny(request, reason):
    """Refuse with 403, logged and kept in the audit log."""
    audit.record(
        AuditAction.PERMISSION_DENIED,
        request=request,
        target=request.path[:200],
        detail=f"{request.method}: {reason}",
    )
    raise PermissionDenied(reason)


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
    if not can_record(request.user, commitment):
        deny(request, f"not owner or assignee of {reference}")
    return commitment


def commitment_for_edit(request, reference):
    commitment = get_object_or_404(Commitment, reference=reference)
    if not can_edit(request.user, commitment):
        deny(request, f"may not edit {reference}")
    return commitment


def may_import(user):
    """Bulk changes from a file (/import/, manage.py import_file): managers and admins."""
    return is_manager(user)


def may_create_commitments(user):
    """The New commitment page, "New commitment from this passage" in the reader, imports."""
    return is_manager(user)


def import_for(request, pk):
    """An upload, for the manager who uploaded it (or an admin); 403 for anyone else."""
    upload = get_object_or_404(ImportFile.objects.defer("content"), pk=pk)
    if not (is_admin(request.user) or upload.uploaded_by_id == request.user.pk):
        deny(request, f"not the uploader of import {pk}")
    return upload


# Notifications (tracker/notifications)


def may_be_notified(user):
    """Only active users with a role are told anything (checked again when an email leaves)."""
    return user.is_active and has_role(user)


def sees_every_overdue_review(user):
    """A digest lists every overdue review for managers, only their own for analysts."""
    return is_manager(user)


def own_notification(request, pk):
    """A notification of this user's; anyone else's is as good as missing (404)."""
    from .notifications.models import Notification

    return get_object_or_404(Notification, pk=pk, recipient=request.user)
