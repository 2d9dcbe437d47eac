"""Model rules and database constraints."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from tests import factories
from tracker.models import Commitment, Confidence, Measurement, Party, Status, StatusUpdate


def test_each_status_has_a_definition_and_label():
    assert len(Status.values) == 8
    for status in Status:
        assert status.definition.endswith(".")
        assert status.label


def test_status_ranks_say_what_got_worse():
    assert Status.got_worse(Status.IN_PROGRESS, Status.AT_RISK)
    assert Status.got_worse(Status.FULFILLED, Status.BROKEN)
    assert not Status.got_worse(Status.AT_RISK, Status.IN_PROGRESS)
    # "Not yet assessed" is not comparable.
    assert not Status.got_worse(Status.NOT_ASSESSED, Status.BROKEN)


@pytest.mark.django_db
def test_reference_is_unique():
    factories.make_commitment("DUP-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_commitment("DUP-1")


def create_update(commitment, **fields):
    """A status update written straight to the table (no service), valid but for `fields`."""
    valid = {
        "status": Status.IN_PROGRESS,
        "confidence": Confidence.LOW,
        "as_of": dt.date(2024, 1, 1),
    }
    return StatusUpdate.objects.create(commitment=commitment, **{**valid, **fields})


@pytest.mark.django_db
@pytest.mark.parametrize("progress", [-1, 101, 1000])
def test_progress_outside_0_to_100_is_refused_by_the_database(commitment, progress):
    with pytest.raises(IntegrityError), transaction.atomic():
        create_update(commitment, progress=progress)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field,value",
    [("status", "bogus"), ("confidence", "certain"), ("review_state", "maybe")],
)
def test_invalid_choices_are_refused_by_the_database(commitment, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        create_update(commitment, **{field: value})


@pytest.mark.django_db
def test_a_decision_must_be_dated(commitment):
    with pytest.raises(IntegrityError), transaction.atomic():
        create_update(commitment, review_state="accepted")


@pytest.mark.django_db
def test_party_kind_is_checked():
    with pytest.raises(IntegrityError), transaction.atomic():
        Party.objects.create(name="X", kind="planet")


@pytest.mark.django_db
def test_commitment_cannot_be_its_own_parent(commitment):
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(pk=commitment.pk).update(parent=commitment)


@pytest.mark.django_db
def test_review_cadence_must_be_positive(commitment):
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(pk=commitment.pk).update(review_cadence_days=0)


@pytest.mark.django_db
def test_next_review_due_is_creation_plus_cadence_before_any_update(time_machine):
    time_machine.move_to(dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC))
    commitment = factories.make_commitment(review_cadence_days=14)
    assert commitment.next_review_due == dt.date(2025, 3, 15)


@pytest.mark.django_db
def test_next_review_due_follows_the_official_update_and_the_cadence(commitment, manager):
    factories.record(commitment, as_of=dt.date(2025, 1, 10), accept_by=manager)
    commitment.refresh_from_db()
    assert commitment.next_review_due == dt.date(2025, 2, 9)  # 30 days later

    commitment.review_cadence_days = 7
    commitment.save()
    commitment.refresh_from_db()
    assert commitment.next_review_due == dt.date(2025, 1, 17)


@pytest.mark.django_db
def test_overdue_commitments(commitment, manager, time_machine):
    time_machine.move_to(dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC))
    factories.record(commitment, as_of=dt.date(2025, 4, 1), accept_by=manager)
    fresh = factories.make_commitment()
    assert list(Commitment.objects.overdue()) == [commitment]
    assert fresh not in Commitment.objects.overdue()
    commitment.refresh_from_db()
    assert commitment.is_overdue()


@pytest.mark.django_db
def test_measurement_shows_its_qualifier(commitment):
    indicator = factories.make_indicator(commitment, unit="countries")
    m = Measurement.objects.create(
        indicator=indicator, value=140, qualifier="more_than", source=factories.make_source()
    )
    assert m.display_value == "more than 140"
