from django import forms

from .. import fields as safe
from ..filters import area_options, party_options
from ..forms import DateInput
from . import query
from .index import LABELS


class SearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Search",
        max_length=query.MAX_QUERY,
        error_messages={"max_length": f"Searches are limited to {query.MAX_QUERY} characters."},
        help_text='All words must occur; "a phrase", -leave-out, or.',
    )
    kind = forms.ChoiceField(
        choices=[("", "Everything"), *LABELS.items()], required=False, widget=safe.RememberedSelect
    )
    area = safe.ModelChoiceField(
        options=area_options,
        required=False,
        empty_label="Any area",
        widget=safe.RememberedSelect,
    )
    party = safe.ModelChoiceField(
        options=party_options,
        required=False,
        empty_label="Any party",
        widget=safe.RememberedSelect,
    )
    date_from = forms.DateField(required=False, label="From", widget=DateInput)
    date_to = forms.DateField(required=False, label="To", widget=DateInput)
    page = forms.IntegerField(required=False, min_value=1, max_value=50, widget=forms.HiddenInput)

    def clean_q(self):
        return self.cleaned_data["q"].replace("\x00", "").strip()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end of the range comes before its start.")
        if cleaned.get("q"):
            try:
                self.clauses = query.parse(cleaned["q"])
            except query.QueryError as error:
                self.add_error("q", str(error))
        return cleaned

    def filters(self):
        data = self.cleaned_data
        return query.Filters(
            kind=data.get("kind") or "",
            area=data["area"].pk if data.get("area") else None,
            party=data["party"].pk if data.get("party") else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )

    def active_params(self):
        """The query string of this search, for the shareable URL."""
        return [
            (name, self.data[name])
            for name in ("q", "kind", "area", "party", "date_from", "date_to")
            if self.data.get(name)
        ]
