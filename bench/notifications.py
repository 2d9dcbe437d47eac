#!/usr/bin/env python
"""Notifications on the benchmark data set: the weekly digest and accepting with a dead SMTP.

    SQLITE_PATH=var/bench.sqlite3 .venv/bin/python bench/notifications.py

1. The weekly digest for the data set's 55 users (50 analysts, 5 managers): everything
   `send_digests` does on a Monday morning (what changed since each reader's last digest,
   rendered, recorded as deliveries), then each email built as it would be sent. Total
   time, queries, and peak memory (ru_maxrss growth; Python's tracemalloc peak in a second
   run).
2. Accepting an update while the mail server is black-holed (a local socket that accepts and
   never answers) and a real `db_worker` is stuck on it, against the same with a worker whose
   mail goes to memory: the request only enqueues, so the latency must not change. And what a
   request that sent its own mail (as the tracker did before) would have waited.

Everything it writes is removed afterwards (the data set stays comparable). See bench/README.
"""

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.smtp import BlackHoleSMTPServer  # noqa: E402

HOLE = BlackHoleSMTPServer().__enter__()
os.environ.update(
    DJANGO_SETTINGS_MODULE="bench.settings",
    EMAIL_BACKEND="smtp",
    EMAIL_HOST="127.0.0.1",
    EMAIL_PORT=str(HOLE.port),
    EMAIL_USE_TLS="0",
    EMAIL_TIMEOUT=os.environ.get("EMAIL_TIMEOUT", "10"),
)
os.environ.setdefault("SQLITE_PATH", "var/bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.mail import send_mail  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from tracker import services  # noqa: E402
from tracker.models import ANALYSTS, MANAGERS, StatusUpdate  # noqa: E402
from tracker.notifications import digest, mail  # noqa: E402
from tracker.notifications.models import (  # noqa: E402
    EmailDelivery,
    Frequency,
    Notification,
    Preferences,
)

User = get_user_model()


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def last_monday():
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday())


def readers():
    return User.objects.filter(groups__name__in=[ANALYSTS, MANAGERS]).distinct()


def prepare_digest_readers():
    """Every analyst and manager weekly, nobody else (the superuser: never)."""
    Preferences.objects.all().delete()
    Preferences.objects.bulk_create(
        [Preferences(user=u, digest=Frequency.WEEKLY) for u in readers()]
        + [
            Preferences(user=u, digest=Frequency.NEVER)
            for u in User.objects.filter(is_superuser=True)
        ]
    )


def clean_up(since):
    EmailDelivery.objects.filter(created_at__gte=since).delete()
    Notification.objects.filter(created_at__gte=since).delete()
    DBTaskResult.objects.filter(enqueued_at__gte=since).delete()


def run_digest(monday):
    ids = digest.record_due(today=monday)
    sizes = [
        len(mail.message(d).message().as_bytes()) for d in EmailDelivery.objects.filter(pk__in=ids)
    ]
    return ids, sizes


def bench_digest():
    monday = last_monday()
    prepare_digest_readers()
    started = timezone.now()
    rss_before = rss_mb()
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        ids, sizes = run_digest(monday)
        elapsed = time.perf_counter() - t0
    rss_growth = rss_mb() - rss_before
    clean_up(started)
    prepare_digest_readers()
    tracemalloc.start()
    run_digest(monday)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    clean_up(started)
    Preferences.objects.all().delete()
    period = digest.period_changes(monday - dt.timedelta(days=7), monday - dt.timedelta(days=1))
    print(f"Weekly digest, Monday {monday} (period {period.since} to {period.until}):")
    print(f"  readers: {readers().count()}; emails recorded: {len(ids)}")
    print(
        f"  the period: {period.updates} accepted updates on {period.commitments} commitments,"
        f" {period.worse} got worse, {period.new_quotes} new quotes"
    )
    print(f"  total time: {elapsed:.2f} s ({elapsed / max(len(ids), 1) * 1000:.0f} ms per email)")
    print(f"  queries: {len(queries)}")
    print(f"  email size: median {statistics.median(sizes) / 1024:.1f} KB" if sizes else "")
    print(f"  peak memory: RSS +{rss_growth:.1f} MB; tracemalloc peak {peak / 2**20:.1f} MB")


def start_worker(mail_backend, log_path):
    env = {**os.environ, "EMAIL_BACKEND": mail_backend, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    log = open(log_path, "w")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-reload"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while "Starting worker" not in Path(log_path).read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    return worker


def wait_for_fan_outs(timeout=60):
    """Until the worker has taken every fan-out (its sends may hang on the black hole)."""
    deadline = time.monotonic() + timeout
    ready = DBTaskResult.objects.ready().filter(task_path__endswith=".fan_out")
    while ready.exists() and time.monotonic() < deadline:
        time.sleep(0.5)


def accept_round(client, pending):
    times = []
    for update in pending:
        t0 = time.perf_counter()
        response = client.post(f"/review/{update.pk}/accept/", {"comment": "Benchmark."})
        times.append(time.perf_counter() - t0)
        assert response.status_code == 302, response.status_code
    return times


def undo_accepts(updates):
    for update in updates:
        StatusUpdate.objects.filter(pk=update.pk).update(
            review_state=StatusUpdate.ReviewState.SUBMITTED,
            decided_by=None,
            decided_at=None,
            decision_comment="",
        )
        services.refresh_official_status(update.commitment)


def bench_accept(per_round):
    manager = User.objects.filter(groups__name=MANAGERS).order_by("pk").first()
    pending = list(
        StatusUpdate.objects.submitted()
        .exclude(author=manager)
        .select_related("commitment")
        .order_by("created_at")[: 2 * per_round]
    )
    if len(pending) < 2 * per_round:
        sys.exit(f"only {len(pending)} pending updates; regenerate the data set")
    client = Client()
    client.force_login(manager)
    client.get("/review/")  # warm up
    started = timezone.now()
    rounds = {}
    for name, backend, chunk in (
        ("black-holed SMTP, worker stuck on it", "smtp", pending[:per_round]),
        ("mail to memory (locmem), worker idle", "locmem", pending[per_round:]),
    ):
        worker = start_worker(backend, ROOT / "var" / f"bench-worker-{backend}.log")
        try:
            rounds[name] = accept_round(client, chunk)
            wait_for_fan_outs()
            time.sleep(2)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    states = dict(
        EmailDelivery.objects.filter(created_at__gte=started)
        .values_list("state")
        .annotate(n=django.db.models.Count("id"))
    )
    undo_accepts(pending)
    clean_up(started)
    print(f"Accepting an update (POST /review/<pk>/accept/, {per_round} per round):")
    for name, times in rounds.items():
        ordered = sorted(times)
        p95 = ordered[max(0, int(0.95 * len(ordered) + 0.999) - 1)]
        print(f"  {name}: median {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
    print(f"  deliveries meanwhile: {states}")
    t0 = time.perf_counter()
    try:
        send_mail("Old way", "Sent inside the request.", None, ["someone@example.org"])
    except OSError as exc:
        waited = time.perf_counter() - t0
        print(
            f"  a request sending its own mail would have waited {waited:.1f} s "
            f"(EMAIL_TIMEOUT={os.environ['EMAIL_TIMEOUT']}; {type(exc).__name__}); "
            "with no timeout, for ever"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--accepts", type=int, default=20, help="accepts per round")
    parser.add_argument("--no-accept", action="store_true")
    args = parser.parse_args()
    print(f"Data: {StatusUpdate.objects.count():,} status updates; {User.objects.count()} users")
    bench_digest()
    if not args.no_accept:
        bench_accept(args.accepts)


if __name__ == "__main__":
    main()
