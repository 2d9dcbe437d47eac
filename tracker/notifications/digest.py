"""The digest: what changed since the reader's last digest, in the dashboard's own numbers.

The period's part (what changed, what got worse) is the same for every reader of that
period and is computed once per period; only the overdue reviews and the pending reviews
are the reader's own. Nothing to say, no email.
"""

import dataclasses
import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse

from tracker import access
from tracker.dashboard import queries
from tracker.dashboard.history import status_changes
from tracker.models import Commitment, Evidence, Status, StatusUpdate

from . import mail
from .events import with_role
from .models import EmailDelivery, Kind, Preferences

KIND_FIELDS = [kind.value for kind in Kind]

SHOWN_COMMITMENTS = 30
QUOTES_PER_COMMITMENT = 2
SHOWN_OVERDUE = 10
QUOTE_LENGTH = 300


@dataclasses.dataclass
class CommitmentChange:
    commitment: Commitment
    before: Status
    after: Status
    updates: int
    new_quotes: int
    quotes: list = dataclasses.field(default_factory=list)

    @property
    def got_worse(self):
        return Status.got_worse(self.before, self.after)

    @property
    def fall(self):
        return self.before.rank - self.after.rank if self.got_worse else 0


@dataclasses.dataclass
class PeriodChanges:
    """Shared by every reader of one period."""

    since: dt.date
    until: dt.date
    updates: int  # accepted status updates that became known: the dashboard's numbers
    commitments: int
    changed: list  # [CommitmentChange], what got worse first
    worse: int
    new_quotes: int

    @property
    def hidden(self):
        return self.commitments - len(self.changed)


@dataclasses.dataclass
class Digest:
    period: PeriodChanges
    overdue: list  # [Commitment], longest overdue first
    overdue_count: int
    pending_count: int | None  # None: the reader reviews nothing
    dashboard_url: str
    review_url: str

    @property
    def since(self):
        return self.period.since

    @property
    def until(self):
        return self.period.until

    @property
    def is_empty(self):
        return not (self.period.updates or self.overdue_count or self.pending_count)

    @property
    def title(self):
        if self.since == self.until:
            return f"Digest for {self.until:%d %b %Y}"
        return f"Digest, {self.since:%d %b} to {self.until:%d %b %Y}"


def decided_in(since, until):
    """Accepted updates decided in the period: the same rows as the dashboard's."""
    return StatusUpdate.objects.accepted().filter(
        decided_at__gte=queries.start_of_day(since),
        decided_at__lt=queries.start_of_day(until + queries.ONE_DAY),
    )


def period_changes(since, until):
    totals = status_changes(since=since, until=until, limit=0)
    updates = decided_in(since, until)
    per_commitment = dict(
        updates.order_by()
        .values("commitment_id")
        .annotate(n=Count("id"))
        .values_list("commitment_id", "n")
    )
    quotes = dict(
        Evidence.objects.filter(status_update__in=updates)
        .order_by()
        .values("status_update__commitment_id")
        .annotate(n=Count("id"))
        .values_list("status_update__commitment_id", "n")
    )
    rows = (
        Commitment.objects.filter(pk__in=list(per_commitment))
        .annotate(
            before=queries._status_on(since - queries.ONE_DAY), after=queries._status_on(until)
        )
        .only("reference", "title")
    )
    changed = [
        CommitmentChange(
            commitment=c,
            before=Status(c.before or queries.NOT_ASSESSED),
            after=Status(c.after or queries.NOT_ASSESSED),
            updates=per_commitment[c.pk],
            new_quotes=quotes.get(c.pk, 0),
        )
        for c in rows
    ]
    changed.sort(key=lambda change: (-change.fall, change.commitment.reference))
    worse = sum(1 for change in changed if change.got_worse)
    shown = changed[:SHOWN_COMMITMENTS]
    attach_quotes(shown, updates)
    return PeriodChanges(
        since=since,
        until=until,
        updates=totals.updates,
        commitments=totals.commitments,
        changed=shown,
        worse=worse,
        new_quotes=sum(quotes.values()),
    )


def attach_quotes(shown, updates):
    by_commitment = {change.commitment.pk: change for change in shown}
    evidence = (
        Evidence.objects.filter(
            status_update__in=updates.filter(commitment_id__in=list(by_commitment))
        )
        .select_related("source")
        .only("quote", "speaker", "source__title", "status_update__commitment_id")
        .order_by("status_update__commitment_id", "-status_update__decided_at", "id")
        .values_list("status_update__commitment_id", "quote", "source__title")
    )
    for commitment_id, quote, source in evidence:
        change = by_commitment[commitment_id]
        if len(change.quotes) < QUOTES_PER_COMMITMENT:
            short = quote if len(quote) <= QUOTE_LENGTH else quote[: QUOTE_LENGTH - 1] + "…"
            change.quotes.append((short, source))


def for_reader(user, period, *, today):
    overdue = Commitment.objects.overdue(today)
    if not access.sees_every_overdue_review(user):
        overdue = overdue.involving(user)
    shown = list(overdue.only("reference", "title", "next_review_due")[:SHOWN_OVERDUE])
    count = len(shown) if len(shown) < SHOWN_OVERDUE else overdue.count()
    pending = (
        StatusUpdate.objects.awaiting_decision_by(user).count()
        if access.can_review_updates(user)
        else None
    )
    return Digest(
        period=period,
        overdue=sorted(shown, key=lambda c: c.next_review_due),
        overdue_count=count,
        pending_count=pending,
        dashboard_url=dashboard_url(period),
        review_url=mail.absolute(reverse("review-queue")),
    )


def dashboard_url(period):
    query = urlencode({"since": period.since, "until": period.until})
    return mail.absolute(f"{reverse('dashboard')}?{query}")


def record_due(*, today):
    """Record the digests due today; returns the ids of the emails to send."""
    if not settings.TRACKER_EMAIL_NOTIFICATIONS:
        return []
    readers = list(with_role().filter(email__gt="").distinct().order_by("pk"))
    prefs = {p.user_id: p for p in Preferences.objects.filter(user__in=readers)}
    periods = {}
    ids = []
    for user in readers:
        pref = prefs.get(user.pk) or Preferences.default_for(user)
        period = pref.digest_period(today)
        if period is None:
            continue
        if period not in periods:
            changes = period_changes(*period)
            # The period's part is the same for all its readers: rendered once.
            periods[period] = changes, mail.render_period(changes, dashboard_url(changes))
        changes, shared = periods[period]
        digest = for_reader(user, changes, today=today)
        if digest.is_empty:
            continue  # Nothing to say; the next digest still starts after the last one sent.
        ids.extend(record(digest, user, pref, shared))
    return ids


def record(digest, user, pref, shared):
    delivery = mail.digest_delivery(digest, user, shared)
    with transaction.atomic():
        EmailDelivery.objects.bulk_create([delivery], ignore_conflicts=True)
        Preferences.objects.update_or_create(
            user=user,
            defaults={"last_digest_until": digest.until},
            create_defaults={
                **{f: getattr(pref, f) for f in ("digest", *KIND_FIELDS)},
                "last_digest_until": digest.until,
            },
        )
    queued = EmailDelivery.objects.filter(
        recipient=user, event_key=delivery.event_key, state=EmailDelivery.State.QUEUED
    )
    return list(queued.values_list("pk", flat=True))
