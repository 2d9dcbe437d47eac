"""The database settings: PostgreSQL's from DATABASE_URL, SQLite's by default (each read in
a fresh process)."""

import json

import pytest

from tests import production

SHOW_OPTIONS = (
    "import json; from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
)
URL = "postgres://tracker:secret@db.example.org:5432/tracker"


def options(**env):
    return json.loads(production.run(SHOW_OPTIONS, DATABASE_URL=URL, **env).stdout)


def test_postgresql_prepares_what_runs_twice_and_never_compiles_plans():
    assert options() == {
        "options": "-c jit=off",
        "server_side_binding": True,
        "prepare_threshold": 2,
    }


@pytest.mark.parametrize("off", ["0", "false", "no"])
def test_a_connection_pooler_can_turn_prepared_statements_off(off):
    # PgBouncer before 1.21 in transaction mode hands a prepared statement's name to
    # another server connection; with the switch off nothing is prepared or bound there.
    assert options(DATABASE_PREPARED_STATEMENTS=off) == {"options": "-c jit=off"}


# A request's end as Django signals it (close_old_connections), then whether the connection
# the request used is still the one open.
KEEPS_CONNECTION = (
    "from django.core.signals import request_finished, request_started; "
    "from django.db import connection; "
    "request_started.send(sender=None); connection.ensure_connection(); "
    "opened = connection.connection; request_finished.send(sender=None); "
    "print(connection.connection is opened)"
)


def test_sqlite_keeps_its_connection_from_one_request_to_the_next(tmp_path):
    # Opening a SQLite connection (the file, the PRAGMAs, a cold page cache) cost every
    # page about 4 ms; kept open, the next request starts with a warm one.
    database = {"DATABASE_URL": "", "SQLITE_PATH": str(tmp_path / "db.sqlite3")}
    assert production.run(KEEPS_CONNECTION, **database).stdout.strip() == "True"
    closed = production.run(KEEPS_CONNECTION, CONN_MAX_AGE="0", **database)
    assert closed.stdout.strip() == "False"
