"""A token that changes with every write to the tracker's data, for caches that must never
serve stale numbers (the dashboard).

Database triggers give tracker_dataversion's one row a new random token in the same
transaction as every INSERT, UPDATE or DELETE on the tables below, whoever writes:
services, views, the admin, QuerySet.update(), raw SQL, a restore. A reader sees the token
and the data of one snapshot, so what is cached under a token describes exactly that data.

- Random, not a counter: the token of a rolled-back transaction must never come back
  standing for other data.
- SQLite: row triggers; there is one writer at a time, so no lock-ordering trouble.
- PostgreSQL: deferred constraint triggers, so the row is locked only at commit, after
  every other lock the transaction takes (no new deadlock), and bumped once per
  transaction; plus a statement trigger for TRUNCATE.
- The table and the triggers are (re)created after every `migrate` (post_migrate), not by
  a migration: on SQLite a migration that rebuilds a table drops that table's triggers.
  Not a model either: it is no data of its own, so backups, restores and `flush` pass it by.
"""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections

TABLE = "tracker_dataversion"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id integer PRIMARY KEY CHECK (id = 1), token bigint NOT NULL)"
)
# Tracker data the pages show; the audit log and the edit history are not among it.
NOT_WATCHED = {"auditevent", "historicalcommitment", "apitoken"}

SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS "{name}" AFTER {op} ON "{table}"
BEGIN UPDATE tracker_dataversion SET token = random() WHERE id = 1; END
"""
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION tracker_dataversion_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('tracker.data_version_bumped', true) IS DISTINCT FROM 'on' THEN
    PERFORM set_config('tracker.data_version_bumped', 'on', true);
    UPDATE tracker_dataversion SET token = floor(random() * 9e18)::bigint WHERE id = 1;
  END IF;
  RETURN NULL;
END $$
"""
POSTGRES_TRIGGERS = [
    'DROP TRIGGER IF EXISTS "{name}" ON "{table}"',
    'CREATE CONSTRAINT TRIGGER "{name}" AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tracker_dataversion_bump()",
    'CREATE OR REPLACE TRIGGER "{name}_truncate" AFTER TRUNCATE ON "{table}" '
    "FOR EACH STATEMENT EXECUTE FUNCTION tracker_dataversion_bump()",
]


def watched_tables():
    user = get_user_model()
    models = [
        model
        for model in apps.get_app_config("tracker").get_models(include_auto_created=True)
        if model._meta.model_name not in NOT_WATCHED
    ]
    # Owners' names and who is an analyst show on the pages too.
    models += [user, user.groups.through]
    return sorted({model._meta.db_table for model in models})


def install(using=DEFAULT_DB_ALIAS, **kwargs):
    """Create the table, its row and the triggers where missing (idempotent)."""
    db = connections[using]
    existing = set(db.introspection.table_names())
    tables = [table for table in watched_tables() if table in existing]
    with db.cursor() as cursor:
        cursor.execute(CREATE_TABLE)
        if db.vendor == "sqlite":
            cursor.execute(f"INSERT OR IGNORE INTO {TABLE} (id, token) VALUES (1, random())")  # noqa: S608
            for table in tables:
                for op in ("INSERT", "UPDATE", "DELETE"):
                    name = f"tracker_dv_{table}_{op.lower()}"
                    cursor.execute(SQLITE_TRIGGER.format(name=name, op=op, table=table))
        elif db.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {TABLE} (id, token) "  # noqa: S608
                "VALUES (1, floor(random() * 9e18)::bigint) ON CONFLICT (id) DO NOTHING"
            )
            cursor.execute(POSTGRES_FUNCTION)
            for table in tables:
                for sql in POSTGRES_TRIGGERS:
                    cursor.execute(sql.format(name=f"tracker_dv_{table}", table=table))


def current():
    """The token, or None when it cannot be trusted (then nothing is cached).

    Inside a transaction it may not reflect the transaction's own writes yet (PostgreSQL
    changes it at commit), and what the transaction sees may never be committed.
    """
    if connection.in_atomic_block:
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {TABLE} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else None
