"""Sign-in records are kept TRACKER_RETENTION_DAYS, then `manage.py prune_records` deletes
them; the audit log's record of work is kept."""

import datetime as dt
from io import StringIO

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.management import CommandError, call_command
from django.utils import timezone

from tracker.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def make_records(days_old):
    at = timezone.now() - dt.timedelta(days=days_old)
    for action in (AuditAction.SIGN_IN_FAILED, AuditAction.SIGN_IN, AuditAction.EXPORT):
        AuditEvent.objects.create(action=action, username=f"u{days_old}", at=at)
    attempt = AccessAttempt.objects.create(
        username=f"u{days_old}", ip_address="203.0.113.5", user_agent="x", failures_since_start=1
    )
    failure = AccessFailureLog.objects.create(
        username=f"u{days_old}", ip_address="203.0.113.5", user_agent="x"
    )
    log = AccessLog.objects.create(username=f"u{days_old}", ip_address="203.0.113.5")
    # attempt_time is auto_now_add: date the rows afterwards.
    for model, obj in ((AccessAttempt, attempt), (AccessFailureLog, failure), (AccessLog, log)):
        model.objects.filter(pk=obj.pk).update(attempt_time=at)


def prune(*args):
    out = StringIO()
    call_command("prune_records", *args, stdout=out)
    return out.getvalue()


def test_records_past_the_retention_period_are_deleted(settings, client):
    settings.TRACKER_RETENTION_DAYS = 30
    make_records(days_old=31)
    make_records(days_old=29)
    out = prune()
    assert "Deleted records older than 30 days" in out
    assert "2 audit events, 1 failed sign-in attempts" in out
    assert set(AuditEvent.objects.values_list("username", "action")) == {
        ("u31", "export"),  # the record of work stays
        ("u29", "sign_in_failed"),
        ("u29", "sign_in"),
        ("u29", "export"),
    }
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        assert list(model.objects.values_list("username", flat=True)) == ["u29"]


def test_a_dry_run_counts_and_deletes_nothing(settings):
    make_records(days_old=400)
    out = prune("--dry-run", "--days", "7")
    assert out.startswith("Would delete records older than 7 days")
    assert AuditEvent.objects.count() == 3 and AccessAttempt.objects.count() == 1


def test_the_retention_period_must_be_at_least_a_day():
    with pytest.raises(CommandError, match="at least one day"):
        prune("--days", "0")


def test_fresh_failed_usernames_stop_growing_the_tables_after_a_prune(client, settings):
    settings.AXES_ENABLED = True
    for n in range(5):
        client.post("/accounts/login/", {"username": f"nobody-{n}", "password": "x"})
    assert AuditEvent.objects.filter(action="sign_in_failed").count() == 5
    expired = timezone.now() - dt.timedelta(days=settings.TRACKER_RETENTION_DAYS + 1)
    AuditEvent.objects.update(at=expired)
    AccessAttempt.objects.update(attempt_time=expired)
    AccessFailureLog.objects.update(attempt_time=expired)
    prune()
    assert AuditEvent.objects.filter(action="sign_in_failed").count() == 0
    assert AccessAttempt.objects.count() == 0 and AccessFailureLog.objects.count() == 0
