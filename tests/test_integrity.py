"""manage.py verify_integrity: recompute every derived value, report drift, repair it."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from tests import factories
from tracker import integrity, services
from tracker.models import (
    AuditEvent,
    Commitment,
    Evidence,
    Source,
    Status,
    StatusPeriod,
    StatusUpdate,
)

pytestmark = pytest.mark.django_db


def verify(*args):
    out = io.StringIO()
    call_command("verify_integrity", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def history(analyst, manager, time_machine):
    """Two commitments with accepted, pending and returned updates over several days."""
    time_machine.move_to(dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC))
    first = factories.make_commitment("INT-1", owner=analyst)
    second = factories.make_commitment("INT-2", owner=analyst)
    factories.make_commitment("INT-3", owner=analyst)  # never assessed
    factories.record(first, author=analyst, status=Status.IN_PROGRESS, accept_by=manager)
    time_machine.move_to(dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC))
    factories.record(first, author=analyst, status=Status.AT_RISK, accept_by=manager)
    factories.record(first, author=analyst, status=Status.STALLED)  # pending
    factories.record(
        second,
        author=analyst,
        status=Status.FULFILLED,
        as_of=dt.date(2025, 3, 2),
        accept_by=manager,
    )
    returned = factories.record(second, author=analyst, status=Status.BROKEN)
    services.return_update(update=returned, manager=manager, comment="Source?")
    return first, second


def test_clean_data_reports_no_drift(history):
    output = verify()
    assert "Checked 3 commitments and 3 accepted status updates." in output
    assert "No drift" in output


def test_the_seed_has_no_drift(seeded):
    report = integrity.verify()
    assert report.commitments == Commitment.objects.count() > 0
    assert report.clean


def test_drift_injected_by_raw_updates_is_reported_with_examples_and_fails(history):
    first, second = history
    Commitment.objects.filter(pk=first.pk).update(
        current_status=Status.FULFILLED, next_review_due=dt.date(2030, 1, 1)
    )
    Commitment.objects.filter(pk=second.pk).update(last_update_at=None, current_progress=99)
    StatusPeriod.objects.filter(commitment=second).delete()

    with pytest.raises(CommandError) as err:
        verify()
    assert err.value.returncode == 1
    report = integrity.verify()
    assert report.drifted == 2
    assert report.by_field == {
        "current_status": 1,
        "next_review_due": 1,
        "current_progress": 1,
        "last_update_at": 1,
        "status_periods": 1,
    }
    [drift_first, drift_second] = report.examples
    assert drift_first.reference == "INT-1"
    assert drift_first.fields["current_status"] == (Status.FULFILLED, Status.AT_RISK)
    assert drift_first.fields["next_review_due"][0] == dt.date(2030, 1, 1)
    assert set(drift_second.fields) == {"current_progress", "last_update_at", "status_periods"}


def test_repair_rewrites_the_drift_from_the_history(history):
    first, second = history
    official = {
        c.pk: (c.current_status, c.current_update_id, c.next_review_due, c.last_update_at)
        for c in Commitment.objects.all()
    }
    periods = list(StatusPeriod.objects.values_list("commitment", "status", "valid_from"))
    Commitment.objects.filter(pk=first.pk).update(
        current_status=Status.BROKEN, current_update=None, current_as_of=None
    )
    Commitment.objects.update(last_update_at=None)
    StatusPeriod.objects.filter(commitment=first).update(status=Status.FULFILLED)

    output = verify("--repair")
    assert "Drift in 2 commitments" in output
    assert "Repaired 2 commitments." in output
    assert "No drift: every derived value matches.\n" in verify()
    assert {
        c.pk: (c.current_status, c.current_update_id, c.next_review_due, c.last_update_at)
        for c in Commitment.objects.all()
    } == official
    assert list(StatusPeriod.objects.values_list("commitment", "status", "valid_from")) == periods


def test_evidence_naming_another_commitment_is_reported_and_repaired(history):
    first, second = history
    factories.record(first, author=first.owner, quote="Talks resumed.")
    assert "Every piece of evidence names its commitment." in verify()
    evidence = Evidence.objects.get(quote="Talks resumed.")
    assert evidence.commitment == first  # copied from its update when it was recorded
    Evidence.objects.filter(pk=evidence.pk).update(commitment=second)

    with pytest.raises(CommandError) as err:
        verify()
    assert err.value.returncode == 1
    output = verify("--repair")
    assert f"than its status update's: 1 (evidence {evidence.pk})" in output
    assert "Repaired 1 pieces of evidence." in output
    evidence.refresh_from_db()
    assert evidence.commitment == first
    assert "Every piece of evidence names its commitment." in verify()


def test_a_commitment_whose_accepted_update_vanished_is_repaired_to_not_assessed(history):
    first, _ = history
    # Simulate a half-written acceptance: the history says nothing was ever accepted.
    StatusUpdate.objects.filter(commitment=first, review_state="accepted").update(
        review_state="submitted", decided_at=None, decided_by=None
    )
    verify("--repair")
    first.refresh_from_db()
    assert first.current_status == Status.NOT_ASSESSED
    assert first.current_update is None
    assert not StatusPeriod.objects.filter(commitment=first).exists()


def test_previous_status_is_history_and_never_repaired(history):
    first, _ = history
    update = StatusUpdate.objects.filter(commitment=first).first()
    StatusUpdate.objects.filter(pk=update.pk).update(previous_status=Status.BROKEN)
    assert "No drift" in verify("--repair")
    update.refresh_from_db()
    assert update.previous_status == Status.BROKEN


def test_chunks_cover_every_commitment(history):
    Commitment.objects.update(current_progress=7)
    report = integrity.verify(chunk_size=1, max_examples=1)
    assert report.commitments == 3
    assert report.drifted == 3
    assert len(report.examples) == 1
    assert "… and 2 more." in verify_output_of_failure()


def verify_output_of_failure():
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_integrity", "--examples", "1", stdout=out)
    return out.getvalue()


def test_the_check_reads_a_fixed_number_of_queries_per_chunk(history, django_assert_num_queries):
    # Per chunk: commitments, accepted updates, latest creation times, periods; then one
    # empty chunk to end.
    with django_assert_num_queries(5):
        integrity.verify(chunk_size=100)


def evidence_form(key, source, **fields):
    """A status update form with two pieces of evidence: a new source, then `source`."""
    return {
        "status": Status.AT_RISK,
        "progress": "40",
        "confidence": "high",
        "as_of": factories.days_ago(1).isoformat(),
        "assessment": "Slipping.",
        "idempotency_key": key,
        **factories.evidence_management(2),
        "evidence-0-quote": "First quote.",
        "evidence-0-new_source_title": "A brand-new report",
        "evidence-0-new_source_kind": "report",
        "evidence-1-quote": "Second quote.",
        "evidence-1-source": str(source.pk),
        **fields,
    }


def test_a_failure_in_the_middle_of_the_evidence_stores_nothing(
    client, analyst, commitment, settings, monkeypatch
):
    settings.TRACKER_REVIEW_REQUIRED = False  # accepted at once: the official status too
    source = factories.make_source()
    client.force_login(analyst)
    client.raise_request_exception = False
    create = Evidence.objects.create
    calls = []

    def fail_on_the_second(**fields):
        calls.append(fields)
        if len(calls) == 2:
            raise DatabaseError("disk I/O error")
        return create(**fields)

    monkeypatch.setattr(Evidence.objects, "create", fail_on_the_second)
    url = f"/commitments/{commitment.reference}/updates/"
    response = client.post(url, evidence_form("form-7", source))
    assert response.status_code == 500
    assert len(calls) == 2  # the first piece of evidence was written, then rolled back
    assert not StatusUpdate.objects.exists()
    assert not Evidence.objects.exists()
    assert list(Source.objects.all()) == [source]
    assert not StatusPeriod.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.STATUS_UPDATE).exists()
    commitment.refresh_from_db()
    assert commitment.current_status == Status.NOT_ASSESSED
    assert commitment.last_update_at is None

    # The browser sends the same form again: it is recorded once, whole.
    monkeypatch.undo()
    response = client.post(url, evidence_form("form-7", source))
    assert response.status_code == 302
    update = StatusUpdate.objects.get()
    assert update.evidence.count() == 2
    assert integrity.verify().clean
