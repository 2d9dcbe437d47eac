"""The dashboard's counts kept at write time: today's commitments by area, owner and party
and status, with how many of them are overdue for review; and, for the trend, the status
periods that started and ended each day.

Counting them on a read meant reading every commitment and, for the party breakdown, every
party it binds: the one part of the dashboard that grew with the data (bench/README.md).
Here database triggers on tracker_commitment and tracker_commitmentparty append a row of
±1 to tracker_statustally in the same transaction as every write that changes a
commitment's area, owner, status or review date or the parties it binds, whoever writes
(services, the admin, QuerySet.update(), raw SQL, a restore). A read sums the rows.

- Append-only: two writers never update one row, so the tallies take no lock and cannot
  deadlock a writer; the rows are summed on read (a few hundred at most a day).
- "Overdue" (next review before the day) is counted against the day in
  tracker_statustally_day. When that is not today, or a row was counted against another day
  (a write racing the change of day), `read` recomputes every tally from the commitments in
  one statement, which also folds the appended rows into one per count. The worker does it
  at midnight (`refresh_dashboard_tallies`, schedule TRACKER_SCHEDULE_DASHBOARD_TALLIES),
  so the first dashboard of the day need not; so does a read after a bulk write.
- As for tracker/dataversion.py and the search index, the tables and triggers are
  (re)created after every `migrate`, not by a migration, and are no model: backups,
  restores and `flush` pass them by. A restore or a bulk load refreshes them after.
- The trend's rows (tracker_trendtally, one ±1 row per period opened, closed or removed, by
  triggers on tracker_statusperiod) need no day: the nightly job folds them into one per day
  and status. Summing a year of them reads some 3,000 rows instead of the 20,000 period
  starts and ends of 10,000 commitments' year.
- `verify_integrity` compares both with a count made from the commitments and periods.
"""

import datetime as dt

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

TABLE = "tracker_statustally"
DAY_TABLE = "tracker_statustally_day"
COMMITMENT = "tracker_commitment"
LINK = "tracker_commitmentparty"
PERIOD = "tracker_statusperiod"
# The trend's: status periods that started and ended each day, by status.
TREND = "tracker_trendtally"
# Nobody owns it: the owner dimension's key for a commitment without an owner.
NOBODY = 0
# Rows appended beyond one per count before a read counts afresh instead.
FOLD_AFTER = 2_000
# READ's kinds of row: "day", the day the tallies were counted against; "kept", the days
# and number of the kept rows; then one per count.
DIMENSIONS = {"day", "kept", "area", "owner", "party"}

CREATE = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} (dimension varchar(5) NOT NULL, key bigint NOT NULL, "
    "status varchar(32) NOT NULL, day date NOT NULL, n integer NOT NULL, "
    "overdue integer NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {DAY_TABLE} "
    "(id integer PRIMARY KEY CHECK (id = 1), day date NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {TREND} (day date NOT NULL, status varchar(32) NOT NULL, "
    "started integer NOT NULL, ended integer NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {TREND}_day ON {TREND} (day, status, started, ended)",
]


def _append(dimension, key, row, sign, tables="", where=""):
    """INSERT of a ±1 row of commitment `row` (NEW, OLD, or `c` joined to a link row)."""
    late = f"CASE WHEN {row}.next_review_due < d.day THEN {sign} ELSE 0 END"
    return (
        f"INSERT INTO {TABLE} (dimension, key, status, day, n, overdue) "  # noqa: S608
        f"SELECT '{dimension}', {key}, {row}.current_status, d.day, {sign}, {late} "
        f"FROM {tables}{DAY_TABLE} d{where}"
    )


def _commitment(row, sign):
    """The rows of a commitment: its area, its owner and each party it binds."""
    return [
        _append("area", f"{row}.area_id", row, sign),
        _append("owner", f"COALESCE({row}.owner_id, {NOBODY})", row, sign),
        _append(
            "party", "cp.party_id", row, sign, f"{LINK} cp, ", f" WHERE cp.commitment_id = {row}.id"
        ),
    ]


def _link(row, sign):
    """The row of one party bound by a commitment."""
    return [
        _append(
            "party",
            f"{row}.party_id",
            "c",
            sign,
            f"{COMMITMENT} c, ",
            f" WHERE c.id = {row}.commitment_id",
        )
    ]


def _period(row, sign):
    """The rows of a status period: it started on valid_from and, once closed, ended."""
    insert = f"INSERT INTO {TREND} (day, status, started, ended) "
    return [
        f"{insert}VALUES ({row}.valid_from, {row}.status, {sign}, 0)",
        f"{insert}SELECT {row}.valid_to, {row}.status, 0, {sign} WHERE {row}.valid_to IS NOT NULL",
    ]


def _changed(*columns):
    return " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in columns)


# (table, operation, condition, statements): what each write appends. A new commitment
# binds no party yet (its link rows, written after it, add its party counts); a deleted
# one binds none any more (Django deletes the link rows first).
TRIGGERS = [
    (COMMITMENT, "INSERT", None, _commitment("NEW", 1)),
    (COMMITMENT, "DELETE", None, _commitment("OLD", -1)),
    (
        COMMITMENT,
        "UPDATE",
        _changed("area_id", "owner_id", "current_status", "next_review_due"),
        _commitment("OLD", -1) + _commitment("NEW", 1),
    ),
    (LINK, "INSERT", None, _link("NEW", 1)),
    (LINK, "DELETE", None, _link("OLD", -1)),
    (LINK, "UPDATE", _changed("party_id", "commitment_id"), _link("OLD", -1) + _link("NEW", 1)),
    (PERIOD, "INSERT", None, _period("NEW", 1)),
    (PERIOD, "DELETE", None, _period("OLD", -1)),
    (
        PERIOD,
        "UPDATE",
        _changed("valid_from", "valid_to", "status"),
        _period("OLD", -1) + _period("NEW", 1),
    ),
]


def create_trigger(cursor, vendor, name, table, op, condition, body):
    """(Re)create the row trigger `name`: after `op` on `table`, when `condition` (SQL on
    OLD and NEW, or None), run `body` (statements separated by "; ")."""
    if vendor == "sqlite":
        # SQLite's IS NOT is PostgreSQL's IS DISTINCT FROM.
        when = f" WHEN {condition.replace('IS DISTINCT FROM', 'IS NOT')}" if condition else ""
        cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        cursor.execute(f'CREATE TRIGGER "{name}" AFTER {op} ON "{table}"{when} BEGIN {body}; END')
    else:
        when = f" WHEN ({condition})" if condition else ""
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN {body}; RETURN NULL; END $$"
        )
        cursor.execute(
            f'CREATE OR REPLACE TRIGGER "{name}" AFTER {op} ON "{table}" '
            f"FOR EACH ROW{when} EXECUTE FUNCTION {name}()"
        )


def install(using=DEFAULT_DB_ALIAS, **kwargs):
    """Create the tables and triggers where missing, and count afresh (idempotent)."""
    db = connections[using]
    existing = set(db.introspection.table_names())
    if db.vendor not in ("sqlite", "postgresql") or not {COMMITMENT, LINK, PERIOD} <= existing:
        return  # migrating part-way: nothing to count yet
    with db.cursor() as cursor:
        for sql in CREATE:
            cursor.execute(sql)
        for table, op, condition, statements in TRIGGERS:
            name = f"tracker_tally_{table.removeprefix('tracker_')}_{op.lower()}"
            create_trigger(cursor, db.vendor, name, table, op, condition, "; ".join(statements))
        if db.vendor == "postgresql":
            # TRUNCATE fires no row trigger: forget the day, so the next read counts afresh,
            # and the trend's rows (a truncated table of periods has none).
            forget = (
                f"DELETE FROM {DAY_TABLE}; "  # noqa: S608 - constants only
                f"DELETE FROM {TREND} WHERE TG_TABLE_NAME <> '{LINK}'"
            )
            cursor.execute(
                "CREATE OR REPLACE FUNCTION tracker_tally_truncate() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN {forget}; RETURN NULL; END $$"
            )
            for table in (COMMITMENT, LINK, PERIOD):
                cursor.execute(
                    f'CREATE OR REPLACE TRIGGER "tracker_tally_{table}_truncate" AFTER TRUNCATE '
                    f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION tracker_tally_truncate()'
                )
    rebuild(using=using)


def rebuild(*, using=DEFAULT_DB_ALIAS):
    """Count every kept row afresh: after migrate, a restore, a bulk load, and nightly."""
    refresh(using=using)
    refresh_trend(using=using)


COUNT = f"""
    SELECT 'area' AS dimension, c.area_id AS key, c.current_status AS status, %s AS day,
           COUNT(*) AS n, SUM(CASE WHEN c.next_review_due < %s THEN 1 ELSE 0 END) AS overdue
      FROM {COMMITMENT} c GROUP BY 2, 3
    UNION ALL
    SELECT 'owner', COALESCE(c.owner_id, {NOBODY}), c.current_status, %s, COUNT(*),
           SUM(CASE WHEN c.next_review_due < %s THEN 1 ELSE 0 END)
      FROM {COMMITMENT} c GROUP BY 2, 3
    UNION ALL
    SELECT 'party', cp.party_id, c.current_status, %s, COUNT(*),
           SUM(CASE WHEN c.next_review_due < %s THEN 1 ELSE 0 END)
      FROM {COMMITMENT} c JOIN {LINK} cp ON cp.commitment_id = c.id GROUP BY 2, 3
"""  # noqa: S608 - constants only
COLUMNS = "(dimension, key, status, day, n, overdue)"


def refresh(*, day=None, using=DEFAULT_DB_ALIAS):
    """Count every tally afresh against `day` (today), in one transaction."""
    day = day or timezone.localdate()
    db = connections[using]
    params = [day] * 6
    with transaction.atomic(using=using), db.cursor() as cursor:
        if db.vendor == "postgresql":
            # One refresh at a time; the rows are replaced in one statement, so a write
            # committed meanwhile is either in its count or in a row it appends.
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [TABLE])
            cursor.execute(
                f"WITH gone AS (DELETE FROM {TABLE}) INSERT INTO {TABLE} {COLUMNS} {COUNT}",  # noqa: S608
                params,
            )
            cursor.execute(
                f"INSERT INTO {DAY_TABLE} (id, day) VALUES (1, %s) "  # noqa: S608
                "ON CONFLICT (id) DO UPDATE SET day = EXCLUDED.day",
                [day],
            )
        else:
            cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608
            cursor.execute(f"INSERT INTO {TABLE} {COLUMNS} {COUNT}", params)  # noqa: S608
            cursor.execute(f"INSERT OR REPLACE INTO {DAY_TABLE} (id, day) VALUES (1, %s)", [day])  # noqa: S608


# The trend's rows counted from the periods, one per day and status.
TREND_COUNT = f"""
    SELECT day, status, SUM(started) AS started, SUM(ended) AS ended FROM (
      SELECT valid_from AS day, status, 1 AS started, 0 AS ended FROM {PERIOD}
      UNION ALL
      SELECT valid_to, status, 0, 1 FROM {PERIOD} WHERE valid_to IS NOT NULL
    ) events GROUP BY 1, 2
"""  # noqa: S608 - constants only


def refresh_trend(*, using=DEFAULT_DB_ALIAS):
    """Fold the trend's rows into one per day and status, counted from the periods (the
    nightly job, a restore, a bulk load: some 0.1 s a million updates)."""
    db = connections[using]
    with transaction.atomic(using=using), db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [TREND])
            cursor.execute(
                f"WITH gone AS (DELETE FROM {TREND}) INSERT INTO {TREND} {TREND_COUNT}"  # noqa: S608
            )
        else:
            cursor.execute(f"DELETE FROM {TREND}")  # noqa: S608
            cursor.execute(f"INSERT INTO {TREND} {TREND_COUNT}")  # noqa: S608


def trend_weeks(week, start, until):
    """(sql, params): (week, status, 0, started, ended) of the periods started and ended in
    (start, until], by week (`week`: the SQL of a row's week, from its `day` and `until`),
    in one pass over the window's rows."""
    sql = (
        f"SELECT {week}, status, 0, SUM(started), SUM(ended) FROM {TREND} "  # noqa: S608
        "WHERE day > %s AND day <= %s GROUP BY 1, 2"
    )
    return sql, [until, start, until]


def trend_drift():
    """[(day, status, started, ended)] kept minus counted, where they differ (one statement)."""
    compare = f"""
        SELECT day, status, SUM(started), SUM(ended) FROM (
          SELECT day, status, started, ended FROM {TREND}
          UNION ALL
          SELECT day, status, -started, -ended FROM ({TREND_COUNT}) counted
        ) both_ GROUP BY 1, 2 HAVING SUM(started) <> 0 OR SUM(ended) <> 0
    """  # noqa: S608 - constants only
    with connection.cursor() as cursor:
        cursor.execute(compare)
        return [(as_date(day), status, int(a), int(b)) for day, status, a, b in cursor]


# The day counted against; then the days and number of the kept rows, for `fresh`; then
# the counts. (Days only in the first two rows: a date per count cost more than the sums.)
READ = f"""
    SELECT 'day', {NOBODY}, '', day, 0, 0, day, 0 FROM {DAY_TABLE}
    UNION ALL
    SELECT 'kept', {NOBODY}, '', MIN(day), 0, 0, MAX(day), COUNT(*) FROM {TABLE}
    UNION ALL
    SELECT dimension, key, status, NULL, SUM(n), SUM(overdue), NULL, COUNT(*)
      FROM {TABLE} GROUP BY 1, 2, 3
"""  # noqa: S608 - constants only


def as_date(value):
    """A date from a raw cursor (SQLite gives text)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def fresh(rows, today):
    """Whether READ's rows were all counted against today (and there is a day), in not many
    more rows than counts (a bulk write appends thousands: counting afresh folds them)."""
    day = [row for row in rows if row[0] == "day"]
    _, _, _, first, _, _, last, kept = next(row for row in rows if row[0] == "kept")
    appended = kept - (len(rows) - len(day) - 1)
    return (
        bool(day)
        and as_date(day[0][3]) == today
        and (not kept or as_date(first) == as_date(last) == today)
        and appended <= FOLD_AFTER
    )


def counts(rows):
    """{(dimension, key): [(status, n, overdue)]} from READ's rows, empty counts left out."""
    result = {}
    for dimension, key, status, _day, n, overdue, *_ in rows:
        if dimension not in ("day", "kept") and n:
            key = None if dimension == "owner" and key == NOBODY else key
            # int: PostgreSQL sums integers as numeric.
            result.setdefault((dimension, key), []).append((status, int(n), int(overdue)))
    return result


def read(today, also="", params=()):
    """The tallies, counted afresh first when they were not counted against today.

    `also`, a SELECT of eight columns like READ's (its first a kind other than a dimension),
    is read in the same query: its rows are returned apart. Returns (counts, its rows)."""
    sql = f"{READ} UNION ALL {also}" if also else READ
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if not fresh([row for row in rows if row[0] in DIMENSIONS], today):
            refresh(day=today)
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    return counts([row for row in rows if row[0] in DIMENSIONS]), [
        row for row in rows if row[0] not in DIMENSIONS
    ]


def drift(today):
    """{(dimension, key, status): (n, overdue) kept minus counted} where they differ.

    Kept and counted are read by one statement, so from one snapshot: a write committed
    meanwhile is in both or in neither. Nothing drifts while the tallies were counted
    against another day: the next read counts them afresh anyway."""
    compare = f"""
        SELECT dimension, key, status, SUM(n), SUM(overdue) FROM (
          SELECT dimension, key, status, n, overdue FROM {TABLE}
          UNION ALL
          SELECT dimension, key, status, -n, -overdue FROM ({COUNT}) counted
        ) both_ GROUP BY 1, 2, 3 HAVING SUM(n) <> 0 OR SUM(overdue) <> 0
    """  # noqa: S608 - constants only
    with connection.cursor() as cursor:
        cursor.execute(READ)
        if not fresh(cursor.fetchall(), today):
            return {}
        cursor.execute(compare, [today] * 6)
        return {(dim, key, status): (int(n), int(late)) for dim, key, status, n, late in cursor}
