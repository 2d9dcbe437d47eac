from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.generate import generate


class Command(BaseCommand):
    help = (
        "Fill an empty (or --reset) database with the benchmark's data set: by default 10,000 "
        "commitments and 1,000,000 status updates over ten years. Use a separate database: "
        "SQLITE_PATH=var/bench.sqlite3 (or DATABASE_URL)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--commitments", type=int, default=10_000)
        parser.add_argument("--updates", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data.")
        parser.add_argument(
            "--reset", action="store_true", help="Delete all users and tracker data first."
        )

    def handle(self, *args, commitments, updates, seed, reset, **options):
        name = str(connection.settings_dict["NAME"])
        if connection.vendor == "sqlite" and name == str(settings.BASE_DIR / "var" / "db.sqlite3"):
            raise CommandError(
                "This is the development database. Point the benchmark at its own: "
                "SQLITE_PATH=var/bench.sqlite3 python manage.py generate_bench_data"
            )
        if commitments < 1 or updates < 0:
            raise CommandError("--commitments must be at least 1 and --updates at least 0.")
        try:
            counts = generate(
                commitments=commitments,
                updates=updates,
                seed=seed,
                reset=reset,
                log=self.stdout.write,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            "Generated " + ", ".join(f"{n:,} {kind}" for kind, n in counts.items()) + f" in {name}."
        )
