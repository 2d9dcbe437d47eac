"""Who hears what: each event, each preference, and the emails themselves.

Tasks run at once here (the immediate backend, on commit); test_notification_worker.py runs
the real worker process.
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.tasks import default_task_backend

from tests import factories
from tracker import services
from tracker.models import Status
from tracker.notifications import events, tasks
from tracker.notifications.models import (
    EmailDelivery,
    Follow,
    Kind,
    Mode,
    Notification,
    Preferences,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(analyst, other_analyst, manager, other_manager):
    for user in (analyst, other_analyst, manager, other_manager):
        user.email = f"{user.username}@example.org"
        user.save()
    return {"analyst": analyst, "other_analyst": other_analyst, "manager": manager}


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """Run what a block enqueues on commit (the immediate backend runs the tasks at once)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def told(kind=None):
    rows = Notification.objects.all() if kind is None else Notification.objects.filter(kind=kind)
    return sorted(rows.values_list("recipient__username", flat=True))


def emailed_to():
    return sorted(address for message in mail.outbox for address in message.to)


def set_mode(user, kind, mode):
    prefs = Preferences.for_user(user)
    setattr(prefs, kind, mode)
    prefs.save()


# Update submitted → the managers who review it


def test_a_submitted_update_tells_every_manager_but_no_analyst(people, commitment, run_tasks):
    with run_tasks():
        factories.record(commitment, author=people["analyst"], status=Status.AT_RISK)
    assert told(Kind.UPDATE_SUBMITTED) == ["maria", "mike"]
    assert emailed_to() == ["maria@example.org", "mike@example.org"]
    message = mail.outbox[0]
    assert "Alice Analyst submitted a status update on USCN-TEST" in message.body
    assert "Not yet assessed → At risk" in message.body
    assert "https://tracker.example.org/commitments/USCN-TEST/#update-" in message.body


# Accepted / returned → its author, with the comment


def test_a_returned_update_tells_its_author_with_the_comment(people, commitment, run_tasks):
    update = factories.record(commitment, author=people["analyst"])
    with run_tasks():
        services.return_update(update=update, manager=people["manager"], comment="Which rule?")
    assert told(Kind.UPDATE_DECIDED) == ["alice"]
    [message] = mail.outbox
    assert message.to == ["alice@example.org"]
    assert "was returned by Maria Manager" in message.body
    assert "Which rule?" in message.body
    assert "https://tracker.example.org/returned/" in message.body
    html = message.alternatives[0].content
    assert "<strong>returned</strong>" in html and "Which rule?" in html


def test_an_accepted_update_tells_its_author(people, commitment, run_tasks):
    update = factories.record(commitment, author=people["analyst"], status=Status.AT_RISK)
    with run_tasks():
        services.accept_update(update=update, manager=people["manager"], comment="Well sourced.")
    assert told(Kind.UPDATE_DECIDED) == ["alice"]
    notification = Notification.objects.get(kind=Kind.UPDATE_DECIDED)
    assert notification.title == "USCN-TEST: your status update was accepted"
    assert notification.body == "Well sourced."
    assert notification.url == update.get_absolute_url()
    assert "was accepted by Maria Manager" in mail.outbox[0].body


# A followed commitment's status changes → its followers


def test_a_status_change_tells_followers_owner_and_assignees(people, commitment, run_tasks):
    assignee = factories.make_analyst("asha", email="asha@example.org")
    commitment.assignees.add(assignee)
    area_follower = factories.make_analyst("ari", email="ari@example.org")
    Follow.objects.create(user=area_follower, area=commitment.area)
    Follow.objects.create(user=people["other_analyst"], commitment=commitment)
    Follow.objects.create(user=factories.make_user("roleless"), commitment=commitment)
    update = factories.record(commitment, author=assignee, status=Status.AT_RISK)
    with run_tasks():
        services.accept_update(update=update, manager=people["manager"])
    # The author hears of the decision instead; the deciding manager knows; no role, no news.
    assert told(Kind.STATUS_CHANGED) == ["alice", "ari", "oscar"]
    notification = Notification.objects.filter(kind=Kind.STATUS_CHANGED).first()
    assert notification.title == "USCN-TEST: Not yet assessed → At risk"
    change_mail = [m for m in mail.outbox if "which you follow" in m.body]
    assert sorted(m.to[0] for m in change_mail) == [
        "alice@example.org",
        "ari@example.org",
        "oscar@example.org",
    ]


def test_an_accepted_update_that_keeps_the_status_tells_no_follower(people, commitment, run_tasks):
    factories.record(commitment, status=Status.IN_PROGRESS)  # seed-style, official
    Follow.objects.create(user=people["other_analyst"], commitment=commitment)
    update = factories.record(commitment, author=people["analyst"], status=Status.IN_PROGRESS)
    with run_tasks():
        services.accept_update(update=update, manager=people["manager"])
    assert told(Kind.STATUS_CHANGED) == []
    assert told(Kind.UPDATE_DECIDED) == ["alice"]


def test_without_the_review_step_a_recorded_change_tells_followers(
    people, commitment, run_tasks, settings
):
    settings.TRACKER_REVIEW_REQUIRED = False
    Follow.objects.create(user=people["manager"], commitment=commitment)
    with run_tasks():
        factories.record(commitment, author=people["analyst"], status=Status.STALLED)
    assert told() == ["maria"]  # no review request, and the author knows already


def test_a_return_comment_never_reaches_a_follower(people, commitment, run_tasks):
    Follow.objects.create(user=people["other_analyst"], commitment=commitment)
    update = factories.record(commitment, author=people["analyst"], status=Status.BROKEN)
    with run_tasks():
        services.return_update(update=update, manager=people["manager"], comment="Secret note")
    assert told(Kind.STATUS_CHANGED) == []
    assert all("Secret note" not in m.body for m in mail.outbox if m.to != ["alice@example.org"])
    assert not Notification.objects.filter(recipient=people["other_analyst"]).exists()


# Review due in N days / overdue → owner and assignees


@time_machine.travel(dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC), tick=False)
def test_reviews_due_soon_or_overdue_remind_owner_and_assignees_once(people, run_tasks):
    analyst = people["analyst"]
    with time_machine.travel(dt.datetime(2026, 1, 31, tzinfo=dt.UTC)):
        due_soon = factories.make_commitment("DUE", owner=analyst, review_cadence_days=31)
        overdue = factories.make_commitment("LATE", owner=analyst, review_cadence_days=29)
        factories.make_commitment("LATER", owner=analyst, review_cadence_days=60)
        long_overdue = factories.make_commitment("OLD", owner=analyst, review_cadence_days=1)
    overdue.assignees.add(people["other_analyst"])
    assert (due_soon.next_review_due, overdue.next_review_due) == (
        dt.date(2026, 3, 3),
        dt.date(2026, 3, 1),
    )
    assert long_overdue.next_review_due < dt.date(2026, 2, 23)  # more than a week: not told
    for _ in range(2):  # the daily job runs twice: nobody is told twice
        with run_tasks():
            tasks.remind_reviews.enqueue()
    titles = sorted(Notification.objects.values_list("recipient__username", "title"))
    assert titles == [
        ("alice", "DUE: the review is due on 03 Mar 2026"),
        ("alice", "LATE: the review is overdue"),
        ("oscar", "LATE: the review is overdue"),
    ]
    assert len(mail.outbox) == 3
    assert "is overdue: it was due on 1 Mar 2026" in mail.outbox[1].body


# Preferences: immediate, digest, off


@pytest.mark.parametrize(
    "mode,in_app,emails", [(Mode.IMMEDIATE, 1, 1), (Mode.DIGEST, 1, 0), (Mode.OFF, 0, 0)]
)
def test_each_preference(people, commitment, run_tasks, mode, in_app, emails):
    set_mode(people["analyst"], "update_decided", mode)
    update = factories.record(commitment, author=people["analyst"])
    with run_tasks():
        services.accept_update(update=update, manager=people["manager"])
    assert Notification.objects.filter(recipient=people["analyst"]).count() == in_app
    assert len(mail.outbox) == emails


def test_a_preference_for_one_kind_leaves_the_others(people, commitment, run_tasks):
    set_mode(people["manager"], "update_submitted", Mode.OFF)
    with run_tasks():
        factories.record(commitment, author=people["analyst"])
    assert told(Kind.UPDATE_SUBMITTED) == ["mike"]


def test_users_without_an_address_are_told_in_the_app_only(people, commitment, run_tasks):
    people["manager"].email = ""
    people["manager"].save()
    with run_tasks():
        factories.record(commitment, author=people["analyst"])
    assert told() == ["maria", "mike"]
    assert emailed_to() == ["mike@example.org"]


def test_email_can_be_switched_off_for_the_whole_tracker(people, commitment, run_tasks, settings):
    settings.TRACKER_EMAIL_NOTIFICATIONS = False
    with run_tasks():
        factories.record(commitment, author=people["analyst"])
    assert told() == ["maria", "mike"]
    assert mail.outbox == [] and not EmailDelivery.objects.exists()


# Once per person and event, whatever happens


def test_an_event_fanned_out_twice_tells_nobody_twice(people, commitment, run_tasks):
    update = factories.record(commitment, author=people["analyst"])
    with run_tasks():
        for _ in range(2):
            tasks.fan_out.enqueue(Kind.UPDATE_SUBMITTED.value, {"update_id": update.pk})
    assert told() == ["maria", "mike"]
    assert len(mail.outbox) == 2
    assert EmailDelivery.objects.filter(state=EmailDelivery.State.SENT).count() == 2


# No request sends mail


def test_a_request_only_enqueues_the_fan_out_on_commit_and_sends_nothing(
    client, people, commitment, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    update = factories.record(commitment, author=people["analyst"], status=Status.AT_RISK)
    client.force_login(people["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/review/{update.pk}/accept/", {"comment": ""})
    queued = [(r.task.name, r.args) for r in default_task_backend.results]
    assert queued == [
        ("fan_out", ["update_decided", {"update_id": update.pk}]),
        (
            "fan_out",
            [
                "status_changed",
                {"update_id": update.pk, "before": "not_assessed", "after": "at_risk"},
            ],
        ),
    ]
    assert mail.outbox == []


# The emails


def test_emails_thread_per_commitment_and_carry_one_click_unsubscribe(
    people, commitment, run_tasks
):
    first = factories.record(commitment, author=people["analyst"])
    with run_tasks():
        services.return_update(update=first, manager=people["manager"], comment="More.")
    second = factories.record(commitment, author=people["analyst"], revises=first)
    with run_tasks():
        services.accept_update(update=second, manager=people["manager"])
    returned, accepted = [m for m in mail.outbox if m.to == ["alice@example.org"]]
    assert (
        returned.subject
        == accepted.subject
        == ("[Commitment Tracker] USCN-TEST: Curb precursor shipments")
    )
    thread = f"<commitment-{commitment.pk}@tracker.example.org>"
    for message in (returned, accepted):
        headers = message.message()
        assert headers["In-Reply-To"] == headers["References"] == thread
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert headers["List-Unsubscribe"].startswith(
            "<https://tracker.example.org/notifications/unsubscribe/"
        )
        assert headers["Auto-Submitted"] == "auto-generated"
        assert "https://tracker.example.org/notifications/preferences/" in message.body
        assert message.alternatives[0].mimetype == "text/html"
    assert returned.message()["Message-ID"] != accepted.message()["Message-ID"]
    assert (
        returned.message()["Message-ID"]
        == f"<decided.{first.pk}.{people['analyst'].pk}@tracker.example.org>"
    )


def test_the_plain_text_body_is_not_html_escaped(people, commitment, run_tasks):
    update = factories.record(commitment, author=people["analyst"])
    with run_tasks():
        services.return_update(
            update=update, manager=people["manager"], comment='Cite <the> "rule" & more'
        )
    assert 'Cite <the> "rule" & more' in mail.outbox[0].body
    assert "Cite &lt;the&gt; &quot;rule&quot; &amp; more" in mail.outbox[0].alternatives[0].content


def test_a_user_who_lost_their_role_is_sent_nothing_more(people, commitment, run_tasks):
    update = factories.record(commitment, author=people["analyst"])
    with run_tasks():
        services.return_update(update=update, manager=people["manager"], comment="x")
    delivery = EmailDelivery.objects.get()
    EmailDelivery.objects.update(state=EmailDelivery.State.QUEUED)
    people["analyst"].groups.clear()
    people["analyst"]._tracker_groups = None
    with run_tasks():
        tasks.send_email.enqueue(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == EmailDelivery.State.CANCELLED
    assert len(mail.outbox) == 1  # only the first, sent while they had a role


def test_recipients_are_only_users_with_a_role(people, commitment):
    factories.make_user("nobody", email="nobody@example.org")
    inactive = factories.make_manager("gone", email="gone@example.org", is_active=False)
    _, recipients = events.update_submitted(
        factories.record(commitment, author=people["analyst"]).pk
    )
    assert sorted(u.username for u in recipients) == ["maria", "mike"]
    assert inactive not in recipients
