"""Indicators and their measurements."""

from decimal import Decimal

from django.db import models
from django.utils import timezone

from .commitments import Commitment
from .fields import person, valid_choice
from .reference import Source


class Direction(models.TextChoices):
    INCREASE = "increase", "Higher is better"
    DECREASE = "decrease", "Lower is better"
    MAINTAIN = "maintain", "Keep at target"


class Indicator(models.Model):
    """A quantitative measure of a commitment, e.g. countries in the coalition."""

    Direction = Direction

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=50, blank=True)
    baseline = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    target = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.INCREASE
    )

    class Meta:
        ordering = ["commitment", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "name"], name="tracker_indicator_name_unique"
            ),
            valid_choice("direction", Direction, "tracker_indicator_direction_valid"),
        ]

    def __str__(self):
        return f"{self.name} ({self.unit})" if self.unit else self.name


class Qualifier(models.TextChoices):
    EXACT = "", "exactly"
    ABOUT = "about", "about"
    AT_LEAST = "at_least", "at least"
    MORE_THAN = "more_than", "more than"
    LESS_THAN = "less_than", "less than"


class Measurement(models.Model):
    Qualifier = Qualifier

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="measurements")
    value = models.DecimalField(max_digits=16, decimal_places=4)
    qualifier = models.CharField(max_length=10, choices=Qualifier.choices, blank=True, default="")
    measured_on = models.DateField(
        null=True, blank=True, help_text="Empty when the source gives no date."
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="measurements")
    note = models.CharField(max_length=300, blank=True)
    recorded_by = person("+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["indicator", "measured_on", "id"]
        indexes = [models.Index(fields=["indicator", "measured_on"], name="tracker_meas_date_idx")]
        constraints = [
            valid_choice("qualifier", Qualifier, "tracker_measurement_qualifier_valid"),
        ]

    def __str__(self):
        return f"{self.indicator.name}: {self.display_value}"

    @property
    def display_value(self):
        value = Decimal(str(self.value)).normalize()
        text = f"{value:f}"
        return f"{self.get_qualifier_display()} {text}" if self.qualifier else text
