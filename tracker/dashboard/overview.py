"""Everything the dashboard shows, in one call: the state on a day and its history."""

import dataclasses
import datetime as dt

from django.db import connection

from ..models import Status
from ..models.commitments import commitment_url
from ..people import name_of
from .history import Changes, status_changes, status_trend, worsened
from .queries import STATUS_SINCE, Scope, Snapshot, snapshot
from .tallies import as_date


@dataclasses.dataclass(frozen=True)
class Named:
    """A commitment a "needs attention" list names: plain values, so its line can be
    remembered as drawn (fragments.render_rows)."""

    reference: str
    title: str
    url: str
    owner: str  # display name; "" when nobody owns it


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


def _named(day, ids):
    """({id: Named}, {id: the day its status on `day` began}) of the commitments `ids`:
    one query, none without ids. (SQL text: through the ORM the statement cost more to
    build than to run.)"""
    if not ids:
        return {}, {}
    sql = f"""
        SELECT c.id, c.reference, c.title, {STATUS_SINCE}, u.first_name, u.last_name,
               u.username
          FROM tracker_commitment c LEFT JOIN auth_user u ON u.id = c.owner_id
         WHERE c.id IN ({", ".join(["%s"] * len(ids))})
    """  # noqa: S608 - only our own SQL and placeholders are interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, [day, *sorted(ids)])
        rows = cursor.fetchall()
    commitments, status_since = {}, {}
    for pk, reference, title, started, *owner in rows:
        name = name_of(*owner) if owner[2] else ""
        commitments[pk] = Named(reference, title, commitment_url(reference), name)
        status_since[pk] = as_date(started)
    return commitments, status_since


def dashboard(*, day, today, since, until, weeks=52, scope=Scope(), limit=10):
    """Everything the dashboard shows, as known on `day`.

    Six queries whatever the data (five when no commitment needs naming): the snapshot,
    the commitments that got worse, the named commitments, the trend, two for what
    changed."""
    snap = snapshot(day=day, today=today, scope=scope, limit=limit)
    worse = worsened(since=since, until=until, scope=scope)
    named = {row[0] for row in snap.at_risk + snap.overdue + worse[:limit]}
    commitments, status_since = _named(day, named)
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
