#!/usr/bin/env python
"""Multiply a generated PostgreSQL data set in SQL: the 10,000,000-update run of issue 18.

    DATABASE_URL=postgres://tracker:tracker@127.0.0.1:5432/tracker_bench_10m \\
        .venv/bin/python bench/scale.py --times 10

bench/generate.py plans every update in Python: a million take minutes, ten million would
take hours. This copies the commitments of a data set already generated (and everything
that hangs off them: parties bound, assignees, status updates, evidence, status periods,
indicators, measurements) `--times - 1` more times, each copy under new ids in one
INSERT … SELECT per table, so the result is the same ten years of the same people, sources,
areas and parties, with ten times the commitments and updates. A copy's references end in
"-<copy>". The search index and the dashboard's tallies are then made again in bulk (their
triggers are switched off while copying), and the tables analysed.

Make the database a copy of the 1,000,000-update one first (seconds):
    CREATE DATABASE tracker_bench_10m TEMPLATE tracker_bench_1m;
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import setup_django  # noqa: E402


def copied_models():
    from tracker.models import (
        Commitment,
        CommitmentParty,
        Evidence,
        Indicator,
        Measurement,
        StatusPeriod,
        StatusUpdate,
    )

    # In an order that puts every row's targets in place before it.
    return [
        Commitment,
        CommitmentParty,
        Commitment.assignees.through,
        StatusUpdate,
        Evidence,
        StatusPeriod,
        Indicator,
        Measurement,
    ]


def copy_sql(model, copied, offsets, copy):
    """INSERT … SELECT of copy `copy` of `model`'s original rows (ids up to its offset)."""
    from django.db import connection

    qn = connection.ops.quote_name
    columns, values = [], []
    for field in model._meta.concrete_fields:
        column = qn(field.column)
        if field.primary_key:
            value = f"{column} + {offsets[model] * copy}"
        elif field.is_relation and field.related_model in copied:
            value = f"{column} + {offsets[field.related_model] * copy}"
        elif field.name == "reference":
            value = f"{column} || '-{copy}'"
        else:
            value = column
        columns.append(column)
        values.append(value)
    table = qn(model._meta.db_table)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names from the models
        f"SELECT {', '.join(values)} FROM {table} WHERE {qn(model._meta.pk.column)} <= %s"
    )


def scale(times, log=print):
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from tracker.dashboard import tallies
    from tracker.search import index as search_index

    if connection.vendor != "postgresql":
        raise SystemExit("bench/scale.py is for PostgreSQL (DATABASE_URL)")
    started = time.monotonic()

    def say(message):
        log(f"[{time.monotonic() - started:7.1f} s] {message}")

    models = copied_models()
    copied = set(models)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        offsets = {}
        for model in models:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {qn(model._meta.db_table)}")  # noqa: S608
            offsets[model] = cursor.fetchone()[0]
        say("originals: " + ", ".join(f"{m._meta.db_table} ≤ {n:,}" for m, n in offsets.items()))
        search_index.drop()
        for model in models:
            cursor.execute(f"ALTER TABLE {qn(model._meta.db_table)} DISABLE TRIGGER USER")
        for copy in range(1, times):
            with transaction.atomic():
                for model in models:
                    cursor.execute(copy_sql(model, copied, offsets, copy), [offsets[model]])
            say(f"copy {copy} of {times - 1} written")
        for model in models:
            cursor.execute(f"ALTER TABLE {qn(model._meta.db_table)} ENABLE TRIGGER USER")
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
    search_index.install()
    say("filled the search index")
    tallies.rebuild()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        say(f"tallies rebuilt, analysed; the database is {cursor.fetchone()[0]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--times", type=int, default=10, help="How many times the data (≥ 2).")
    args = parser.parse_args(argv)
    if args.times < 2:
        parser.error("--times must be at least 2")
    setup_django()
    scale(args.times)
    return 0


if __name__ == "__main__":
    sys.exit(main())
