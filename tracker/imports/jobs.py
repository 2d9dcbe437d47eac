"""Uploads through their life: stored, checked (the preview), applied. Big ones in the background.

A file with more rows than TRACKER_IMPORT_BACKGROUND_ROWS is checked and applied by a
django.tasks task, so the request only stores it; the page polls its progress.
"""

import hashlib
import logging

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from ..models import ImportFile, ImportState
from .readers import FileProblem, check_size, read_table
from .run import run

log = logging.getLogger("tracker.imports")


def store(*, user, name, data):
    """Keep an upload (identified by its hash) and start its dry run."""
    check_size(len(data))
    upload = ImportFile.objects.create(
        uploaded_by=user,
        filename=name[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content=data,
        rows_total=estimated_rows(data, name),
    )
    start(upload, check_file)
    return upload


def estimated_rows(data, name):
    """About how many rows a file has (CSV: its lines; XLSX: its sheet's dimension)."""
    try:
        return read_table(data, name).estimated_rows
    except FileProblem:
        return None  # checked at once, to say why


def in_background(upload):
    return (upload.rows_total or 0) > settings.TRACKER_IMPORT_BACKGROUND_ROWS


def start(upload, job):
    """Run `job` now for a small file, else enqueue its task once the upload is committed."""
    if in_background(upload):
        transaction.on_commit(lambda: TASKS[job].enqueue(upload.pk))
    else:
        job(upload.pk)


def check_file(pk):
    upload = ImportFile.objects.select_related("uploaded_by").get(pk=pk)

    def progress(rows):
        ImportFile.objects.filter(pk=pk).update(rows_done=rows)

    outcome = run(
        bytes(upload.content),
        upload.filename,
        user=upload.uploaded_by,
        commit=False,
        progress=progress,
    )
    save_outcome(upload, outcome, applied=False)
    return upload


def begin_apply(upload, *, sha256):
    """Apply what was previewed, if the form names the same file; False when it does not."""
    claimed = ImportFile.objects.filter(
        pk=upload.pk, sha256=sha256, state=ImportState.CHECKED
    ).update(state=ImportState.APPLYING, rows_done=0)
    if not claimed:
        return False
    upload.state = ImportState.APPLYING
    start(upload, apply_file)
    return True


def apply_file(pk):
    upload = ImportFile.objects.select_related("uploaded_by").get(pk=pk)
    outcome = run(
        bytes(upload.content),
        upload.filename,
        user=upload.uploaded_by,
        commit=True,
        expected_digest=upload.digest,
    )
    save_outcome(upload, outcome, applied=outcome.applied)
    return upload


def save_outcome(upload, outcome, *, applied):
    upload.kind = outcome.kind
    upload.file_format = outcome.file_format
    upload.notes = outcome.notes
    upload.problem = outcome.problem
    upload.counts = outcome.counts
    upload.report = outcome.report or None
    upload.digest = outcome.digest
    upload.rows_done = sum(
        outcome.counts.get(k, 0) for k in ("create", "update", "unchanged", "error")
    )
    upload.rows_total = upload.rows_done or upload.rows_total
    now = timezone.now()
    if applied:
        upload.state, upload.applied_at = ImportState.APPLIED, now
    elif outcome.problem and not outcome.digest or outcome.errors:
        upload.state = ImportState.REFUSED
    else:
        upload.state = ImportState.CHECKED
    upload.checked_at = upload.checked_at or now
    upload.save()


def failed(pk):
    """A crash (a bug, the database gone) must not leave the page polling forever."""
    log.exception("import %s failed", pk)
    ImportFile.objects.filter(pk=pk).update(
        state=ImportState.REFUSED,
        problem="The import stopped unexpectedly and nothing was changed. "
        "Try again; if it happens again, tell an administrator.",
    )


@task
def check_task(pk):
    try:
        check_file(pk)
    except Exception:
        failed(pk)
        raise


@task
def apply_task(pk):
    try:
        apply_file(pk)
    except Exception:
        failed(pk)
        raise


TASKS = {check_file: check_task, apply_file: apply_task}
