"""Concurrent writers, double submits and crashes: nothing lost, nothing doubled.

The two slow tests run bench/load_writers.py briefly against a real multi-worker gunicorn
on a fresh database of the kind the suite runs on (PostgreSQL when DATABASE_URL is set).
The thread tests provoke the two races a single request cannot show; they need real
concurrent transactions, so they run on PostgreSQL (SQLite takes its write lock at the
start of every transaction, so these races cannot happen there; the load test covers it).
"""

import contextlib
import os
import threading
import time

import pytest
from django.db import connection

from bench import load_writers
from tests import factories
from tracker import integrity, services
from tracker.models import Status, StatusUpdate

DATABASE_URL = os.environ.get("DATABASE_URL", "")
postgresql_only = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgres"),
    reason="needs concurrent transactions: PostgreSQL (the load test covers SQLite)",
)


def short_run(**options):
    options = {"seconds": 5, "clients": 4, "managers": 2, "workers": 4, **options}
    config = load_writers.Config(database_url=DATABASE_URL, **options)
    result = load_writers.run(config)
    print(result.table())
    return result


@pytest.mark.slow
def test_concurrent_writers_lose_nothing_and_double_nothing():
    result = short_run(retry_rate=0.2, double_submit_rate=0.1)
    assert result.problems == []
    assert result.acknowledged == result.stored_updates > 20
    assert result.duplicates == 0
    assert result.accepted > 0
    kinds = {sample.kind for sample in result.samples}
    assert {"update", "retry", "double", "accept"} <= kinds
    assert all(sample.status < 500 for sample in result.samples)
    assert result.integrity["clean"]


@pytest.mark.slow
def test_a_worker_killed_in_the_middle_of_writes_loses_nothing():
    result = short_run(kill_worker=True, clients=6)
    assert result.kills
    assert result.problems == []  # every acknowledged write stored, no drift
    assert result.acknowledged == result.stored_updates > 20
    assert result.integrity["clean"]


@contextlib.contextmanager
def pause_after(reads, pause):
    """In this thread, call `pause()` after the first SELECT that `reads(sql, params)`."""
    paused = []

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not paused and sql.startswith("SELECT") and reads(sql, params or ()):
            paused.append(sql)
            pause()
        return result

    with connection.execute_wrapper(wrapper):
        yield


def in_thread(target, *args, **kwargs):
    outcome = {}

    def run():
        try:
            outcome["value"] = target(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def send_form(commitment, analyst, source):
    """One status-update form, as each of a double click's sends posts it."""
    return services.record_status_update(
        commitment=commitment,
        author=analyst,
        status=Status.AT_RISK,
        confidence="high",
        as_of=factories.days_ago(1),
        evidence=[services.EvidenceItem(quote="Same form", source=source)],
        idempotency_key="double-click",
    )


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_form_posted_twice_at_once_records_one_update(transactional_db, analyst):
    commitment = factories.make_commitment(owner=analyst)
    source = factories.make_source()
    both_looked = threading.Barrier(2)

    def submit():
        # Both requests look the key up and find nothing before either saves.
        with pause_after(
            lambda sql, params: '"idempotency_key" =' in sql,
            lambda: both_looked.wait(timeout=5),
        ):
            return send_form(commitment, analyst, source)

    threads = [in_thread(submit), in_thread(submit)]
    for thread, _ in threads:
        thread.join()
    outcomes = [outcome for _, outcome in threads]
    assert [o.get("error") for o in outcomes] == [None, None]
    (first, created_first), (second, created_second) = (o["value"] for o in outcomes)
    assert first.pk == second.pk
    assert sorted([created_first, created_second]) == [False, True]
    assert StatusUpdate.objects.count() == 1
    assert StatusUpdate.objects.get().evidence.count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_managers_accepting_at_once_leave_the_official_status_right(
    transactional_db, analyst, manager, other_manager
):
    commitment = factories.make_commitment(owner=analyst)
    earlier = factories.record(commitment, author=analyst, status=Status.AT_RISK)
    later = factories.record(commitment, author=analyst, status=Status.STALLED)
    first_has_read, second_done = threading.Event(), threading.Event()

    def accept_first():
        # Pauses once it has read the accepted history, while the other manager accepts
        # (at most a second: with the commitment locked, the other waits for this one).
        with pause_after(
            lambda sql, params: "accepted" in params,
            lambda: (first_has_read.set(), second_done.wait(1)),
        ):
            return services.accept_update(update=earlier, manager=manager)

    def accept_second():
        first_has_read.wait(5)
        try:
            return services.accept_update(update=later, manager=other_manager)
        finally:
            second_done.set()

    threads = [in_thread(accept_first), in_thread(accept_second)]
    for thread, _ in threads:
        thread.join()
    assert [o.get("error") for _, o in threads] == [None, None]
    report = integrity.verify()
    assert report.clean, [d.describe() for d in report.examples]
    commitment.refresh_from_db()
    assert commitment.current_update_id == later.pk  # the later acceptance wins


def wait_until_a_query_waits_on_a_lock(timeout=5):
    """Block until another connection is waiting for a row lock (pg_stat_activity)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                " AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("no query ever waited on a lock")


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_manager_accepting_while_the_form_is_sent_again_deadlocks_nobody(
    transactional_db, analyst, manager
):
    # A double click: the second send looks its key up before the first has saved, then
    # waits for the commitment while the first saves. A manager accepts the first at once.
    # The accept must wait for the commitment before it touches the update: the second
    # send's insert checks the key against that update, so the other order deadlocks.
    commitment = factories.make_commitment(owner=analyst)
    source = factories.make_source()
    looked_up, first_saved = threading.Event(), threading.Event()
    locked, accept_waits = threading.Event(), threading.Event()

    def send_again():
        with (
            pause_after(
                lambda sql, params: '"idempotency_key" =' in sql,
                lambda: (looked_up.set(), first_saved.wait(5)),
            ),
            pause_after(
                lambda sql, params: "FOR UPDATE" in sql,
                lambda: (locked.set(), accept_waits.wait(5)),
            ),
        ):
            return send_form(commitment, analyst, source)

    second = in_thread(send_again)
    looked_up.wait(5)
    first, created = send_form(commitment, analyst, source)
    assert created
    first_saved.set()
    locked.wait(5)
    accept = in_thread(services.accept_update, update=first, manager=manager)
    wait_until_a_query_waits_on_a_lock()
    accept_waits.set()
    for thread, _ in (second, accept):
        thread.join()
    assert [second[1].get("error"), accept[1].get("error")] == [None, None]
    assert second[1]["value"] == (first, False)
    assert list(StatusUpdate.objects.values_list("pk", "review_state")) == [
        (first.pk, StatusUpdate.ReviewState.ACCEPTED)
    ]
