from django.core.management.base import BaseCommand

from tracker import backups


class Command(BaseCommand):
    help = (
        "Export everything (all data, history, audit log, users, groups and memberships) "
        "to one gzip'd JSON Lines file, from one consistent snapshot. "
        "Load it with `manage.py restore PATH`."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Where to write, e.g. backups/tracker-2025-06-01.jsonl.gz")

    def handle(self, *args, path, verbosity, **options):
        def progress(label, rows):
            if verbosity >= 2:
                self.stdout.write(f"  {label}: {rows}")

        counts = backups.backup(path, progress=progress)
        files = counts.pop(backups.MEDIA)
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {sum(counts.values())} rows of {len(counts)} models and {files} "
                f"media files to {path}."
            )
        )
