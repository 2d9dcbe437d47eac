from django.core.management.base import BaseCommand, CommandError

from tracker.library import integrity


class Command(BaseCommand):
    help = (
        "Verify existing evidence: every unverified quote whose source has its text is looked "
        "up in it and, when found, marked verified with its span. Reports those not found."
    )

    def handle(self, *args, **options):
        verified, remaining, examples = integrity.verify_unverified()
        self.stdout.write(f"Verified {verified} quote{'s' if verified != 1 else ''}.")
        if not remaining:
            self.stdout.write(
                self.style.SUCCESS("Every quote from a source with text is verified.")
            )
            return
        self.stdout.write(f"{remaining} quote(s) do not occur in their source's text:")
        for item in examples:
            self.stdout.write(
                f"  evidence {item.pk} ({item.status_update.commitment.reference}), "
                f"“{item.quote[:80]}” in “{item.source.title[:60]}”"
            )
        raise CommandError("Some quotes do not match their source: correct them.", returncode=1)
