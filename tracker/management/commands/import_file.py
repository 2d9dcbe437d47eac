"""Import commitments or status history from a CSV or XLSX file, as the web page does."""

from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from tracker.access import may_import
from tracker.imports import preview
from tracker.imports.run import run
from tracker.models import ImportFile


class Command(BaseCommand):
    help = (
        "Check a file in the columns of the commitments or history export and apply it, all "
        "or nothing. With --dry-run, only report what would change."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="the manager the changes are made as")
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument(
            "--show", type=int, default=50, help="how many errors and changes to print"
        )

    def handle(self, *args, file, user, dry_run, show, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            who = User.objects.get(username=user)
        except User.DoesNotExist as exc:
            raise CommandError(f"--user {user}: no such user") from exc
        if not may_import(who):
            raise CommandError(f"--user {user}: only managers and admins import files")
        outcome = run(path.read_bytes(), path.name, user=who, commit=not dry_run)
        for note in outcome.notes:
            self.stdout.write(note)
        if outcome.problem and not outcome.digest:
            raise CommandError(f"{file}: {outcome.problem} Nothing was imported.")
        counts = outcome.counts
        self.stdout.write(
            f"{file}: {outcome.kind}, {outcome.file_format}: {counts['create']} to create, "
            f"{counts['update']} to update, {counts['unchanged']} unchanged, "
            f"{counts['error']} with errors, {counts['warnings']} warnings."
        )
        self.print_report(outcome, show)
        if counts["error"]:
            rows = f"{counts['error']} row{'s' * (counts['error'] != 1)}"
            raise CommandError(f"{file}: {rows} with errors. Nothing was imported.")
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        else:
            self.stdout.write(self.style.SUCCESS("Applied."))

    def print_report(self, outcome, show):
        report = ImportFile(report=outcome.report)
        for i, (row, key, what, column, message, before, after) in enumerate(
            preview.report_rows(report)
        ):
            if i >= show:
                self.stdout.write("… and more (--show to print more)")
                break
            if what in ("error", "warning"):
                self.stdout.write(f"{what}: row {row}, column {column}: {message}")
            else:
                self.stdout.write(f"{what} {key} (row {row}) {column}: {before!r} → {after!r}")
