"""The dashboard's finished days, kept by the worker (tracker/dashboard/days.py): a read
takes a day's kept rows only while no write has changed the day since, so a past day shows
the truth at once after any write, and after the next refresh its kept rows are that truth."""

import datetime as dt

import pytest
import time_machine
from crontask import scheduler
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tests.test_edit_hierarchy_and_admin import admin_post
from tracker import services
from tracker.dashboard import days, queries
from tracker.models import (
    Commitment,
    CommitmentParty,
    Evidence,
    Status,
    StatusPeriod,
    StatusUpdate,
)
from tracker.notifications import tasks

pytestmark = pytest.mark.django_db


def ago(n):
    return timezone.localdate() - dt.timedelta(days=n)


def at(n):
    """Noon, `n` days ago."""
    return timezone.make_aware(dt.datetime.combine(ago(n), dt.time(12)))


DAY = 10  # the past day looked at: ten days ago


def shown(day):
    """The snapshot the dashboard shows for a past day."""
    return queries.snapshot(day=day, today=timezone.localdate())


def live(day):
    """The day computed from the history, never from kept rows."""
    return queries._folded(day, days._live_rows(day, timezone.localdate(), "default"))


def assert_kept_after_a_refresh(day):
    """After a refresh the day is read from its kept rows, and they say what the history says."""
    days.refresh()
    assert days.is_clean(day)
    assert queries._folded(day, days.kept_rows(day)) == live(day)
    assert shown(day) == live(day)


@pytest.fixture
def board(analyst, manager):
    """Two commitments made 30 days ago (C1 bound to a party, reviewed every 15 days, at
    risk as of 20 days ago), every past day kept."""
    us = factories.make_party("United States")
    with time_machine.travel(at(30), tick=False):
        c1 = factories.make_commitment(owner=analyst, parties=[us], review_cadence_days=15)
        c2 = factories.make_commitment(review_cadence_days=15)
    with time_machine.travel(at(20), tick=False):
        update = factories.record(c1, author=analyst, status=Status.AT_RISK, accept_by=manager)
    days.refresh()
    assert days.is_clean(ago(DAY))
    return c1, c2, us, update


def test_a_past_day_is_read_from_its_kept_rows(board):
    day = ago(DAY)
    assert shown(day) == live(day)
    assert shown(day).tally.counts[Status.AT_RISK] == 1
    assert shown(day).tally.overdue == 1  # C2: due 15 days ago, never reviewed
    # Every finished day since the first commitment is kept, and no other.
    assert days.is_clean(ago(1)) and days.is_clean(ago(30))
    assert not days.is_clean(ago(31)) and not days.is_clean(ago(0))


def test_a_backdated_update_accepted_shows_on_the_past_day(board, analyst, manager):
    _, c2, _, _ = board
    day = ago(DAY)
    # Accepted today: known from today on, so the past day is as it was, computed live.
    update = factories.record(c2, author=analyst, status=Status.STALLED, as_of=ago(15))
    services.accept_update(update=update, manager=manager)
    assert not days.is_clean(day)
    assert shown(day) == live(day) and shown(day).tally.counts[Status.STALLED] == 0
    assert_kept_after_a_refresh(day)
    # Decided twelve days ago (as an import writes it): known on the past day.
    StatusUpdate.objects.filter(pk=update.pk).update(decided_at=at(12))
    StatusPeriod.objects.filter(commitment=c2, status=Status.STALLED).update(valid_from=ago(12))
    assert shown(day).tally.counts[Status.STALLED] == 1
    assert_kept_after_a_refresh(day)
    assert shown(day).tally.counts[Status.STALLED] == 1


@pytest.mark.parametrize(
    "undo",
    [
        lambda u: StatusUpdate.objects.filter(pk=u.pk).update(
            review_state=StatusUpdate.ReviewState.RETURNED
        ),
        lambda u: StatusUpdate.objects.filter(pk=u.pk).update(as_of=u.as_of - dt.timedelta(9)),
        lambda u: (Evidence.objects.filter(status_update=u).delete(), u.delete()),
    ],
    ids=["returned", "backdated", "deleted"],
)
def test_an_accepted_update_undone_shows_on_the_past_day(board, undo):
    _, _, _, update = board
    day = ago(DAY)
    assert shown(day).tally.overdue == 1
    undo(update)
    # C1's review was due 15 days after its last known update, or after its creation.
    assert shown(day).tally.overdue == 2
    assert_kept_after_a_refresh(day)
    assert shown(day).tally.overdue == 2


@pytest.mark.parametrize("column", ["area", "owner", "review_cadence_days"])
def test_a_commitment_edited_by_an_update_query_shows_on_the_past_day(board, manager, column):
    c1, _, _, _ = board
    before = shown(ago(DAY))
    value = {"area": factories.make_area(), "owner": manager, "review_cadence_days": 1}[column]
    Commitment.objects.filter(pk=c1.pk).update(**{column: value})
    assert shown(ago(DAY)) != before
    assert_kept_after_a_refresh(ago(DAY))


def test_a_commitment_edited_in_the_admin_shows_on_the_past_day(board, client, admin_user):
    c1, _, _, _ = board
    client.force_login(admin_user)
    assert admin_post(client, c1, review_cadence_days=1).status_code == 302
    assert shown(ago(DAY)).tally.overdue == 2  # C1: due the day after its update
    assert_kept_after_a_refresh(ago(DAY))


def test_a_party_bound_or_let_go_shows_on_the_past_day(board):
    c1, c2, us, _ = board
    CommitmentParty.objects.create(commitment=c2, party=us)
    assert sum(shown(ago(DAY)).by_party[us.pk].counts.values()) == 2
    assert_kept_after_a_refresh(ago(DAY))
    CommitmentParty.objects.filter(commitment=c1).delete()
    assert sum(shown(ago(DAY)).by_party[us.pk].counts.values()) == 1
    assert_kept_after_a_refresh(ago(DAY))


def test_a_commitment_imported_with_a_past_creation_shows_on_the_past_day(board):
    factories.make_commitment(created_at=at(25))
    assert shown(ago(DAY)).tally.total == 3
    assert_kept_after_a_refresh(ago(DAY))
    # Created before the first kept day: the days before are kept too now.
    factories.make_commitment(created_at=at(40))
    assert shown(ago(35)).tally.total == 1
    assert_kept_after_a_refresh(ago(35))
    Commitment.objects.filter(created_at=at(40)).delete()
    assert shown(ago(35)).tally.total == 0
    days.refresh()
    assert not days.is_clean(ago(35))  # before the first commitment: nothing to keep


def test_a_write_committed_while_a_refresh_runs_is_not_lost(board, monkeypatch):
    _, c2, _, _ = board
    CommitmentParty.objects.create(commitment=c2, party=factories.make_party())  # to refresh
    keep = days._keep
    written = []

    def keep_then_write(day, today, using):
        keep(day, today, using)
        if not written:  # after the refresh read the log, before it deleted what it read
            written.append(Commitment.objects.filter(pk=c2.pk).update(review_cadence_days=1))

    monkeypatch.setattr(days, "_keep", keep_then_write)
    days.refresh()
    assert written
    assert not days.is_clean(ago(DAY))  # the write's log row is still there
    assert shown(ago(DAY)) == live(ago(DAY))
    monkeypatch.undo()
    assert_kept_after_a_refresh(ago(DAY))


def test_a_shorter_list_is_computed_live(board):
    day = ago(1)
    short = queries.snapshot(day=day, today=timezone.localdate(), limit=1)
    assert len(short.overdue) == 1 and len(shown(day).overdue) == 2


def test_the_kept_rows_are_what_a_read_shows_and_verify_integrity_compares(board, capsys):
    day = ago(1)
    with connection.cursor() as cursor:  # a write that bypassed the triggers
        cursor.execute(
            f"UPDATE {days.ROWS} SET n = n + 5 WHERE day = %s AND kind = 'area' AND status = %s",
            [day, Status.AT_RISK],
        )  # noqa: S608
    assert shown(day).tally.total == live(day).tally.total + 5  # read from the kept rows
    assert days.drift() == [day]
    with pytest.raises(CommandError):
        call_command("verify_integrity")
    assert "Dashboard past days drifted: 1 of" in capsys.readouterr().out

    call_command("verify_integrity", "--repair")
    assert days.drift() == []
    assert days.is_clean(day) and shown(day) == live(day)
    capsys.readouterr()
    call_command("verify_integrity")
    assert "Dashboard past days match their history" in capsys.readouterr().out


def test_the_dashboard_page_issues_as_many_queries_for_a_kept_day(board, client, manager):
    client.force_login(manager)
    url = f"/?as_of={ago(DAY)}"
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as kept:
        assert client.get(url).status_code == 200
    Commitment.objects.update(review_cadence_days=2)  # every day changed: computed live
    assert not days.is_clean(ago(DAY))
    with CaptureQueriesContext(connection) as computed:
        assert client.get(url).status_code == 200
    assert len(kept) == len(computed)


def test_the_worker_refreshes_the_kept_days_every_few_minutes(board):
    jobs = {job.name: job.trigger for job in scheduler.get_jobs()}
    assert str(jobs["refresh_dashboard_days"]).endswith("hour='*', minute='*/5']")
    Commitment.objects.update(review_cadence_days=3)
    assert not days.is_clean(ago(DAY))
    assert tasks.refresh_dashboard_days.enqueue().status == "SUCCESSFUL"
    assert days.is_clean(ago(DAY)) and shown(ago(DAY)) == live(ago(DAY))


# No write may be pending when flush (TRUNCATE on PostgreSQL) runs; serialized like the
# other transactional tests, so the flush after it leaves the next one its rows.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_flush_forgets_the_kept_days(analyst):
    with time_machine.travel(at(30), tick=False):
        factories.make_commitment(owner=analyst)
    days.refresh()
    assert days.is_clean(ago(DAY))
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    assert not days.is_clean(ago(DAY))
    assert shown(ago(DAY)).tally.total == 0
    days.refresh()
    assert not days.is_clean(ago(DAY))  # nothing to keep: no commitment
