"""The benchmark's generator writes consistent data, and its runner measures pages.

Speed is never asserted here: the benchmark (bench/run.py) reports it.
"""

import datetime as dt
from collections import defaultdict

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from bench import api as bench_api
from bench import generate as bench_generate
from bench import run as bench_run
from tracker import services
from tracker.api.models import ApiToken
from tracker.models import (
    Commitment,
    Evidence,
    Status,
    StatusPeriod,
    StatusUpdate,
)

NOW = dt.datetime(2026, 3, 4, 15, 30, tzinfo=dt.UTC)
COMMITMENTS, UPDATES = 30, 2_000


@pytest.fixture
def bench_data(db):
    with time_machine.travel(NOW, tick=False):
        bench_generate.generate(
            commitments=COMMITMENTS, updates=UPDATES, seed=7, log=lambda message: None
        )


def fingerprint():
    return list(
        StatusUpdate.objects.order_by("pk").values_list(
            "commitment__reference", "status", "as_of", "review_state", "created_at"
        )
    )


def test_it_generates_the_asked_sizes(bench_data):
    assert Commitment.objects.count() == COMMITMENTS
    assert StatusUpdate.objects.count() == UPDATES
    assert Evidence.objects.count() >= UPDATES
    assert Commitment.objects.filter(parent__isnull=False).exists()
    # One commitment has the most updates (1,000 at full size): the commitment page's case.
    counts = sorted(
        Commitment.objects.annotate(n=Count("status_updates")).values_list("n", flat=True)
    )
    assert counts[-1] > counts[-2]
    # Realistic review states and statuses, not one of each.
    states = set(StatusUpdate.objects.values_list("review_state", flat=True))
    assert {"accepted", "returned"} <= states
    statuses = set(Commitment.objects.values_list("current_status", flat=True))
    assert {"in_progress", "at_risk"} <= statuses


def test_verify_integrity_finds_no_drift(bench_data):
    integrity = pytest.importorskip("tracker.integrity")
    report = integrity.verify()
    assert report.clean, [d.describe() for d in report.examples]
    assert report.commitments == COMMITMENTS


def test_the_search_index_filled_in_bulk_is_what_the_triggers_write(bench_data):
    """generate() drops the index and fills it in bulk at the end: the same rows as when
    every indexed row is written again through the triggers, which are back in place."""
    from django.db import connection

    from tracker.search import index

    bulk = index.rows()
    assert len(bulk) == (
        Commitment.objects.count()
        + StatusUpdate.objects.exclude(assessment="").count()
        + Evidence.objects.count()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {index.TABLE}")  # noqa: S608
        # Each UPDATE fires its table's trigger, which deletes and inserts the row's entry.
        for sql in (
            "UPDATE tracker_commitment SET title = title",
            "UPDATE tracker_statusupdate SET assessment = assessment",
            "UPDATE tracker_evidence SET quote = quote",
        ):
            cursor.execute(sql)
    assert index.rows() == bulk


def test_official_status_and_periods_follow_the_services_rule(bench_data):
    for commitment in Commitment.objects.all():
        accepted = list(StatusUpdate.objects.accepted().filter(commitment=commitment))
        official = max(accepted, key=services.official_key, default=None)
        assert commitment.current_update_id == (official.pk if official else None)
        assert commitment.current_status == (official.status if official else "not_assessed")
        expected = [
            (u.pk, u.status, start, end) for u, start, end in services.compute_periods(accepted)
        ]
        stored = list(
            StatusPeriod.objects.filter(commitment=commitment)
            .order_by("valid_from")
            .values_list("status_update_id", "status", "valid_from", "valid_to")
        )
        assert stored == expected
        last = commitment.status_updates.order_by("-created_at").first()
        assert commitment.last_update_at == (last.created_at if last else None)
        start = commitment.current_as_of or timezone.localdate(commitment.created_at)
        assert commitment.next_review_due == start + dt.timedelta(
            days=commitment.review_cadence_days
        )


def test_previous_status_is_the_official_status_when_recorded(bench_data):
    updates = defaultdict(list)
    for update in StatusUpdate.objects.order_by("pk"):
        updates[update.commitment_id].append(update)
    changes = 0
    for history in updates.values():
        for update in history:
            known = [
                u
                for u in history
                if u.is_accepted and u.decided_at <= update.created_at and u.pk != update.pk
            ]
            official = max(known, key=services.official_key, default=None)
            assert update.previous_status == (official.status if official else Status.NOT_ASSESSED)
            changes += update.status != update.previous_status
    assert changes > COMMITMENTS  # Statuses do move.


def test_revisions_answer_returned_updates_of_their_author(bench_data):
    revisions = StatusUpdate.objects.filter(revises__isnull=False).select_related("revises")
    assert revisions.exists()
    for revision in revisions:
        assert revision.revises.is_returned
        assert revision.revises.author_id == revision.author_id
        assert revision.revises.commitment_id == revision.commitment_id
        assert revision.revises.decided_at < revision.created_at


def test_same_seed_same_data(bench_data):
    first = fingerprint()
    with time_machine.travel(NOW, tick=False):
        bench_generate.generate(
            commitments=COMMITMENTS, updates=UPDATES, seed=7, reset=True, log=lambda m: None
        )
    assert fingerprint() == first


def test_it_refuses_to_add_to_existing_data(bench_data):
    with pytest.raises(CommandError, match="--reset"):
        call_command("generate_bench_data", commitments=3, updates=10)


def test_the_runner_measures_every_page(bench_data, settings):
    settings.ROOT_URLCONF = "bench.urls"
    subjects = bench_run.find_subjects()
    assert subjects.hot_updates == max(
        Commitment.objects.annotate(n=Count("status_updates")).values_list("n", flat=True)
    )
    before = StatusUpdate.objects.count()
    results = bench_run.run_pages(subjects, iterations=2, max_seconds=5, log=lambda message: None)
    names = [page.name for page in bench_run.pages(subjects)]
    assert [r.name for r in results] == names  # None failed.
    for result in results:
        assert len(result.times) == 2
        assert result.queries is not None
        assert result.median_ms > 0
    # The posting measurements clean up after themselves.
    assert StatusUpdate.objects.count() == before
    table = bench_run.table(results, results[0].median_ms, results[1].median_ms)
    assert "hello world" in table


def test_the_api_benchmark_measures_every_api_page(bench_data, settings):
    settings.ROOT_URLCONF = "bench.urls"
    subjects = bench_run.find_subjects()
    results = bench_api.run_api(subjects, iterations=2, max_seconds=5, log=lambda message: None)
    names = [r.name for r in results]
    assert "API: status updates, deep cursor (oldest 50)" in names
    assert "API: commitment, If-None-Match (304)" in names
    assert all(r.queries is not None and len(r.times) == 2 for r in results)
    assert not ApiToken.objects.exists()  # its token is removed afterwards


def test_every_end_to_end_page_answers(bench_data, settings):
    """bench/e2e.py's pages, requested as its wrk runs will (same cookies, same headers)."""
    from django.contrib.auth.models import User

    from bench import e2e as bench_e2e

    settings.ROOT_URLCONF = "bench.urls"
    subjects = bench_run.find_subjects()
    analyst = User.objects.get(pk=bench_e2e.returned_author(subjects))
    clients = {
        "manager": bench_run.signed_in(subjects.manager),
        "analyst": bench_run.signed_in(analyst),
        "admin": bench_run.signed_in(subjects.admin),
    }
    pages = bench_e2e.pages(subjects, timezone.localdate())
    assert {"hello", "list", "commitment", "review", "returned", "reader", "search"} <= {
        page.key for page in pages
    }
    for page in pages:
        response = clients[page.who].get(page.path, headers=page.headers)
        assert response.status_code == 200, page.key
        if page.key == "returned":  # a list with rows in it
            returned = StatusUpdate.objects.returned_to(analyst).select_related("commitment")
            assert returned.exists()
            assert returned.first().commitment.reference.encode() in response.content


def e2e_run(vendor, updates, **p50):
    pages = [
        {"key": key, "name": key, "p50": ms, "p99": ms * 2, "rps": 1000 / ms}
        for key, ms in p50.items()
    ]
    machine = dict.fromkeys(("date", "cpus", "cpu", "ram_gb", "python", "django", "database"), "")
    return {
        "vendor": vendor,
        "updates": updates,
        "commitments": updates // 100,
        "machine": machine,
        "pages": pages,
    }


def test_the_report_gives_ratios_growth_and_targets():
    from bench import report

    runs = [
        e2e_run("sqlite", 1_000_000, hello=2.0, list=10.0, review=12.0, post=20.0),
        e2e_run("sqlite", 20_000, hello=2.0, list=9.0, review=6.0, post=19.0),
        e2e_run("postgresql", 1_000_000, hello=2.5, list=15.0, review=10.0, post=15.0),
    ]
    table = report.table(runs)
    assert "| list | 10.0 | 5.0 | 100 | 1.11× | 15.0 | 6.0 | 67 |" in table
    checks = {
        (db, kind, key): (figure, met) for db, kind, key, _, figure, met in report.targets(runs)
    }
    assert checks[("SQLite", "latency", "list")] == ("5.0×", True)  # 10 / 2 ≤ 5
    assert checks[("SQLite", "latency", "review")] == ("6.0×", False)
    assert checks[("SQLite", "growth", "review")] == ("2.00×", False)  # 12 / 6 grew
    assert checks[("SQLite", "growth", "list")] == ("1.11×", True)
    assert checks[("SQLite", "throughput", "list")] == ("0.20×", True)  # 100 / 500 req/s
    assert checks[("PostgreSQL", "latency", "list")] == ("6.0×", False)
    assert checks[("PostgreSQL", "latency", "post")] == ("6.0×", True)  # ≤ 8×
    assert ("PostgreSQL", "growth", "list") not in checks  # no small PostgreSQL run
