"""The full-text index behind /search/, kept in step by database triggers.

One row per searchable thing: a commitment (reference, title, description), a status
update's assessment, a piece of evidence's quote and a paragraph of a source's text. Its
id encodes what it is: object id × 4 + kind, so a trigger finds its row by primary key.
Beside the text it keeps the commitment (for the area and party filters) and a date (for
the date range).

- SQLite: an FTS5 virtual table (porter stemming, diacritics folded), ranked by bm25.
- PostgreSQL: a table with a generated `to_tsvector('english', body)` column under a GIN
  index, queried with websearch_to_tsquery and ranked by ts_rank_cd.

Triggers write it in the same transaction as every write to those tables, whoever writes
(services, admin, raw SQL, a restore). Like tracker/dataversion.py, the table and triggers
are (re)created after every `migrate`, not by a migration (SQLite drops a table's triggers
when a migration rebuilds it), and it is not a model, so backups and `flush` pass it by; on
a fresh install, or when empty, it is filled from the tables (`rebuild`).
"""

from django.db import DEFAULT_DB_ALIAS, connections

TABLE = "tracker_search"
KINDS = {"commitment": 0, "assessment": 1, "quote": 2, "text": 3}
LABELS = {
    "commitment": "Commitments",
    "assessment": "Assessments",
    "quote": "Evidence quotes",
    "text": "Source text",
}

# For each kind: the table, the columns whose change re-indexes a row, and the SELECT giving
# (id, commitment_id, day, body) of row `r` (NEW or OLD in a trigger, a table alias in rebuild).
SOURCES = {
    "commitment": (
        "tracker_commitment",
        "reference, title, description, created_at",
        "{r}.id * 4 + 0, {r}.id, {day_of_created}, "
        "{r}.reference || ' ' || {r}.title || ' ' || {r}.description",
        "1 = 1",
    ),
    "assessment": (
        "tracker_statusupdate",
        "assessment, as_of, commitment_id",
        "{r}.id * 4 + 1, {r}.commitment_id, {r}.as_of, {r}.assessment",
        "{r}.assessment <> ''",
    ),
    "quote": (
        "tracker_evidence",
        "quote, status_update_id",
        "{r}.id * 4 + 2, "
        "(SELECT u.commitment_id FROM tracker_statusupdate u WHERE u.id = {r}.status_update_id), "
        "(SELECT u.as_of FROM tracker_statusupdate u WHERE u.id = {r}.status_update_id), "
        "{r}.quote",
        "1 = 1",
    ),
    "text": (
        "tracker_sourceparagraph",
        "text, source_id",
        "{r}.id * 4 + 3, NULL, "
        "(SELECT s.published_on FROM tracker_source s WHERE s.id = {r}.source_id), {r}.text",
        "1 = 1",
    ),
}
DAY_OF_CREATED = {
    "sqlite": "date({r}.created_at)",
    "postgresql": "({r}.created_at AT TIME ZONE 'UTC')::date",
}

SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    "body, commitment_id UNINDEXED, day UNINDEXED, "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)
POSTGRES_TABLE = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigint PRIMARY KEY, commitment_id bigint, "
    "day date, body text NOT NULL, "
    "document tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_document_idx ON {TABLE} USING GIN (document)",
]


def select(vendor, kind, row):
    _, _, columns, condition = SOURCES[kind]
    day = DAY_OF_CREATED[vendor].format(r=row)
    return columns.format(r=row, day_of_created=day), condition.format(r=row)


def sqlite_triggers(kind):
    table, watched, _, _ = SOURCES[kind]
    code = KINDS[kind]
    new_columns, new_condition = select("sqlite", kind, "NEW")
    insert = (
        f"INSERT INTO {TABLE} (rowid, commitment_id, day, body) "
        f"SELECT {new_columns} WHERE {new_condition};"
    )
    delete = f"DELETE FROM {TABLE} WHERE rowid = OLD.id * 4 + {code};"  # noqa: S608
    name = f"tracker_search_{table}"
    return [
        f'CREATE TRIGGER IF NOT EXISTS "{name}_insert" AFTER INSERT ON "{table}" '
        f"BEGIN {insert} END",
        f'CREATE TRIGGER IF NOT EXISTS "{name}_update" AFTER UPDATE OF {watched} ON "{table}" '
        f"BEGIN {delete} {insert} END",
        f'CREATE TRIGGER IF NOT EXISTS "{name}_delete" AFTER DELETE ON "{table}" '
        f"BEGIN {delete} END",
    ]


def postgres_triggers(kind):
    table, watched, _, _ = SOURCES[kind]
    code = KINDS[kind]
    new_columns, new_condition = select("postgresql", kind, "NEW")
    function = f"tracker_search_{kind}"
    body = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM {TABLE} WHERE id = OLD.id * 4 + {code};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO {TABLE} (id, commitment_id, day, body)
    SELECT {new_columns} WHERE {new_condition};
  END IF;
  RETURN NULL;
END $$"""  # noqa: S608 - constants only
    return [
        body,
        f'CREATE OR REPLACE TRIGGER "{function}" AFTER INSERT OR DELETE OR UPDATE OF {watched} '
        f'ON "{table}" FOR EACH ROW EXECUTE FUNCTION {function}()',
        # `flush` and a restore's clean-up TRUNCATE; the index goes with the data.
        f'CREATE OR REPLACE TRIGGER "{function}_truncate" AFTER TRUNCATE ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION tracker_search_truncate()",
    ]


POSTGRES_TRUNCATE = f"""
CREATE OR REPLACE FUNCTION tracker_search_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE {TABLE};
  RETURN NULL;
END $$"""


def install(using=DEFAULT_DB_ALIAS, **kwargs):
    """Create the index and its triggers where missing, and fill it when empty (idempotent)."""
    db = connections[using]
    existing = set(db.introspection.table_names())
    if not all(SOURCES[kind][0] in existing for kind in SOURCES):
        return  # migrating part-way (e.g. a test's migration history): nothing to index yet
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.execute(SQLITE_TABLE)
            statements = [sql for kind in SOURCES for sql in sqlite_triggers(kind)]
        elif db.vendor == "postgresql":
            for sql in POSTGRES_TABLE:
                cursor.execute(sql)
            statements = [POSTGRES_TRUNCATE]
            statements += [sql for kind in SOURCES for sql in postgres_triggers(kind)]
        else:
            return
        for sql in statements:
            cursor.execute(sql)
        cursor.execute(f"SELECT 1 FROM {TABLE} LIMIT 1")  # noqa: S608
        if cursor.fetchone() is None:
            fill(cursor, db.vendor)


def fill(cursor, vendor):
    id_column = "rowid" if vendor == "sqlite" else "id"
    for kind, (table, _, _, _) in SOURCES.items():
        columns, condition = select(vendor, kind, "r")
        cursor.execute(
            f"INSERT INTO {TABLE} ({id_column}, commitment_id, day, body) "  # noqa: S608
            f"SELECT {columns} FROM {table} r WHERE {condition}"
        )


def rebuild(using=DEFAULT_DB_ALIAS):
    """Empty the index and fill it again from the tables; returns the number of rows."""
    db = connections[using]
    install(using)
    with db.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608
        fill(cursor, db.vendor)
        cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608
        return cursor.fetchone()[0]
