from django.core.management.base import CommandError

from tracker import backups

from ..backup_command import BackupFileCommand


class Command(BackupFileCommand):
    help = (
        "Load a backup written by `manage.py backup` into an empty, migrated database, "
        "all or nothing. Refuses a database that holds any data."
    )
    path_help = "A file written by `manage.py backup`."
    progress_mark = "…"
    summary = "Restored {rows} rows of {models} models and {files} media files from {path}."

    def run(self, path, *, progress, verbosity):
        try:
            counts = backups.restore(path, progress=progress)
        except backups.RestoreRefused as exc:
            raise CommandError(str(exc)) from exc
        except FileNotFoundError as exc:
            raise CommandError(f"No backup at {path}.") from exc
        if verbosity >= 2:
            for label, rows in counts.items():
                if label != backups.MEDIA:
                    self.stdout.write(f"  {label}: {rows}")
        return counts
