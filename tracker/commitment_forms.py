"""The commitment edit form: the fields the access policy lets this user change.

Forms validate; the write itself is services.edit_commitment().
"""

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q

from . import access, limits, services
from . import fields as safe
from .forms import DateInput
from .models import ANALYSTS, Commitment
from .people import display_name


class OwnerField(safe.ModelChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


class AssigneesField(safe.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


class CommitmentEditForm(forms.ModelForm):
    """The descriptive fields. `version` is the one the user started from, for conflicts."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    review_cadence_days = forms.IntegerField(
        min_value=1,
        max_value=3650,
        label="Review every (days)",
        help_text="How often the status must be reviewed.",
    )

    class Meta:
        model = Commitment
        fields = list(access.MANAGER_FIELDS)
        field_classes = {
            "owner": OwnerField,
            "assignees": AssigneesField,
            "area": safe.ModelChoiceField,
            "event": safe.ModelChoiceField,
            "parent": safe.ModelChoiceField,
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "target_date": DateInput,
            "assignees": forms.CheckboxSelectMultiple,
        }
        labels = {"parent": "Part of"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only what the access policy lets this user change; anything else posted is ignored,
        # and services.edit_commitment() refuses it again.
        allowed = access.editable_fields(user, self.instance)
        self.editable = [name for name in self._meta.fields if name in allowed]
        for name in [*self.fields]:
            if name != "version" and name not in self.editable:
                del self.fields[name]
        limits.show_limits(self)
        self.fields["version"].initial = self.instance.version
        analysts = User.objects.filter(
            Q(groups__name=ANALYSTS) | Q(pk=self.instance.owner_id)
        ).distinct()
        if "assignees" in self.fields:
            self.fields["assignees"].queryset = analysts.order_by("first_name", "username")
        if "owner" in self.fields:
            self.fields["owner"].queryset = analysts.order_by("first_name", "username")
            self.fields["owner"].empty_label = "— Nobody yet —"
        if "parent" in self.fields:
            excluded = descendants(self.instance) | {self.instance.pk}
            parent = self.fields["parent"]
            parent.queryset = Commitment.objects.exclude(pk__in=excluded).only(
                "id", "reference", "title"
            )
            parent.empty_label = "— Not part of another commitment —"
            parent.error_messages["invalid_choice"] = (
                f"Select a valid choice. {services.PARENT_CYCLE}"
            )

    def descriptive_fields(self):
        return [name for name in self.editable if name != "assignees"]

    def changes(self):
        """{field: value} of every field this user may change, for services.edit_commitment()."""
        return {name: self.cleaned_data[name] for name in self.editable}


def descendants(commitment):
    """Primary keys of every sub-commitment below `commitment`, to refuse a cycle."""
    children = {}
    for pk, parent in Commitment.objects.exclude(parent=None).values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, todo = set(), [commitment.pk]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found
