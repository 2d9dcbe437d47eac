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
PARAGRAPHS_OF = f"SELECT p.id + {KINDS['text'] * SPAN} FROM tracker_sourceparagraph p "
# Every row whose filters a commitment's area or parties give.
ROWS_OF_COMMITMENT = (
    "SELECT {{c}} + {span0} UNION ALL SELECT u.id + {span1} FROM tracker_statusupdate u "
    "WHERE u.commitment_id = {{c}} UNION ALL SELECT e.id + {span2} FROM tracker_evidence e "
    "JOIN tracker_statusupdate u ON u.id = e.status_update_id WHERE u.commitment_id = {{c}} "
    "UNION ALL {paragraphs} WHERE p.source_id IN (SELECT e.source_id FROM tracker_evidence e "
    "JOIN tracker_statusupdate u ON u.id = e.status_update_id WHERE u.commitment_id = {{c}})"
).format(paragraphs=PARAGRAPHS_OF, **SPANS)
QUOTES_OF_UPDATE = (
    f"SELECT e.id + {KINDS['quote'] * SPAN} FROM tracker_evidence e "
    "WHERE e.status_update_id = NEW.id"
)


def facet_columns(vendor):
    return ", ".join([*FACETS[vendor], *DATES[vendor]])


def restamp(vendor, ids):
    """UPDATE giving the index rows `ids` the filters of their commitments (where changed)."""
    values = {name: value.format(cs=OWN_COMMITMENTS) for name, value in FACETS[vendor].items()}
    sets = ", ".join(f"{name} = {value}" for name, value in values.items())
    names, new = ", ".join(values), ", ".join(values.values())
    return (
        f"UPDATE {TABLE} SET {sets} WHERE {ID[vendor]} IN ({ids}) "
        f"AND ({names}) IS DISTINCT FROM ({new})"
        if vendor == "postgresql"
        else f"UPDATE {TABLE} SET {sets} WHERE {ID[vendor]} IN ({ids}) AND {names} IS NOT {new}"
    )


def copy_day(vendor, day, ids, commitment=None):
    """UPDATE giving the index rows `ids` this day (and commitment)."""
    sets = [f"day = {day}"] + [f"{n} = {v.format(d=day)}" for n, v in DATES[vendor].items()]
    if commitment:
        sets.insert(0, f"commitment_id = {commitment}")
    return f"UPDATE {TABLE} SET {', '.join(sets)} WHERE {ID[vendor]} IN ({ids})"


def copies(vendor):
    """The triggers copying values into other rows' index entries: (name, table, [(event,
    columns it watches, statements)]), statements in terms of NEW and OLD."""
    sources_of_update = (
        "SELECT e.source_id FROM tracker_evidence e WHERE e.status_update_id = NEW.id"
    )
    of_commitment = lambda row: restamp(vendor, ROWS_OF_COMMITMENT.format(c=f"{row}.commitment_id"))  # noqa: E731
    of_source = lambda row: restamp(vendor, f"{PARAGRAPHS_OF} WHERE p.source_id = {row}.source_id")  # noqa: E731
    return [
        (
            "statusupdate_quotes",
            "tracker_statusupdate",
            [
                (
                    "UPDATE",
                    "as_of, commitment_id",
                    [
                        copy_day(vendor, "NEW.as_of", QUOTES_OF_UPDATE, "NEW.commitment_id"),
                        restamp(vendor, QUOTES_OF_UPDATE),
                        restamp(
                            vendor, f"{PARAGRAPHS_OF} WHERE p.source_id IN ({sources_of_update})"
                        ),
                    ],
                )
            ],
        ),
        (
            "source_paragraphs",
            "tracker_source",
            [
                (
                    "UPDATE",
                    "published_on",
                    [
                        copy_day(
                            vendor,
                            "NEW.published_on",
                            f"{PARAGRAPHS_OF} WHERE p.source_id = NEW.id",
                        )
                    ],
                )
            ],
        ),
        (
            "commitment_area",
            "tracker_commitment",
            [("UPDATE", "area_id", [restamp(vendor, ROWS_OF_COMMITMENT.format(c="NEW.id"))])],
        ),
        (
            "parties",
            "tracker_commitmentparty",
            [
                ("INSERT", None, [of_commitment("NEW")]),
                ("DELETE", None, [of_commitment("OLD")]),
                ("UPDATE", None, [of_commitment("OLD"), of_commitment("NEW")]),
            ],
        ),
        (
            "evidence_sources",
            "tracker_evidence",
            [
                ("INSERT", None, [of_source("NEW")]),
                ("DELETE", None, [of_source("OLD")]),
                ("UPDATE", "source_id, status_update_id", [of_source("OLD"), of_source("NEW")]),
            ],
        ),
    ]


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


def sqlite_triggers(kind):
    table, watched, *_ = SOURCES[kind]
    new_columns, new_condition = select("sqlite", kind, "NEW")
    insert = (
        f"INSERT INTO {TABLE} (rowid, {all_columns('sqlite')}) "
        f"SELECT {new_columns} WHERE {new_condition};"
    )
    delete = f"DELETE FROM {TABLE} WHERE rowid = OLD.id + {KINDS[kind] * SPAN};"
    name = f"tracker_search_{table}"
    return [
        f'CREATE TRIGGER "{name}_insert" AFTER INSERT ON "{table}" BEGIN {insert} END',
        f'CREATE TRIGGER "{name}_update" AFTER UPDATE OF {watched} ON "{table}" '
        f"BEGIN {delete} {insert} END",
        f'CREATE TRIGGER "{name}_delete" AFTER DELETE ON "{table}" BEGIN {delete} END',
    ]


def sqlite_copy_triggers():
    return [
        f'CREATE TRIGGER "tracker_search_{name}_{event.lower()}" AFTER {event}'
        f'{f" OF {watched}" if watched else ""} ON "{table}" '
        f"BEGIN {'; '.join(statements)}; END"
        for name, table, events in copies("sqlite")
        for event, watched, statements in events
    ]


def sqlite_trigger_names(cursor):
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
        "AND name LIKE 'tracker\\_search\\_%' ESCAPE '\\'"
    )
    return [name for (name,) in cursor.fetchall()]


def postgres_triggers(kind):
    table, watched, *_ = SOURCES[kind]
    code = KINDS[kind]
    new_columns, new_condition = select("postgresql", kind, "NEW")
    function = f"tracker_search_{kind}"
    body = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM {TABLE} WHERE id = OLD.id + {code * SPAN};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO {TABLE} (id, {all_columns("postgresql")})
      SELECT {new_columns} WHERE {new_condition};
  END IF;
  RETURN NULL;
END $$"""
    return [
        body,
        f'CREATE OR REPLACE TRIGGER "{function}" AFTER INSERT OR DELETE OR UPDATE OF {watched} '
        f'ON "{table}" FOR EACH ROW EXECUTE FUNCTION {function}()',
        # `flush` and a restore's clean-up TRUNCATE; the index goes with the data.
        f'CREATE OR REPLACE TRIGGER "{function}_truncate" AFTER TRUNCATE ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION tracker_search_truncate()",
    ]


def postgres_copy_triggers():
    statements = []
    for name, table, events in copies("postgresql"):
        function = f"tracker_search_{name}"
        body = "\n".join(
            f"  IF TG_OP = '{event}' THEN {'; '.join(sql)}; END IF;" for event, _, sql in events
        )
        on = " OR ".join(
            f"{event}{f' OF {watched}' if watched else ''}" for event, watched, _ in events
        )
        statements += [
            f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{body}
  RETURN NULL;
END $$""",
            f'CREATE OR REPLACE TRIGGER "{function}" AFTER {on} ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        ]
    return statements


POSTGRES_TRUNCATE = f"""
CREATE OR REPLACE FUNCTION tracker_search_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE {TABLE};
  RETURN NULL;
END $$"""


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
        if db.vendor == "sqlite":
            statements = [f'DROP TRIGGER IF EXISTS "{n}"' for n in sqlite_trigger_names(cursor)]
            statements += [sql for kind in SOURCES for sql in sqlite_triggers(kind)]
            statements += sqlite_copy_triggers()
        else:
            statements = [POSTGRES_GIN, POSTGRES_DAY, POSTGRES_TRUNCATE]
            statements += [sql for kind in SOURCES for sql in postgres_triggers(kind)]
            statements += postgres_copy_triggers()
        for sql in statements:
            cursor.execute(sql)
        if not shape and db.vendor == "postgresql":
            cursor.execute(f"ANALYZE {TABLE}")


def drop(using=DEFAULT_DB_ALIAS):
    """Drop the index and its triggers (a bulk load; `install` makes them again, filled)."""
    db = connections[using]
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            for name in sqlite_trigger_names(cursor):
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        elif db.vendor == "postgresql":
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
            functions = [f"tracker_search_{kind}" for kind in SOURCES]
            functions += [f"tracker_search_{name}" for name, *_ in copies(db.vendor)]
            for function in [*functions, "tracker_search_truncate"]:
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
