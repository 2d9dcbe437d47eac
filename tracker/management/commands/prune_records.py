import datetime as dt

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from tracker.models import AuditAction, AuditEvent

# Sign-in traffic, which anyone can create without an account. The audit log's record of
# work (updates, edits, decisions, exports) is kept for good.
PRUNED_AUDIT_ACTIONS = [
    AuditAction.SIGN_IN,
    AuditAction.SIGN_IN_FAILED,
    AuditAction.SIGN_OUT,
    AuditAction.LOCKED_OUT,
    AuditAction.PERMISSION_DENIED,
]


class Command(BaseCommand):
    help = (
        "Delete sign-in records older than TRACKER_RETENTION_DAYS: axes' attempts and logs "
        "and the audit log's sign-in, sign-out, lockout and refusal events. Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep this many days instead of TRACKER_RETENTION_DAYS.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args, days, dry_run, **options):
        days = settings.TRACKER_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError("The retention period must be at least one day.")
        cutoff = timezone.now() - dt.timedelta(days=days)
        querysets = {
            "audit events": AuditEvent.objects.filter(
                action__in=PRUNED_AUDIT_ACTIONS, at__lt=cutoff
            ),
            "failed sign-in attempts": AccessAttempt.objects.filter(attempt_time__lt=cutoff),
            "sign-in failure logs": AccessFailureLog.objects.filter(attempt_time__lt=cutoff),
            "sign-in logs": AccessLog.objects.filter(attempt_time__lt=cutoff),
        }
        with transaction.atomic():
            counts = {
                name: qs.count() if dry_run else qs.delete()[0] for name, qs in querysets.items()
            }
        verb = "Would delete" if dry_run else "Deleted"
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(f"{verb} records older than {days} days ({cutoff:%Y-%m-%d}): {summary}.")
