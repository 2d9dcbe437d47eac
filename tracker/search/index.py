"""The full-text index behind /search/, kept in step by database triggers.

One row per searchable thing: a commitment (reference, title, description), a status
update's assessment, a piece of evidence's quote and a paragraph of a source's text. Its
id encodes what it is: kind code × 2⁴⁰ + object id, so a trigger finds its row by primary
key and each kind is one contiguous id range (a kind filter, and "the newest matches of a
kind", are a range scan of the index, not a filter over every match). Beside the text it
keeps the commitment (quotes and assessments: their update's; for the area and party
filters), the source (paragraphs: for the same filters, through the evidence citing it) and
a date (for the date range): a commitment's creation, an update's as-of date, a source's
publication date.

- SQLite: an FTS5 virtual table (porter stemming, diacritics folded), ranked by bm25.
- PostgreSQL: a table partitioned by kind with a generated `to_tsvector('english', body)`
  column under a GIN index and a `(day, id)` index, queried with websearch_to_tsquery
  (which rows, newest.py) and ranked by ts_rank_cd.

Triggers write it in the same transaction as every write to those tables, whoever writes
(services, admin, raw SQL, a restore), including the dates copied from other rows (an
update's as-of date into its quotes' rows, a source's publication date into its
paragraphs'). Like tracker/dataversion.py, the table and triggers are (re)created after every
`migrate`, not by a migration (SQLite drops a table's triggers when a migration rebuilds
it), and it is not a model, so backups and `flush` pass it by; on a fresh install, or when
empty, it is filled from the tables in one INSERT … SELECT per kind (`fill`). A bulk load
(bench/generate.py) drops it first (`drop`) and installs it again at the end, which fills it
in bulk and only then builds PostgreSQL's GIN and date indexes.

Every piece of SQL here is made of constants only (hence the file-wide S608 exemption).
"""
# ruff: noqa: S608

from django.db import DEFAULT_DB_ALIAS, connections

TABLE = "tracker_search"
KINDS = {"commitment": 0, "assessment": 1, "quote": 2, "text": 3}
SPAN = 1 << 40  # ids of a kind: code * SPAN + object id
LABELS = {
    "commitment": "Commitments",
    "assessment": "Assessments",
    "quote": "Evidence quotes",
    "text": "Source text",
}
# The columns every row has; then each database's filter columns (FACETS), derived from the
# row's commitment and day.
COLUMNS = "commitment_id, source_id, day, body"


def kind_of(index_id):
    return index_id // SPAN


def object_id(index_id):
    return index_id % SPAN


def id_range(kind):
    """The first and last index id of a kind."""
    return KINDS[kind] * SPAN, (KINDS[kind] + 1) * SPAN - 1


# For each kind: the table, the columns whose change re-indexes a row, then for row `r` (NEW
# in a trigger, a table alias in fill): its index id, its commitment, its source, its day and
# its text (SQL), the condition for it to be indexed, and where its commitment and day are
# read from (a FROM clause; `u` its status update) when not from the row itself.
SOURCES = {
    "commitment": (
        "tracker_commitment",
        "reference, title, description, created_at",
        "{r}.id + {span0}",
        "{r}.id",
        "NULL",
        "{day_of_created}",
        "{r}.reference || ' ' || {r}.title || ' ' || {r}.description",
        "1 = 1",
        None,
    ),
    "assessment": (
        "tracker_statusupdate",
        "assessment, as_of, commitment_id",
        "{r}.id + {span1}",
        "{r}.commitment_id",
        "NULL",
        "{r}.as_of",
        "{r}.assessment",
        "{r}.assessment <> ''",
        None,
    ),
    "quote": (
        "tracker_evidence",
        "quote, status_update_id",
        "{r}.id + {span2}",
        "u.commitment_id",
        "NULL",
        "u.as_of",
        "{r}.quote",
        "1 = 1",
        "tracker_statusupdate u WHERE u.id = {r}.status_update_id",
    ),
    "text": (
        "tracker_sourceparagraph",
        "text, source_id",
        "{r}.id + {span3}",
        "NULL",
        "{r}.source_id",
        "s.published_on",
        "{r}.text",
        "1 = 1",
        "tracker_source s WHERE s.id = {r}.source_id",
    ),
}
SPANS = {f"span{code}": code * SPAN for code in KINDS.values()}
ID = {"sqlite": "rowid", "postgresql": "id"}
DAY_OF_CREATED = {
    "sqlite": "date({r}.created_at)",
    "postgresql": "({r}.created_at AT TIME ZONE 'UTC')::date",
}
# The commitments a row is of (its filters'): a commitment's, assessment's or quote's own; a
# paragraph's, those whose evidence cites its source.
CITING = (
    "SELECT u.commitment_id FROM tracker_evidence e JOIN tracker_statusupdate u "
    "ON u.id = e.status_update_id WHERE e.source_id = {source}"
)
COMMITMENTS_OF = {
    "commitment": "SELECT {r}.id",
    "assessment": "SELECT {r}.commitment_id",
    "quote": "SELECT u.commitment_id FROM tracker_statusupdate u WHERE u.id = {r}.status_update_id",
    "text": CITING.format(source="{r}.source_id"),
}
# An index row's own commitments, when it is stamped again (in an UPDATE of the index).
OWN_COMMITMENTS = f"SELECT {TABLE}.commitment_id UNION ALL " + CITING.format(
    source=f"{TABLE}.source_id"
)
# The area and party filters' columns, from the row's commitments {cs}: on SQLite an FTS5
# column of tokens (`a3 p7 p9`) the query intersects with the words' in the index itself;
# on PostgreSQL arrays its newest-first walk reads in place, without a join.
FACETS = {
    "sqlite": {
        "facets": "(SELECT group_concat(t, ' ') FROM (SELECT 'a' || c.area_id AS t "
        "FROM tracker_commitment c WHERE c.id IN ({cs}) UNION SELECT 'p' || cp.party_id "
        "FROM tracker_commitmentparty cp WHERE cp.commitment_id IN ({cs}) ORDER BY 1))",
    },
    "postgresql": {
        "area_ids": "ARRAY(SELECT DISTINCT c.area_id FROM tracker_commitment c "
        "WHERE c.id IN ({cs}) ORDER BY 1)",
        "party_ids": "ARRAY(SELECT DISTINCT cp.party_id FROM tracker_commitmentparty cp "
        "WHERE cp.commitment_id IN ({cs}) ORDER BY 1)",
    },
}
# SQLite's date range: a day as tokens of its day, month, year, decade, century and
# millennium, so that a range is a few dozen tokens (query.date_tokens). PostgreSQL reads
# the day column through its (day, id) index (newest.py).
DATES = {
    "sqlite": {
        "dates": "'d' || replace({d}, '-', '') || ' m' || substr({d}, 1, 4) || "
        "substr({d}, 6, 2) || ' y' || substr({d}, 1, 4) || ' x' || substr({d}, 1, 3) || "
        "' c' || substr({d}, 1, 2) || ' k' || substr({d}, 1, 1)",
    },
    "postgresql": {},
}


def facet_columns(vendor):
    return ", ".join([*FACETS[vendor], *DATES[vendor]])


SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5("
    "body, commitment_id UNINDEXED, source_id UNINDEXED, day UNINDEXED, facets, dates, "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)
# Partitioned by kind, so that each kind has its own statistics: the planner then sees that a
# word common in quotes is absent from assessments, and takes the GIN index there.
POSTGRES_TABLE = [
    f"CREATE TABLE {TABLE} (id bigint PRIMARY KEY, commitment_id bigint, source_id bigint, "
    "day date, body text NOT NULL, area_ids bigint[], party_ids bigint[], "
    "document tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED) "
    "PARTITION BY RANGE (id)",
    *(
        f"CREATE TABLE {TABLE}_{kind} PARTITION OF {TABLE} "
        f"FOR VALUES FROM ({code * SPAN}) TO ({(code + 1) * SPAN})"
        for kind, code in KINDS.items()
    ),
]
POSTGRES_GIN = f"CREATE INDEX IF NOT EXISTS {TABLE}_document_idx ON {TABLE} USING GIN (document)"
# A date range's newest rows: where its window starts, and the rows dated in it above that
# (tracker/search/newest.py).
POSTGRES_DAY = f"CREATE INDEX IF NOT EXISTS {TABLE}_day_idx ON {TABLE} (day, id)"


def select(vendor, kind, row):
    """The values of an index row (SQL, in the order of `all_columns`) and the condition."""
    _, _, index_id, commitment, source, day, body, condition, via = SOURCES[kind]
    day_of_created = DAY_OF_CREATED[vendor].format(r=row)

    def of(sql):
        sql = sql.format(r=row, day_of_created=day_of_created, **SPANS)
        return f"(SELECT {sql} FROM {via.format(r=row)})" if via and sql != "NULL" else sql

    commitments = COMMITMENTS_OF[kind].format(r=row)
    values = [index_id.format(r=row, **SPANS), of(commitment), source.format(r=row), of(day)]
    values.append(body.format(r=row))
    values += [value.format(cs=commitments) for value in FACETS[vendor].values()]
    values += [of(value.format(d=day)) for value in DATES[vendor].values()]
    return ", ".join(values), condition.format(r=row)


def all_columns(vendor):
    return f"{COLUMNS}, {facet_columns(vendor)}"


def ready(db):
    existing = set(db.introspection.table_names())
    return all(SOURCES[kind][0] in existing for kind in SOURCES)


def current(db, cursor):
    """Whether the index table exists in this version's shape (None: it does not exist)."""
    if db.vendor == "sqlite":
        cursor.execute("SELECT name FROM pragma_table_info(%s)", [TABLE])
    else:
        cursor.execute(
            "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE c.oid = to_regclass(%s) AND c.relkind = 'p' AND a.attnum > 0 "
            "UNION ALL SELECT 'unpartitioned' WHERE to_regclass(%s) IS NOT NULL",
            [TABLE, TABLE],
        )
    columns = {name for (name,) in cursor.fetchall()}
    return set(FACETS[db.vendor]) <= columns if columns else None


def install(using=DEFAULT_DB_ALIAS, **kwargs):
    """Create the index and its triggers where missing, and fill it when empty (idempotent).

    An index of an earlier shape is dropped and made again."""
    from . import triggers  # which imports this module's definitions

    db = connections[using]
    if db.vendor not in ("sqlite", "postgresql") or not ready(db):
        return  # migrating part-way (e.g. a test's migration history): nothing to index yet
    with db.cursor() as cursor:
        shape = current(db, cursor)
        if shape is False:
            drop(using)
        if not shape:
            for sql in [SQLITE_TABLE] if db.vendor == "sqlite" else POSTGRES_TABLE:
                cursor.execute(sql)
        cursor.execute(f"SELECT 1 FROM {TABLE} LIMIT 1")
        if cursor.fetchone() is None:
            fill(cursor, db.vendor)
        statements = triggers.statements(db.vendor, cursor)
        if db.vendor == "postgresql":
            statements = [POSTGRES_GIN, POSTGRES_DAY, *statements]
        for sql in statements:
            cursor.execute(sql)
        if not shape and db.vendor == "postgresql":
            cursor.execute(f"ANALYZE {TABLE}")


def drop(using=DEFAULT_DB_ALIAS):
    """Drop the index and its triggers (a bulk load; `install` makes them again, filled)."""
    from . import triggers  # which imports this module's definitions

    db = connections[using]
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            for name in triggers.sqlite_trigger_names(cursor):
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        elif db.vendor == "postgresql":
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
            for function in triggers.functions():
                cursor.execute(f"DROP FUNCTION IF EXISTS {function}() CASCADE")


def fill(cursor, vendor):
    id_column = ID[vendor]
    for kind, (table, *_) in SOURCES.items():
        columns, condition = select(vendor, kind, "r")
        cursor.execute(
            f"INSERT INTO {TABLE} ({id_column}, {all_columns(vendor)}) "
            f"SELECT {columns} FROM {table} r WHERE {condition}"
        )


def rows(using=DEFAULT_DB_ALIAS):
    """Every row of the index, in id order: (id, commitment_id, source_id, day, body, and the
    database's filter columns)."""
    db = connections[using]
    id_column = ID[db.vendor]
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT {id_column}, commitment_id, source_id, CAST(day AS text), body, "
            f"{facet_columns(db.vendor)} FROM {TABLE} ORDER BY {id_column}"
        )
        return cursor.fetchall()


def rebuild(using=DEFAULT_DB_ALIAS):
    """Make the index again from the tables, in bulk; returns the number of rows."""
    drop(using)
    install(using)
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        return cursor.fetchone()[0]
