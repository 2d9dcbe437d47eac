"""The dashboard's form: its query string, validated; bad values are reported, never fatal."""

from django import forms

from ..fields import RememberedSelect
from ..models import EARLIEST_DATE

PERIODS = {"yesterday": "Yesterday", "7d": "Last 7 days", "30d": "Last 30 days"}
PERIOD_DAYS = {"7d": 7, "30d": 30}
WINDOWS = {3: "3 months", 6: "6 months", 12: "12 months", 24: "24 months"}
DEFAULT_PERIOD, DEFAULT_MONTHS = "7d", 12
# Dates before this are refused: nothing older is tracked, and date arithmetic must not
# run off the calendar (a trend two years before 1 January 1 AD).
EARLIEST = EARLIEST_DATE


def _filter(label, invalid):
    """An optional id from the choices the form is given (area, party, owner)."""
    return forms.TypedChoiceField(
        label=label,
        coerce=int,
        required=False,
        empty_value=None,
        widget=RememberedSelect,
        error_messages={"invalid_choice": invalid},
    )


def _date(label, invalid):
    """An optional YYYY-MM-DD date, with the browser's date picker."""
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": invalid},
    )


class DashboardForm(forms.Form):
    """The dashboard's query string. Bad values are reported and then ignored, never fatal."""

    area = _filter("Area", "There is no such area; showing all areas.")
    party = _filter("Party", "There is no such party; showing all parties.")
    owner = _filter("Owner", "There is no such owner; showing everyone's.")
    as_of = _date("As of", "The as-of date is not a date (YYYY-MM-DD); showing today.")
    period = forms.ChoiceField(
        choices=[("", "")] + list(PERIODS.items()),
        required=False,
        error_messages={"invalid_choice": "Unknown period; showing the last 7 days."},
    )
    since = _date("From", "The start of the period is not a date (YYYY-MM-DD).")
    until = _date("To", "The end of the period is not a date (YYYY-MM-DD).")
    months = forms.TypedChoiceField(
        choices=list(WINDOWS.items()),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "Unknown trend window; showing 12 months."},
    )

    def __init__(self, data, *, choices, today):
        super().__init__(data)
        self.today = today
        everything = {"area": "All areas", "party": "All parties", "owner": "Everyone"}
        for name, label in everything.items():
            options = [(pk, option.label) for pk, option in choices[name].items()]
            self.fields[name].choices = [("", label), *options]

    def clean_as_of(self):
        day = self.cleaned_data["as_of"]
        if day and day > self.today:
            raise forms.ValidationError(
                f"{day:%d %b %Y} is in the future: nothing is known about it yet; showing today."
            )
        if day and day < EARLIEST:
            raise forms.ValidationError(f"The tracker starts in {EARLIEST:%Y}; showing today.")
        return day

    def _clean_in_range(self, name):
        day = self.cleaned_data[name]
        if day and day < EARLIEST:
            raise forms.ValidationError(f"The tracker starts in {EARLIEST:%Y}.")
        return day

    def clean_since(self):
        return self._clean_in_range("since")

    def clean_until(self):
        return self._clean_in_range("until")

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        latest = data.get("as_of") or self.today
        if until and until > latest:
            self.add_error(
                "until",
                f"The period cannot end after {latest:%d %b %Y}; showing the last 7 days.",
            )
        if since and until and since > until:
            self.add_error("since", "The period starts after it ends; showing the last 7 days.")
            data.pop("until", None)
        return data

    def notices(self):
        return [message for errors in self.errors.values() for message in errors]
