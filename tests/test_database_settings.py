"""The database settings PostgreSQL gets from DATABASE_URL (read in a fresh process)."""

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
