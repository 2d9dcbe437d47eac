"""Imports: export → edit → import changes exactly what was edited, and bad files change nothing."""

import io
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.spreadsheets import (
    csv_bytes,
    csv_rows,
    download,
    edit_xlsx,
    new_row,
    set_cell,
    xlsx_bytes,
    xlsx_rows,
)
from tracker.imports.run import run
from tracker.models import (
    AuditEvent,
    Commitment,
    CommitmentParty,
    Evidence,
    Source,
    StatusUpdate,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(seeded, manager, analyst, other_analyst, client):
    Commitment.objects.update(owner=analyst)
    client.force_login(manager)
    return client


def snapshot():
    """Every stored value a commitment import could change."""
    commitments = {
        c.reference: (
            c.title,
            c.description,
            c.area_id,
            c.event_id,
            c.owner_id,
            c.parent_id,
            c.target_date,
            c.review_cadence_days,
            c.version,
            sorted(c.commitment_parties.values_list("party_id", "must_deliver")),
            sorted(c.assignees.values_list("id", flat=True)),
        )
        for c in Commitment.objects.all()
    }
    updates = list(StatusUpdate.objects.order_by("id").values_list())
    evidence = list(Evidence.objects.order_by("id").values_list())
    return commitments, updates, evidence, Source.objects.count()


def results(outcome):
    import gzip
    import json

    return [json.loads(line) for line in gzip.decompress(outcome.report).splitlines()]


def check(data, user, name="file.csv", **kwargs):
    return run(data, name, user=user, commit=False, **kwargs)


def apply(data, user, name="file.csv"):
    outcome = run(data, name, user=user, commit=True)
    assert outcome.applied, (outcome.problem, [r for r in results(outcome) if r["errors"]])
    return outcome


EXPORTS = [
    ("/export/commitments.csv", "c.csv"),
    ("/export/commitments.xlsx", "c.xlsx"),
    ("/export/history.csv", "h.csv"),
    ("/export/history.xlsx", "h.xlsx"),
]


@pytest.mark.parametrize("url,name", EXPORTS)
def test_an_export_imported_unchanged_changes_nothing(world, manager, url, name):
    data = download(world, url)
    before = snapshot()
    outcome = apply(data, manager, name)
    assert outcome.counts["unchanged"] == len(results(outcome)) > 0
    assert outcome.counts["create"] == outcome.counts["update"] == outcome.counts["error"] == 0
    assert snapshot() == before


def test_a_handful_of_edits_in_a_csv_change_exactly_those(world, manager, analyst, other_analyst):
    rows = csv_rows(download(world, "/export/commitments.csv"))
    header = rows[0]
    set_cell(rows, "USCN-FENTANYL", "title", "Curb precursor chemicals, revised")
    set_cell(rows, "USCN-MIL-COMMS", "target_date", "2027-06-30")
    set_cell(rows, "USCN-MIL-COMMS", "assignees", other_analyst.username)
    rows.append(
        new_row(
            header,
            reference="NEW-2026-1",
            title="A new promise",
            area="Counternarcotics",
            parties="China; United States",
            delivering="China",
            owner=analyst.username,
            target_date="2027-01-31",
            description="What was promised.\nTwo lines.",
        )
    )
    before = snapshot()
    outcome = check(csv_bytes(rows), manager)
    changed = {r["key"]: (r["action"], r["changes"]) for r in results(outcome)}
    assert changed["USCN-FENTANYL"] == (
        "update",
        [
            [
                "title",
                "Curb the diversion of fentanyl precursor chemicals from China",
                "Curb precursor chemicals, revised",
            ]
        ],
    )
    assert changed["USCN-MIL-COMMS"] == (
        "update",
        [["target_date", "", "2027-06-30"], ["assignees", "", other_analyst.username]],
    )
    assert changed["NEW-2026-1"][0] == "create"
    assert changed["USCN-COALITION"] == ("unchanged", [])
    assert snapshot() == before  # the dry run wrote nothing

    apply(csv_bytes(rows), manager)
    after = snapshot()[0]
    fent, comms = (
        Commitment.objects.get(reference="USCN-FENTANYL"),
        Commitment.objects.get(reference="USCN-MIL-COMMS"),
    )
    assert fent.title == "Curb precursor chemicals, revised" and fent.version == 2
    assert str(comms.target_date) == "2027-06-30"
    assert list(comms.assignees.all()) == [other_analyst]
    assert after["USCN-COALITION"] == before[0]["USCN-COALITION"]
    new = Commitment.objects.get(reference="NEW-2026-1")
    assert (new.title, new.area.name, new.owner, new.description) == (
        "A new promise",
        "Counternarcotics",
        analyst,
        "What was promised.\nTwo lines.",
    )
    assert [(p.name, p.must_deliver) for p in _bound(new)] == [
        ("China", True),
        ("United States", False),
    ]
    assert new.history.first().history_user == manager
    actions = set(AuditEvent.objects.values_list("action", "target"))
    assert {("edit", "USCN-FENTANYL"), ("create", "NEW-2026-1"), ("import", "file.csv")} <= actions


def _bound(commitment):
    for cp in CommitmentParty.objects.filter(commitment=commitment).select_related("party"):
        cp.party.must_deliver = cp.must_deliver
        yield cp.party


def test_edits_in_an_xlsx_round_trip(world, manager):
    def edit(sheet):
        header = [c.value for c in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            if row[0].value == "USCN-COALITION":
                row[header.index("title")].value = "Coalition, renamed"
                row[header.index("review_cadence_days")].value = 14
        sheet.append(
            new_row(
                header,
                reference="NEW-X",
                title="From XLSX",
                area="Counternarcotics",
                parent="USCN-COALITION",
            )
        )

    data = edit_xlsx(download(world, "/export/commitments.xlsx"), edit)
    outcome = apply(data, manager, "c.xlsx")
    assert (outcome.counts["update"], outcome.counts["create"], outcome.counts["unchanged"]) == (
        1,
        1,
        2,
    )
    coalition = Commitment.objects.get(reference="USCN-COALITION")
    assert (coalition.title, coalition.review_cadence_days) == ("Coalition, renamed", 14)
    assert Commitment.objects.get(reference="NEW-X").parent == coalition


def test_a_new_row_may_name_a_parent_created_earlier_in_the_file(world, manager):
    header = ["reference", "title", "area", "parent"]
    rows = [
        header,
        ["P-1", "Parent", "Counternarcotics", ""],
        ["P-2", "Child", "Counternarcotics", "P-1"],
    ]
    assert check(csv_bytes(rows), manager).errors == 0
    apply(csv_bytes(rows), manager)
    assert Commitment.objects.get(reference="P-2").parent.reference == "P-1"


def test_only_the_columns_present_are_compared(world, manager):
    rows = [["reference", "title"], ["USCN-FENTANYL", "Shorter title"]]
    before = snapshot()[0]["USCN-FENTANYL"]
    apply(csv_bytes(rows), manager)
    after = Commitment.objects.get(reference="USCN-FENTANYL")
    assert after.title == "Shorter title"
    assert (after.target_date, after.owner_id, after.area_id) == (before[6], before[4], before[2])


def test_a_changed_derived_column_is_a_warning_not_a_change(world, manager):
    rows = csv_rows(download(world, "/export/commitments.csv"))
    set_cell(rows, "USCN-FENTANYL", "status", "fulfilled")
    outcome = check(csv_bytes(rows), manager)
    row = next(r for r in results(outcome) if r["key"] == "USCN-FENTANYL")
    assert row["action"] == "unchanged"
    assert row["warnings"] == [
        ["status", "is not imported (it stays in_progress): record a status update"]
    ]


# Status updates


def history_rows(client):
    return csv_rows(download(client, "/export/history.csv"))


def test_new_status_updates_go_through_the_review_rules(world, manager):
    rows = history_rows(world)
    header = rows[0]
    update = {
        "commitment": "USCN-FENTANYL",
        "as_of": "2026-11-01",
        "status": "at_risk",
        "confidence": "high",
        "progress": "20",
        "assessment": "Shipments resumed.",
        "source": "A new report",
    }
    rows.append(new_row(header, **update, quote="Seizures fell.", source_kind="report"))
    rows.append(new_row(header, **update, quote="A second quote."))  # the same update
    outcome = apply(csv_bytes(rows), manager)
    assert outcome.counts["create"] == 2
    update = StatusUpdate.objects.latest("id")
    assert (update.author, update.status, update.review_state, update.progress) == (
        manager,
        "at_risk",
        "submitted",
        20,
    )
    assert [e.quote for e in update.evidence.all()] == ["Seizures fell.", "A second quote."]
    assert Source.objects.filter(title="A new report").count() == 1
    assert AuditEvent.objects.filter(action="status_update", user=manager).count() == 1
    # Pending review: the official status has not moved.
    assert Commitment.objects.get(reference="USCN-FENTANYL").current_status == "in_progress"


def test_a_change_of_status_without_evidence_is_refused(world, manager):
    rows = [
        ["commitment", "as_of", "status", "confidence"],
        ["USCN-FENTANYL", "2026-11-01", "broken", "low"],
        ["USCN-FENTANYL", "2026-11-02", "in_progress", "low"],
    ]
    outcome = check(csv_bytes(rows), manager)
    first, second = results(outcome)
    assert first["errors"] == [
        ["quote", "A change of status needs at least one piece of evidence."]
    ]
    assert (
        second["errors"] == [] and second["action"] == "create"
    )  # same status: no evidence needed
    assert not run(csv_bytes(rows), "h.csv", user=manager, commit=True).applied
    assert not StatusUpdate.objects.filter(author=manager).exists()


def test_with_review_off_later_rows_see_the_status_earlier_rows_set(world, manager, settings):
    settings.TRACKER_REVIEW_REQUIRED = False
    today = timezone.localdate().isoformat()  # the seed's updates are as of today
    rows = [
        ["commitment", "as_of", "status", "confidence", "quote", "source"],
        ["USCN-FENTANYL", today, "broken", "low", "Abandoned.", "Wire"],
        ["USCN-FENTANYL", today, "broken", "moderate", "", ""],
    ]
    outcome = apply(csv_bytes(rows), manager)
    assert outcome.counts["create"] == 2
    assert Commitment.objects.get(reference="USCN-FENTANYL").current_status == "broken"


def test_a_recorded_update_cannot_be_changed(world, manager):
    rows = history_rows(world)
    status = rows[0].index("status")
    rows[1][status] = "broken"
    outcome = check(csv_bytes(rows), manager)
    errors = [e for r in results(outcome) for e in r["errors"]]
    assert len(errors) == 1
    assert errors[0][0] == "status"
    assert "status updates are never changed" in errors[0][1]


def test_a_future_as_of_date_is_refused_in_words(world, manager):
    rows = [
        ["commitment", "as_of", "status", "confidence"],
        ["USCN-FENTANYL", "2999-01-01", "in_progress", "low"],
    ]
    (row,) = results(check(csv_bytes(rows), manager))
    assert row["errors"] == [["as_of", "The date cannot be in the future."]]


# Bad input


def test_errors_name_the_row_and_column_in_words(world, manager):
    rows = [
        ["reference", "title", "area", "target_date", "owner", "review_cadence_days"],
        ["USCN-FENTANYL", "", "Nowhere", "31/02/2024", "nobody", "0"],
    ]
    (row,) = results(check(csv_bytes(rows), manager))
    assert row["row"] == 2
    assert dict(row["errors"]) == {
        "title": "is empty, and it is required",
        "area": "there is no area “Nowhere” (known: Counternarcotics, Military communications, "
        "Multilateral cooperation)",
        "target_date": "31/02/2024 is not a date (write it as YYYY-MM-DD, e.g. 2024-02-29)",
        "owner": "“nobody” is not the username of an analyst",
        "review_cadence_days": "0 is out of range (1 to 3650)",
    }


def test_one_bad_row_means_nothing_is_written(world, manager):
    rows = [
        ["reference", "title", "area"],
        ["OK-1", "Fine", "Counternarcotics"],
        ["OK-2", "Fine too", "Nowhere"],
    ]
    before = snapshot()
    outcome = run(csv_bytes(rows), "f.csv", user=manager, commit=True)
    assert not outcome.applied and outcome.errors == 1
    assert snapshot() == before
    assert not AuditEvent.objects.filter(action__in=["create", "import"]).exists()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_with_or_without_a_bom(world, manager, encoding):
    rows = [["reference", "title", "area"], ["ENC-1", "Zürich — “quoted”", "Counternarcotics"]]
    apply(csv_bytes(rows, encoding=encoding), manager)
    assert Commitment.objects.get(reference="ENC-1").title == "Zürich — “quoted”"


def test_windows_1252_is_detected_and_said(world, manager):
    rows = [["reference", "title", "area"], ["ENC-2", "Café “Münster”", "Counternarcotics"]]
    outcome = apply(csv_bytes(rows, encoding="cp1252"), manager)
    assert "read as Windows-1252" in outcome.notes[0]
    assert Commitment.objects.get(reference="ENC-2").title == "Café “Münster”"


def test_an_unknown_encoding_is_refused(world, manager):
    outcome = check(b"reference,title\nX,\x81\x8d\x90 \xff\xfe\x9d\n", manager)
    assert "neither UTF-8 nor Windows-1252" in outcome.problem


def test_semicolon_separated_files_are_read(world, manager):
    rows = [["reference", "title", "area"], ["SEMI-1", "With; a semicolon", "Counternarcotics"]]
    outcome = apply(csv_bytes(rows, delimiter=";"), manager)
    assert "separated by semicolons" in outcome.notes[-1]
    assert Commitment.objects.get(reference="SEMI-1").title == "With; a semicolon"


@pytest.mark.parametrize(
    "header,message",
    [
        (["reference", "title", "colour"], "Unknown column: colour. A commitments file has"),
        (["commitment", "status"], "Missing columns: as_of, confidence."),
        (["name", "title"], "neither a “reference” column"),
        (["reference", "title", "title"], "Column twice: title"),
    ],
)
def test_wrong_or_missing_columns_say_which_are_expected(world, manager, header, message):
    outcome = check(csv_bytes([header, ["x"] * len(header)]), manager)
    assert message in outcome.problem
    if "Unknown" in message or "Missing" in message:
        assert "required:" in outcome.problem


def test_a_reference_twice_in_one_file_is_an_error(world, manager):
    rows = [
        ["reference", "title", "area"],
        ["DUP-1", "A", "Counternarcotics"],
        ["DUP-1", "B", "Counternarcotics"],
    ]
    outcome = check(csv_bytes(rows), manager)
    assert results(outcome)[1]["errors"] == [["reference", "DUP-1 is also on row 2"]]


def test_formulas_are_imported_as_text_and_never_run(world, manager):
    data = xlsx_bytes(
        [
            ["reference", "title", "area"],
            ["F-1", "=1+1", "Counternarcotics"],
            ["F-2", '=HYPERLINK("http://evil","x")', "Counternarcotics"],
        ]
    )
    apply(data, manager, "f.xlsx")
    assert Commitment.objects.get(reference="F-1").title == "=1+1"
    assert Commitment.objects.get(reference="F-2").title.startswith("=HYPERLINK(")


def test_exports_neutralise_formulas_and_the_import_reads_them_back(world, manager):
    Commitment.objects.filter(reference="USCN-FENTANYL").update(title="=cmd|' /C calc'!A0")
    Commitment.objects.filter(reference="USCN-COALITION").update(title="'quoted")
    csv_data = download(world, "/export/commitments.csv")
    assert "'=cmd|' /C calc'!A0" in [r[1] for r in csv_rows(csv_data)]
    xlsx_data = download(world, "/export/commitments.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx_data)).worksheets[0]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert "'=cmd|' /C calc'!A0" in [r[1] for r in xlsx_rows(xlsx_data)]
    for data, name in ((csv_data, "c.csv"), (xlsx_data, "c.xlsx")):
        assert check(data, manager, name).counts["unchanged"] == 3


def test_a_one_megabyte_cell_is_refused_by_column(world, manager):
    rows = [["reference", "title", "area"], ["BIG-1", "x" * 1_048_576, "Counternarcotics"]]
    (row,) = results(check(csv_bytes(rows), manager))
    assert row["errors"] == [["title", "is 1,048,576 characters long; the limit is 300"]]


def test_a_file_over_the_limit_is_refused(world, manager, settings):
    settings.TRACKER_IMPORT_MAX_BYTES = 1000
    outcome = check(b"reference,title\n" + b"x,y\n" * 500, manager)
    assert outcome.problem == (
        "The file is 2,016 bytes; the limit is 1,000. Split it into smaller files."
    )


def test_a_damaged_xlsx_is_refused(world, manager):
    assert "archive is damaged" in check(b"PK\x03\x04garbage", manager, "x.xlsx").problem
    good = xlsx_bytes([["reference", "title"], ["A", "B"]])
    broken = good[: len(good) // 2]
    assert (
        "cannot" in check(broken, manager, "x.xlsx").problem
        or "damaged" in check(broken, manager, "x.xlsx").problem
    )


def test_a_zip_that_is_not_a_workbook_is_refused(world, manager):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "not an XLSX workbook" in check(out.getvalue(), manager, "x.xlsx").problem


def test_a_zip_bomb_is_refused_before_it_is_opened(world, manager, settings):
    settings.TRACKER_IMPORT_MAX_XLSX_EXPANDED_BYTES = 5_000_000
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 20_000_000)
    assert len(out.getvalue()) < 100_000
    outcome = check(out.getvalue(), manager, "bomb.xlsx")
    assert "would expand to 20,000,011 bytes; the limit is 5,000,000" in outcome.problem


def test_an_old_excel_file_is_refused_with_what_to_do(world, manager):
    outcome = check(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, manager, "old.xls")
    assert "Save it as .xlsx or as CSV UTF-8" in outcome.problem


def test_the_apply_refuses_when_the_data_changed_since_the_preview(world, manager):
    rows = [["reference", "title"], ["USCN-FENTANYL", "New title"]]
    preview = check(csv_bytes(rows), manager)
    Commitment.objects.filter(reference="USCN-FENTANYL").update(title="Changed meanwhile")
    outcome = run(
        csv_bytes(rows), "f.csv", user=manager, commit=True, expected_digest=preview.digest
    )
    assert not outcome.applied
    assert "changed since the preview" in outcome.problem
    assert Commitment.objects.get(reference="USCN-FENTANYL").title == "Changed meanwhile"


# The command


def test_the_command_dry_runs_and_applies(world, manager, tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes([["reference", "title"], ["USCN-FENTANYL", "From the command"]]))
    call_command("import_file", str(path), "--user", manager.username, "--dry-run")
    out = capsys.readouterr().out
    assert "1 to update" in out and "Dry run: nothing was written." in out
    assert Commitment.objects.get(reference="USCN-FENTANYL").title != "From the command"
    call_command("import_file", str(path), "--user", manager.username)
    assert Commitment.objects.get(reference="USCN-FENTANYL").title == "From the command"


def test_the_command_reports_errors_and_exits_non_zero(world, manager, analyst, tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(
        csv_bytes([["reference", "title", "target_date"], ["USCN-FENTANYL", "T", "31/02/2024"]])
    )
    with pytest.raises(CommandError, match="1 row with errors. Nothing was imported."):
        call_command("import_file", str(path), "--user", manager.username)
    with pytest.raises(CommandError, match="only managers and admins"):
        call_command("import_file", str(path), "--user", analyst.username)
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_file", str(tmp_path / "nope.csv"), "--user", manager.username)


@pytest.mark.parametrize(
    "path,expected",
    [
        ("docs/import-commitments-sample.csv", {"create": 1, "update": 1}),
        ("docs/import-history-sample.csv", {"create": 2, "update": 0}),
    ],
)
def test_the_sample_files_in_docs_import_cleanly_on_the_seed_data(seeded, manager, path, expected):
    from pathlib import Path

    from tests.factories import make_analyst

    Commitment.objects.update(owner=make_analyst("analyst"))
    outcome = check(Path(path).read_bytes(), manager)
    assert [r["errors"] for r in results(outcome) if r["errors"]] == []
    assert {k: outcome.counts[k] for k in expected} == expected


@pytest.mark.parametrize("data", [b"\xfe\xff", b"\xff\xfe", b"\xef\xbb\xbf"])
def test_a_byte_order_mark_alone_is_an_empty_file(manager, data):
    outcome = run(data, "empty.csv", user=manager, commit=False)
    assert outcome.problem == "The file is empty."
    assert not outcome.applied
