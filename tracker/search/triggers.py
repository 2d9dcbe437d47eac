"""The triggers that keep the search index (index.py) in step with the tables.

Each kind's table has triggers writing its row (`sqlite_triggers`, `postgres_triggers`);
others copy values into rows of other tables (`copies`): an update's as-of date and
commitment into its quotes' rows, a source's publication date into its paragraphs', and a
commitment's area and parties into the rows of it and of the paragraphs of the sources its
evidence cites, again whenever any of them changes (a commitment moved or given a party, a
quote citing a source added, moved or deleted). Every piece of SQL here is made of
constants only (hence the file-wide S608 exemption).
"""
# ruff: noqa: S608

from .index import (
    CITING,
    DATES,
    FACETS,
    ID,
    KINDS,
    OWN_COMMITMENTS,
    SOURCES,
    SPAN,
    SPANS,
    TABLE,
    all_columns,
    select,
)

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


def restamp(vendor, ids, commitments=OWN_COMMITMENTS):
    """UPDATE giving the index rows `ids` the filters of their commitments (where changed).

    `commitments`: of each row, from its own columns; or, for one source's paragraphs, the
    commitments citing it, a subquery the database then runs once, not once a paragraph."""
    values = {name: value.format(cs=commitments) for name, value in FACETS[vendor].items()}
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

    def of_commitment(row):
        return restamp(vendor, ROWS_OF_COMMITMENT.format(c=f"{row}.commitment_id"))

    def of_source(row):
        paragraphs = f"{PARAGRAPHS_OF} WHERE p.source_id = {row}.source_id"
        return restamp(vendor, paragraphs, CITING.format(source=f"{row}.source_id"))

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


def changed(watched, vendor):
    """The condition that an UPDATE changed one of the watched columns (SQL): `UPDATE OF`
    fires for every column in the SET list, and Django's save() sets them all."""
    columns = [column.strip() for column in watched.split(",")]
    if vendor == "sqlite":
        return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    old, new = (", ".join(f"{row}.{c}" for c in columns) for row in ("OLD", "NEW"))
    return f"ROW({old}) IS DISTINCT FROM ROW({new})"


def sqlite_copy_triggers():
    return [
        f'CREATE TRIGGER "tracker_search_{name}_{event.lower()}" AFTER {event}'
        f'{f" OF {watched}" if watched else ""} ON "{table}" '
        f"{f'WHEN {changed(watched, "sqlite")} ' if watched else ''}"
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
            f"  IF TG_OP = '{event}'"
            f"{f' AND {changed(watched, "postgresql")}' if watched else ''} "
            f"THEN {'; '.join(sql)}; END IF;"
            for event, watched, sql in events
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


def statements(vendor, cursor):
    """What (re)creates every trigger of the index."""
    if vendor == "sqlite":
        drops = [f'DROP TRIGGER IF EXISTS "{name}"' for name in sqlite_trigger_names(cursor)]
        creates = [sql for kind in SOURCES for sql in sqlite_triggers(kind)]
        return [*drops, *creates, *sqlite_copy_triggers()]
    creates = [sql for kind in SOURCES for sql in postgres_triggers(kind)]
    return [POSTGRES_TRUNCATE, *creates, *postgres_copy_triggers()]


def functions():
    """PostgreSQL: the trigger functions (dropped with the index)."""
    names = [*SOURCES, *(name for name, *_ in copies("postgresql")), "truncate"]
    return [f"tracker_search_{name}" for name in names]
