"""Sending one EmailDelivery: claim, send, mark sent; retry with backoff on failure.

The guarantee (README, "Notifications"): every delivery is sent, and sent once, unless a
worker dies in the instant between the mail server accepting the message and the commit
that marks it sent. Such a delivery stays SENDING; once its lease runs out it is sent
again with the same Message-ID, which mail clients use to drop the copy.
"""

import datetime as dt
import logging
import os
import socket

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tracker import access

from . import mail
from .models import EmailDelivery

log = logging.getLogger("tracker.notifications")
State = EmailDelivery.State
WORKER = f"{socket.gethostname()}:{os.getpid()}"[:100]


def lease():
    return dt.timedelta(seconds=settings.TRACKER_EMAIL_LEASE_SECONDS)


def backoff(attempts):
    """Seconds before attempt `attempts + 1`: 1, 4, 16, 64 minutes… at most six hours."""
    return min(settings.TRACKER_EMAIL_RETRY_SECONDS * 4 ** (attempts - 1), 6 * 3600)


def claimable(now):
    """Deliveries a worker may take now: due, or claimed by a worker that died."""
    return Q(state__in=[State.QUEUED, State.RETRYING], next_attempt_at__lte=now) | Q(
        state=State.SENDING, claimed_at__lt=now - lease()
    )


def claim(pk):
    """Take the delivery for this worker, or None when it is not (or no longer) due."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            EmailDelivery.objects.select_for_update()
            .select_related("recipient")
            .filter(claimable(now), pk=pk)
            .first()
        )
        if delivery is None:
            return None
        if not access.may_be_notified(delivery.recipient):
            # Lost their role or left since: tell them nothing more.
            delivery.state = State.CANCELLED
            delivery.save(update_fields=["state"])
            return None
        delivery.state = State.SENDING
        delivery.attempts += 1
        delivery.claimed_at = now
        delivery.claimed_by = WORKER
        delivery.save(update_fields=["state", "attempts", "claimed_at", "claimed_by"])
    return delivery


def send(pk):
    """Send one delivery; returns its state afterwards ("skipped" when not ours to send)."""
    delivery = claim(pk)
    if delivery is None:
        return "skipped"
    try:
        mail.message(delivery).send()
    except Exception as exc:  # noqa: BLE001 - any failure of the mail server is retried
        return failed(delivery, exc)
    # Only our own claim may be marked: a worker that outlived its lease marks nothing.
    EmailDelivery.objects.filter(
        pk=delivery.pk, state=State.SENDING, claimed_at=delivery.claimed_at
    ).update(state=State.SENT, sent_at=timezone.now(), last_error="")
    return State.SENT.value


def failed(delivery, exc):
    error = f"{type(exc).__name__}: {exc}"[:1000]
    give_up = delivery.attempts >= settings.TRACKER_EMAIL_MAX_ATTEMPTS
    next_at = timezone.now() + dt.timedelta(seconds=backoff(delivery.attempts))
    state = State.FAILED if give_up else State.RETRYING
    EmailDelivery.objects.filter(pk=delivery.pk, claimed_at=delivery.claimed_at).update(
        state=state, next_attempt_at=next_at, last_error=error
    )
    log.warning(
        "email %s to %s failed (attempt %s): %s", delivery.pk, delivery.to, delivery.attempts, error
    )
    if not give_up:
        from .tasks import send_email

        # Without deferred tasks (the immediate backend), the sweep retries it.
        if send_email.get_backend().supports_defer:
            send_email.using(run_after=next_at).enqueue(delivery.pk)
    return state.value


def overdue_ids(limit=500):
    """Deliveries whose task was lost or whose worker died: the sweep enqueues them again.

    A queued delivery is normally taken within seconds; one still queued after the lease
    has lost its task (the process died between commit and enqueue, or the queue row went).
    """
    now = timezone.now()
    stale = now - lease()
    rows = EmailDelivery.objects.filter(
        Q(state__in=[State.QUEUED, State.RETRYING], next_attempt_at__lte=stale)
        | Q(state=State.SENDING, claimed_at__lt=stale)
    )
    ids = list(rows.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    # Not again before another lease has passed; a dead worker's claim stays claimable.
    EmailDelivery.objects.filter(pk__in=ids).exclude(state=State.SENDING).update(
        next_attempt_at=now
    )
    return ids
