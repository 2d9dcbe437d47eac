"""The dashboard's aggregates."""

import dataclasses
import datetime as dt
from collections import defaultdict

from django.db import connection
from django.db.models import (
    DateField,
    F,
    Func,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from ..models import (
    Commitment,
    CommitmentParty,
    Status,
    StatusPeriod,
    StatusUpdate,
)
from ..people import name_of
from . import days, tallies
from .tallies import as_date

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
# Once: Status.values builds its list afresh on each use (50 µs), and a page makes a Tally
# for each row of its breakdowns.
STATUS_VALUES = tuple(Status.values)
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

    def sql(self, commitment="c"):
        """(" AND …", params): the conditions on the alias `commitment` of
        tracker_commitment, for the statements written as SQL text."""
        conditions, params = [], []
        if self.area:
            conditions.append(f" AND {commitment}.area_id = %s")
            params.append(self.area)
        if self.owner:
            conditions.append(f" AND {commitment}.owner_id = %s")
            params.append(self.owner)
        if self.party:
            conditions.append(
                f" AND {commitment}.id IN "  # noqa: S608 - an alias of ours
                "(SELECT commitment_id FROM tracker_commitmentparty WHERE party_id = %s)"
            )
            params.append(self.party)
        return "".join(conditions), params

    def __bool__(self):
        return bool(self.area or self.party or self.owner)


@dataclasses.dataclass
class Tally:
    """Commitments counted by status, with how many of them are overdue for review."""

    counts: dict = dataclasses.field(default_factory=lambda: dict.fromkeys(STATUS_VALUES, 0))
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


# The status of commitment `c` on a day (a parameter), and the day it began: the latest
# period begun by then, one seek in the (commitment, valid_from) index. As _status_on, for
# the statements written as SQL text.
STATUS_ON = (
    "(SELECT p.status FROM tracker_statusperiod p WHERE p.commitment_id = c.id "
    "AND p.valid_from <= %s ORDER BY p.valid_from DESC LIMIT 1)"
)
STATUS_SINCE = STATUS_ON.replace("SELECT p.status", "SELECT p.valid_from")


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


def _today(today, limit):
    """The state today of every commitment: the tallies kept at write time, read with the
    worst cases (stalled, then at risk; the longest overdue), in one query."""
    table = Commitment._meta.db_table
    # The first `limit` stalled, then as many at risk, each read in the order of
    # tracker_cmt_worst_idx: one IN (…) sorted every stalled and at-risk commitment (1,900
    # at 1,000,000 updates), and the list is cut to `limit` below.
    risk = f"""
          SELECT 'risk', id, current_status, next_review_due, 1, 0, CAST(NULL AS DATE), 0
          FROM {table} WHERE current_status = %s ORDER BY next_review_due, id LIMIT %s
    """  # noqa: S608 - only our own table name is interpolated
    worst = f"""
        SELECT * FROM ({risk}) stalled
        UNION ALL
        SELECT * FROM ({risk}) risky
        UNION ALL
        SELECT * FROM (
          SELECT 'late', id, current_status, next_review_due, 1, 1, CAST(NULL AS DATE), 0
          FROM {table} WHERE next_review_due < %s ORDER BY next_review_due, id LIMIT %s
        ) late
    """  # noqa: S608 - only our own table name is interpolated
    counts, worst_rows = tallies.read(
        today, worst, [Status.STALLED, limit, Status.AT_RISK, limit, today, limit]
    )
    rows = [
        (dimension, key, status, n, late, None)
        for (dimension, key), statuses in counts.items()
        for status, n, late in statuses
    ]
    # Stalled first, whatever order the database gives the two branches in (sorted is stable).
    risky = [row for row in worst_rows if row[0] == "risk"]
    risky = sorted(risky, key=lambda row: row[2] != Status.STALLED)[:limit]
    overdue = [row for row in worst_rows if row[0] == "late"]
    rows += [(kind, pk, status, 1, 0, due) for kind, pk, status, due, *_ in risky + overdue]
    return _folded(today, rows)


def _folded(day, rows):
    """The Snapshot of rows (kind, key, status, n, overdue, due): kind "area", "owner" or
    "party" a count, "risk" or "late" one of the worst cases (key: the commitment)."""
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


def snapshot(*, day, today, scope=Scope(), limit=10):
    """The state on `day`: counts by status, area, party and owner; the worst cases.

    One query (snapshot_sql). Today's state of every commitment (no filter) is kept at
    write time (`tallies`); a finished day's, once computed, by the worker (`days`)."""
    if day >= today and not scope:
        return _today(today, limit)
    kept = day < today and not scope and limit == days.LIMIT
    sql, params = snapshot_sql(day=day, today=today, scope=scope, limit=limit, kept=kept)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _folded(day, cursor.fetchall())


# Long (about 60 lines): one aggregate query, which reads best in one piece.
def snapshot_sql(*, day, today, scope=Scope(), limit=10, kept=False):
    """(sql, params): the rows (kind, key, status, n, overdue, due) of the state on `day`.

    The per-commitment state is a common table expression, read by five branches (three
    breakdowns and two short lists). On a past day it is computed once (materialized);
    today's state is the copied fields, so each branch reads the table itself, the
    breakdowns by area and owner in the order of an index, without sorting.

    `kept` (a past day, no filter): the day's kept rows (`days`) when it is kept and
    nothing changed it since, the live rows otherwise. The state is then limited to no row
    at all: both databases evaluate a LIMIT once, before reading a row, where a condition
    in WHERE would be tested against every commitment (3.2 against 1.2 ms on SQLite).
    """
    state_sql, state_params = commitment_states(
        day=day, today=today, scope=scope
    ).query.sql_with_params()
    materialized = "NOT MATERIALIZED" if day >= today else "MATERIALIZED"
    kept_sql, kept_params = "", []
    if kept:
        unlimited = "-1" if connection.vendor == "sqlite" else "NULL"
        state_sql = (
            f"SELECT * FROM ({state_sql}) live "  # noqa: S608 - Django's compiled SQL
            f"LIMIT (SELECT CASE WHEN EXISTS (SELECT 1 FROM kept) THEN 0 ELSE {unlimited} END)"
        )
        kept_sql = f"kept AS ({days.CLEAN}),"
        kept_params = [day, day]
    # SQLite has no statistics to choose the join order by, and would start from the
    # parties; CROSS JOIN makes it start from the commitments (PostgreSQL has no need).
    join = "CROSS JOIN" if connection.vendor == "sqlite" else "JOIN"
    late = "SUM(CASE WHEN s.due < %s THEN 1 ELSE 0 END)"
    sql = f"""
        WITH {kept_sql} s (id, area_id, owner_id, status, due) AS {materialized} ({state_sql})
        {f"{days.READ} UNION ALL" if kept else ""}
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
    params = [*kept_params, *state_params, *([day] if kept else [])]
    params += [day, day, day, Status.AT_RISK, Status.STALLED, limit, day, limit]
    return sql, params


@dataclasses.dataclass(frozen=True)
class Option:
    label: str
    key: str  # how the commitments list names it in its query string


# The filter's choices as SQL text: through the ORM the three statements cost 1.8 ms a
# page to build, against 0.24 ms to run (bench/README.md, "The dashboard afresh").
CHOICES = {
    "area": "SELECT id, name, slug FROM tracker_area ORDER BY name",
    "party": "SELECT id, name, short_name FROM tracker_party ORDER BY name",
    "owner": (
        "SELECT u.id, u.first_name, u.last_name, u.username FROM auth_user u "
        "WHERE EXISTS (SELECT 1 FROM tracker_commitment c WHERE c.owner_id = u.id) "
        "ORDER BY u.first_name, u.last_name, u.username"
    ),
}


def dashboard_choices():
    """What the dashboard can be filtered by: {id: Option} of areas, parties and owners
    (an owner: anyone who owns a commitment)."""
    with connection.cursor() as cursor:
        cursor.execute(CHOICES["area"])
        areas = {pk: Option(name, slug) for pk, name, slug in cursor.fetchall()}
        cursor.execute(CHOICES["party"])
        parties = {pk: Option(short or name, str(pk)) for pk, name, short in cursor.fetchall()}
        cursor.execute(CHOICES["owner"])
        owners = {pk: Option(name_of(*names), names[2]) for pk, *names in cursor.fetchall()}
    return {"area": areas, "party": parties, "owner": owners}
