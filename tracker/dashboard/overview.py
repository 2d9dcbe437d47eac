"""Everything the dashboard shows, in one call: the state on a day and its history."""

import dataclasses
import datetime as dt

from ..models import Commitment, Status
from ..models.commitments import commitment_url
from ..people import NAME_COLUMNS, name_of
from .history import Changes, status_changes, status_trend, worsened
from .queries import Scope, Snapshot, _status_since, snapshot


@dataclasses.dataclass(frozen=True)
class Named:
    """A commitment a "needs attention" list names: plain values, so its line can be
    remembered as drawn (fragments.render_rows)."""

    reference: str
    title: str
    url: str
    owner: str  # display name; "" when nobody owns it


OWNER = [f"owner__{name}" for name in NAME_COLUMNS]


@dataclasses.dataclass
class Dashboard:
    day: dt.date
    today: dt.date
    scope: Scope
    snapshot: Snapshot
    trend: list  # [TrendPoint], weekly, oldest first
    changes: Changes
    worsened: list  # [(Named, before, after)], at most `limit`
    worsened_count: int
    at_risk: list  # [(Named, status, since, next review due)]
    overdue: list  # [(Named, next review due)]

    @property
    def is_past(self):
        return self.day < self.today


def dashboard(*, day, today, since, until, weeks=52, scope=Scope(), limit=10):
    """Everything the dashboard shows, as known on `day`.

    Six queries whatever the data (five when no commitment needs naming): the snapshot,
    the commitments that got worse, the named commitments, the trend, two for what
    changed."""
    snap = snapshot(day=day, today=today, scope=scope, limit=limit)
    worse = worsened(since=since, until=until, scope=scope)
    ids = {row[0] for row in snap.at_risk + snap.overdue + worse[:limit]}
    commitments, status_since = {}, {}
    rows = (
        Commitment.objects.filter(pk__in=ids)
        .order_by()
        .annotate(status_since=_status_since(day))
        .values_list("pk", "reference", "title", "status_since", *OWNER)
    )
    for pk, reference, title, started, *owner in rows:
        name = name_of(*owner) if owner[2] else ""
        commitments[pk] = Named(reference, title, commitment_url(reference), name)
        status_since[pk] = started
    return Dashboard(
        day=day,
        today=today,
        scope=scope,
        snapshot=snap,
        trend=status_trend(until=day, weeks=weeks, end_counts=snap.tally.counts, scope=scope),
        changes=status_changes(since=since, until=until, scope=scope),
        worsened=[(commitments[pk], Status(b), Status(a)) for pk, b, a in worse[:limit]],
        worsened_count=len(worse),
        at_risk=[
            (commitments[pk], Status(status), status_since[pk], due)
            for pk, status, due in snap.at_risk
        ],
        overdue=[(commitments[pk], due) for pk, due in snap.overdue],
    )
