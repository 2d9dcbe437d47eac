"""Today's dashboard counts, kept by triggers at write time (tracker/dashboard/tallies.py),
always equal a count made from the commitments, whoever writes and whatever the day."""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tests import factories
from tracker.dashboard import history, queries, tallies
from tracker.models import Commitment, CommitmentParty, Status

pytestmark = pytest.mark.django_db


def counted_from_the_commitments(today):
    """What the tallies must say, counted in Python from every commitment."""
    expected = Counter()
    for c in Commitment.objects.prefetch_related("commitment_parties"):
        late = int(c.next_review_due < today)
        keys = [("area", c.area_id), ("owner", c.owner_id)]
        keys += [("party", cp.party_id) for cp in c.commitment_parties.all()]
        for key in keys:
            expected[(*key, c.current_status, "n")] += 1
            expected[(*key, c.current_status, "overdue")] += late
    return {key: n for key, n in expected.items() if n}


def kept(today):
    result = {}
    for (dimension, key), statuses in tallies.read(today)[0].items():
        for status, n, overdue in statuses:
            result[(dimension, key, status, "n")] = n
            if overdue:
                result[(dimension, key, status, "overdue")] = overdue
    return result


@pytest.fixture
def people():
    return factories.make_analyst("ana"), factories.make_analyst("oli"), factories.make_manager()


def test_every_kind_of_write_keeps_the_counts(people):
    analyst, other, manager = people
    us, china = factories.make_party("United States"), factories.make_party("China")
    military = factories.make_area("Military")
    today = timezone.localdate()
    c1 = factories.make_commitment(owner=analyst, parties=[us, china])
    c2 = factories.make_commitment(area=military, parties=[us])
    c3 = factories.make_commitment(owner=other, area=military)
    assert kept(today) == counted_from_the_commitments(today)

    # A status accepted (the services), then one waiting for review (no change yet).
    factories.record(c1, author=analyst, status=Status.AT_RISK, accept_by=manager)
    factories.record(c2, author=analyst, status=Status.STALLED, accept_by=manager)
    factories.record(c3, author=other, status=Status.FULFILLED)
    # An edit of area and owner; a party bound and one let go; a party link moved.
    c3.refresh_from_db()
    Commitment.objects.filter(pk=c3.pk).update(area=c1.area, owner=None)
    CommitmentParty.objects.create(commitment=c3, party=china)
    CommitmentParty.objects.filter(commitment=c1, party=us).delete()
    CommitmentParty.objects.filter(commitment=c2).update(party=china)
    # An overdue review (a raw update of the date), and a commitment deleted.
    Commitment.objects.filter(pk=c2.pk).update(next_review_due=today - dt.timedelta(days=3))
    c4 = factories.make_commitment(parties=[us])
    c4.commitment_parties.all().delete()
    c4.delete()

    expected = counted_from_the_commitments(today)
    assert kept(today) == expected
    assert tallies.trend_drift() == []  # the periods opened, closed and removed on the way
    assert expected[("owner", None, Status.STALLED, "overdue")] == 1  # c2: nobody owns it
    assert expected[("party", china.pk, Status.STALLED, "n")] == 1


def test_today_on_the_dashboard_is_the_count_from_the_commitments(people):
    """The kept counts give the same dashboard as counting every commitment (a filter that
    holds for every commitment takes the counting path)."""
    analyst, _, manager = people
    area = factories.make_area("Counternarcotics")
    us = factories.make_party("United States")
    for status in (Status.AT_RISK, Status.STALLED, Status.IN_PROGRESS):
        c = factories.make_commitment(owner=analyst, area=area, parties=[us])
        factories.record(c, author=analyst, status=status, accept_by=manager)
    late = factories.make_commitment(area=area)
    Commitment.objects.filter(pk=late.pk).update(next_review_due=dt.date(2020, 1, 1))
    today = timezone.localdate()

    kept_snapshot = queries.snapshot(day=today, today=today)
    counted = queries.snapshot(day=today, today=today, scope=queries.Scope(area=area.pk))

    assert kept_snapshot == counted
    assert kept_snapshot.tally.overdue == 1
    assert [status for _, status, _ in kept_snapshot.at_risk] == [Status.STALLED, Status.AT_RISK]


def test_overdue_is_counted_again_on_a_new_day(people):
    analyst, _, _ = people
    today = timezone.localdate()
    commitment = factories.make_commitment(owner=analyst)
    due = commitment.next_review_due
    assert kept(today)[("owner", analyst.pk, Status.NOT_ASSESSED, "n")] == 1
    assert ("owner", analyst.pk, Status.NOT_ASSESSED, "overdue") not in kept(today)

    later = due + dt.timedelta(days=1)
    with time_machine.travel(dt.datetime.combine(later, dt.time(12), tzinfo=dt.UTC), tick=False):
        assert kept(later)[("owner", analyst.pk, Status.NOT_ASSESSED, "overdue")] == 1
        assert kept(later) == counted_from_the_commitments(later)


def test_a_row_counted_against_another_day_makes_the_reader_count_afresh(people):
    analyst, _, _ = people
    today = timezone.localdate()
    factories.make_commitment(owner=analyst)
    with connection.cursor() as cursor:  # what a write racing the change of day leaves
        cursor.execute(
            f"INSERT INTO {tallies.TABLE} (dimension, key, status, day, n, overdue) "  # noqa: S608
            "VALUES ('owner', %s, %s, %s, 5, 5)",
            [analyst.pk, Status.NOT_ASSESSED, today - dt.timedelta(days=1)],
        )
    assert kept(today) == counted_from_the_commitments(today)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE: PostgreSQL only")
# No write may be pending when TRUNCATE runs; serialized like the other transactional
# tests, so the flush after it leaves the next one its rows.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_truncate_makes_the_reader_count_afresh(people):
    analyst, _, _ = people
    today = timezone.localdate()
    factories.make_commitment(owner=analyst)
    kept(today)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE tracker_commitmentparty, tracker_commitment CASCADE")
    assert kept(today) == {}


def test_verify_integrity_reports_and_repairs_counts_that_drifted(people, capsys):
    analyst, _, _ = people
    today = timezone.localdate()
    factories.make_commitment(owner=analyst)
    with connection.cursor() as cursor:  # a write that bypassed the triggers
        cursor.execute(
            f"INSERT INTO {tallies.TABLE} (dimension, key, status, day, n, overdue) "  # noqa: S608
            "VALUES ('area', 1, %s, %s, 7, 0)",
            [Status.BROKEN, today],
        )
    assert tallies.drift(today) == {("area", 1, Status.BROKEN): (7, 0)}

    with pytest.raises(CommandError):
        call_command("verify_integrity")
    assert "Dashboard counts drifted" in capsys.readouterr().out

    call_command("verify_integrity", "--repair")
    assert tallies.drift(today) == {}
    assert kept(today) == counted_from_the_commitments(today)


def test_a_bulk_write_is_folded_into_one_row_per_count(people):
    analyst, _, _ = people
    today = timezone.localdate()
    area = factories.make_area()
    n = tallies.FOLD_AFTER // 2 + 2  # two rows each (area, owner): one more than folds
    for i in range(n):
        Commitment.objects.create(reference=f"B-{i}", title="Bulk", area=area, owner=analyst)

    assert kept(today)[("area", area.pk, Status.NOT_ASSESSED, "n")] == n
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {tallies.TABLE}")  # noqa: S608
        assert cursor.fetchone()[0] == len(counted_from_the_commitments(today))


def test_the_trend_from_the_kept_rows_is_the_trend_from_the_periods(people):
    analyst, _, manager = people
    area = factories.make_area()
    today = timezone.localdate()
    steps = ((40, Status.IN_PROGRESS), (30, Status.AT_RISK), (12, Status.STALLED), (2, None))
    for weeks_ago, status in steps:
        moment = dt.datetime.combine(today - dt.timedelta(weeks=weeks_ago), dt.time(12))
        with time_machine.travel(moment.replace(tzinfo=dt.UTC), tick=False):
            factories.make_commitment(area=area, owner=analyst)
            for c in Commitment.objects.all() if status else ():
                factories.record(c, author=analyst, status=status, accept_by=manager)
    snap = queries.snapshot(day=today, today=today)

    kept_trend = history.status_trend(until=today, weeks=52, end_counts=snap.tally.counts)
    counted = history.status_trend(
        until=today, weeks=52, end_counts=snap.tally.counts, scope=queries.Scope(area=area.pk)
    )

    assert kept_trend == counted
    seen = {status for point in kept_trend for status, n in point.counts.items() if n}
    assert seen >= {Status.IN_PROGRESS, Status.AT_RISK, Status.STALLED, Status.NOT_ASSESSED}


def test_verify_integrity_reports_and_repairs_a_trend_that_drifted(people, capsys):
    analyst, _, manager = people
    factories.record(factories.make_commitment(), author=analyst, accept_by=manager)
    with connection.cursor() as cursor:  # a write that bypassed the triggers
        cursor.execute(f"DELETE FROM {tallies.TREND}")  # noqa: S608
    assert len(tallies.trend_drift()) == 1  # the one period, started today

    with pytest.raises(CommandError):
        call_command("verify_integrity")
    assert "1 days of the trend" in capsys.readouterr().out
    call_command("verify_integrity", "--repair")
    assert tallies.trend_drift() == []
