"""Query strings of the API's lists: validated like forms; anything not understood is a 400
problem naming the parameter (the web pages ignore it with a notice instead)."""

import datetime as dt
import re

from django import forms
from django.utils import timezone

from .. import limits
from ..models import Status, StatusUpdate
from .problems import Problem


def refuse_invalid(form_or_filterset, only=None):
    """The bound form or filterset, validated (reading its errors cleans it): a 400 problem
    when a value (of the fields in `only`, or any) is not understood."""
    form = getattr(form_or_filterset, "form", form_or_filterset)
    errors = {
        name: [str(m) for m in messages]
        for name, messages in form.errors.items()
        if only is None or name in only
    }
    if errors:
        raise Problem(
            "A query parameter is not understood; see `errors`.",
            kind="invalid-query",
            errors=errors,
        )
    return form_or_filterset


ISO_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?"
)


class SinceField(forms.DateTimeField):
    """An ISO 8601 date or date and time; a date means the start of that day."""

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        try:
            if not ISO_DATE.fullmatch(value):
                raise ValueError(value)
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise forms.ValidationError(
                "Give a date (2026-03-01) or a date and time (2026-03-01T09:00:00Z)."
            ) from None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed


class UpdateFilterForm(forms.Form):
    since = SinceField(required=False)
    review_state = forms.ChoiceField(
        choices=[("", ""), *StatusUpdate.ReviewState.choices], required=False
    )
    status = forms.ChoiceField(choices=[("", ""), *Status.choices], required=False)
    commitment = forms.CharField(max_length=40, required=False)

    def filter(self, updates):
        data = self.cleaned_data
        if data["since"]:
            since = data["since"]
            # What changed: recorded, or accepted or returned, since then.
            updates = updates.filter(created_at__gte=since) | updates.filter(decided_at__gte=since)
        if data["review_state"]:
            updates = updates.filter(review_state=data["review_state"])
        if data["status"]:
            updates = updates.filter(status=data["status"])
        if data["commitment"]:
            updates = updates.filter(commitment__reference=data["commitment"])
        return updates


class SourceFilterForm(forms.Form):
    q = forms.CharField(max_length=limits.SEARCH_QUERY, required=False)


class ParagraphsForm(forms.Form):
    """A source's text slice: the first paragraph number wanted (documents stay under 10⁷)."""

    paragraphs_from = forms.IntegerField(min_value=1, max_value=10_000_000, required=False)
