"""Who hears what. Each event names its recipients; `fan_out` records what they are told.

Runs in the worker, never in a request: a request only enqueues `tasks.fan_out` on commit
(`announce`). Every row is unique on (recipient, event key), so a task that runs twice
(a worker killed after the fan-out committed, a re-enqueued task) tells nobody twice.
"""

import dataclasses
import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tracker.models import ANALYSTS, MANAGERS, Commitment, Status, StatusUpdate

from . import mail
from .models import EmailDelivery, Follow, Kind, Mode, Notification, Preferences

User = get_user_model()


@dataclasses.dataclass
class Event:
    kind: Kind
    key: str
    commitment: Commitment
    title: str  # one line, shown in the app
    context: dict  # for the email templates
    update: StatusUpdate | None = None
    body: str = ""

    @classmethod
    def about(cls, update, kind, key, *, title, body, **context):
        """An event about a status update: keyed by it, titled after its commitment."""
        return cls(
            kind=kind,
            key=f"{key}:{update.pk}",
            commitment=update.commitment,
            update=update,
            title=f"{update.commitment.reference}: {title}",
            body=body,
            context={"update": update, **context},
        )


def announce(kind, **payload):
    """Have the worker tell everyone concerned, once this transaction commits."""
    from .tasks import fan_out

    transaction.on_commit(lambda: fan_out.enqueue(Kind(kind).value, payload))


def with_role():
    """Active users with a role (access.may_be_notified, as a query): nobody else is told."""
    return User.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(groups__name__in=[ANALYSTS, MANAGERS])
    )


def responsible(commitment):
    """The owner and the assignees: they follow their commitments without asking."""
    return Q(owned_commitments=commitment) | Q(assigned_commitments=commitment)


def followers(commitment):
    follows = Follow.objects.filter(Q(commitment=commitment) | Q(area_id=commitment.area_id))
    return with_role().filter(Q(pk__in=follows.values("user_id")) | responsible(commitment))


def load_update(update_id):
    return StatusUpdate.objects.select_related(
        "commitment", "commitment__area", "author", "decided_by"
    ).get(pk=update_id)


def update_submitted(update_id):
    update = load_update(update_id)
    recipients = User.objects.filter(is_active=True, groups__name=MANAGERS).exclude(
        pk=update.author_id
    )
    event = Event.about(
        update,
        Kind.UPDATE_SUBMITTED,
        "submitted",
        title="a status update waits for review",
        body=f"{update.get_status_display()} as of {update.as_of:%d %b %Y}",
    )
    return event, recipients


def update_decided(update_id):
    update = load_update(update_id)
    verb = "accepted" if update.is_accepted else "returned"
    event = Event.about(
        update,
        Kind.UPDATE_DECIDED,
        "decided",
        title=f"your status update was {verb}",
        body=update.decision_comment[:1000],
        verb=verb,
    )
    recipients = (
        with_role().filter(pk=update.author_id) if update.author_id else User.objects.none()
    )
    return event, recipients


def status_changed(update_id, before, after):
    update = load_update(update_id)
    before, after = Status(before), Status(after)
    event = Event.about(
        update,
        Kind.STATUS_CHANGED,
        "status",
        title=f"{before.label} → {after.label}",
        body=update.commitment.title,
        before=before,
        after=after,
    )
    # The author hears of the decision itself; whoever decided knows already.
    recipients = followers(update.commitment).exclude(
        pk__in=[pk for pk in (update.author_id, update.decided_by_id) if pk]
    )
    return event, recipients


def review_due(commitment_id, due, overdue):
    commitment = Commitment.objects.select_related("area").get(pk=commitment_id)
    due = dt.date.fromisoformat(due)
    what = "is overdue" if overdue else f"is due on {due:%d %b %Y}"
    event = Event(
        kind=Kind.REVIEW_DUE,
        key=f"{'overdue' if overdue else 'due'}:{commitment.pk}:{due.isoformat()}",
        commitment=commitment,
        title=f"{commitment.reference}: the review {what}",
        body=commitment.title,
        context={"due": due, "overdue": overdue},
    )
    return event, with_role().filter(responsible(commitment))


BUILDERS = {
    Kind.UPDATE_SUBMITTED: update_submitted,
    Kind.UPDATE_DECIDED: update_decided,
    Kind.STATUS_CHANGED: status_changed,
    Kind.REVIEW_DUE: review_due,
}


def fan_out(kind, payload):
    """Record the event's notifications and emails; returns the ids of the emails to send."""
    event, recipients = BUILDERS[Kind(kind)](**payload)
    recipients = list(recipients.distinct().order_by("pk"))
    prefs = {p.user_id: p for p in Preferences.objects.filter(user__in=recipients)}
    told, emailed = [], []
    for user in recipients:
        mode = prefs.get(user.pk, Preferences.default_for(user)).mode(event.kind)
        if mode == Mode.OFF:
            continue
        told.append(user)
        if mode == Mode.IMMEDIATE and user.email and settings.TRACKER_EMAIL_NOTIFICATIONS:
            emailed.append(user)
    url = event.update.get_absolute_url() if event.update else event.commitment.get_absolute_url()
    with transaction.atomic():
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient=user,
                    kind=event.kind,
                    event_key=event.key,
                    commitment=event.commitment,
                    status_update=event.update,
                    title=event.title[:300],
                    body=event.body[:1000],
                    url=url,
                )
                for user in told
            ],
            ignore_conflicts=True,
        )
        EmailDelivery.objects.bulk_create(
            [mail.event_delivery(event, user) for user in emailed], ignore_conflicts=True
        )
        return list(
            EmailDelivery.objects.filter(
                event_key=event.key, state=EmailDelivery.State.QUEUED
            ).values_list("pk", flat=True)
        )


def reviews_to_remind(today=None):
    """(commitment id, due date, overdue) of reviews due within N days or overdue this week.

    Each is told once per due date (the event key names it); an overdue review is told of
    for a week after it fell due, so a new installation does not mail every old one.
    """
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=settings.TRACKER_REVIEW_REMINDER_DAYS)
    rows = Commitment.objects.filter(
        next_review_due__gte=today - dt.timedelta(days=7), next_review_due__lte=soon
    ).values_list("pk", "next_review_due")
    return [(pk, due.isoformat(), due < today) for pk, due in rows]
