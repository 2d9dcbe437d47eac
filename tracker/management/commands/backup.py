from tracker import backups

from ..backup_command import BackupFileCommand


class Command(BackupFileCommand):
    help = (
        "Export everything (all data, history, audit log, users, groups and memberships) "
        "to one gzip'd JSON Lines file, from one consistent snapshot. "
        "Load it with `manage.py restore PATH`."
    )
    path_help = "Where to write, e.g. backups/tracker-2025-06-01.jsonl.gz"
    summary = "Backed up {rows} rows of {models} models and {files} media files to {path}."

    def run(self, path, *, progress, verbosity):
        return backups.backup(path, progress=progress)
