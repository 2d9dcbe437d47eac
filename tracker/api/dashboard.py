"""The dashboard's snapshot as data: the dashboard's own query (queries.snapshot) and form."""

from django.utils import timezone

from ..dashboard import queries
from ..dashboard.forms import DashboardForm
from ..models import Commitment
from .filtering import refuse_invalid

SCOPE_FIELDS = ("area", "party", "owner")


def tally(t):
    return {
        "total": t.total,
        "overdue": t.overdue,
        "by_status": {status.value: count for status, count in t.items()},
    }


def breakdown(tallies, options, key_name):
    rows = []
    for pk, t in tallies.items():
        option = options.get(pk)
        rows.append(
            {
                "id": pk,
                key_name: option.key if option else None,
                "name": option.label if option else None,
                **tally(t),
            }
        )
    return sorted(rows, key=lambda row: (row["name"] is None, row["name"] or ""))


def snapshot_for(request):
    """Where the commitments in scope stood on `as_of`; 400 on a bad filter or date.

    Five queries: the dashboard's choices (three), the snapshot, the named commitments."""
    today = timezone.localdate()
    choices = queries.dashboard_choices()
    form = DashboardForm(request.query_params, choices=choices, today=today)
    refuse_invalid(form, only=(*SCOPE_FIELDS, "as_of"))
    data = form.cleaned_data
    day = data.get("as_of") or today
    scope = queries.Scope(**{name: data.get(name) for name in SCOPE_FIELDS})
    snap = queries.snapshot(day=day, today=today, scope=scope)
    ids = {row[0] for row in snap.at_risk + snap.overdue}
    named = (
        dict(Commitment.objects.filter(pk__in=ids).values_list("pk", "reference")) if ids else {}
    )
    return {
        "as_of": day,
        "filters": {name: data.get(name) for name in SCOPE_FIELDS if data.get(name)},
        **tally(snap.tally),
        "fulfilled_share": snap.tally.fulfilled_share,
        "by_area": breakdown(snap.by_area, choices["area"], "slug"),
        "by_party": breakdown(snap.by_party, choices["party"], "key"),
        "by_owner": breakdown(snap.by_owner, choices["owner"], "username"),
        "at_risk": [
            {"commitment": named.get(pk), "status": status, "next_review_due": due}
            for pk, status, due in snap.at_risk
        ],
        "overdue_commitments": [
            {"commitment": named.get(pk), "next_review_due": due} for pk, due in snap.overdue
        ],
    }
