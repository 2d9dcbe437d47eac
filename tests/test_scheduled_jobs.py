"""The scheduler's jobs: each registered with its schedule, each a task the worker runs."""

import gzip
import json

import pytest
from crontask import scheduler
from django.utils import timezone

from tests import factories
from tracker.notifications import tasks

pytestmark = pytest.mark.django_db


def test_every_job_is_scheduled_in_the_trackers_time_zone(settings):
    jobs = {job.name: job.trigger for job in scheduler.get_jobs()}
    names = ("sweep", "send_digests", "remind_reviews", "verify_integrity", "backup")
    for name in names:
        assert name in jobs, name
    assert (
        str(jobs["send_digests"])
        == "cron[month='*', day='*', day_of_week='*', hour='7', minute='0']"
    )
    assert str(jobs["prune_records"]).endswith("hour='3', minute='15']")
    assert str(jobs["refresh_dashboard_tallies"]).endswith("hour='0', minute='0']")
    assert str(jobs["send_digests"].timezone) == settings.TIME_ZONE


def test_the_nightly_backup_writes_a_file_into_the_backup_folder(settings, tmp_path, analyst):
    settings.TRACKER_BACKUP_DIR = str(tmp_path / "backups")
    factories.make_commitment("BACKED-UP", owner=analyst)
    path = tasks.backup.enqueue().return_value
    assert path.startswith(settings.TRACKER_BACKUP_DIR) and path.endswith(".jsonl.gz")
    with gzip.open(path, "rt") as lines:
        assert any("BACKED-UP" in line and json.loads(line) for line in lines)


def test_the_nightly_integrity_check_succeeds_without_drift_and_fails_with_it(analyst):
    commitment = factories.make_commitment(owner=analyst)
    assert tasks.verify_integrity.enqueue().status == "SUCCESSFUL"
    type(commitment).objects.filter(pk=commitment.pk).update(current_status="broken")
    assert tasks.verify_integrity.enqueue().status == "FAILED"  # shown in the admin


def test_the_retention_job_runs_prune_records():
    assert tasks.prune_records.enqueue().status == "SUCCESSFUL"


def test_the_midnight_job_counts_the_dashboard_against_the_new_day(analyst):
    from django.db import connection

    from tracker.dashboard import tallies

    factories.make_commitment(owner=analyst)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {tallies.DAY_TABLE} SET day = '2000-01-01'")  # noqa: S608
    assert tasks.refresh_dashboard_tallies.enqueue().status == "SUCCESSFUL"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT day FROM {tallies.DAY_TABLE}")  # noqa: S608
        assert tallies.as_date(cursor.fetchone()[0]) == timezone.localdate()
        cursor.execute(f"SELECT COUNT(*) FROM {tallies.TABLE}")  # noqa: S608
        assert cursor.fetchone()[0] == 2  # its area's count and its owner's
