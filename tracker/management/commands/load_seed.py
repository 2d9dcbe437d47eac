from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker.seed import SeedError, load_seed

DEFAULT_SEED = settings.BASE_DIR / "seeds" / "us-china-2023.yaml"


class Command(BaseCommand):
    help = "Validate and load a seed file (idempotent: a second run changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_SEED))

    def handle(self, *args, path, **options):
        try:
            created = load_seed(path)
        except SeedError as exc:
            raise CommandError(f"Seed not loaded: {exc}") from exc
        summary = ", ".join(f"{n} {kind}" for kind, n in created.items() if n) or "nothing new"
        self.stdout.write(f"Seed {path}: created {summary}.")
