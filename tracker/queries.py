"""Read-side queries shared by several pages: navigation counters, review queue, and the
dashboard's aggregates (at the end of the file)."""

import dataclasses
import datetime as dt
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from . import access
from .models import (
    Area,
    Commitment,
    CommitmentParty,
    Party,
    Status,
    StatusPeriod,
    StatusUpdate,
)


def review_queue(user):
    """Updates waiting for a decision that this user may take (never their own)."""
    return StatusUpdate.objects.submitted().exclude(author=user)


def returned_to(user):
    """The user's returned updates that no revision has answered yet."""
    revised = StatusUpdate.objects.filter(revises=OuterRef("pk"))
    return StatusUpdate.objects.filter(
        author=user, review_state=StatusUpdate.ReviewState.RETURNED
    ).exclude(Exists(revised))


def navigation_counts(user):
    counts = {}
    if access.can_review_updates(user):
        counts["review"] = review_queue(user).count()
    if access.sees_returned_updates(user):
        counts["returned"] = returned_to(user).count()
    return counts


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

ONE_DAY = dt.timedelta(days=1)
NOT_ASSESSED = Status.NOT_ASSESSED.value
# Best first: the order of the legend, the stacked bar and the trend's bands.
STATUS_ORDER = [
    Status.FULFILLED,
    Status.PARTIALLY_FULFILLED,
    Status.IN_PROGRESS,
    Status.NOT_STARTED,
    Status.AT_RISK,
    Status.STALLED,
    Status.BROKEN,
    Status.NOT_ASSESSED,
]


def start_of_day(day):
    """The first instant of a local date, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def as_date(value):
    """A date from a raw cursor (SQLite gives text)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@dataclasses.dataclass(frozen=True)
class Scope:
    """The dashboard's filters, which its exports honour too: area, party, owner (ids)."""

    area: int | None = None
    party: int | None = None
    owner: int | None = None

    def conditions(self, via=None):
        """Filter arguments for Commitment, or for a model whose foreign key `via` points to one."""
        prefix = f"{via}__" if via else ""
        conditions = []
        if self.area:
            conditions.append(Q(**{f"{prefix}area_id": self.area}))
        if self.owner:
            conditions.append(Q(**{f"{prefix}owner_id": self.owner}))
        if self.party:
            # IN, not EXISTS: the database can then start from the party's commitments.
            bound = CommitmentParty.objects.filter(party_id=self.party).values("commitment_id")
            conditions.append(Q(**{f"{via}__in" if via else "pk__in": bound}))
        return conditions

    def commitments(self):
        return Commitment.objects.filter(*self.conditions())

    def __bool__(self):
        return bool(self.area or self.party or self.owner)


@dataclasses.dataclass
class Tally:
    """Commitments counted by status, with how many of them are overdue for review."""

    counts: dict = dataclasses.field(default_factory=lambda: dict.fromkeys(Status.values, 0))
    overdue: int = 0

    def add(self, status, n, overdue=0):
        """Count `n` commitments in `status`, `overdue` of them overdue for review."""
        self.counts[status] += n
        self.overdue += overdue

    @property
    def total(self):
        return sum(self.counts.values())

    @property
    def attention(self):
        return sum(self.counts[s] for s in Status.attention())

    @property
    def fulfilled_share(self):
        """Fulfilled commitments as a share of all, in per cent (None when there are none)."""
        return 100 * self.counts[Status.FULFILLED] / self.total if self.total else None

    def items(self):
        """(status, count) in display order."""
        return [(status, self.counts[status]) for status in STATUS_ORDER]


@dataclasses.dataclass
class Snapshot:
    """Where the commitments in scope stood on `day`, as known on that day."""

    day: dt.date
    tally: Tally
    by_area: dict  # area id -> Tally
    by_party: dict  # party id -> Tally
    by_owner: dict  # owner id (None: nobody) -> Tally
    at_risk: list  # [(commitment id, status, next review due)]: stalled, then at risk
    overdue: list  # [(commitment id, next review due)]: longest overdue first


def _status_on(day):
    """The status of the outer commitment on `day`: the latest period begun by then.

    Periods follow one another without gaps, so the latest one started on or before the
    day is the one covering it. One seek in the (commitment, valid_from) index."""
    periods = StatusPeriod.objects.filter(commitment=OuterRef("pk"), valid_from__lte=day)
    return Subquery(periods.order_by("-valid_from").values("status")[:1])


def _status_since(day):
    periods = StatusPeriod.objects.filter(commitment=OuterRef("pk"), valid_from__lte=day)
    return Subquery(periods.order_by("-valid_from").values("valid_from")[:1])


def _last_known_as_of(day):
    """The as-of date of the outer commitment's official update as known on `day`."""
    known = StatusUpdate.objects.accepted().filter(
        commitment=OuterRef("pk"), as_of__lte=day, decided_at__lt=start_of_day(day + ONE_DAY)
    )
    return Subquery(known.order_by("-as_of").values("as_of")[:1])


class AddDays(Func):
    """date + a number of days, as a date (SQLite and PostgreSQL)."""

    arity = 2
    output_field = DateField()
    template = "(%(expressions)s)"
    arg_joiner = " + "

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="date(%(expressions)s || ' days')",
            arg_joiner=", '+' || ",
            **extra,
        )


class LocalDate(TruncDate):
    """The local date of a datetime, as TruncDate, without a call into Python per row on SQLite.

    Django's SQLite function converts from the zone the database stores datetimes in to
    the local one; when the two are the same there is nothing to convert, and SQLite's own
    date() gives the same day.
    """

    def as_sqlite(self, compiler, connection, **extra):
        if self.get_tzname() != connection.timezone_name:
            return self.as_sql(compiler, connection)
        sql, params = compiler.compile(self.lhs)
        return f"date({sql})", params


def commitment_states(*, day, today, scope=Scope()):
    """Each commitment's (id, area id, owner id, status, next review due) as known on `day`.

    Today they are the copied fields; on a past day they are recomputed from the status
    periods and the updates accepted by then. Commitments created after `day` are left out.
    """
    commitments = scope.commitments().filter(created_at__lt=start_of_day(day + ONE_DAY))
    if day >= today:
        commitments = commitments.annotate(
            status_on=F("current_status"), due_on=F("next_review_due")
        )
    else:
        review_from = Coalesce(_last_known_as_of(day), LocalDate("created_at"))
        commitments = commitments.annotate(
            status_on=Coalesce(_status_on(day), Value(NOT_ASSESSED)),
            due_on=AddDays(review_from, F("review_cadence_days")),
        )
    return commitments.order_by().values_list("id", "area_id", "owner_id", "status_on", "due_on")


def snapshot(*, day, today, scope=Scope(), limit=10):
    """The state on `day`: counts by status, area, party and owner; the worst cases.

    One query: the per-commitment state is a common table expression, read by five
    branches (three breakdowns and two short lists). On a past day it is computed once
    (materialized); today's state is the copied fields, so each branch reads the table
    itself, the breakdowns by area and owner in the order of an index, without sorting.
    """
    state_sql, state_params = commitment_states(
        day=day, today=today, scope=scope
    ).query.sql_with_params()
    materialized = "NOT MATERIALIZED" if day >= today else "MATERIALIZED"
    # SQLite has no statistics to choose the join order by, and would start from the
    # parties; CROSS JOIN makes it start from the commitments (PostgreSQL has no need).
    join = "CROSS JOIN" if connection.vendor == "sqlite" else "JOIN"
    late = "SUM(CASE WHEN s.due < %s THEN 1 ELSE 0 END)"
    sql = f"""
        WITH s (id, area_id, owner_id, status, due) AS {materialized} ({state_sql})
        SELECT 'area', s.area_id, s.status, COUNT(*), {late}, CAST(NULL AS DATE)
          FROM s GROUP BY 2, 3
        UNION ALL
        SELECT 'owner', s.owner_id, s.status, COUNT(*), {late}, NULL FROM s GROUP BY 2, 3
        UNION ALL
        SELECT 'party', cp.party_id, s.status, COUNT(*), {late}, NULL
          FROM s {join} {CommitmentParty._meta.db_table} cp ON cp.commitment_id = s.id
          GROUP BY 2, 3
        UNION ALL
        SELECT * FROM (
          SELECT 'risk', s.id, s.status, 1, 0, s.due FROM s
          WHERE s.status IN (%s, %s)
          ORDER BY s.status DESC, s.due, s.id LIMIT %s
        ) risky
        UNION ALL
        SELECT * FROM (
          SELECT 'late', s.id, s.status, 1, 1, s.due FROM s
          WHERE s.due < %s ORDER BY s.due, s.id LIMIT %s
        ) late
    """  # noqa: S608 - only our own table names and Django's compiled SQL are interpolated
    # "stalled" sorts before "at_risk" descending: the worse of the two comes first.
    params = [*state_params, day, day, day, Status.AT_RISK, Status.STALLED, limit, day, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    groups = {"area": defaultdict(Tally), "owner": defaultdict(Tally), "party": defaultdict(Tally)}
    tally, at_risk, overdue = Tally(), [], []
    for kind, key, status, n, late, due in rows:
        if kind == "risk":
            at_risk.append((key, status, as_date(due)))
        elif kind == "late":
            overdue.append((key, as_date(due)))
        else:
            groups[kind][key].add(status, n, late)
            if kind == "area":  # every commitment has exactly one area
                tally.add(status, n, late)
    return Snapshot(
        day=day,
        tally=tally,
        by_area=dict(groups["area"]),
        by_party=dict(groups["party"]),
        by_owner=dict(groups["owner"]),
        at_risk=at_risk,
        overdue=overdue,
    )


@dataclasses.dataclass
class TrendPoint:
    day: dt.date
    counts: dict  # status -> count

    @property
    def total(self):
        return sum(self.counts.values())


def status_trend(*, until, weeks, end_counts, scope=Scope()):
    """The status distribution at the end of each of `weeks` weeks up to `until`, oldest first.

    Walks back from `end_counts` (the snapshot on `until`): a period that started in a week
    was not yet there before it, one that ended was; a commitment created in a week did not
    exist before it. One query over the window's rows only: each part is counted by day
    first, in the order of its index, and only those counts are put into weeks.
    """
    start = until - dt.timedelta(weeks=weeks)
    periods = StatusPeriod.objects.filter(*scope.conditions("commitment")).order_by()
    parts = {
        "started": periods.filter(valid_from__gt=start, valid_from__lte=until)
        .values_list("valid_from", "status")
        .annotate(n=Count("*")),
        "ended": periods.filter(valid_to__gt=start, valid_to__lte=until)
        .values_list("valid_to", "status")
        .annotate(n=Count("*")),
        "created": scope.commitments()
        .filter(
            created_at__gte=start_of_day(start + ONE_DAY),
            created_at__lt=start_of_day(until + ONE_DAY),
        )
        .order_by()
        .values_list(LocalDate("created_at"), Value(NOT_ASSESSED))
        .annotate(n=Count("*")),
    }
    ctes, selects, params = [], [], []
    for kind, queryset in parts.items():
        sql, part_params = queryset.query.sql_with_params()
        ctes.append(f"{kind} (day, status, n) AS ({sql})")
        selects.append(f"SELECT '{kind}' AS kind, day, status, n FROM {kind}")  # noqa: S608
        params += part_params
    # Whole weeks before `until`: 0 for the last seven days, 1 before that...
    if connection.vendor == "sqlite":
        week = "CAST((julianday(%s) - julianday(t.day)) / 7 AS INTEGER)"
    else:
        week = "(CAST(%s AS DATE) - t.day) / 7"  # date - date is a number of days
    sql = f"""
        WITH {", ".join(ctes)}
        SELECT t.kind, {week}, t.status, SUM(t.n)
          FROM ({" UNION ALL ".join(selects)}) t
         GROUP BY 1, 2, 3
    """  # noqa: S608 - only our own names and Django's compiled SQL are interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, until])
        rows = cursor.fetchall()
    counts = {kind: defaultdict(lambda: defaultdict(int)) for kind in parts}
    for kind, week, status, n in rows:
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


def worsened(*, since, until, scope=Scope()):
    """Commitments whose status on `until` is worse than the day before `since`.

    [(commitment id, status before, status after)], the biggest fall first. Only a
    commitment with a status period starting in the range can have changed.
    """
    changed = StatusPeriod.objects.filter(valid_from__gte=since, valid_from__lte=until)
    rows = (
        scope.commitments()
        .filter(pk__in=changed.values("commitment_id"))
        .order_by()
        .annotate(before=_status_on(since - ONE_DAY), after=_status_on(until))
        .values_list("id", "before", "after")
    )
    worse = [
        (pk, before or NOT_ASSESSED, after or NOT_ASSESSED)
        for pk, before, after in rows
        if Status.got_worse(before or NOT_ASSESSED, after or NOT_ASSESSED)
    ]
    worse.sort(key=lambda row: (Status(row[2]).rank - Status(row[1]).rank, row[0]))
    return worse


@dataclasses.dataclass
class Changes:
    """Accepted status updates that became known between `since` and `until` (inclusive)."""

    since: dt.date
    until: dt.date
    updates: int
    commitments: int
    groups: list  # [(commitment, [update, ...])]: the latest updates, newest first

    @property
    def shown(self):
        return sum(len(updates) for _, updates in self.groups)


def status_changes(*, since, until, scope=Scope(), limit=50):
    """Two queries: the totals, and the latest `limit` updates grouped by commitment."""
    updates = (
        StatusUpdate.objects.accepted()
        .filter(*scope.conditions("commitment"))
        .filter(decided_at__gte=start_of_day(since), decided_at__lt=start_of_day(until + ONE_DAY))
    )
    totals = updates.order_by().aggregate(
        updates=Count("id"), commitments=Count("commitment", distinct=True)
    )
    groups = {}
    people = ["first_name", "last_name", "username"]
    latest = (
        updates.select_related("commitment", "author", "decided_by")
        # Only what the dashboard shows: rows of three models are costly to build.
        .only(
            "commitment__reference",
            "commitment__title",
            "status",
            "previous_status",
            "as_of",
            "decided_at",
            *(f"{person}__{name}" for person in ("author", "decided_by") for name in people),
        )
        .order_by("-decided_at", "-id")
    )
    for update in latest[:limit]:
        groups.setdefault(update.commitment_id, (update.commitment, []))[1].append(update)
    return Changes(
        since=since,
        until=until,
        updates=totals["updates"],
        commitments=totals["commitments"],
        groups=list(groups.values()),
    )


@dataclasses.dataclass(frozen=True)
class Option:
    label: str
    key: str  # how the commitments list names it in its query string


def dashboard_choices():
    """What the dashboard can be filtered by: {id: Option} of areas, parties and owners."""
    areas = {
        pk: Option(name, slug) for pk, name, slug in Area.objects.values_list("pk", "name", "slug")
    }
    parties = {
        pk: Option(short or name, str(pk))
        for pk, name, short in Party.objects.values_list("pk", "name", "short_name")
    }
    owners = {
        user.pk: Option(user.get_full_name() or user.username, user.username)
        for user in get_user_model()
        .objects.filter(Exists(Commitment.objects.filter(owner=OuterRef("pk"))))
        .only("pk", "username", "first_name", "last_name")
        .order_by("first_name", "last_name", "username")
    }
    return {"area": areas, "party": parties, "owner": owners}


@dataclasses.dataclass
class Dashboard:
    day: dt.date
    today: dt.date
    scope: Scope
    snapshot: Snapshot
    trend: list  # [TrendPoint], weekly, oldest first
    changes: Changes
    worsened: list  # [(commitment, before, after)], at most `limit`
    worsened_count: int
    at_risk: list  # [(commitment, status, since, next review due)]
    overdue: list  # [(commitment, next review due)]

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
    commitments = {
        c.pk: c
        for c in Commitment.objects.filter(pk__in=ids)
        .select_related("owner")
        .only("reference", "title", "owner__first_name", "owner__last_name", "owner__username")
        .annotate(status_since=_status_since(day))
    }
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
            (commitments[pk], Status(status), commitments[pk].status_since, due)
            for pk, status, due in snap.at_risk
        ],
        overdue=[(commitments[pk], due) for pk, due in snap.overdue],
    )
