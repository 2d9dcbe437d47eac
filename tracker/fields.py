"""Form fields that refuse out-of-range ids with a form error instead of a database error.

A value like 99999999999999999999 passes Django's int() conversion but overflows SQLite's and
PostgreSQL's 64-bit integers when queried; these fields report it as an invalid choice.
Their options come from one plain query (FetchedChoiceIterator).
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator

from .dashboard import forms as dashboard_forms

MAX_ID = 2**63 - 1
MAX_INT = 2**31 - 1  # an IntegerField on PostgreSQL: paragraph numbers, character offsets


def parse_id(value, limit=MAX_ID):
    """`value` as a non-negative whole number up to `limit`, or None. Only ASCII digits:
    isdigit() also holds for '²' and '①', which int() refuses."""
    value = str(value)
    if not (value.isascii() and value.isdecimal()) or len(value) > 19:
        return None
    number = int(value)
    return number if number <= limit else None


def out_of_range(value):
    try:
        return abs(int(str(value).strip())) > MAX_ID
    except ValueError:
        return False  # not a number: Django's own validation refuses it


def refuse_out_of_range(field, value):
    """The field's "invalid choice" error for an id no database integer can hold."""
    if out_of_range(value):
        raise ValidationError(
            field.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )


class FetchedChoiceIterator(ModelChoiceIterator):
    """A model choice field's options from one plain query. Django's own iterator() opens a
    server-side cursor on PostgreSQL (DECLARE, FETCH, CLOSE: three round trips, a held
    cursor each) for lists of a few dozen rows: 1-6 ms a select (bench/README.md)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ModelChoiceField(forms.ModelChoiceField):
    iterator = FetchedChoiceIterator

    def to_python(self, value):
        if value not in self.empty_values:
            refuse_out_of_range(self, value)
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    iterator = FetchedChoiceIterator

    def _check_values(self, value):
        for pk in value or ():
            refuse_out_of_range(self, pk)
        return super()._check_values(value)


class ModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = ModelChoiceField


class RememberedSelect(dashboard_forms.RememberedSelect):
    """The dashboard's remembered select (drawn once per set of options and choice, then
    given back), for a model choice field too: its options read with one query."""

    def render(self, name, value, attrs=None, renderer=None):
        # iter(): tuple() of the choice iterator itself would first ask its len(), a COUNT.
        self.choices = tuple(iter(self.choices))
        return super().render(name, value, attrs, renderer)
