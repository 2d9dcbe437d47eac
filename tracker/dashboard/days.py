"""The dashboard's past days, kept: the rows of a finished day's unfiltered snapshot.

A past day's snapshot is recomputed from the history by two index seeks per commitment that
existed on it (queries.commitment_states): some 55-75 ms at a million updates, growing with
the data (bench/README.md, "Past days kept"). A finished day changes only when its history
is rewritten (a backdated update, an edit of a commitment, a party bound), so its rows are
kept here, and a read takes them when nothing has changed the day since.

- tracker_pastday: the days kept (a day can be kept and have no rows);
  tracker_pastday_row: their rows, as snapshot()'s statement returned them (kind, key,
  status, n, overdue, due), in order (seq).
- tracker_pastday_changed: an append-only log, (id, day) "every kept day from `day` on may
  be wrong", appended by triggers in the same transaction as every write that can change a
  past day, whoever writes (as tallies.py's, for the same reasons: no hot row to lock). The
  day is taken a day early where it comes from a timestamp: the local date is never before
  the UTC date less one day, and a day recomputed for nothing is harmless.
- `refresh` (the worker, every few minutes: TRACKER_SCHEDULE_DASHBOARD_DAYS) recomputes the
  kept days the log marks and the missing ones, one transaction a day, then deletes the log
  rows it read, and only those: a write committed meanwhile leaves its row for the next run.
- A read (queries.snapshot) takes the kept rows only when the day is kept and no log row
  has a day on or before it; otherwise it computes the day live, as it always did: the
  answer never depends on the kept days, only its speed.
- As tallies.py's, the tables and triggers are made after every `migrate` and are no model:
  backups and `flush` pass them by. A restore or a bulk load forgets every kept day
  (`forget`), and TRUNCATE does too (PostgreSQL); the next refresh fills them again.
"""

import datetime as dt
import itertools

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from .tallies import as_date, create_trigger

KEPT = "tracker_pastday"
ROWS = "tracker_pastday_row"
CHANGED = "tracker_pastday_changed"
COMMITMENT = "tracker_commitment"
LINK = "tracker_commitmentparty"
PERIOD = "tracker_statusperiod"
UPDATE = "tracker_statusupdate"
# The short lists' length kept: the dashboard's and the API's. Another length is read live.
LIMIT = 10
# A link whose commitment is not there (rows restored in any order): every day may change.
EARLIEST = "0001-01-01"
ONE_DAY = dt.timedelta(days=1)

COLUMNS = "day, seq, kind, key, status, n, overdue, due"


def _create(vendor):
    serial = (
        "integer PRIMARY KEY AUTOINCREMENT"  # never an id again: see refresh
        if vendor == "sqlite"
        else "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
    )
    return [
        f"CREATE TABLE IF NOT EXISTS {KEPT} (day date PRIMARY KEY)",
        f"CREATE TABLE IF NOT EXISTS {ROWS} (day date NOT NULL, seq integer NOT NULL, "
        "kind varchar(5) NOT NULL, key bigint, status varchar(32) NOT NULL, "
        "n integer NOT NULL, overdue integer NOT NULL, due date)",
        f"CREATE INDEX IF NOT EXISTS {ROWS}_day ON {ROWS} (day, seq)",
        f"CREATE TABLE IF NOT EXISTS {CHANGED} (id {serial}, day date NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {CHANGED}_day ON {CHANGED} (day)",
    ]


class _Sql:
    """The few expressions the triggers need, in each database's words."""

    def __init__(self, vendor):
        self.sqlite = vendor == "sqlite"

    def day_before(self, timestamp):
        """The UTC date of a timestamp less one day: never after its local date."""
        if self.sqlite:
            return f"date({timestamp}, '-1 day')"
        return f"(CAST({timestamp} AT TIME ZONE 'UTC' AS date) - 1)"

    def least(self, a, b):
        return f"{'min' if self.sqlite else 'LEAST'}({a}, {b})"

    def created(self, row):
        return self.day_before(f"{row}.created_at")

    def link(self, row):
        """The day its commitment was created (EARLIEST when it is not there)."""
        created = self.day_before("c.created_at")
        found = f"(SELECT {created} FROM {COMMITMENT} c WHERE c.id = {row}.commitment_id)"  # noqa: S608
        early = f"'{EARLIEST}'" if self.sqlite else f"DATE '{EARLIEST}'"
        return f"COALESCE({found}, {early})"

    def update(self, row):
        """The earlier of its as-of date and the day it was decided."""
        decided = self.day_before(f"{row}.decided_at")
        return self.least(f"{row}.as_of", f"COALESCE({decided}, {row}.as_of)")


def _changed(*columns):
    return " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in columns)


ACCEPTED = "'accepted'"


def _triggers(sql):
    """(table, operation, condition, day): the log row each write appends."""
    either_accepted = f"(OLD.review_state = {ACCEPTED} OR NEW.review_state = {ACCEPTED})"
    update_columns = _changed("review_state", "as_of", "decided_at", "commitment_id")
    return [
        (COMMITMENT, "INSERT", None, sql.created("NEW")),
        (COMMITMENT, "DELETE", None, sql.created("OLD")),
        (
            COMMITMENT,
            "UPDATE",
            _changed("created_at", "area_id", "owner_id", "review_cadence_days"),
            sql.least(sql.created("OLD"), sql.created("NEW")),
        ),
        (LINK, "INSERT", None, sql.link("NEW")),
        (LINK, "DELETE", None, sql.link("OLD")),
        (
            LINK,
            "UPDATE",
            _changed("party_id", "commitment_id"),
            sql.least(sql.link("OLD"), sql.link("NEW")),
        ),
        (PERIOD, "INSERT", None, "NEW.valid_from"),
        (PERIOD, "DELETE", None, "OLD.valid_from"),
        (
            PERIOD,
            "UPDATE",
            _changed("valid_from", "status", "commitment_id"),
            sql.least("OLD.valid_from", "NEW.valid_from"),
        ),
        (UPDATE, "INSERT", f"NEW.review_state = {ACCEPTED}", sql.update("NEW")),
        (UPDATE, "DELETE", f"OLD.review_state = {ACCEPTED}", sql.update("OLD")),
        (
            UPDATE,
            "UPDATE",
            f"{either_accepted} AND ({update_columns})",
            sql.least(sql.update("OLD"), sql.update("NEW")),
        ),
    ]


def install(using=DEFAULT_DB_ALIAS, **kwargs):
    """Create the tables and triggers where missing (idempotent; after every migrate)."""
    db = connections[using]
    existing = set(db.introspection.table_names())
    if db.vendor not in ("sqlite", "postgresql") or not {COMMITMENT, LINK, PERIOD, UPDATE} <= (
        existing
    ):
        return  # migrating part-way
    with db.cursor() as cursor:
        for statement in _create(db.vendor):
            cursor.execute(statement)
        for table, op, condition, day in _triggers(_Sql(db.vendor)):
            name = f"tracker_pastday_{table.removeprefix('tracker_')}_{op.lower()}"
            body = f"INSERT INTO {CHANGED} (day) VALUES ({day})"  # noqa: S608 - constants
            create_trigger(cursor, db.vendor, name, table, op, condition, body)
        if db.vendor == "postgresql":
            # TRUNCATE fires no row trigger: forget every kept day.
            cursor.execute(
                "CREATE OR REPLACE FUNCTION tracker_pastday_truncate() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN {_forget_sql()}; RETURN NULL; END $$"
            )
            for table in (COMMITMENT, LINK, PERIOD, UPDATE):
                cursor.execute(
                    f'CREATE OR REPLACE TRIGGER "tracker_pastday_{table}_truncate" AFTER '
                    f'TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION '
                    "tracker_pastday_truncate()"
                )


def _forget_sql():
    return f"DELETE FROM {ROWS}; DELETE FROM {KEPT}"  # noqa: S608 - constants only


def forget(*, using=DEFAULT_DB_ALIAS):
    """Forget every kept day and the log (a restore, a bulk load, a repair): every past day
    is computed live until the next refresh fills them again."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        for statement in (*_forget_sql().split("; "), f"DELETE FROM {CHANGED}"):  # noqa: S608
            cursor.execute(statement)


# The day's kept rows, only when it is kept and no change since may have touched it: the
# common table expression `kept` of queries.snapshot's statement, and its first branch.
CLEAN = (
    f"SELECT 1 AS yes FROM {KEPT} WHERE day = %s "  # noqa: S608 - constants only
    f"AND NOT EXISTS (SELECT 1 FROM {CHANGED} WHERE day <= %s)"
)
READ = (
    f"SELECT * FROM (SELECT kind, key, status, n, overdue, due FROM {ROWS} "  # noqa: S608
    "WHERE day = %s AND EXISTS (SELECT 1 FROM kept) ORDER BY seq) kept_rows"
)


def is_clean(day, *, using=DEFAULT_DB_ALIAS):
    """Whether a read of `day` takes its kept rows (it is kept, and nothing changed it)."""
    with connections[using].cursor() as cursor:
        cursor.execute(CLEAN, [day, day])
        return cursor.fetchone() is not None


def kept_rows(day, *, using=DEFAULT_DB_ALIAS):
    """The kept rows of `day` (kind, key, status, n, overdue, due), in order."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT kind, key, status, n, overdue, due FROM {ROWS} WHERE day = %s ORDER BY seq",  # noqa: S608
            [day],
        )
        return cursor.fetchall()


def _live_rows(day, today, using):
    from .queries import snapshot_sql  # queries reads this module's tables

    sql, params = snapshot_sql(day=day, today=today, limit=LIMIT)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _keep(day, today, using):
    """Compute `day` live and replace its kept rows, in one short transaction."""
    # Read before the transaction: on SQLite it holds the write lock from its first statement.
    rows = _live_rows(day, today, using)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"DELETE FROM {ROWS} WHERE day = %s", [day])  # noqa: S608
        cursor.executemany(
            f"INSERT INTO {ROWS} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
            [(day, seq, *row) for seq, row in enumerate(rows)],
        )
        if connections[using].vendor == "sqlite":
            cursor.execute(f"INSERT OR IGNORE INTO {KEPT} (day) VALUES (%s)", [day])  # noqa: S608
        else:
            cursor.execute(f"INSERT INTO {KEPT} (day) VALUES (%s) ON CONFLICT DO NOTHING", [day])  # noqa: S608


def _first_day(cursor):
    """The local date the first commitment was created (None: there is none)."""
    cursor.execute(f"SELECT MIN(created_at) FROM {COMMITMENT}")  # noqa: S608
    (first,) = cursor.fetchone()
    if first is None:
        return None
    if isinstance(first, str):  # SQLite's raw value: a naive UTC timestamp
        first = dt.datetime.fromisoformat(first).replace(tzinfo=dt.UTC)
    return timezone.localdate(first)


def refresh(*, today=None, using=DEFAULT_DB_ALIAS):
    """Keep every finished day from the first commitment's to yesterday, recomputing those
    the log marks as changed and the missing ones; forget the others. Returns how many days
    it computed (None: another refresh is running, PostgreSQL).

    A day is computed outside any transaction and written in one of its own, so a run
    holds the write lock only while it writes a day's rows, however long it takes. The log
    rows read at the start are deleted at the end, by id: a write committed meanwhile
    leaves its row, and the next run recomputes what it changed. On SQLite a deleted id is
    never given to a new row (AUTOINCREMENT), so even two runs at once (no lock there)
    delete only rows they read."""
    today = today or timezone.localdate()
    db = connections[using]
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            # One refresh at a time (a session lock: a run is many transactions).
            cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [KEPT])
            if not cursor.fetchone()[0]:
                return None
        try:
            return _refresh(cursor, today, using)
        finally:
            if db.vendor == "postgresql":
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [KEPT])


def _refresh(cursor, today, using):
    cursor.execute(f"SELECT id, day FROM {CHANGED}")  # noqa: S608
    changed = [(pk, as_date(day)) for pk, day in cursor.fetchall()]
    cursor.execute(f"SELECT day FROM {KEPT}")  # noqa: S608
    kept = {as_date(day) for (day,) in cursor.fetchall()}
    first = _first_day(cursor)
    wanted = set()
    if first is not None:
        wanted = {first + ONE_DAY * n for n in range((today - first).days)}
    dirty = min((day for _, day in changed), default=today)
    todo = sorted(
        (day for day in wanted if day not in kept or day >= dirty), reverse=True
    )  # the latest first: the days most often asked for
    for day in todo:
        _keep(day, today, using)
    with transaction.atomic(using=using):
        for day in kept - wanted:
            cursor.execute(f"DELETE FROM {ROWS} WHERE day = %s", [day])  # noqa: S608
            cursor.execute(f"DELETE FROM {KEPT} WHERE day = %s", [day])  # noqa: S608
        ids = [pk for pk, _ in changed]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {CHANGED} WHERE id IN ({marks})", chunk)  # noqa: S608
    return len(todo)


def sample(*, today=None, spread=5, using=DEFAULT_DB_ALIAS):
    """Kept clean days to check against the live computation: the last seven, and `spread`
    more spread over the rest."""
    today = today or timezone.localdate()
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT k.day FROM {KEPT} k WHERE k.day < %s AND NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {CHANGED} c WHERE c.day <= k.day) ORDER BY k.day",
            [today],
        )
        days = [as_date(day) for (day,) in cursor.fetchall()]
    older = days[:-7]
    step = max(1, len(older) // spread) if older else 1
    return sorted(set(days[-7:]) | set(itertools.islice(older, 0, None, step)))


def drift(*, today=None, using=DEFAULT_DB_ALIAS):
    """The sampled kept days whose rows differ from the day computed live, [day]."""
    from .queries import _folded

    today = today or timezone.localdate()
    drifted = []
    for day in sample(today=today, using=using):
        kept = _folded(day, kept_rows(day, using=using))
        live = _folded(day, _live_rows(day, today, using))
        # Still clean: a write committed meanwhile would explain a difference.
        if kept != live and is_clean(day, using=using):
            drifted.append(day)
    return drifted
