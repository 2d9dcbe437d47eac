"""The seed file and its loader."""

from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.core.management import CommandError, call_command

from tracker.models import Commitment, Event, Evidence, Measurement, Source, Status
from tracker.seed import SeedError, load_seed

SEED = Path("seeds/us-china-2023.yaml")
DOCUMENT = Path("seeds/responsibly-managing-us-china-relationship.txt").read_text()

pytestmark = pytest.mark.django_db


def counts():
    """The rows of every tracker model, by name (a failure then says which)."""
    tracker = apps.get_app_config("tracker")
    return {model.__name__: model.objects.count() for model in tracker.get_models()}


def test_it_loads_the_three_commitments_with_evidence_and_the_indicator():
    load_seed(SEED)
    assert set(Commitment.objects.values_list("reference", flat=True)) == {
        "USCN-MIL-COMMS",
        "USCN-FENTANYL",
        "USCN-COALITION",
    }
    mil = Commitment.objects.get(reference="USCN-MIL-COMMS")
    assert mil.current_status == Status.FULFILLED
    fentanyl = Commitment.objects.get(reference="USCN-FENTANYL")
    assert fentanyl.current_status == Status.IN_PROGRESS
    assert [p.name for p in fentanyl.delivering_parties()] == ["China"]
    measurement = Measurement.objects.get()
    assert measurement.display_value == "more than 140"
    assert measurement.indicator.commitment.reference == "USCN-COALITION"


def test_every_quote_is_verbatim_from_the_document():
    load_seed(SEED)
    assert Evidence.objects.count() >= 3
    for evidence in Evidence.objects.all():
        assert evidence.quote in DOCUMENT, evidence.quote


def test_fields_the_document_does_not_give_stay_empty():
    load_seed(SEED)
    source = Source.objects.get()
    assert (source.url, source.publisher, source.published_on) == ("", "", None)
    assert Measurement.objects.get().measured_on is None
    event = Event.objects.get()
    assert str(event.date) == "2023-11-15"  # the caption: "on Nov, 15, 2023"


def test_a_second_run_changes_nothing():
    load_seed(SEED)
    before = counts()
    created = load_seed(SEED)
    assert counts() == before
    assert sum(created.values()) == 0


def test_a_second_run_keeps_later_edits():
    load_seed(SEED)
    Commitment.objects.filter(reference="USCN-FENTANYL").update(title="Edited by an analyst")
    load_seed(SEED)
    assert Commitment.objects.get(reference="USCN-FENTANYL").title == "Edited by an analyst"


def test_the_command_reports_what_it_created():
    from io import StringIO

    out = StringIO()
    call_command("load_seed", str(SEED), stdout=out)
    assert "3 commitments" in out.getvalue()


def broken(tmp_path, mutate):
    data = yaml.safe_load(SEED.read_text())
    mutate(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    document = SEED.parent / data["sources"][0]["document"]
    (tmp_path / document.name).write_bytes(document.read_bytes())
    return path


@pytest.mark.parametrize(
    "mutate,entry,field",
    [
        (lambda d: d["commitments"][1].update(area="nowhere"), "USCN-FENTANYL", "area"),
        (
            lambda d: d["commitments"][0]["status_update"].update(status="done"),
            "USCN-MIL-COMMS",
            "status",
        ),
        (
            lambda d: d["commitments"][0]["status_update"].update(progress=150),
            "USCN-MIL-COMMS",
            "progress",
        ),
        (
            lambda d: d["commitments"][2]["status_update"].update(confidence="total"),
            "USCN-COALITION",
            "confidence",
        ),
        (lambda d: d["commitments"][1].pop("title"), "USCN-FENTANYL", "title"),
        (lambda d: d["events"][0].update(date="15/11/2023"), "events[0]", "date"),
        (lambda d: d["events"][0].update(date="2999-01-01"), "events[0]", "date"),
        (lambda d: d["sources"][0].update(url="not a url"), "sources[0]", "url"),
        (lambda d: d["parties"][0].update(kind="empire"), "parties[0]", "kind"),
        (
            lambda d: d["commitments"][0]["parties"][0].update(party="Atlantis"),
            "USCN-MIL-COMMS",
            "party",
        ),
        (
            lambda d: d["commitments"][2]["indicators"][0]["measurements"][0].update(value="many"),
            "USCN-COALITION",
            "value",
        ),
        (lambda d: d["commitments"].append(d["commitments"][0]), "USCN-MIL-COMMS", "reference"),
        (
            lambda d: d["commitments"][1]["status_update"].update(evidence=[]),
            "USCN-FENTANYL",
            "evidence",
        ),
    ],
)
def test_a_malformed_file_is_rejected_naming_entry_and_field(tmp_path, mutate, entry, field):
    path = broken(tmp_path, mutate)
    with pytest.raises(SeedError) as err:
        load_seed(path)
    message = str(err.value)
    assert str(path) in message
    assert entry in message
    assert f"'{field}'" in message
    assert not any(counts().values())


def test_invalid_yaml_and_missing_files_are_reported(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("commitments: [unclosed")
    with pytest.raises(SeedError, match="not valid YAML"):
        load_seed(bad)
    with pytest.raises(SeedError, match="file not found"):
        load_seed(tmp_path / "missing.yaml")


def test_the_command_exits_non_zero_and_loads_nothing(tmp_path):
    path = broken(tmp_path, lambda d: d["commitments"][1].update(area="nowhere"))
    with pytest.raises(CommandError, match="Seed not loaded"):
        call_command("load_seed", str(path))
    assert not any(counts().values())
