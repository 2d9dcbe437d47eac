"""Sending: claim, send, mark sent; failures retried with backoff, recorded, shown in the admin.

A worker killed for real is in test_notification_worker.py."""

import datetime as dt
import smtplib

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from tests import factories
from tracker import services
from tracker.notifications import delivery, events, tasks
from tracker.notifications.models import EmailDelivery

pytestmark = pytest.mark.django_db
State = EmailDelivery.State
START = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


@pytest.fixture
def queued(analyst, manager, commitment):
    """One delivery recorded, its send task not run yet."""
    analyst.email = "alice@example.org"
    analyst.save()
    update = factories.record(commitment, author=analyst)
    services.accept_update(update=update, manager=manager)  # on commit: never, in this test
    with time_machine.travel(START, tick=False):
        [pk] = events.fan_out("update_decided", {"update_id": update.pk})
    return EmailDelivery.objects.get(pk=pk)


@pytest.fixture
def smtp_down(monkeypatch):
    calls = []

    def refuse(self, *args, **kwargs):
        calls.append(self.to)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    return calls


def at(seconds):
    return time_machine.travel(START + dt.timedelta(seconds=seconds), tick=False)


def test_a_queued_delivery_is_sent_once_and_marked_sent(queued):
    assert queued.state == State.QUEUED
    with at(1):
        assert delivery.send(queued.pk) == "sent"
        assert delivery.send(queued.pk) == "skipped"  # a second task for it sends nothing
    queued.refresh_from_db()
    assert (queued.state, queued.attempts, queued.sent_at) == (
        State.SENT,
        1,
        START + dt.timedelta(seconds=1),
    )
    assert len(mail.outbox) == 1


def test_a_failure_is_recorded_and_retried_with_growing_backoff(queued, smtp_down, settings):
    settings.TRACKER_EMAIL_MAX_ATTEMPTS = 4
    waits = []
    now = 1
    for attempt in range(1, 5):
        with at(now):
            state = delivery.send(queued.pk)
        queued.refresh_from_db()
        assert queued.attempts == attempt
        assert queued.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
        if attempt < 4:
            assert state == State.RETRYING
            waits.append((queued.next_attempt_at - (START + dt.timedelta(seconds=now))).seconds)
            with at(now + 1):  # not due yet: nothing is tried
                assert delivery.send(queued.pk) == "skipped"
            now += waits[-1]
    assert waits == [60, 240, 960]  # 1, 4, 16 minutes
    assert state == queued.state == State.FAILED  # gave up after the last attempt
    assert len(smtp_down) == 4
    with at(now + 100_000):
        assert delivery.send(queued.pk) == "skipped"


def test_the_backoff_is_capped_at_six_hours(settings):
    settings.TRACKER_EMAIL_RETRY_SECONDS = 60
    assert [delivery.backoff(n) for n in (1, 2, 5, 6, 9)] == [60, 240, 15360, 21600, 21600]


def test_a_claim_of_a_worker_that_died_is_sent_again_after_the_lease(queued, settings):
    settings.TRACKER_EMAIL_LEASE_SECONDS = 300
    with at(1):
        claimed = delivery.claim(queued.pk)  # ... and the worker dies before sending
    assert claimed.state == State.SENDING
    with at(200):
        assert delivery.send(queued.pk) == "skipped"  # the lease still holds
    with at(302):
        assert delivery.overdue_ids() == [queued.pk]
        assert delivery.send(queued.pk) == "sent"
    queued.refresh_from_db()
    assert (queued.state, queued.attempts) == (State.SENT, 2)
    assert len(mail.outbox) == 1
    # Same message, same Message-ID: a copy the first worker might have sent is dropped.
    assert mail.outbox[0].extra_headers["Message-ID"] == queued.message_id


def test_a_worker_that_outlived_its_lease_does_not_overwrite_the_new_claim(queued, settings):
    settings.TRACKER_EMAIL_LEASE_SECONDS = 300
    with at(1):
        old = delivery.claim(queued.pk)
    with at(400):
        new = delivery.claim(queued.pk)
    assert new is not None and new.claimed_at != old.claimed_at
    # The old worker finishes now: its "sent" is not recorded over the new claim's.
    marked = EmailDelivery.objects.filter(pk=queued.pk, claimed_at=old.claimed_at).update(
        state=State.SENT, sent_at=timezone.now()
    )
    assert marked == 0


def test_the_sweep_enqueues_what_a_lost_task_left_behind(
    queued, settings, django_capture_on_commit_callbacks
):
    settings.TRACKER_EMAIL_LEASE_SECONDS = 300
    with at(60):
        assert tasks.sweep.enqueue().return_value == {"tasks": 0, "emails": 0}  # young
    with at(301):
        assert tasks.sweep.enqueue().return_value == {"tasks": 0, "emails": 1}
    queued.refresh_from_db()
    assert queued.state == State.SENT
    assert len(mail.outbox) == 1


def test_the_admin_lists_deliveries_with_their_errors_and_retries_them(
    queued, smtp_down, admin_client, monkeypatch
):
    with at(1):
        delivery.send(queued.pk)
    response = admin_client.get("/admin/notifications/emaildelivery/?state=retrying")
    assert response.status_code == 200
    assert b"SMTPServerDisconnected: Connection unexpectedly closed" in response.content
    assert b"Waiting to retry" in response.content
    monkeypatch.undo()
    response = admin_client.post(
        "/admin/notifications/emaildelivery/",
        {"action": "retry_now", "_selected_action": [queued.pk]},
    )
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.state == State.SENT
    assert admin_client.get("/admin/django_tasks_database/dbtaskresult/").status_code == 200
