import functools

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import IntegerField, Subquery
from django.utils.functional import SimpleLazyObject

from . import access
from .models import StatusUpdate
from .notifications.models import Notification


class Counted(Subquery):
    """The number of rows of a queryset, as a scalar subquery."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()

    def __init__(self, queryset):
        super().__init__(queryset.order_by().values("pk"))


# Stands for the user's id while the counts' SQL is compiled (no id is negative).
SOMEONE = -7_654_321


@functools.lru_cache(maxsize=16)
def counts_statement(alias, review, returned):
    """The navigation's counts as (SQL, parameters, names), compiled once per database and
    set of counters with SOMEONE for the user: the ORM took about 2.5 ms a page to build
    these subqueries, the database 0.4-1 ms to answer them (bench/README.md)."""
    counts = {}
    if review:
        counts["review"] = Counted(StatusUpdate.objects.awaiting_decision_by(SOMEONE))
    if returned:
        counts["returned"] = Counted(StatusUpdate.objects.returned_to(SOMEONE))
    counts["unread"] = Counted(Notification.objects.filter(recipient=SOMEONE).unread())
    queryset = get_user_model().objects.filter(pk=SOMEONE).values(**counts)
    sql, params = queryset.query.get_compiler(alias).as_sql()
    return sql, tuple(params), tuple(counts)


def navigation_counts(user):
    """The navigation's counters (review queue, returned updates, unread notifications),
    all in one query: the bell adds none to any page."""
    review, returned = access.can_review_updates(user), access.sees_returned_updates(user)
    if not (review or returned):
        return {}
    sql, params, names = counts_statement(connection.alias, review, returned)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk if p == SOMEONE else p for p in params])
        row = cursor.fetchone()
    return dict(zip(names, row, strict=True)) if row else {}


def request_navigation_counts(request):
    """The navigation's counters, queried at most once per request: the review queue and the
    returned list reuse them as their own totals. Read them only after any write the request
    makes (GET pages make none), or the navigation would show the counts from before it."""
    if not hasattr(request, "_navigation_counts"):
        request._navigation_counts = navigation_counts(request.user)
    return request._navigation_counts


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_role": access.role_label(user),
        # Lazy: an HTMX fragment that shows no navigation runs no query for it.
        "nav_counts": SimpleLazyObject(lambda: request_navigation_counts(request)),
        "may_review_updates": access.can_review_updates(user),
        "sees_returned_updates": access.sees_returned_updates(user),
        "may_use_admin": access.can_use_admin(user),
        "may_import": access.may_import(user),
        "may_use_tokens": access.has_role(user),
    }
