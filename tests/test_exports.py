"""Exports: commitments as CSV and JSON, the status history with evidence as CSV."""

import csv
import datetime as dt
import io
import json

import pytest
from django.http import StreamingHttpResponse

from tests import factories
from tests.dashboard_world import TODAY, at
from tracker.models import AuditEvent, Commitment, Evidence, StatusUpdate
from tracker.views.exports import spreadsheet_safe

pytestmark = pytest.mark.django_db


URLS = ["/export/commitments.csv", "/export/commitments.json", "/export/history.csv"]


def download(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode("utf-8-sig")


def read_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("url", URLS)
def test_anonymous_users_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", URLS)
def test_users_without_a_role_are_refused(client, outsider, url):
    client.force_login(outsider)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_exports_only_answer_get(client, manager, url):
    client.force_login(manager)
    assert client.post(url).status_code == 405


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("query", ["?area=nope", "?party=999999", "?owner=-3"])
def test_a_bad_filter_is_refused_with_a_clear_message(client, manager, url, query):
    client.force_login(manager)
    response = client.get(url + query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert b"Nothing was exported: There is no such" in response.content


def test_commitments_csv_round_trips(client, world):
    rows = read_csv(download(client, world.manager, "/export/commitments.csv"))
    assert [row["reference"] for row in rows] == ["C1", "C2", "C3", "C4", "C5"]
    for row in rows:
        c = Commitment.objects.get(reference=row["reference"])
        assert row["title"] == c.title
        assert row["area"] == c.area.name
        assert row["parties"] == "; ".join(cp.party.name for cp in c.commitment_parties.all())
        assert row["owner"] == (c.owner.username if c.owner else "")
        assert row["status"] == c.current_status
        assert row["status_label"] == c.get_current_status_display()
        assert row["progress"] == ("" if c.current_progress is None else str(c.current_progress))
        assert row["as_of"] == (c.current_as_of.isoformat() if c.current_as_of else "")
        assert row["next_review_due"] == c.next_review_due.isoformat()
        assert row["overdue"] == ("yes" if c.is_overdue(TODAY) else "no")
        assert row["url"] == f"http://testserver/commitments/{c.reference}/"
    c1 = rows[0]
    # Parties that must deliver first, then by name.
    assert (c1["status"], c1["parties"], c1["owner"]) == (
        "at_risk",
        "China; United States",
        "alice",
    )


def test_commitments_json_round_trips(client, world):
    data = json.loads(download(client, world.manager, "/export/commitments.json"))
    assert data["filters"] == {}
    items = {item["reference"]: item for item in data["commitments"]}
    assert list(items) == ["C1", "C2", "C3", "C4", "C5"]
    assert items["C1"]["parties"] == [
        {"name": "China", "must_deliver": True},
        {"name": "United States", "must_deliver": True},
    ]
    assert items["C1"]["status"] == "at_risk"
    assert items["C1"]["as_of"] == "2026-02-25"
    assert items["C3"]["overdue"] is True
    assert items["C4"]["owner"] is None
    assert items["C4"]["status_label"] == "Not yet assessed"


def test_history_csv_has_every_update_and_its_evidence(client, world):
    source = factories.make_source("Readout", publisher="Ministry", url="https://example.org/r")
    with at("2026-03-02 10:00"):
        factories.record(
            world.c2,
            author=world.alice,
            status="fulfilled",
            quote="Delivered in full.",
            source=source,
            accept_by=world.manager,
        )
    rows = read_csv(download(client, world.manager, "/export/history.csv"))
    # One line per piece of evidence; every update in the tracker has exactly one here.
    assert len(rows) == Evidence.objects.count() == StatusUpdate.objects.count() == 6
    for row in rows:
        update = StatusUpdate.objects.get(pk=row["update_id"])
        evidence = Evidence.objects.get(pk=row["evidence_id"])
        assert evidence.status_update_id == update.pk
        assert row["commitment"] == update.commitment.reference
        assert row["status"] == update.status
        assert row["previous_status"] == update.previous_status
        assert row["as_of"] == update.as_of.isoformat()
        assert row["review_state"] == update.review_state
        assert row["author"] == update.author.username
        assert row["quote"] == evidence.quote
        assert row["source"] == evidence.source.title
    last = rows[-1]
    assert (last["source_publisher"], last["source_url"]) == ("Ministry", "https://example.org/r")
    assert last["decided_by"] == "maria"
    assert last["decided_at"].startswith("2026-03-02T10:00:00")
    pending = [row for row in rows if row["review_state"] == "submitted"]
    assert [row["commitment"] for row in pending] == ["C5"]


def test_an_update_without_evidence_still_has_its_line(client, world):
    with at("2026-03-02 10:00"):
        factories.record(world.c4, author=None, status="not_assessed", quote="")
    rows = read_csv(download(client, world.manager, "/export/history.csv"))
    bare = [row for row in rows if row["commitment"] == "C4"]
    assert len(bare) == 1
    assert bare[0]["evidence_id"] == bare[0]["quote"] == ""


@pytest.mark.parametrize("url", URLS)
def test_exports_honour_the_dashboard_filters(client, world, url):
    text = download(client, world.manager, f"{url}?area={world.military.pk}&owner={world.oscar.pk}")
    if url.endswith(".json"):
        data = json.loads(text)
        assert data["filters"] == {"area": world.military.pk, "owner": world.oscar.pk}
        assert [c["reference"] for c in data["commitments"]] == ["C3", "C5"]
    else:
        key = "commitment" if "history" in url else "reference"
        assert sorted({row[key] for row in read_csv(text)}) == ["C3", "C5"]


def test_the_party_filter(client, world):
    rows = read_csv(
        download(client, world.manager, f"/export/commitments.csv?party={world.china.pk}")
    )
    assert [row["reference"] for row in rows] == ["C1", "C3"]


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil")',
        "+1+2",
        "-2+3",
        "@SUM(A1)",
        "\tTab",
        "\rCR",
        "\ufeff=1+2",  # a byte-order mark first
        "\u200b=1+2",  # a zero-width space first
        " =1+2",
        '＝HYPERLINK("http://evil")',  # fullwidth forms spreadsheets read as = + - @
        "＋1＋2",
        "－2＋3",
        "＠SUM(A1)",
        "﹦1",  # small equals sign
    ],
)
def test_cells_that_would_run_as_formulas_are_neutralised(client, world, text):
    with at("2026-03-02 10:00"):
        c = factories.make_commitment(f"X-{len(text)}", title=text, area=world.military)
        factories.record(
            c, author=world.alice, assessment=text, quote=text, accept_by=world.manager
        )
    commitments = read_csv(download(client, world.manager, "/export/commitments.csv"))
    assert [row["title"] for row in commitments if row["reference"] == c.reference] == ["'" + text]
    history = read_csv(download(client, world.manager, "/export/history.csv"))
    line = next(row for row in history if row["commitment"] == c.reference)
    assert line["commitment_title"] == line["assessment"] == line["quote"] == "'" + text
    # JSON is not opened by spreadsheets: it keeps the text as it is.
    data = json.loads(download(client, world.manager, "/export/commitments.json"))
    assert [i["title"] for i in data["commitments"] if i["reference"] == c.reference] == [text]


def test_spreadsheet_safe_leaves_ordinary_values_alone():
    assert spreadsheet_safe("Curb - precursors") == "Curb - precursors"
    assert spreadsheet_safe(40) == 40
    assert spreadsheet_safe(None) == ""
    assert spreadsheet_safe(True) == "yes"
    assert spreadsheet_safe(dt.date(2026, 3, 2)) == "2026-03-02"


def test_files_are_named_by_date_and_the_export_is_audited(client, world):
    client.force_login(world.manager)
    response = client.get(f"/export/commitments.csv?area={world.military.pk}")
    assert response["Content-Disposition"] == 'attachment; filename="commitments-2026-03-02.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    event = AuditEvent.objects.get(action="export")
    assert (event.user, event.target) == (world.manager, "/export/commitments.csv")
    assert event.detail == f"area={world.military.pk}"


@pytest.mark.parametrize("url", URLS)
def test_exports_stream_in_a_fixed_number_of_queries_per_chunk(
    client, world, url, django_assert_max_num_queries
):
    client.force_login(world.manager)
    # The session, the user, the role check; areas, parties, owners (the filters); the
    # audit event; then the rows, and their parties per chunk of 2,000 commitments.
    with django_assert_max_num_queries(10):
        response = client.get(url)
        b"".join(response.streaming_content)


def test_a_large_export_is_read_in_chunks(client, world, django_assert_num_queries, monkeypatch):
    from tracker.views import exports

    monkeypatch.setattr(exports, "CHUNK", 2)
    client.force_login(world.manager)
    client.get("/")
    response = client.get("/export/commitments.csv")
    # One query for the commitments, read through its cursor two rows at a time, and two
    # for each chunk (its parties, its assignees): 5 commitments, 3 chunks.
    with django_assert_num_queries(7):
        rows = read_csv(b"".join(response.streaming_content).decode("utf-8-sig"))
    assert len(rows) == 5


@pytest.mark.parametrize("name", ["commitments", "history"])
def test_xlsx_exports_have_the_csv_columns_and_values(client, world, name):
    from tests.spreadsheets import xlsx_rows

    client.force_login(world.manager)
    response = client.get(f"/export/{name}.xlsx")
    assert response.status_code == 200
    assert response.streaming  # from a temporary file, in chunks
    assert response["Content-Disposition"] == f'attachment; filename="{name}-2026-03-02.xlsx"'
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = xlsx_rows(b"".join(response.streaming_content))
    text = read_csv(download(client, world.manager, f"/export/{name}.csv"))
    assert sheet[0] == list(text[0])

    def cell(value):  # openpyxl reads a date cell back as a datetime at midnight
        if value is None:
            return ""
        return value.date().isoformat() if hasattr(value, "date") else str(value)

    assert [[cell(v) for v in row] for row in sheet[1:]] == [list(r.values()) for r in text]
    assert AuditEvent.objects.filter(action="export", target=f"/export/{name}.xlsx").exists()


def test_the_xlsx_export_reads_in_chunks(client, world, django_assert_num_queries, monkeypatch):
    from tracker.views import exports

    monkeypatch.setattr(exports, "CHUNK", 2)
    client.force_login(world.manager)
    client.get("/")
    # Session, user with their roles; areas, parties, owners (the filters); the commitments through
    # one cursor, with the parties and the assignees of each of 3 chunks; the audit event.
    with django_assert_num_queries(13):
        client.get("/export/commitments.xlsx")
