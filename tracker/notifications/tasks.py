"""Background tasks (django.tasks, run by `manage.py db_worker`) and their schedules
(django-crontask, run by `manage.py crontask`, which only enqueues them).

Schedules are crontab lines in the tracker's time zone (TIME_ZONE), from settings
TRACKER_SCHEDULES; an empty line leaves the job unscheduled.
"""

import logging
from pathlib import Path

from crontask import cron
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.tasks import TaskResultStatus, task
from django.utils import timezone

from ..dashboard import days, tallies
from . import delivery, digest, events

log = logging.getLogger("tracker.notifications")


def scheduled(name):
    """@cron with the schedule of `name` from settings, or no schedule when it is empty."""
    schedule = settings.TRACKER_SCHEDULES.get(name, "")
    return cron(schedule) if schedule else (lambda t: t)


@task
def fan_out(kind, payload):
    """Record who is told of an event, then send their emails (each its own task)."""
    ids = events.fan_out(kind, payload)
    for pk in ids:
        send_email.enqueue(pk)
    return len(ids)


@task
def send_email(delivery_id):
    return delivery.send(delivery_id)


class AbandonedTask(Exception):
    """Its worker died while running it (the task was run again)."""


def requeue_abandoned():
    """django-tasks-db leaves the task of a worker that died RUNNING for ever: run ours
    again (each is idempotent: every row it writes is unique per recipient and event)."""
    from django_tasks_db.models import DBTaskResult

    rerunnable = [t.module_path for t in (fan_out, send_email, send_digests, remind_reviews)]
    stale = timezone.now() - delivery.lease()
    with transaction.atomic():
        abandoned = list(
            DBTaskResult.objects.select_for_update(skip_locked=True).filter(
                status=TaskResultStatus.RUNNING, started_at__lt=stale, task_path__in=rerunnable
            )[:100]
        )
        for row in abandoned:
            row.set_failed(AbandonedTask(f"worker {row.worker_ids} died; run again"))
            log.warning(
                "task %s (%s) was abandoned by its worker: run again", row.pk, row.task_path
            )
            args = row.args_kwargs
            transaction.on_commit(lambda t=row.task, a=args: t.enqueue(*a["args"], **a["kwargs"]))
    return len(abandoned)


@scheduled("sweep")
@task
def sweep():
    """Run again what a lost task or a dead worker left behind."""
    requeued = requeue_abandoned()
    ids = delivery.overdue_ids()
    for pk in ids:
        send_email.enqueue(pk)
    return {"tasks": requeued, "emails": len(ids)}


@scheduled("digests")
@task
def send_digests():
    ids = digest.record_due(today=timezone.localdate())
    for pk in ids:
        send_email.enqueue(pk)
    return len(ids)


@scheduled("review_reminders")
@task
def remind_reviews():
    reminders = events.reviews_to_remind()
    for commitment_id, due, overdue in reminders:
        fan_out.enqueue(
            events.Kind.REVIEW_DUE.value,
            {"commitment_id": commitment_id, "due": due, "overdue": overdue},
        )
    return len(reminders)


@scheduled("verify_integrity")
@task
def verify_integrity():
    """Report drift in the derived values (the log and the task result say what)."""
    call_command("verify_integrity")


@scheduled("dashboard_tallies")
@task
def refresh_dashboard_tallies():
    """Count the dashboard's tallies against the new day, before the first manager looks,
    and fold the trend's rows of the day."""
    tallies.rebuild()


@scheduled("dashboard_days")
@task
def refresh_dashboard_days():
    """Keep the dashboard's finished days: recompute those a write changed since the last
    run, and yesterday once the day is over (tracker/dashboard/days.py)."""
    return days.refresh()


@scheduled("prune_records")
@task
def prune_records():
    """Sign-in records past TRACKER_RETENTION_DAYS (README, Operations)."""
    call_command("prune_records")


@scheduled("backup")
@task
def backup():
    folder = Path(settings.TRACKER_BACKUP_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"tracker-{timezone.localtime():%Y-%m-%dT%H%M}.jsonl.gz"
    call_command("backup", str(path))
    return str(path)
