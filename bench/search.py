#!/usr/bin/env python
"""Measure /search/ and the cost of keeping its index, on the benchmark data set.

    SQLITE_PATH=var/bench.sqlite3 .venv/bin/python bench/search.py [--sources 2000]

1. Gives `--sources` of the data set's sources a document (paragraphs made of the data
   set's quote vocabulary) through the library's own service, so their text is indexed too.
2. Times searches as a signed-in manager (django.test.Client, whole middleware stack):
   median, 95th percentile and the queries of one request.
3. The indexing cost per status update: services.record_status_update (an assessment and
   two quotes) timed with the index's triggers and without the index (dropped inside a
   rolled-back transaction), in alternating rounds; the difference is what the index costs
   each update.

See bench/README.md.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

QUERIES = [
    ("a rare word (~600 matches)", {"q": "restore"}),
    ("a common word (~140,000)", {"q": "agreed"}),
    ("a word in every quote (~1.3 M)", {"q": "work"}),
    ("two words", {"q": "fentanyl precursors"}),
    ("a phrase in every quote", {"q": '"will continue"'}),
    ("words, one left out", {"q": "cooperation -fentanyl"}),
    ("a word, quotes only", {"q": "agreed", "kind": "quote"}),
    ("a word, source text only", {"q": "agreed", "kind": "text"}),
    ("a word, one area", {"q": "agreed", "area": None}),
    ("a word, one party", {"q": "agreed", "party": None}),
    ("a word, a date range", {"q": "agreed", "date_from": None, "date_to": None}),
    ("HTMX live results", {"q": "fentanyl"}),
]


def give_sources_text(count, paragraphs, log):
    from tracker.library import extract
    from tracker.library import services as library
    from tracker.models import Source

    rng = random.Random(1)
    words = (  # noqa: SIM905 - easier to read as words
        "the parties agreed to continue cooperation on fentanyl precursors counternarcotics "
        "military communications climate finance tariffs trade export controls dialogue "
        "working group officials will meet again review progress shipments customs"
    ).split()
    todo = list(Source.objects.filter(paragraph_count=0).order_by("pk")[:count])
    started = time.perf_counter()
    for n, source in enumerate(todo, start=1):
        text = "\n\n".join(
            " ".join(rng.choice(words) for _ in range(rng.randint(20, 60))).capitalize() + "."
            for _ in range(paragraphs)
        )
        data = text.encode()
        library.add_document(
            source=source,
            document=extract.from_text(text),
            upload=library.Upload(data=data, name=f"source-{source.pk}.txt"),
            user=None,
        )
        if n % 500 == 0:
            log(f"  {n:,} sources given text ({time.perf_counter() - started:.0f} s)")
    return len(todo)


def index_rows():
    from django.db import connection

    from tracker.search import index

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {index.TABLE}")  # noqa: S608
        return cursor.fetchone()[0]


def measure_searches(user, iterations):
    from bench.run import Page, measure, signed_in
    from tracker.models import Area, Party

    client = signed_in(user)
    area = Area.objects.order_by("pk").first()
    results = []
    for name, params in QUERIES:
        params = dict(params)
        if "area" in params:
            params["area"] = area.pk
        if "party" in params:
            params["party"] = Party.objects.order_by("pk").first().pk
        if "date_from" in params:
            params.update(date_from="2022-01-01", date_to="2022-12-31")
        headers = {"HX-Request": "true"} if name.startswith("HTMX") else {}
        page = Page(name, client, "/search/", data=params, headers=headers)
        started = time.process_time()
        result = measure(page, iterations=iterations, max_seconds=20)
        # This process's CPU time a request (warm-up and query-count requests included): on
        # a loaded machine the fairer figure for SQLite; PostgreSQL's own CPU is not in it.
        result.cpu_ms = (time.process_time() - started) * 1000 / (len(result.times) + 4)
        results.append(result)
    return results


def record_times(commitment, n):
    from tracker import services

    times = []
    for i in range(n):
        t0 = time.perf_counter()
        services.record_status_update(
            commitment=commitment,
            author=None,
            status=commitment.current_status,
            confidence="moderate",
            as_of=commitment.current_as_of or commitment.created_at.date(),
            assessment=f"Benchmark assessment {i}: officials agreed to continue the dialogue.",
            evidence=[
                services.EvidenceItem(quote=f"Benchmark quote {i}, agreed.", source=source)
                for source in commitment.bench_sources
            ],
        )
        times.append(time.perf_counter() - t0)
    return times


def indexing_cost(n, rounds=4):
    """Median ms per recorded update with the index (its triggers) and without it (dropped
    inside a rolled-back transaction), `rounds` alternating rounds of n // rounds updates."""
    from django.db import transaction

    from tracker.models import Commitment, Source
    from tracker.search import index

    commitment = Commitment.objects.exclude(current_status="not_assessed").order_by("pk").first()
    commitment.bench_sources = list(Source.objects.filter(paragraph_count=0)[:2])

    class Rollback(Exception):
        pass

    times = {"with the index": [], "without the index": []}
    for _ in range(rounds):
        for label, times_of in times.items():
            try:
                with transaction.atomic():
                    if label == "without the index":
                        index.drop()
                    times_of += record_times(commitment, max(n // rounds, 1))
                    raise Rollback
            except Rollback:
                pass
    return {label: statistics.median(values) * 1000 for label, values in times.items()}


def explain(text, log):
    """The plan of one search's index query: EXPLAIN QUERY PLAN, or EXPLAIN ANALYZE."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tracker.search import query

    with CaptureQueriesContext(connection) as captured:
        query.run(query.parse(text), query.Filters(), limit=21)
    sql = captured.captured_queries[-1]["sql"]
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        log(f"Plan of {text!r}:")
        for row in cursor.fetchall():
            log("    " + " ".join(str(column) for column in row))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=2000, help="Sources to give text.")
    parser.add_argument("--paragraphs", type=int, default=20, help="Paragraphs per source.")
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--explain", action="store_true", help="Print the index query's plans.")
    parser.add_argument("--updates", type=int, default=400, help="Updates for the indexing cost.")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench import run

    run.setup_django()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from tracker.models import Evidence, SourceParagraph, StatusUpdate

    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"Database: {connection.settings_dict['NAME']} ({connection.vendor})")
    given = give_sources_text(args.sources, args.paragraphs, print)
    print(
        f"Data: {StatusUpdate.objects.count():,} status updates, {Evidence.objects.count():,} "
        f"quotes, {SourceParagraph.objects.count():,} source paragraphs "
        f"({given:,} sources given text now); {index_rows():,} rows in the search index"
    )
    if args.explain:
        for text in ("agreed", '"will continue"'):
            explain(text, print)
    manager = User.objects.filter(groups__name="Managers").order_by("pk").first()
    print("| search | median | p95 | CPU (this process) | queries |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for result in measure_searches(manager, args.iterations):
        print(
            f"| {result.name} | {result.median_ms:.1f} ms | {result.p95_ms:.1f} ms | "
            f"{result.cpu_ms:.1f} ms | {result.queries} |"
        )
    cost = indexing_cost(args.updates)
    print(
        "Recording an update (an assessment, two quotes), median: "
        + ", ".join(f"{label} {ms:.2f} ms" for label, ms in cost.items())
        + f"; the index costs {cost['with the index'] - cost['without the index']:.2f} ms each."
    )


if __name__ == "__main__":
    main()
