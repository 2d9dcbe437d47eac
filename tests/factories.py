"""Small plain helpers to make test data (each returns a saved object), shared with bench/."""

import datetime as dt
import itertools

from django.contrib.auth.models import Group, User
from django.utils import timezone

from tracker import services
from tracker.models import (
    ANALYSTS,
    MANAGERS,
    Area,
    Commitment,
    CommitmentParty,
    Confidence,
    Indicator,
    Party,
    Source,
    Status,
)

_seq = itertools.count(1)

# The header an HTMX request carries, for django.test.Client's get/post.
HTMX = {"HTTP_HX_REQUEST": "true"}


def evidence_management(total=3, prefix="evidence"):
    """The management form of the evidence formset, for `total` forms."""
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "20",
    }


def signed_in(user, client=None):
    """A test client signed in as `user` (a new one unless given)."""
    from django.test import Client

    client = client or Client()
    client.force_login(user)
    return client


def make_user(username=None, group=None, **fields):
    username = username or f"user{next(_seq)}"
    user = User.objects.create_user(username=username, password="pw-for-tests-only", **fields)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def make_analyst(username=None, **fields):
    return make_user(username, ANALYSTS, **fields)


def make_manager(username=None, **fields):
    return make_user(username, MANAGERS, **fields)


def make_area(name=None):
    n = next(_seq)
    name = name or f"Area {n}"
    return Area.objects.get_or_create(slug=f"area-{n}", defaults={"name": name})[0]


def make_party(name=None, kind=Party.Kind.GOVERNMENT, short_name=""):
    name = name or f"Party {next(_seq)}"
    return Party.objects.get_or_create(
        name=name, defaults={"kind": kind, "short_name": short_name}
    )[0]


def make_source(title=None, **fields):
    return Source.objects.create(title=title or f"Source {next(_seq)}", **fields)


def make_commitment(reference=None, *, owner=None, area=None, parties=(), **fields):
    n = next(_seq)
    commitment = Commitment.objects.create(
        reference=reference or f"C-{n:04d}",
        title=fields.pop("title", f"Commitment {n}"),
        area=area or make_area(),
        owner=owner,
        **fields,
    )
    for party in parties:
        CommitmentParty.objects.create(commitment=commitment, party=party)
    return commitment


def record(
    commitment,
    *,
    author=None,
    status=Status.IN_PROGRESS,
    as_of=None,
    progress=None,
    confidence=Confidence.MODERATE,
    assessment="",
    quote="A verbatim quote.",
    source=None,
    accept_by=None,
    **kwargs,
):
    """Record a status update with one piece of evidence; optionally accept it at once."""
    evidence = [services.EvidenceItem(quote=quote, source=source or make_source())] if quote else []
    update, _ = services.record_status_update(
        commitment=commitment,
        author=author,
        status=status,
        confidence=confidence,
        as_of=as_of or timezone.localdate(),
        progress=progress,
        assessment=assessment,
        evidence=evidence,
        **kwargs,
    )
    if accept_by is not None and update.is_pending:
        update = services.accept_update(update=update, manager=accept_by)
    return update


def make_indicator(commitment, name=None, **fields):
    return Indicator.objects.create(
        commitment=commitment, name=name or f"Indicator {next(_seq)}", **fields
    )


def days_ago(n):
    return timezone.localdate() - dt.timedelta(days=n)


def make_notification(recipient, commitment, *, kind="status_changed", read=False, **fields):
    from tracker.notifications.models import Notification

    n = next(_seq)
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        event_key=fields.pop("event_key", f"test:{n}"),
        commitment=commitment,
        title=fields.pop("title", f"{commitment.reference}: notification {n}"),
        url=commitment.get_absolute_url(),
        read_at=timezone.now() if read else None,
        **fields,
    )


def edit_form_data(commitment, **changes):
    """The commitment edit form as a manager would post it unchanged, plus `changes`."""
    commitment.refresh_from_db()
    data = {
        "title": commitment.title,
        "description": commitment.description,
        "area": commitment.area_id,
        "event": commitment.event_id or "",
        "target_date": commitment.target_date.isoformat() if commitment.target_date else "",
        "review_cadence_days": commitment.review_cadence_days,
        "parent": commitment.parent_id or "",
        "assignees": [u.pk for u in commitment.assignees.all()],
        "version": commitment.version,
    }
    if commitment.owner_id:
        data["owner"] = commitment.owner_id
    data.update(changes)
    return data


def make_token(user, *, scope="read", days=30, name="Script"):
    """A saved personal access token; its secret (shown once) is `token.raw`."""
    from tracker.api.models import ApiToken

    token, raw = ApiToken.issue(
        user=user, name=name, scope=scope, expires_at=timezone.now() + dt.timedelta(days=days)
    )
    token.raw = raw
    return token
