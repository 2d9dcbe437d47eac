"""One run over a file: check every row, and (when applying) write them, all or nothing.

The dry run and the apply are the same loop: the apply writes each row after checking it,
inside one transaction that is rolled back if any row has an error, or if the results differ
from the preview's (the data changed in between). Results are spooled to a gzip'd file, so
memory stays flat whatever the number of rows.
"""

import contextlib
import dataclasses
import gzip
import hashlib
import itertools
import json
import tempfile

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction

from .. import audit
from ..models import AuditAction
from ..services import EditConflict
from .base import CREATE, ERROR, UNCHANGED, UPDATE
from .commitments import CommitmentImporter
from .history import HistoryImporter
from .readers import FileProblem, read_table

PROGRESS_EVERY = 500
BATCH = 500
KINDS = {"commitments": CommitmentImporter, "history": HistoryImporter}


@dataclasses.dataclass
class Outcome:
    kind: str = ""
    file_format: str = ""
    notes: list = dataclasses.field(default_factory=list)
    problem: str = ""
    counts: dict = dataclasses.field(default_factory=dict)
    report: bytes = b""
    digest: str = ""
    applied: bool = False
    rows_total: int | None = None

    @property
    def errors(self):
        return self.counts.get(ERROR, 0)


class _Rollback(Exception):
    pass


def importer_for(header):
    names = set(header)
    if "reference" in names:
        return CommitmentImporter
    if "commitment" in names:
        return HistoryImporter
    raise FileProblem(
        "This file has neither a “reference” column (a commitments file) nor a “commitment” "
        "column (a status history file). Start from an export: "
        f"commitments have {', '.join(CommitmentImporter.columns())}; "
        f"the history has {', '.join(HistoryImporter.columns())}."
    )


class Report:
    """Row results, spooled as gzip'd JSON lines, with counts and a digest."""

    def __init__(self):
        self.file = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 (closed in close())
        self.gzip = gzip.GzipFile(fileobj=self.file, mode="wb")
        self.hash = hashlib.sha256()
        self.counts = dict.fromkeys((CREATE, UPDATE, UNCHANGED, ERROR, "warnings"), 0)
        self.rows = 0

    def add(self, result):
        data = result.as_dict()
        line = json.dumps(data, ensure_ascii=False, default=str).encode() + b"\n"
        self.gzip.write(line)
        self.hash.update(line)
        self.counts[data["action"]] += 1
        self.counts["warnings"] += len(data["warnings"])
        self.rows += 1

    def close(self):
        self.gzip.close()
        self.file.seek(0)
        data = self.file.read()
        self.file.close()
        return data


def run(data, filename="", *, user, commit, expected_digest=None, progress=None):
    """Check (and with `commit`, apply) a file. Never raises for bad input: see Outcome."""
    outcome = Outcome()
    try:
        table = read_table(data, filename)
        outcome.file_format, outcome.notes = table.file_format, table.notes
        outcome.rows_total = table.estimated_rows
        importer = importer_for(table.header)(table.header, user=user)
        outcome.kind = importer.kind
    except FileProblem as exc:
        outcome.problem = str(exc)
        return outcome
    report = Report()
    # The dry run writes nothing, so it holds no transaction (and no SQLite write lock) and
    # its progress can be saved as it goes.
    try:
        with transaction.atomic() if commit else contextlib.nullcontext():
            _loop(table, importer, report, commit=commit, progress=progress)
            outcome.digest = report.hash.hexdigest()
            if expected_digest and outcome.digest != expected_digest:
                outcome.problem = (
                    "The data changed since the preview (someone edited a commitment or "
                    "imported a file): nothing was applied. Read the new preview below."
                )
            if report.counts[ERROR] or not commit or outcome.problem:
                raise _Rollback
            audit.record(
                AuditAction.IMPORT,
                user=user,
                target=filename[:200],
                detail=f"{importer.kind}: "
                + ", ".join(f"{k} {n}" for k, n in report.counts.items()),
            )
            outcome.applied = True
    except _Rollback:
        pass
    except FileProblem as exc:  # a row the reader could not read, half-way through
        outcome.problem = str(exc)
    outcome.counts = report.counts
    outcome.report = report.close()
    return outcome


def _loop(table, importer, report, *, commit, progress):
    def handle(results):
        for result in results:
            if commit and not report.counts[ERROR] and not result.errors:
                _write(importer, result)
            report.add(result)
            if progress and report.rows % PROGRESS_EVERY == 0:
                progress(report.rows)

    # Rows are read ahead in batches, so the importer can look up a batch's objects at once.
    for batch in itertools.batched(table.rows, BATCH):
        importer.prepare(batch)
        for number, cells in batch:
            handle(importer.row(number, cells))
    handle(importer.finish())


def _write(importer, result):
    try:
        with transaction.atomic():
            importer.write(result)
    except EditConflict:
        result.error(importer.key_column, "was changed by someone else since it was read")
    except PermissionDenied as exc:
        result.error(importer.key_column, str(exc))
    except ValidationError as exc:
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        for field, texts in messages.items():
            result.error(field or importer.key_column, " ".join(texts))
    except DatabaseError as exc:
        result.error(
            importer.key_column, f"the database refused the row ({exc.__class__.__name__})"
        )
