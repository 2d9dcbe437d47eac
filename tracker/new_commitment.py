"""The New commitment form: what was promised, by whom, who follows it; a suggested reference."""

import re

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from . import access
from . import fields as safe
from .commitment_forms import CommitmentEditForm
from .models import ANALYSTS, Commitment, Party

# A reference is part of URLs: /commitments/<reference>/ (and /commitments/new/ is a page).
REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
RESERVED_REFERENCES = {"new"}


def valid_reference(reference):
    return bool(REFERENCE_PATTERN.match(reference)) and reference.lower() not in RESERVED_REFERENCES


class PartiesField(safe.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class NewCommitmentForm(forms.ModelForm):
    parties = PartiesField(
        queryset=Party.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Parties bound",
    )
    delivering = PartiesField(
        queryset=Party.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Of them, who must deliver",
    )
    review_cadence_days = CommitmentEditForm.declared_fields["review_cadence_days"]

    class Meta:
        model = Commitment
        fields = ["reference", *access.MANAGER_FIELDS]
        field_classes = CommitmentEditForm.Meta.field_classes
        widgets = {
            **CommitmentEditForm.Meta.widgets,
            "description": forms.Textarea(attrs={"rows": 6}),
        }
        labels = {"parent": "Part of", "description": "What was promised"}
        help_texts = {
            "reference": "Suggested; change it if your team has its own scheme. Letters, "
            "digits, . _ and -.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        analysts = User.objects.filter(groups__name=ANALYSTS).distinct()
        analysts = analysts.order_by("first_name", "username")
        self.fields["owner"].queryset = analysts
        self.fields["owner"].empty_label = "— Nobody yet —"
        self.fields["assignees"].queryset = analysts
        self.fields["parent"].queryset = Commitment.objects.only("id", "reference", "title")
        self.fields["parent"].empty_label = "— Not part of another commitment —"
        self.fields["event"].empty_label = "— No event —"
        self.fields["review_cadence_days"].initial = settings.TRACKER_DEFAULT_REVIEW_CADENCE_DAYS
        if not self.is_bound:
            self.fields["reference"].initial = suggest_reference()

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip()
        if not valid_reference(reference):
            raise forms.ValidationError(
                "Use letters, digits, dots, underscores and hyphens, starting with a letter or "
                "digit (and not “new”)."
            )
        return reference

    def clean(self):
        data = super().clean()
        bound = set(data.get("parties") or ())
        extra = [p.name for p in data.get("delivering") or () if p not in bound]
        if extra:
            self.add_error("delivering", f"Not among the parties bound: {', '.join(extra)}.")
        return data

    def service_arguments(self):
        data = self.cleaned_data
        delivering = set(data["delivering"])
        return {
            "fields": {
                name: data[name]
                for name in ["reference", *access.MANAGER_FIELDS]
                if name != "assignees"
            },
            "parties": [(party, party in delivering) for party in data["parties"]],
            "assignees": list(data["assignees"]),
        }


def suggest_reference(today=None):
    """`C-<year>-<n>` after the highest such reference of the year, e.g. C-2026-007."""
    year = (today or timezone.localdate()).year
    prefix = f"C-{year}-"
    taken = Commitment.objects.filter(reference__startswith=prefix).values_list(
        "reference", flat=True
    )
    numbers = [int(ref[len(prefix) :]) for ref in taken if ref[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"
