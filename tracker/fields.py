"""Form fields that refuse out-of-range ids with a form error instead of a database error.

A value like 99999999999999999999 passes Django's int() conversion but overflows SQLite's and
PostgreSQL's 64-bit integers when queried; these fields report it as an invalid choice.
Their options come from one plain query (FetchedChoiceIterator).
"""

import functools

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator

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


@functools.lru_cache(maxsize=32)
def compiled(options, alias):
    """The SQL and parameters of `options()`, a queryset that is the same on every request,
    compiled once per database."""
    return options().query.get_compiler(alias).as_sql()


class CompiledChoiceIterator(FetchedChoiceIterator):
    """The options of a field whose `options` function gives the same queryset on every
    request: its SQL compiled once (compiled()), its rows read each time. Building the SQL
    of the owners' two EXISTS took the ORM about 1 ms a page, answering it 0.2 ms
    (bench/README.md). A chosen value is still checked against the field's queryset; the
    options shown are always `options()`'s, so narrow that function, not the field's queryset."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        sql, params = compiled(self.field.options, self.queryset.db)
        for obj in self.queryset.model.objects.raw(sql, params):
            yield self.choice(obj)


class ModelChoiceField(forms.ModelChoiceField):
    iterator = FetchedChoiceIterator

    def __init__(self, queryset=None, *, options=None, **kwargs):
        """`options`: a module-level function giving the same queryset on every request (all
        the areas, say); the field's options then come from its SQL compiled once
        (CompiledChoiceIterator), and the queryset, when not given, is options()'s."""
        if options is not None:
            self.options = options
            self.iterator = CompiledChoiceIterator
            queryset = options() if queryset is None else queryset
        super().__init__(queryset, **kwargs)

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


@functools.lru_cache(maxsize=256)
def _select_html(name, value, attrs, choices):
    return forms.Select(attrs=dict(attrs), choices=choices).render(name, value)


class RememberedSelect(forms.Select):
    """A filter's select, drawn once for each set of options, attributes and choice, then
    given back: the dashboard's owner filter has dozens of options, and drawing them on
    every view cost more than the page's queries; the search page's three selects took
    longer than its search (bench/README.md)."""

    def render(self, name, value, attrs=None, renderer=None):
        # iter(): a model choice field's options without its COUNT query (len of choices).
        values, choices = tuple(self.format_value(value)), tuple(iter(self.choices))
        if not {str(v) for v, _ in choices}.issuperset(values):
            # Not one of the options (a bad query string): drawn, never remembered.
            return super().render(name, value, attrs, renderer)
        attrs = tuple(sorted(self.build_attrs(self.attrs, attrs).items()))
        return _select_html(name, values, attrs, choices)
