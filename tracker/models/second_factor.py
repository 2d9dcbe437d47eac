"""Second factors: the one-time codes already used (allauth keeps the factors themselves)."""

from django.db import IntegrityError, models, transaction
from django.utils import timezone


class UsedTotpStepQuerySet(models.QuerySet):
    def claim(self, *, authenticator, time_step, tolerance):
        """Record that `authenticator`'s code of `time_step` was used; False when it already
        was, by any app server (the unique constraint decides, in the shared database).
        Steps too old to be accepted again are forgotten in the same transaction."""
        with transaction.atomic():
            self.filter(
                authenticator=authenticator, time_step__lt=time_step - 2 * tolerance
            ).delete()
            try:
                with transaction.atomic():
                    self.create(authenticator=authenticator, time_step=time_step)
            except IntegrityError:
                return False
        return True


class UsedTotpStep(models.Model):
    """An authenticator-app code that signed someone in: the same code is refused until its
    30 seconds (and the tolerance either side) have passed."""

    authenticator = models.ForeignKey(
        "mfa.Authenticator", on_delete=models.CASCADE, related_name="+"
    )
    time_step = models.BigIntegerField(help_text="Unix time divided by the code's period")
    used_at = models.DateTimeField(default=timezone.now)

    objects = UsedTotpStepQuerySet.as_manager()

    class Meta:
        ordering = ["-time_step"]
        constraints = [
            models.UniqueConstraint(
                fields=["authenticator", "time_step"], name="tracker_usedtotpstep_once"
            )
        ]

    def __str__(self):
        return f"{self.authenticator_id} step {self.time_step}"
