"""The digest: what changed since the reader's last one, in the dashboard's own numbers."""

import datetime as dt

import pytest
from django.core import mail

from tests import factories
from tests.dashboard_world import at, build_world
from tracker.models import Status
from tracker.notifications import digest, tasks
from tracker.notifications.models import EmailDelivery, Frequency, Preferences

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 3, 2)  # the world's today


@pytest.fixture
def world(analyst, other_analyst, manager):
    for user in (analyst, other_analyst, manager):
        user.email = f"{user.username}@example.org"
        user.save()
    world = build_world(analyst, other_analyst, manager)
    # More in the week of 23 Feb - 1 Mar: C3 gets better, C2 is confirmed, C4 is assessed.
    with at("2026-02-24 10:00"):
        factories.record(world.c3, author=other_analyst, status=Status.IN_PROGRESS,
                         as_of=dt.date(2026, 1, 22), quote="Calls resumed.",
                         accept_by=manager)  # fmt: skip
    with at("2026-02-28 23:30"):
        factories.record(world.c2, author=analyst, status=Status.FULFILLED,
                         quote="Confirmed again.", accept_by=manager)  # fmt: skip
    with at("2026-03-01 08:00"):
        factories.record(world.c4, status=Status.NOT_STARTED, quote="No talks yet.")
    return world


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def send_digests(moment, run_tasks):
    with at(moment), run_tasks():
        return tasks.send_digests.enqueue().return_value


def digest_for(user, since, until):
    with at(f"{until + dt.timedelta(days=1)} 07:00"):
        return digest.for_reader(user, digest.period_changes(since, until), today=until)


@pytest.mark.parametrize(
    "since,until",
    [
        (dt.date(2026, 2, 23), dt.date(2026, 3, 1)),  # the week before Monday 2 March
        (dt.date(2026, 2, 28), dt.date(2026, 2, 28)),  # a day
        (dt.date(2026, 1, 1), dt.date(2026, 3, 1)),  # since a digest long ago
    ],
)
def test_the_digest_has_the_dashboards_numbers_for_its_period(world, manager, client, since, until):
    client.force_login(manager)
    with at("2026-03-02 12:00"):
        response = client.get("/", {"since": since.isoformat(), "until": until.isoformat()})
    shown = response.context["d"]
    ours = digest_for(manager, since, until).period
    assert (ours.updates, ours.commitments, ours.worse) == (
        shown.changes.updates,
        shown.changes.commitments,
        shown.worsened_count,
    )
    assert ours.updates > 0


def test_the_weekly_digest_groups_by_commitment_worse_first(world, manager):
    d = digest_for(manager, dt.date(2026, 2, 23), dt.date(2026, 3, 1))
    period = d.period
    assert (period.updates, period.commitments, period.worse, period.new_quotes) == (4, 4, 1, 4)
    rows = [(c.commitment.reference, c.before, c.after, c.updates) for c in period.changed]
    assert rows == [
        ("C1", Status.IN_PROGRESS, Status.AT_RISK, 1),  # what got worse comes first
        ("C2", Status.FULFILLED, Status.FULFILLED, 1),
        ("C3", Status.STALLED, Status.IN_PROGRESS, 1),
        ("C4", Status.NOT_ASSESSED, Status.NOT_STARTED, 1),
    ]
    assert period.changed[2].quotes == [("Calls resumed.", period.changed[2].quotes[0][1])]
    assert [c.reference for c in d.overdue] == ["C3"]  # C4's review moved on with its update
    assert d.pending_count == 1  # C5's update waits on managers


def test_an_analyst_sees_their_own_overdue_reviews_and_no_review_queue(world, other_analyst):
    d = digest_for(other_analyst, dt.date(2026, 2, 23), dt.date(2026, 3, 1))
    assert d.pending_count is None
    assert [c.reference for c in d.overdue] == ["C3"]
    alice = digest_for(world.c1.owner, dt.date(2026, 2, 23), dt.date(2026, 3, 1))
    assert alice.overdue == [] and alice.overdue_count == 0


def test_managers_get_the_weekly_digest_on_monday_morning(world, manager, run_tasks):
    assert send_digests("2026-02-28 07:00", run_tasks) == 0  # a Saturday: not for weekly
    assert send_digests("2026-03-02 07:00", run_tasks) == 1
    [message] = mail.outbox
    assert message.to == ["maria@example.org"]
    assert message.subject == "[Commitment Tracker] Digest, 23 Feb to 01 Mar 2026"
    body = message.body
    assert "4 accepted status updates on 4 commitments, 1 got worse; 4 new quotes." in body
    assert body.index("[WORSE] C1: Curb precursors") < body.index("C3: Hotline")
    assert "In progress → At risk" in body and "Stalled → In progress" in body
    assert "“Calls resumed.”" in body
    assert "Overdue reviews: 1" in body
    assert "Status updates waiting for your review: 1" in body
    assert "https://tracker.example.org/?since=2026-02-23&until=2026-03-01" in body
    html = message.alternatives[0].content
    assert "Got worse:" in html and "C1</strong>" in html
    headers = message.message()
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Preferences.objects.get(user=manager).last_digest_until == dt.date(2026, 3, 1)


def test_the_next_digest_starts_after_the_last_one(world, manager, run_tasks):
    assert send_digests("2026-03-02 07:00", run_tasks) == 1
    assert send_digests("2026-03-02 09:00", run_tasks) == 0  # the same morning again: nothing
    with at("2026-03-04 10:00"):
        factories.record(world.c2, status=Status.BROKEN, quote="Withdrawn.")
    assert send_digests("2026-03-09 07:00", run_tasks) == 1
    latest = mail.outbox[-1]
    assert latest.subject == "[Commitment Tracker] Digest, 02 Mar to 08 Mar 2026"
    assert "1 accepted status update on 1 commitment, 1 got worse" in latest.body
    assert "Fulfilled → Broken" in latest.body
    assert EmailDelivery.objects.count() == 2


def test_daily_digests_and_nothing_to_say_means_no_email(world, analyst, run_tasks):
    Preferences.objects.create(user=analyst, digest=Frequency.DAILY)
    # Sunday 1 March: Saturday 28 February had C2's accepted update; alice is told.
    assert send_digests("2026-03-01 07:00", run_tasks) == 1
    assert mail.outbox[0].subject == "[Commitment Tracker] Digest for 28 Feb 2026"
    # Tuesday 3 March, for Monday 2 March: nothing accepted, nothing overdue of hers.
    # Tuesday 3 March: since her last digest, 1-2 March (C4 was assessed on the 1st).
    assert send_digests("2026-03-03 07:00", run_tasks) == 1
    assert mail.outbox[1].subject == "[Commitment Tracker] Digest, 01 Mar to 02 Mar 2026"
    assert "C4: Annual talks" in mail.outbox[1].body
    # Wednesday 4 March, for the 3rd: nothing accepted, nothing of hers overdue: no email,
    # and her next digest still starts after the last one sent.
    assert send_digests("2026-03-04 07:00", run_tasks) == 0
    assert len(mail.outbox) == 2
    assert Preferences.objects.get(user=analyst).last_digest_until == dt.date(2026, 3, 2)


def test_never_means_never(world, manager, run_tasks):
    Preferences.objects.create(user=manager, digest=Frequency.NEVER)
    assert send_digests("2026-03-02 07:00", run_tasks) == 0
    assert mail.outbox == []
