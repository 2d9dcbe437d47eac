"""Bulk in, in a real browser: export commitments to XLSX, edit two cells and add a row (as a
spreadsheet would), import it, read the preview, apply, see the changes; then a broken file
shows its errors and changes nothing. And a commitment created on the New commitment page."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible
from tests.spreadsheets import edit_xlsx, new_row
from tracker.models import Commitment

pytestmark = pytest.mark.e2e


def edit(sheet):
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "USCN-FENTANYL":
            row[header.index("title")].value = "Curb fentanyl precursors (edited in Excel)"
        if row[0].value == "USCN-MIL-COMMS":
            row[header.index("target_date")].value = "2027-06-30"
    sheet.append(
        new_row(
            header,
            reference="USCN-2026-NEW",
            title="Joint customs training",
            area="Counternarcotics",
            parties="China; United States",
            delivering="China",
            owner="analyst",
        )
    )


def test_export_edit_import_preview_apply(e2e_data, login, live_server, page, shot, tmp_path):
    page.set_viewport_size({"width": 1360, "height": 900})
    login("manager")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import from a file")).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Commitments (XLSX)").click()
    exported = tmp_path / "commitments.xlsx"
    download.value.save_as(exported)
    edited = tmp_path / "edited.xlsx"
    edited.write_bytes(edit_xlsx(exported.read_bytes(), edit))

    page.get_by_label("File").set_input_files(str(edited))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Preview (nothing written yet)")).to_be_visible()
    counts = page.locator(".import-counts")
    expect(counts).to_contain_text("1 to create")
    expect(counts).to_contain_text("2 to update")
    expect(counts).to_contain_text("1 unchanged")
    changes = page.locator(".import-changes")
    expect(changes).to_contain_text("Curb fentanyl precursors (edited in Excel)")
    expect(changes).to_contain_text("2027-06-30")
    expect(changes).to_contain_text("Joint customs training")
    assert_accessible(page)
    shot(page, "import-preview")
    assert not Commitment.objects.filter(reference="USCN-2026-NEW").exists()

    page.get_by_role("button", name="Apply 3 changes").click()
    expect(page.locator(".messages")).to_contain_text("Applied edited.xlsx.")
    expect(page.get_by_role("heading", name="Applied on")).to_be_visible()

    page.goto(f"{live_server.url}/commitments/USCN-FENTANYL/")
    expect(page.locator("h1")).to_contain_text("Curb fentanyl precursors (edited in Excel)")
    page.goto(f"{live_server.url}/commitments/USCN-2026-NEW/")
    expect(page.locator("h1")).to_contain_text("Joint customs training")
    assert str(Commitment.objects.get(reference="USCN-MIL-COMMS").target_date) == "2027-06-30"


def test_a_broken_file_shows_its_errors_and_changes_nothing(e2e_data, login, page, tmp_path):
    before = list(Commitment.objects.values_list("reference", "title", "target_date", "version"))
    broken = tmp_path / "broken.csv"
    broken.write_text(
        "reference,title,target_date\n"
        "USCN-FENTANYL,A fine new title,2027-01-01\n"
        "USCN-MIL-COMMS,Another,31/02/2024\n"
        "USCN-MIL-COMMS,Twice,\n"
    )
    login("manager")
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("File").set_input_files(str(broken))
    page.get_by_role("button", name="Check the file").click()
    errors = page.locator(".import-errors")
    expect(errors).to_contain_text(
        "Row 3, column target_date: 31/02/2024 is not a date (write it as YYYY-MM-DD"
    )
    expect(errors).to_contain_text("Row 4, column reference: USCN-MIL-COMMS is also on row 3")
    expect(page.get_by_role("button", name="Apply")).to_have_count(0)
    assert_accessible(page)
    after = list(Commitment.objects.values_list("reference", "title", "target_date", "version"))
    assert after == before


def test_a_manager_creates_a_commitment_on_its_page(e2e_data, login, live_server, page):
    login("manager")
    page.goto(f"{live_server.url}/commitments/")
    page.get_by_role("link", name="New commitment").click()
    reference = page.get_by_label("Reference")
    expect(reference).to_have_value(f"C-{timezone.localdate().year}-001")
    reference.fill("USCN-FENTANYL")
    page.get_by_label("Title").click()  # leaving the field checks it
    expect(page.locator("#reference-field")).to_contain_text("already exists")
    page.get_by_label("Reference").fill("USCN-2026-CUSTOMS")
    page.get_by_label("Title").fill("Joint customs training")
    page.get_by_label("What was promised").fill("Both sides will train customs officers.")
    page.get_by_label("Area").select_option(label="Counternarcotics")
    assert_accessible(page)
    page.get_by_role("button", name="Create the commitment").click()
    expect(page.locator("h1")).to_contain_text("Joint customs training")
    expect(page.locator(".messages")).to_contain_text("Created USCN-2026-CUSTOMS.")
