"""The dashboard's as-of view and trend, recomputed from the history.

On a past date D the dashboard must show what was known on D: the updates observed by D
(as-of date on or before it) and accepted by D. Checked by hand on a small history, then
against a naive recomputation from the updates for any generated history and any date.
"""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.dashboard_world import TODAY, counts
from tests.test_dashboard import get
from tracker import services
from tracker.dashboard import days, history, queries
from tracker.models import Commitment, Status, StatusUpdate

pytestmark = pytest.mark.django_db


# By hand, on the history of test_dashboard.world


def test_as_of_a_past_date_shows_what_was_known_then(world):
    snap = queries.snapshot(day=dt.date(2026, 2, 15), today=TODAY)
    # C5 did not exist yet; C1 was in progress (its "at risk" came on 26 Feb).
    assert counts(snap.tally) == {
        Status.IN_PROGRESS: 1,
        Status.FULFILLED: 1,
        Status.STALLED: 1,
        Status.NOT_ASSESSED: 1,
    }
    # C1's review fell due on 9 Feb (as of 10 Jan + 30 days), C4's on 4 Feb.
    assert snap.tally.overdue == 2
    assert [pk for pk, _ in snap.overdue] == [world.c4.pk, world.c1.pk]
    assert counts(snap.by_owner[world.alice.pk]) == {Status.IN_PROGRESS: 1, Status.FULFILLED: 1}


def test_an_update_counts_from_its_acceptance_not_its_as_of_date(world):
    # C1's first update is as of 10 January but was accepted on the 12th.
    on_11th = queries.snapshot(day=dt.date(2026, 1, 11), today=TODAY)
    assert counts(on_11th.tally) == {Status.NOT_ASSESSED: 4}
    on_12th = queries.snapshot(day=dt.date(2026, 1, 12), today=TODAY)
    assert counts(on_12th.tally) == {Status.IN_PROGRESS: 1, Status.NOT_ASSESSED: 3}
    assert queries.snapshot(day=dt.date(2026, 1, 4), today=TODAY).tally.total == 0


def test_a_late_acceptance_does_not_rewrite_the_past(world):
    # C5's pending update is accepted today: the past stays as it was known.
    update = StatusUpdate.objects.get(commitment=world.c5)
    services.accept_update(update=update, manager=world.manager)
    assert queries.snapshot(day=TODAY, today=TODAY).tally.counts[Status.IN_PROGRESS] == 1
    yesterday = queries.snapshot(day=dt.date(2026, 3, 1), today=TODAY)
    assert yesterday.tally.counts[Status.IN_PROGRESS] == 0


def test_the_trend_counts_each_week(world):
    trend = history.status_trend(
        until=TODAY,
        weeks=8,
        end_counts=queries.snapshot(day=TODAY, today=TODAY).tally.counts,
    )
    assert [p.day for p in trend][:2] == [dt.date(2026, 1, 5), dt.date(2026, 1, 12)]
    by_day = {p.day: {s: n for s, n in p.counts.items() if n} for p in trend}
    assert by_day[dt.date(2026, 1, 5)] == {Status.NOT_ASSESSED: 4}
    assert by_day[dt.date(2026, 1, 12)] == {Status.IN_PROGRESS: 1, Status.NOT_ASSESSED: 3}
    assert by_day[dt.date(2026, 2, 23)] == {
        Status.IN_PROGRESS: 1,
        Status.FULFILLED: 1,
        Status.STALLED: 1,
        Status.NOT_ASSESSED: 2,  # C4, and C5 created on 20 Feb
    }
    assert by_day[TODAY] == {
        Status.AT_RISK: 1,
        Status.FULFILLED: 1,
        Status.STALLED: 1,
        Status.NOT_ASSESSED: 2,
    }


def test_the_trend_is_a_series_of_snapshots(world):
    scopes = (
        queries.Scope(),
        queries.Scope(area=world.narcotics.pk),
        queries.Scope(party=world.china.pk),
        queries.Scope(owner=world.oscar.pk),
    )
    for scope in scopes:
        end = queries.snapshot(day=TODAY, today=TODAY, scope=scope).tally.counts
        for point in history.status_trend(until=TODAY, weeks=10, end_counts=end, scope=scope):
            snap = queries.snapshot(day=point.day, today=TODAY, scope=scope)
            assert point.counts == snap.tally.counts, point.day


def test_the_as_of_page(client, world):
    response = get(client, world.manager, "?as_of=2026-02-15")
    page = " ".join(response.content.decode().split())
    assert response.context["d"].is_past
    assert "As known on <strong>Sunday 15 February 2026</strong>" in page
    assert "recomputed from the history as it was known on 15 February 2026" in page
    assert '<span class="kpi-value">4</span>' in page
    # The trend ends on the as-of date.
    assert response.context["d"].trend[-1].day == dt.date(2026, 2, 15)


# Against a naive recomputation, for any history

BASE = dt.date(2026, 1, 1)
STATUSES = list(Status)


def naive_state(commitments, updates, day):
    """Status and overdue flag of each commitment as known on `day`, from the updates."""
    state = {}
    for c in commitments:
        if timezone.localdate(c.created_at) > day:
            continue
        known = [
            u
            for u in updates
            if u.commitment_id == c.pk
            and u.review_state == StatusUpdate.ReviewState.ACCEPTED
            and u.as_of <= day
            and timezone.localdate(u.decided_at) <= day
        ]
        official = max(known, key=lambda u: (u.as_of, u.decided_at, u.pk), default=None)
        start = official.as_of if official else timezone.localdate(c.created_at)
        due = start + dt.timedelta(days=c.review_cadence_days)
        state[c.pk] = (official.status if official else Status.NOT_ASSESSED, due < day)
    return state


update_plan = st.tuples(
    st.integers(0, 40),  # recorded on day
    st.integers(0, 12),  # as of that many days earlier
    st.one_of(st.none(), st.integers(0, 12)),  # accepted that many days later, or never
    st.sampled_from(STATUSES),
)
commitment_plan = st.tuples(
    st.integers(0, 20),  # created on day
    st.integers(1, 25),  # review cadence
    st.lists(update_plan, max_size=5),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=st.lists(commitment_plan, min_size=1, max_size=3))
def test_the_as_of_view_equals_the_state_recomputed_from_the_updates(analyst, manager, plans):
    with transaction.atomic():
        actions = []  # (when, order, what)
        for n, (created, cadence, updates) in enumerate(plans):
            actions.append((created, 0, n, ("create", n, cadence)))
            for k, (recorded, lag, accept_after, status) in enumerate(updates):
                day = created + recorded
                actions.append((day, 1, n * 10 + k, ("record", n, k, lag, status)))
                if accept_after is not None:
                    actions.append((day + accept_after, 2, n * 10 + k, ("accept", n, k)))
        made, recorded = {}, {}
        for seq, (day, _, _, action) in enumerate(sorted(actions)):
            moment = dt.datetime.combine(BASE + dt.timedelta(days=day), dt.time(8), dt.UTC)
            with time_machine.travel(moment + dt.timedelta(minutes=seq), tick=False):
                if action[0] == "create":
                    made[action[1]] = factories.make_commitment(review_cadence_days=action[2])
                elif action[0] == "record":
                    _, n, k, lag, status = action
                    recorded[n, k] = factories.record(
                        made[n],
                        author=analyst,
                        status=status,
                        as_of=timezone.localdate() - dt.timedelta(days=lag),
                    )
                else:
                    services.accept_update(update=recorded[action[1:]], manager=manager)

        today = BASE + dt.timedelta(days=75)
        with time_machine.travel(dt.datetime.combine(today, dt.time(12), dt.UTC), tick=False):
            commitments = list(Commitment.objects.all())
            updates = list(StatusUpdate.objects.all())
            first = min(timezone.localdate(c.created_at) for c in commitments)
            # Computed from the history, then read from the days kept by the worker.
            for kept in (False, True):
                if kept:
                    days.refresh(today=today)
                for offset in range(-1, 76):
                    day = BASE + dt.timedelta(days=offset)
                    assert days.is_clean(day) == (kept and day >= first and day < today)
                    expected = naive_state(commitments, updates, day)
                    snap = queries.snapshot(day=day, today=today)
                    want = Counter(status for status, _ in expected.values())
                    assert snap.tally.counts == {s: want[s] for s in Status.values}, day
                    assert snap.tally.overdue == sum(late for _, late in expected.values()), day
            # The trend, walked back from today, meets every week's snapshot.
            end = queries.snapshot(day=today, today=today).tally.counts
            for point in history.status_trend(until=today, weeks=11, end_counts=end):
                want = Counter(s for s, _ in naive_state(commitments, updates, point.day).values())
                assert point.counts == {s: want[s] for s in Status.values}, point.day
        transaction.set_rollback(True)
