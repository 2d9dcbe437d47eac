import os
import secrets

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction

from tracker.models import ANALYSTS, MANAGERS, Commitment

PASSWORD_FILE = settings.BASE_DIR / "var" / "demo-password.txt"
ACCOUNTS = [
    # username, group, staff, superuser, full name
    ("analyst", ANALYSTS, False, False, ("Alex", "Analyst")),
    ("manager", MANAGERS, False, False, ("Morgan", "Manager")),
    ("admin", None, True, True, ("Ada", "Admin")),
]


def demo_password():
    """DEMO_PASSWORD, or one generated on the first run and kept in var/ (git-ignored)."""
    if os.environ.get("DEMO_PASSWORD"):
        return os.environ["DEMO_PASSWORD"]
    if PASSWORD_FILE.exists():
        return PASSWORD_FILE.read_text().strip()
    PASSWORD_FILE.parent.mkdir(exist_ok=True)
    password = secrets.token_urlsafe(12)
    PASSWORD_FILE.write_text(password + "\n")
    PASSWORD_FILE.chmod(0o600)
    return password


class Command(BaseCommand):
    help = "Create the demo accounts analyst, manager and admin (never resets a password)."

    @transaction.atomic
    def handle(self, *args, **options):
        password = demo_password()
        for username, group, staff, superuser, (first, last) in ACCOUNTS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "is_staff": staff,
                    "is_superuser": superuser,
                    "email": f"{username}@example.org",
                },
            )
            if created:
                user.set_password(password)
                user.save()
            if group:
                user.groups.add(Group.objects.get(name=group))
            state = "created" if created else "exists, password unchanged"
            self.stdout.write(f"  {username:<8} {group or 'superuser':<10} {state}")

        # The demo analyst owns the seeded commitments that have no owner yet.
        analyst = User.objects.get(username="analyst")
        Commitment.objects.filter(owner=None).update(owner=analyst)
        if os.environ.get("DEMO_PASSWORD"):
            self.stdout.write("  password: from DEMO_PASSWORD")
        else:
            self.stdout.write(f"  password: {password}   (kept in {PASSWORD_FILE})")
