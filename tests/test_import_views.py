"""The import pages: upload, preview, apply, progress and report, per role, method and HTMX."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import HTMX
from tests.spreadsheets import csv_bytes, csv_rows, download
from tracker.imports import jobs
from tracker.models import AuditEvent, Commitment, ImportFile

pytestmark = pytest.mark.django_db

GOOD = csv_bytes([["reference", "title"], ["USCN-FENTANYL", "Renamed by import"]])
BAD = csv_bytes([["reference", "title", "target_date"], ["USCN-FENTANYL", "T", "31/02/2024"]])


@pytest.fixture
def as_manager(client, seeded, manager):
    client.force_login(manager)
    return client


def upload(client, data, name="file.csv", **headers):
    return client.post("/import/", {"file": SimpleUploadedFile(name, data)}, **headers)


def title():
    return Commitment.objects.get(reference="USCN-FENTANYL").title


def test_the_page_explains_the_format_and_links_the_exports(as_manager):
    response = as_manager.get("/import/")
    assert response.status_code == 200
    assert b'href="/export/commitments.xlsx"' in response.content
    assert b'enctype="multipart/form-data"' in response.content
    assert response["Vary"] and "HX-Request" in response["Vary"]


@pytest.mark.parametrize("who", ["analyst", "outsider"])
def test_only_managers_and_admins_import(client, seeded, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/import/").status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert not ImportFile.objects.exists()


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get("/import/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_upload_shows_the_preview_and_writes_nothing(as_manager):
    response = upload(as_manager, GOOD)
    stored = ImportFile.objects.get()
    assert response.status_code == 302 and response["Location"] == stored.get_absolute_url()
    page = as_manager.get(response["Location"])
    assert page.status_code == 200
    assert b"Preview (nothing written yet)" in page.content
    assert "Renamed by import" in page.content.decode()
    assert b"Apply 1 change" in page.content
    assert title() != "Renamed by import"
    assert stored.state == "checked" and len(stored.sha256) == 64


def test_an_htmx_upload_redirects_the_browser_to_the_preview(as_manager):
    response = upload(as_manager, GOOD, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == ImportFile.objects.get().get_absolute_url()


def test_no_file_is_an_inline_error(as_manager):
    response = as_manager.post("/import/", {})
    assert response.status_code == 422
    assert b"This field is required." in response.content
    assert b"<html" in response.content
    fragment = as_manager.post("/import/", {}, **HTMX)
    assert fragment.status_code == 422
    assert b"<html" not in fragment.content and b'id="upload"' in fragment.content


def test_a_file_over_the_limit_is_an_inline_error(as_manager, settings):
    settings.TRACKER_IMPORT_MAX_BYTES = 10
    response = upload(as_manager, GOOD)
    assert response.status_code == 422
    assert b"the limit is 10. Split it into smaller files." in response.content
    assert not ImportFile.objects.exists()


def test_errors_are_shown_by_row_and_column_and_nothing_can_be_applied(as_manager):
    response = upload(as_manager, BAD)
    page = as_manager.get(response["Location"]).content.decode()
    assert (
        "Row 2, column target_date: 31/02/2024 is not a date (write it as YYYY-MM-DD, "
        "e.g. 2024-02-29)" in page
    )
    assert "Apply" not in page
    stored = ImportFile.objects.get()
    assert stored.state == "refused"
    response = as_manager.post(f"/import/{stored.pk}/apply/", {"sha256": stored.sha256})
    assert response.status_code == 409
    assert title() != "T"


def test_a_file_problem_is_shown_in_words(as_manager):
    response = upload(as_manager, b"name,colour\nx,y\n")
    page = as_manager.get(response["Location"]).content.decode()
    assert "This file cannot be imported" in page
    assert "neither a “reference” column" in page


def test_applying_writes_every_change_once(as_manager, manager):
    upload(as_manager, GOOD)
    stored = ImportFile.objects.get()
    response = as_manager.post(f"/import/{stored.pk}/apply/", {"sha256": stored.sha256})
    assert response.status_code == 302
    assert title() == "Renamed by import"
    stored.refresh_from_db()
    assert stored.state == "applied" and stored.applied_at
    page = as_manager.get(response["Location"]).content.decode()
    assert "Applied file.csv." in page and "Applied on" in page
    again = as_manager.post(f"/import/{stored.pk}/apply/", {"sha256": stored.sha256})
    assert again.status_code == 409  # applied already: never twice
    assert AuditEvent.objects.filter(action="import", user=manager).count() == 1


def test_an_htmx_apply_redirects_the_browser(as_manager):
    upload(as_manager, GOOD)
    stored = ImportFile.objects.get()
    response = as_manager.post(f"/import/{stored.pk}/apply/", {"sha256": stored.sha256}, **HTMX)
    assert response["HX-Redirect"] == stored.get_absolute_url()
    assert title() == "Renamed by import"


def test_a_preview_cannot_be_applied_to_another_file(as_manager):
    upload(as_manager, GOOD)
    stored = ImportFile.objects.get()
    other = csv_bytes([["reference", "title"], ["USCN-FENTANYL", "Something else"]])
    import hashlib

    response = as_manager.post(
        f"/import/{stored.pk}/apply/", {"sha256": hashlib.sha256(other).hexdigest()}
    )
    assert response.status_code == 409
    assert b"not the file you previewed" in response.content
    fragment = as_manager.post(f"/import/{stored.pk}/apply/", {"sha256": "x"}, **HTMX)
    assert fragment.status_code == 409 and b"<html" not in fragment.content
    assert title() != "Renamed by import"


def test_another_manager_cannot_see_or_apply_my_upload(client, seeded, manager, other_manager):
    client.force_login(manager)
    upload(client, GOOD)
    stored = ImportFile.objects.get()
    client.force_login(other_manager)
    assert client.get(stored.get_absolute_url()).status_code == 403
    assert client.get(f"/import/{stored.pk}/report.csv").status_code == 403
    response = client.post(f"/import/{stored.pk}/apply/", {"sha256": stored.sha256})
    assert response.status_code == 403
    assert title() != "Renamed by import"


def test_an_unknown_upload_is_404(as_manager):
    assert as_manager.get("/import/999999/").status_code == 404


def test_methods(as_manager):
    upload(as_manager, GOOD)
    pk = ImportFile.objects.get().pk
    assert as_manager.post(f"/import/{pk}/").status_code == 405
    assert as_manager.get(f"/import/{pk}/apply/").status_code == 405
    assert as_manager.post(f"/import/{pk}/report.csv").status_code == 405
    assert as_manager.put("/import/").status_code == 405


def test_the_report_lists_every_error_warning_and_change(as_manager):
    rows = csv_rows(download(as_manager, "/export/commitments.csv"))
    header = rows[0]
    rows[1][header.index("title")] = "New title"
    rows[2][header.index("target_date")] = "someday"
    rows[3][header.index("status")] = "broken"
    response = upload(as_manager, csv_bytes(rows))
    pk = ImportFile.objects.get().pk
    report = csv_rows(download(as_manager, f"/import/{pk}/report.csv"))
    assert report[0] == ["row", "key", "outcome", "column", "message", "before", "after"]
    outcomes = sorted((r[0], r[2], r[3]) for r in report[1:])
    assert outcomes == [
        ("2", "update", "title"),
        ("3", "error", "target_date"),
        ("4", "warning", "status"),
    ]
    assert response.status_code == 302


def test_the_preview_page_runs_a_fixed_number_of_queries(as_manager, django_assert_num_queries):
    rows = csv_rows(download(as_manager, "/export/commitments.csv"))
    for row in rows[1:]:
        row[1] = row[1] + " (edited)"
    upload(as_manager, csv_bytes(rows))
    url = ImportFile.objects.get().get_absolute_url()
    as_manager.get(url)
    # The session, the user with their roles, the upload; the navigation's review count.
    with django_assert_num_queries(4):
        response = as_manager.get(url)
    assert response.content.count(b"(edited)") == 3


# Big files in the background


@pytest.fixture
def background(settings):
    settings.TRACKER_IMPORT_BACKGROUND_ROWS = 0
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def test_a_big_file_is_checked_in_the_background_with_a_progress_bar(
    as_manager, background, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(as_manager, GOOD)
    stored = ImportFile.objects.get()
    assert stored.state == "checking"
    page = as_manager.get(response["Location"]).content.decode()
    assert "Checking every row" in page and "<progress" in page
    assert '<meta http-equiv="refresh" content="5">' in page  # without JavaScript
    poll = as_manager.get(stored.get_absolute_url() + "?poll=1", **HTMX)
    assert b'id="import-progress"' in poll.content and b"<html" not in poll.content

    jobs.check_file(stored.pk)  # what the worker runs
    done = as_manager.get(stored.get_absolute_url() + "?poll=1", **HTMX)
    assert done["HX-Refresh"] == "true"
    page = as_manager.get(stored.get_absolute_url()).content.decode()
    assert "Apply 1 change" in page and "refresh" not in page


def test_a_big_file_is_applied_in_the_background(
    as_manager, background, django_capture_on_commit_callbacks
):
    upload(as_manager, GOOD)
    stored = ImportFile.objects.get()
    jobs.check_file(stored.pk)
    stored.refresh_from_db()
    response = as_manager.post(f"/import/{stored.pk}/apply/", {"sha256": stored.sha256})
    assert response.status_code == 302
    page = as_manager.get(stored.get_absolute_url()).content.decode()
    assert "Applying the changes" in page
    assert title() != "Renamed by import"
    jobs.apply_file(stored.pk)
    assert title() == "Renamed by import"


def test_a_crashed_background_task_says_so_instead_of_polling_forever(
    as_manager, background, monkeypatch
):
    upload(as_manager, GOOD)
    stored = ImportFile.objects.get()

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(jobs, "run", crash)
    with pytest.raises(RuntimeError):
        jobs.check_task.call(stored.pk)
    stored.refresh_from_db()
    assert stored.state == "refused" and "stopped unexpectedly" in stored.problem
    page = as_manager.get(stored.get_absolute_url()).content.decode()
    assert "stopped unexpectedly" in page and "<progress" not in page


def test_admins_see_and_may_delete_uploads_in_the_admin(client, seeded, manager, admin_user):
    client.force_login(manager)
    upload(client, GOOD)
    client.force_login(admin_user)
    listing = client.get("/admin/tracker/importfile/")
    assert listing.status_code == 200 and b"file.csv" in listing.content
    pk = ImportFile.objects.get().pk
    page = client.get(f"/admin/tracker/importfile/{pk}/change/")
    assert page.status_code == 200 and b"Renamed by import" not in page.content
    # Deleting an upload (its stored file) is allowed; what it applied stays.
    assert (
        client.post(f"/admin/tracker/importfile/{pk}/delete/", {"post": "yes"}).status_code == 302
    )
    assert not ImportFile.objects.exists()


def test_the_upload_page_runs_a_fixed_number_of_queries(as_manager, django_assert_num_queries):
    for n in range(3):
        upload(as_manager, GOOD, name=f"file{n}.csv")
    as_manager.get("/import/")
    # The session, the user with their roles, the recent uploads, the review count.
    with django_assert_num_queries(4):
        response = as_manager.get("/import/")
    assert all(f"file{n}.csv".encode() in response.content for n in range(3))


def test_a_history_file_previews_its_new_updates_and_records_them_as_mine(as_manager, manager):
    from tracker.models import StatusUpdate

    data = csv_bytes(
        [
            ["commitment", "as_of", "status", "confidence", "quote", "source"],
            ["USCN-FENTANYL", "2026-11-01", "at_risk", "high", "Seizures fell.", "A report"],
        ]
    )
    response = upload(as_manager, data, name="history.csv")
    page = as_manager.get(response["Location"]).content.decode()
    assert "<strong>1</strong> new update row" in page
    assert "Seizures fell. — A report (new; unverified: the source has no text)" in page
    stored = ImportFile.objects.get()
    as_manager.post(f"/import/{stored.pk}/apply/", {"sha256": stored.sha256})
    update = StatusUpdate.objects.get(author=manager)
    assert (update.status, update.review_state) == ("at_risk", "submitted")


def test_an_xlsx_goes_to_the_background_by_its_number_of_rows(as_manager, background, settings):
    from tests.spreadsheets import xlsx_bytes

    settings.TRACKER_IMPORT_BACKGROUND_ROWS = 3
    small = xlsx_bytes([["reference", "title"], ["USCN-FENTANYL", "Renamed by import"]])
    big = xlsx_bytes([["reference", "title"], *[[f"X-{n}", "T"] for n in range(5)]])
    upload(as_manager, small, name="small.xlsx")
    upload(as_manager, big, name="big.xlsx")
    states = dict(ImportFile.objects.values_list("filename", "state"))
    assert states == {"small.xlsx": "checked", "big.xlsx": "checking"}


# The worker closes its database connection when done: a test transaction would not survive.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_checks_and_applies_a_big_file(as_manager, settings):
    from django.core.management import call_command

    settings.TRACKER_IMPORT_BACKGROUND_ROWS = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    upload(as_manager, GOOD)
    stored = ImportFile.objects.get()
    assert stored.state == "checking"
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    stored.refresh_from_db()
    assert stored.state == "checked"
    as_manager.post(f"/import/{stored.pk}/apply/", {"sha256": stored.sha256})
    assert title() != "Renamed by import"
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert title() == "Renamed by import"
