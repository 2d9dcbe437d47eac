"""The official status: copied from the latest accepted update, written in one place."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests import factories
from tracker import services
from tracker.models import Commitment, Status, StatusPeriod, StatusUpdate

pytestmark = pytest.mark.django_db


def official(commitment):
    commitment.refresh_from_db()
    return commitment.current_status


def test_a_new_commitment_is_not_yet_assessed(commitment):
    assert official(commitment) == Status.NOT_ASSESSED
    assert commitment.current_progress is None


def test_with_review_off_an_update_is_accepted_and_official_at_once(commitment, analyst, settings):
    settings.TRACKER_REVIEW_REQUIRED = False
    update = factories.record(commitment, author=analyst, status=Status.AT_RISK, progress=40)
    assert update.review_state == StatusUpdate.ReviewState.ACCEPTED
    commitment.refresh_from_db()
    assert commitment.current_status == Status.AT_RISK
    assert commitment.current_progress == 40
    assert commitment.current_update == update


def test_with_review_on_a_submitted_update_changes_nothing_until_accepted(
    commitment, analyst, manager
):
    update = factories.record(commitment, author=analyst, status=Status.STALLED)
    assert update.is_pending
    assert official(commitment) == Status.NOT_ASSESSED
    services.accept_update(update=update, manager=manager)
    assert official(commitment) == Status.STALLED


def test_the_latest_as_of_date_wins_even_when_accepted_earlier(commitment, analyst, manager):
    newer = factories.record(
        commitment, author=analyst, status=Status.AT_RISK, as_of=dt.date(2025, 5, 1)
    )
    older = factories.record(
        commitment, author=analyst, status=Status.FULFILLED, as_of=dt.date(2025, 3, 1)
    )
    services.accept_update(update=newer, manager=manager)
    services.accept_update(update=older, manager=manager)  # accepted late
    assert official(commitment) == Status.AT_RISK


def test_same_as_of_date_the_later_acceptance_wins(commitment, analyst, manager):
    first = factories.record(commitment, author=analyst, status=Status.AT_RISK)
    second = factories.record(commitment, author=analyst, status=Status.STALLED)
    services.accept_update(update=second, manager=manager)
    services.accept_update(update=first, manager=manager)
    assert official(commitment) == Status.AT_RISK


def test_the_timeline_from_status_is_the_official_status_when_recorded(commitment, manager):
    factories.record(commitment, status=Status.IN_PROGRESS)
    update = factories.record(commitment, status=Status.STALLED)
    assert update.previous_status == Status.IN_PROGRESS
    assert update.changes_status


def test_a_change_of_status_needs_evidence(commitment, analyst):
    with pytest.raises(ValidationError) as err:
        factories.record(commitment, author=analyst, status=Status.AT_RISK, quote="")
    assert "evidence" in err.value.message_dict
    assert not StatusUpdate.objects.exists()


def test_the_same_status_needs_no_new_evidence(commitment, manager):
    factories.record(commitment, status=Status.IN_PROGRESS)
    update = factories.record(commitment, status=Status.IN_PROGRESS, quote="", progress=50)
    assert update.evidence.count() == 0


def test_as_of_in_the_future_is_refused(commitment, analyst):
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    with pytest.raises(ValidationError):
        factories.record(commitment, author=analyst, as_of=tomorrow)
    assert not StatusUpdate.objects.exists()


def test_evidence_failure_rolls_back_the_whole_update(commitment, analyst):
    bad = services.EvidenceItem(quote="q", new_source={"title": "x", "kind": "planet"})
    with pytest.raises(Exception):  # noqa: B017 - any database error
        services.record_status_update(
            commitment=commitment,
            author=analyst,
            status=Status.AT_RISK,
            confidence="low",
            as_of=dt.date(2025, 1, 1),
            evidence=[bad],
        )
    assert not StatusUpdate.objects.exists()


def test_an_idempotency_key_records_one_update(commitment, analyst):
    for _ in range(3):
        factories.record(commitment, author=analyst, idempotency_key="form-123")
    assert StatusUpdate.objects.count() == 1


def test_periods_follow_what_was_known_when(commitment, manager, time_machine):
    time_machine.move_to(dt.datetime(2025, 1, 10, 12, tzinfo=dt.UTC))
    factories.record(commitment, status=Status.IN_PROGRESS, as_of=dt.date(2025, 1, 5))
    time_machine.move_to(dt.datetime(2025, 2, 10, 12, tzinfo=dt.UTC))
    factories.record(commitment, status=Status.AT_RISK, as_of=dt.date(2025, 2, 1))
    # An older observation recorded late changes nothing: a newer one is official.
    factories.record(commitment, status=Status.FULFILLED, as_of=dt.date(2025, 1, 20))
    periods = list(StatusPeriod.objects.values_list("status", "valid_from", "valid_to"))
    assert periods == [
        (Status.IN_PROGRESS, dt.date(2025, 1, 10), dt.date(2025, 2, 10)),
        (Status.AT_RISK, dt.date(2025, 2, 10), None),
    ]


def test_refresh_repairs_drift(commitment, manager):
    factories.record(commitment, status=Status.BROKEN)
    Commitment.objects.filter(pk=commitment.pk).update(current_status=Status.FULFILLED)
    StatusPeriod.objects.all().delete()
    services.refresh_official_status(commitment)
    assert official(commitment) == Status.BROKEN
    assert StatusPeriod.objects.get().status == Status.BROKEN
