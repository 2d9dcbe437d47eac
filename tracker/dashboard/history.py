"""The dashboard's history: the weekly trend, what got worse and what changed in a period."""

import dataclasses
import datetime as dt
from collections import defaultdict

from django.db import connection
from django.db.models import (
    Count,
    Value,
)
from django.utils import timezone

from ..models import (
    Status,
    StatusPeriod,
    StatusUpdate,
)
from ..models.commitments import commitment_url
from ..people import name_of

# ---------------------------------------------------------------------------------------
# The dashboard
#
# Each function below issues a fixed number of queries whatever the data size, and none
# reads the whole history:
# - the state on a day comes from the copied `current_*` fields (today) or, for a past day,
#   from one index seek per commitment into StatusPeriod and StatusUpdate: the cost grows
#   with the number of commitments, never with the length of their history;
# - the trend walks back from that state, week by week, by the status periods that started
#   or ended in the window, so it reads only the window's periods;
# - "what changed" and "got worse" read only the chosen period's updates and periods.
# A commitment counts from the day it was created; before its first accepted update is
# known it is "not yet assessed".
from . import tallies
from .queries import NOT_ASSESSED, ONE_DAY, STATUS_ON, LocalDate, Scope, start_of_day
from .tallies import as_date


@dataclasses.dataclass
class TrendPoint:
    day: dt.date
    counts: dict  # status -> count

    @property
    def total(self):
        return sum(self.counts.values())


KINDS = ("created", "started", "ended")


# Long (about 80 lines): one query and the walk back over its rows, which read best together.
def status_trend(*, until, weeks, end_counts, scope=Scope()):
    """The status distribution at the end of each of `weeks` weeks up to `until`, oldest first.

    Walks back from `end_counts` (the snapshot on `until`): a period that started in a week
    was not yet there before it, one that ended was; a commitment created in a week did not
    exist before it. One query over the window's rows only: each part is counted by day
    first, in the order of its index, and only those counts are put into weeks. Unfiltered,
    the periods started and ended come from the few rows a day kept at write time
    (`tallies`), put into weeks at once: 2 ms for a year where the periods took 24.
    """
    start = until - dt.timedelta(weeks=weeks)
    parts = {
        "created": scope.commitments()
        .filter(
            created_at__gte=start_of_day(start + ONE_DAY),
            created_at__lt=start_of_day(until + ONE_DAY),
        )
        .order_by()
        .values_list(LocalDate("created_at"), Value(NOT_ASSESSED))
        .annotate(n=Count("*"))
        .query.sql_with_params(),
    }
    # Whole weeks before `until`: 0 for the last seven days, 1 before that...
    if connection.vendor == "sqlite":
        week = "CAST((julianday(%s) - julianday({day})) / 7 AS INTEGER)"
    else:
        week = "(CAST(%s AS DATE) - {day}) / 7"  # date - date is a number of days
    kept = None  # unfiltered, the periods started and ended: a few rows a day, put into weeks
    if scope:
        parts["started"] = _periods_in(scope, "valid_from", start, until)
        parts["ended"] = _periods_in(scope, "valid_to", start, until)
    else:
        kept = tallies.trend_weeks(week.format(day="day"), start, until)
    # Rows (week, status, created, started, ended): a part's count in its own column.
    ctes, selects, params = [], [], []
    for kind, (sql, part_params) in parts.items():
        columns = ", ".join(f"{'n' if k == kind else 0} AS {k}" for k in KINDS)
        ctes.append(f"{kind} (day, status, n) AS ({sql})")
        selects.append(f"SELECT day, status, {columns} FROM {kind}")  # noqa: S608
        params += part_params
    sums = ", ".join(f"SUM(t.{k})" for k in KINDS)
    sql = f"""
        WITH {", ".join(ctes)}
        SELECT {week.format(day="t.day")}, t.status, {sums}
          FROM ({" UNION ALL ".join(selects)}) t
         GROUP BY 1, 2
    """  # noqa: S608 - only our own names and Django's compiled SQL are interpolated
    params.append(until)
    if kept:
        sql += f" UNION ALL {kept[0]}"
        params += kept[1]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    counts = {kind: defaultdict(lambda: defaultdict(int)) for kind in KINDS}
    for week, status, *numbers in rows:
        for kind, n in zip(KINDS, numbers, strict=True):
            if n:
                counts[kind][week][status] += n
    started, ended = counts["started"], counts["ended"]
    created = defaultdict(int, {k: n[NOT_ASSESSED] for k, n in counts["created"].items()})

    # "Not yet assessed" is whatever is left: commitments with no period yet, and the
    # (rare) periods whose status is itself "not yet assessed".
    assessed = {s: n for s, n in end_counts.items() if s != NOT_ASSESSED}
    total = sum(end_counts.values())
    points = [TrendPoint(until, dict(end_counts))]
    for k in range(weeks):
        for status, n in started[k].items():
            if status != NOT_ASSESSED:
                assessed[status] -= n
        for status, n in ended[k].items():
            if status != NOT_ASSESSED:
                assessed[status] += n
        total -= created[k]
        counts = {**assessed, NOT_ASSESSED: total - sum(assessed.values())}
        points.append(TrendPoint(until - dt.timedelta(weeks=k + 1), counts))
    points.reverse()
    return points


def _periods_in(scope, column, start, until):
    """(sql, params): (day, status, n) of the periods of the commitments in `scope` whose
    `column` (valid_from: started; valid_to: ended) is in (start, until].

    SQLite seeks each commitment's periods in its (commitment, day, status) index. So
    does PostgreSQL through the LATERAL (OFFSET 0 keeps it from being flattened into a
    join): left to choose, it reads every period of the window and hashes them against
    the scope's commitments, 4.5 ms against 2.9 for an area at 1,000,000 updates.
    """
    if connection.vendor != "postgresql":
        return (
            StatusPeriod.objects.filter(*scope.conditions("commitment"))
            .filter(**{f"{column}__gt": start, f"{column}__lte": until})
            .order_by()
            .values_list(column, "status")
            .annotate(n=Count("*"))
            .query.sql_with_params()
        )
    commitments, params = scope.commitments().order_by().values("id").query.sql_with_params()
    sql = f"""
        SELECT p.day, p.status, COUNT(*) FROM ({commitments}) c CROSS JOIN LATERAL (
          SELECT {column} AS day, status FROM {StatusPeriod._meta.db_table}
          WHERE commitment_id = c.id AND {column} > %s AND {column} <= %s OFFSET 0
        ) p GROUP BY 1, 2
    """  # noqa: S608 - only our own names and Django's compiled SQL are interpolated
    return sql, [*params, start, until]


def worsened(*, since, until, scope=Scope()):
    """Commitments whose status on `until` is worse than the day before `since`.

    [(commitment id, status before, status after)], the biggest fall first. Only a
    commitment with a status period starting in the range can have changed. (SQL text:
    through the ORM the statement cost 1.4 ms to build and 0.2 to run.)
    """
    conditions, params = scope.sql("c")
    sql = f"""
        SELECT c.id, {STATUS_ON}, {STATUS_ON} FROM tracker_commitment c
        WHERE c.id IN (
          SELECT commitment_id FROM tracker_statusperiod
          WHERE valid_from >= %s AND valid_from <= %s
        ){conditions}
    """  # noqa: S608 - only our own SQL is interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, [since - ONE_DAY, until, since, until, *params])
        rows = cursor.fetchall()
    worse = [
        (pk, before or NOT_ASSESSED, after or NOT_ASSESSED)
        for pk, before, after in rows
        if Status.got_worse(before or NOT_ASSESSED, after or NOT_ASSESSED)
    ]
    worse.sort(key=lambda row: (Status(row[2]).rank - Status(row[1]).rank, row[0]))
    return worse


@dataclasses.dataclass(frozen=True)
class ChangedCommitment:
    reference: str
    title: str
    url: str


@dataclasses.dataclass(frozen=True)
class Change:
    """An accepted update as "what changed" lists it: plain values, so a group of them can
    be remembered as drawn (fragments.render_rows) and no model instance is built."""

    status: str
    previous_status: str
    as_of: dt.date
    decided_at: dt.datetime  # local time
    author: str  # display name; "" for imported seed data
    decided_by: str

    @property
    def changes_status(self):
        return self.status != self.previous_status


@dataclasses.dataclass
class Changes:
    """Accepted status updates that became known between `since` and `until` (inclusive)."""

    since: dt.date
    until: dt.date
    updates: int
    commitments: int
    groups: list  # [(ChangedCommitment, (Change, ...))]: the latest updates, newest first

    @property
    def shown(self):
        return sum(len(updates) for _, updates in self.groups)


# "What changed" lists the latest 20 updates of its period, after the totals of all of them
# and with a link to the full history: a screen's worth for a manager to scan. (It was 50: a
# busy week at 1,000,000 updates has a thousand, and the list was drawn 50 long where the
# 20,000 data set has 10; bench/README.md, "The dashboard's growth (sixth round)".)
CHANGES_SHOWN = 20


def status_changes(*, since, until, scope=Scope(), limit=CHANGES_SHOWN):
    """Two queries: the totals, and the latest `limit` updates grouped by commitment.

    (SQL text: through the ORM the two statements cost more to build than to run.)"""
    conditions, scope_params = scope.sql("c")
    known = [start_of_day(since), start_of_day(until + ONE_DAY)]
    params = [
        StatusUpdate.ReviewState.ACCEPTED,
        *(connection.ops.adapt_datetimefield_value(moment) for moment in known),
        *scope_params,
    ]
    commitment = "JOIN tracker_commitment c ON c.id = su.commitment_id"
    where = f"su.review_state = %s AND su.decided_at >= %s AND su.decided_at < %s{conditions}"
    totals = f"""
        SELECT COUNT(*), COUNT(DISTINCT su.commitment_id)
          FROM tracker_statusupdate su {commitment if conditions else ""} WHERE {where}
    """  # noqa: S608 - only our own SQL is interpolated
    # Only what the dashboard shows, as values: rows of three models are costly to build.
    latest = f"""
        SELECT su.commitment_id, c.reference, c.title, su.status, su.previous_status,
               su.as_of, su.decided_at, a.first_name, a.last_name, a.username,
               d.first_name, d.last_name, d.username
          FROM tracker_statusupdate su {commitment}
          LEFT JOIN auth_user a ON a.id = su.author_id
          LEFT JOIN auth_user d ON d.id = su.decided_by_id
         WHERE {where} ORDER BY su.decided_at DESC, su.id DESC LIMIT %s
    """  # noqa: S608 - only our own SQL is interpolated
    with connection.cursor() as cursor:
        cursor.execute(totals, params)
        updates, commitments = cursor.fetchone()
        cursor.execute(latest, [*params, limit])
        rows = cursor.fetchall()
    groups = {}
    for pk, reference, title, status, previous, as_of, decided_at, *names in rows:
        if pk not in groups:
            url = commitment_url(reference)
            groups[pk] = (ChangedCommitment(reference, title, url), [])
        author = name_of(*names[:3]) if names[2] else ""
        decided_by = name_of(*names[3:]) if names[5] else ""
        local = timezone.localtime(aware(decided_at))
        groups[pk][1].append(Change(status, previous, as_date(as_of), local, author, decided_by))
    return Changes(
        since=since,
        until=until,
        updates=updates,
        commitments=commitments,
        groups=[(commitment, tuple(changes)) for commitment, changes in groups.values()],
    )


def aware(value):
    """A datetime from a raw cursor: SQLite's are naive, in the database's time zone."""
    return timezone.make_aware(value, connection.timezone) if timezone.is_naive(value) else value
