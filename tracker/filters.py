"""The commitments list's search, filters and sort (django-filter).

Invalid values never fail the page: django-filter drops a field that does not validate
from `cleaned_data`, so it is ignored, and `ignored()` says which ones were.
"""

import django_filters
from django import forms
from django.contrib.auth.models import User
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When

from . import fields as safe
from . import limits
from .forms import JINJA2_WIDGETS
from .models import ANALYSTS, Area, Commitment, Party, Status, StatusUpdate
from .people import display_name

SORTS = {
    "": ("Reference", ["reference"]),
    "title": ("Title, A–Z", ["title", "reference"]),
    "status": ("Status, most at risk first", ["status_rank", "reference"]),
    "-updated": (
        "Last update, newest first",
        [F("last_update_at").desc(nulls_last=True), "reference"],
    ),
    "updated": (
        "Last update, oldest first",
        [F("last_update_at").asc(nulls_first=True), "reference"],
    ),
    "review": ("Next review, soonest first", ["next_review_due", "reference"]),
}


def status_rank():
    """Health rank as SQL: broken first, fulfilled last, not yet assessed after them."""
    return Case(
        *[When(current_status=s.value, then=Value(s.rank)) for s in Status if s.rank is not None],
        default=Value(99),
        output_field=IntegerField(),
    )


def area_options():
    """Every area, by name (its Meta ordering): the list's and search's area options."""
    return Area.objects.all()


def party_options():
    return Party.objects.all()


def owner_options():
    return owners().only("username", "first_name", "last_name")


class OwnerChoiceField(safe.ModelChoiceField):
    iterator = safe.CompiledChoiceIterator
    options = staticmethod(owner_options)

    def label_from_instance(self, obj):
        return display_name(obj)


class OwnerFilter(safe.ModelChoiceFilter):
    field_class = OwnerChoiceField


def owners():
    """Analysts and anyone who owns a commitment. Two EXISTS, not joins and DISTINCT: the
    join went through every commitment (20 ms a list on PostgreSQL at 10,000 of them)."""
    analyst = User.groups.through.objects.filter(user=OuterRef("pk"), group__name=ANALYSTS)
    owner = Commitment.objects.filter(owner=OuterRef("pk"))
    return User.objects.filter(Exists(analyst) | Exists(owner)).order_by(
        "first_name", "last_name", "username"
    )


class JinjaWidgetsForm(forms.Form):
    """The list's filter form, its widgets drawn by Jinja2 (templates/jinja2/commitments/
    filters.html): through Django's template language and forms.html#field they took
    about 1 ms more a page (bench/README.md)."""

    default_renderer = JINJA2_WIDGETS


class FormBuiltOnce:
    """A FilterSet whose form class is built once, not on every request as django-filter does
    (each filter's field, then a class from them): 0.65 ms of the list's 8 (bench/README.md,
    "The eleventh round"). Each form still gets its own copies of the fields, as any Django
    form does; so no field may depend on the request (a queryset is given, never a callable
    of the request: refused here)."""

    _form_classes = {}

    def get_form_class(self):
        cls = type(self)
        if cls not in FormBuiltOnce._form_classes:
            for name, filter_ in cls.base_filters.items():
                if callable(getattr(filter_, "queryset", None)):
                    raise TypeError(f"{cls.__name__}.{name}: its form is built once, for all")
            FormBuiltOnce._form_classes[cls] = super().get_form_class()
        return FormBuiltOnce._form_classes[cls]


class CommitmentFilter(FormBuiltOnce, django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        max_length=limits.SEARCH_QUERY,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Reference, title, text"}),
    )
    status = django_filters.ChoiceFilter(
        field_name="current_status",
        choices=Status.choices,
        empty_label="Any status",
        label="Status",
        widget=safe.RememberedSelect,
    )
    area = safe.ModelChoiceFilter(
        queryset=Area.objects.all(),
        options=area_options,
        to_field_name="slug",
        empty_label="Any area",
        label="Area",
        widget=safe.RememberedSelect,
    )
    party = safe.ModelChoiceFilter(
        field_name="parties",
        queryset=Party.objects.all(),
        options=party_options,
        empty_label="Any party",
        label="Party",
        widget=safe.RememberedSelect,
    )
    owner = OwnerFilter(
        queryset=owners(),
        to_field_name="username",
        empty_label="Anyone",
        label="Owner",
        widget=safe.RememberedSelect,
    )
    mine = django_filters.BooleanFilter(
        method="only_mine", label="Only mine", widget=forms.CheckboxInput
    )
    overdue = django_filters.BooleanFilter(
        method="only_overdue", label="Overdue for review", widget=forms.CheckboxInput
    )
    sort = django_filters.ChoiceFilter(
        method="sort_by",
        label="Sort by",
        choices=[(key, label) for key, (label, _) in SORTS.items() if key],
        empty_label=SORTS[""][0],
        widget=safe.RememberedSelect,
    )

    class Meta:
        model = Commitment
        fields = []
        form = JinjaWidgetsForm

    def __init__(self, data=None, *args, **kwargs):
        # An over-long search is dropped before the form sees it, so the page never echoes
        # it back into the search box; ignored() says why.
        query = (data or {}).get("q", "")
        self.overlong_query = len(query) if len(query) > limits.SEARCH_QUERY else 0
        if self.overlong_query:
            data = data.copy()
            del data["q"]
        super().__init__(data, *args, **kwargs)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
        )

    def only_mine(self, queryset, name, value):
        if not value or self.request is None:
            return queryset
        return queryset.involving(self.request.user)

    def only_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset

    def sort_by(self, queryset, name, value):
        return queryset  # Applied last, in filter_queryset, so that it always runs.

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        key = self.form.cleaned_data.get("sort") or ""
        if key == "status":
            queryset = queryset.annotate(status_rank=status_rank())
        return queryset.order_by(*SORTS[key][1])

    def ignored(self):
        """A sentence for each submitted value that was not understood."""
        notices = []
        if self.overlong_query:
            notices.append(
                f"Searches are limited to {limits.SEARCH_QUERY} characters; this one had "
                f"{self.overlong_query:,}, so it was ignored."
            )
        for name in self.form.errors:
            if name in self.form.fields:
                label = (self.form.fields[name].label or name).lower()
                value = str(self.data.get(name))
                shown = value if len(value) <= 60 else value[:60] + "…"
                notices.append(f"“{shown}” is not a valid {label}, so that filter was ignored.")
        return notices

    def active_params(self):
        """The understood, non-empty query parameters: a clean URL to push and share."""
        params = []
        for name in self.filters:
            value = self.data.get(name)
            if value and name not in self.form.errors:
                params.append((name, value))
        return params


def analysts():
    return User.objects.filter(groups__name=ANALYSTS).order_by("username")


def analyst_options():
    return analysts().only("username")


class AnalystChoiceField(safe.ModelChoiceField):
    iterator = safe.CompiledChoiceIterator
    options = staticmethod(analyst_options)


class AnalystFilter(safe.ModelChoiceFilter):
    field_class = AnalystChoiceField


class ReviewQueueFilter(FormBuiltOnce, django_filters.FilterSet):
    area = safe.ModelChoiceFilter(
        field_name="commitment__area",
        queryset=Area.objects.all(),
        empty_label="All areas",
        widget=safe.RememberedSelect,
    )
    analyst = AnalystFilter(
        field_name="author",
        queryset=analysts(),
        empty_label="All analysts",
        label="Analyst",
        widget=safe.RememberedSelect,
    )

    class Meta:
        model = StatusUpdate
        fields = ["area", "analyst"]
