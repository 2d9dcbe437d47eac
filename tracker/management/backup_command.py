"""What `backup` and `restore` share: one file's path, progress at -v 2, a summary."""

from django.core.management.base import BaseCommand

from tracker import backups


class BackupFileCommand(BaseCommand):
    path_help = ""
    progress_mark = ""  # after each model's rows while it runs
    summary = ""  # "{rows} rows of {models} models and {files} media files …{path}"

    def add_arguments(self, parser):
        parser.add_argument("path", help=self.path_help)

    def handle(self, *args, path, verbosity, **options):
        def progress(label, rows):
            if verbosity >= 2:
                self.stdout.write(f"  {label}: {rows}{self.progress_mark}")

        counts = self.run(path, progress=progress, verbosity=verbosity)
        files = counts.pop(backups.MEDIA)
        rows = sum(counts.values())
        summary = self.summary.format(rows=rows, models=len(counts), files=files, path=path)
        self.stdout.write(self.style.SUCCESS(summary))

    def run(self, path, *, progress, verbosity):
        """Write or read the file at `path`; the rows of each model (and backups.MEDIA)."""
        raise NotImplementedError
