from django.core.management.base import BaseCommand, CommandError

from tracker import backups


class Command(BaseCommand):
    help = (
        "Load a backup written by `manage.py backup` into an empty, migrated database, "
        "all or nothing. Refuses a database that holds any data."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="A file written by `manage.py backup`.")

    def handle(self, *args, path, verbosity, **options):
        def progress(label, rows):
            if verbosity >= 2:
                self.stdout.write(f"  {label}: {rows}…")

        try:
            counts = backups.restore(path, progress=progress)
            files = counts.pop(backups.MEDIA)
        except backups.RestoreRefused as exc:
            raise CommandError(str(exc)) from exc
        except FileNotFoundError as exc:
            raise CommandError(f"No backup at {path}.") from exc
        if verbosity >= 2:
            for label, rows in counts.items():
                self.stdout.write(f"  {label}: {rows}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {sum(counts.values())} rows of {len(counts)} models and {files} "
                f"media files from {path}."
            )
        )
