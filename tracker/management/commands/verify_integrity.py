from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracker import integrity
from tracker.dashboard import days, tallies
from tracker.library import integrity as library_integrity


class Command(BaseCommand):
    help = (
        "Recompute every derived value (official status, next review, last update, status "
        "periods) from the status history and report drift; --repair fixes it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair",
            action="store_true",
            help="Rewrite drifted values from the history (through the one official writer).",
        )
        parser.add_argument("--chunk-size", type=int, default=integrity.CHUNK_SIZE)
        parser.add_argument(
            "--examples", type=int, default=integrity.MAX_EXAMPLES, help="How many to show."
        )

    def handle(self, *args, repair, chunk_size, examples, **options):
        report = integrity.verify(repair_drift=repair, chunk_size=chunk_size, max_examples=examples)
        quotes = library_integrity.check_quotes(max_examples=examples)
        self.stdout.write(
            f"Checked {report.commitments} commitments and "
            f"{report.accepted_updates} accepted status updates."
        )
        drift_left = self.report_drift(report, repair)
        drift_left |= self.report_tallies(repair)
        drift_left |= self.report_days(repair)
        drift_left |= self.report_evidence(repair)
        self.report_quotes(quotes)
        if drift_left:
            raise CommandError(
                "Drift found: `manage.py verify_integrity --repair` rewrites it from the history.",
                returncode=1,
            )
        if not quotes.clean:
            raise CommandError(
                "Verified quotes no longer match their sources: see above.", returncode=1
            )

    def report_tallies(self, repair):
        """The dashboard's counts kept at write time against a count now; True when off."""
        today = timezone.localdate()
        drift, trend = tallies.drift(today), tallies.trend_drift()
        if not drift and not trend:
            self.stdout.write(self.style.SUCCESS("Dashboard counts match the commitments."))
            return False
        self.stdout.write(
            f"Dashboard counts drifted: {len(drift)} counts and {len(trend)} days of the trend "
            "differ from the commitments and their status periods."
        )
        for (dimension, key, status), (n, overdue) in sorted(drift.items())[:5]:
            self.stdout.write(f"  {dimension} {key} {status}: {n:+d} counted, {overdue:+d} overdue")
        for day, status, started, ended in trend[:5]:
            self.stdout.write(f"  {day} {status}: {started:+d} started, {ended:+d} ended")
        if repair:
            tallies.rebuild()
            self.stdout.write(self.style.SUCCESS("Counted the dashboard afresh."))
            return False
        return True

    def report_days(self, repair):
        """A sample of the dashboard's kept past days against the days computed now."""
        checked = days.sample()
        drifted = days.drift()
        if not drifted:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Dashboard past days match their history ({len(checked)} checked)."
                )
            )
            return False
        self.stdout.write(
            f"Dashboard past days drifted: {len(drifted)} of {len(checked)} kept days checked "
            "differ from the day computed from the history: "
            + ", ".join(str(day) for day in drifted[:5])
        )
        if repair:
            days.forget()
            days.refresh()
            self.stdout.write(self.style.SUCCESS("Computed the dashboard's past days afresh."))
            return False
        return True

    def report_evidence(self, repair):
        """Evidence's copy of its update's commitment; True when one is off."""
        misplaced = integrity.misplaced_evidence()
        examples = list(misplaced.order_by("pk").values_list("pk", flat=True)[:5])
        if not examples:
            self.stdout.write(self.style.SUCCESS("Every piece of evidence names its commitment."))
            return False
        self.stdout.write(
            f"Evidence naming another commitment than its status update's: {misplaced.count()} "
            f"(evidence {', '.join(map(str, examples))})"
        )
        if repair:
            repaired = integrity.repair_evidence()
            self.stdout.write(self.style.SUCCESS(f"Repaired {repaired} pieces of evidence."))
            return False
        return True

    def report_drift(self, report, repair):
        """Write the drift report; True when drift remains."""
        if report.clean:
            self.stdout.write(self.style.SUCCESS("No drift: every derived value matches."))
            return False
        self.stdout.write(
            f"Drift in {report.drifted} commitments: "
            + ", ".join(f"{field} {n}" for field, n in report.by_field.most_common())
        )
        for drift in report.examples:
            self.stdout.write(f"  {drift.reference}: {drift.describe()}")
        if report.drifted > len(report.examples):
            self.stdout.write(f"  … and {report.drifted - len(report.examples)} more.")
        if repair:
            self.stdout.write(self.style.SUCCESS(f"Repaired {report.repaired} commitments."))
            return False
        return True

    def report_quotes(self, quotes):
        self.stdout.write(
            f"Checked {quotes.quotes} verified quotes in {quotes.sources} sources with text."
        )
        if quotes.clean:
            self.stdout.write(self.style.SUCCESS("Every verified quote matches its source."))
            return
        self.stdout.write(f"{quotes.problems} problem(s) with verified quotes:")
        for problem in quotes.examples:
            self.stdout.write(f"  {problem}")
