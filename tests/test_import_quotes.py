"""The import's dry-run preview verifies quotes against their sources' text, as the apply will."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.spreadsheets import csv_bytes
from tracker.imports.run import run
from tracker.models import Evidence, ImportFile, Source, StatusUpdate

pytestmark = pytest.mark.django_db

STATEMENT = "On Responsibly Managing the U.S.-China Relationship"
QUOTE = "China has agreed to curtail shipments of the chemicals used to make fentanyl."
HEADER = ["commitment", "as_of", "status", "confidence", "assessment", "quote", "source"]


def row(quote, source=STATEMENT, assessment="Shipments fell."):
    return ["USCN-FENTANYL", "2026-11-01", "in_progress", "high", assessment, quote, source]


def results(outcome):
    import gzip
    import json

    return [json.loads(line) for line in gzip.decompress(outcome.report).splitlines()]


def check(rows, user):
    return run(csv_bytes([HEADER, *rows]), "h.csv", user=user, commit=False)


def test_a_quote_found_in_its_source_is_previewed_as_verified_and_applied_verified(seeded, manager):
    outcome = check([row(QUOTE)], manager)
    (result,) = results(outcome)
    assert result["errors"] == [] and result["action"] == "create"
    assert ["quote", "", f"{QUOTE} — {STATEMENT}, paragraph 2 (verified)"] in result["changes"]
    applied = run(csv_bytes([HEADER, row(QUOTE)]), "h.csv", user=manager, commit=True)
    assert applied.applied
    evidence = Evidence.objects.latest("id")
    assert evidence.is_verified and evidence.paragraph == 2


def test_a_quote_not_in_its_source_is_an_error_with_the_closest_passage(seeded, manager):
    altered = "China has agreed to end shipments of the chemicals used to make fentanyl."
    before = StatusUpdate.objects.count()
    outcome = check([row(QUOTE), row(altered, assessment="Another.")], manager)
    first, second = results(outcome)
    assert first["errors"] == []
    assert second["errors"] == [
        [
            "quote",
            f"not found in “{STATEMENT}”; did you mean “China has agreed to curtail shipments "
            "of the chemicals used to make fentanyl.”?",
        ]
    ]
    assert not run(csv_bytes([HEADER, row(altered)]), "h.csv", user=manager, commit=True).applied
    assert StatusUpdate.objects.count() == before


def test_a_quote_of_a_source_without_text_is_shown_unverified(seeded, manager):
    factories.make_source("Wire report")
    (result,) = results(check([row("Anything at all.", source="Wire report")], manager))
    assert result["errors"] == []
    assert [
        "quote",
        "",
        "Anything at all. — Wire report (unverified: the source has no text)",
    ] in result["changes"]


def test_the_preview_page_says_row_column_and_what_was_meant(client, seeded, manager):
    client.force_login(manager)
    data = csv_bytes([HEADER, row("China agreed to curtail the shipments of chemicals.")])
    response = client.post("/import/", {"file": SimpleUploadedFile("h.csv", data)})
    page = client.get(response["Location"]).content.decode()
    assert f"Row 2, column quote: not found in “{STATEMENT}”; did you mean “" in page
    assert ImportFile.objects.get().state == "refused"
    assert "Apply" not in page


def test_each_sources_text_is_read_once_whatever_the_number_of_rows(seeded, manager):
    other = factories.make_document_source("Readout", text="The sides met.\n\nThey agreed.")

    def queries(n):
        rows = []
        for i in range(n):
            rows.append(row(QUOTE, assessment=f"Update {i}."))
            rows.append(row("They agreed.", source=other.title, assessment=f"Update {i}."))
        with CaptureQueriesContext(connection) as captured:
            outcome = check(rows, manager)
        assert outcome.counts["create"] == 2 * n and not outcome.counts.get("error")
        texts = [q["sql"] for q in captured.captured_queries if "sourceparagraph" in q["sql"]]
        assert len(texts) == 1  # both sources' paragraphs, in one query
        return len(captured.captured_queries)

    assert queries(3) == queries(60)
    assert Source.objects.count() == 2


def test_past_a_limit_quotes_not_found_are_refused_without_the_search_for_the_closest(
    seeded, manager, monkeypatch
):
    from tracker.imports import history

    monkeypatch.setattr(history, "CLOSEST_SUGGESTED", 2)
    wrong = [row(f"Words nobody said, number {i}.", assessment=f"U{i}") for i in range(4)]
    messages = [r["errors"][0][1] for r in results(check(wrong, manager))]
    suggested = [m.startswith(f"not found in “{STATEMENT}”;") for m in messages]
    assert suggested == [True, True, False, False]
    assert messages[3] == (
        f"not found in “{STATEMENT}” (the closest passage is shown for the first 2)"
    )
