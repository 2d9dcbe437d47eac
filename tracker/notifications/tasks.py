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
from django.tasks import task
from django.utils import timezone

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


@scheduled("sweep")
@task
def sweep():
    """Send again what a lost task or a dead worker left behind."""
    ids = delivery.overdue_ids()
    for pk in ids:
        send_email.enqueue(pk)
    return len(ids)


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


@scheduled("backup")
@task
def backup():
    folder = Path(settings.TRACKER_BACKUP_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"tracker-{timezone.localtime():%Y-%m-%dT%H%M}.jsonl.gz"
    call_command("backup", str(path))
    return str(path)
