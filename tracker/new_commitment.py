"""The New commitment form: what was promised, by whom, who follows it; a suggested reference."""

import re

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from . import access, limits
from . import fields as safe
from .commitment_forms import CommitmentEditForm
from .library import quotes, reader
from .library import services as library
from .models import ANALYSTS, Commitment, Party, Source

# A reference is part of URLs: /commitments/<reference>/ (and /commitments/new/ is a page).
REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
RESERVED_REFERENCES = {"new"}
SPAN_PATTERN = re.compile(r"^(\d{1,12})-(\d{1,12})$")


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
    # From a document: the source whose passage "what was promised" is, and where it is.
    from_source = safe.ModelChoiceField(
        queryset=Source.objects.all(), required=False, widget=forms.HiddenInput
    )
    from_span = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

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

    def __init__(self, *args, passage=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.passage = None  # a verified library.Passage once the form is valid
        if passage is not None and not self.is_bound:
            self.initial.update(
                description=passage.quote,
                from_source=passage.source.pk,
                from_span=span_value(passage.match.spans),
            )
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
        source, description = data.get("from_source"), data.get("description")
        if source is not None and not description and "description" not in self.errors:
            self.add_error(
                "description", "Give the passage of the source that states the commitment."
            )
        elif source is not None and description:
            passage = library.Passage(
                source=source, quote=description, spans=parse_span(data.get("from_span"))
            )
            try:
                library.verify_passage(passage)
            except forms.ValidationError as exc:
                self.add_error(
                    "description",
                    [
                        *exc.message_dict["description"],
                        "What was promised must be the source’s own words: edit it back, "
                        "or shorten it, marking the gaps with …",
                    ],
                )
            else:
                self.passage = passage
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
            "passage": self.passage,
        }


def span_value(spans):
    return f"{spans[0][0]}-{spans[-1][1]}"


def parse_span(value):
    """[[start, end]] from "S-E", or [] when absent or malformed (then the passage is found
    wherever it first occurs)."""
    found = SPAN_PATTERN.match(value or "")
    if not found or int(found[1]) >= int(found[2]):
        return []
    return [[int(found[1]), int(found[2])]]


class PassageRefused(Exception):
    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def passage_from_query(params):
    """The passage a reader's link asks to start from: ?source=ID with &paragraph=N or &text=
    (a selection). None without `source`; PassageRefused (message, status) when the query
    names no usable passage."""
    source_id = params.get("source", "")
    if not source_id:
        return None
    pk = safe.parse_id(source_id)
    source = Source.objects.filter(pk=pk).first() if pk is not None else None
    if source is None:
        raise PassageRefused(f"There is no source “{source_id[:20]}” in the library.", 404)
    if not source.has_text:
        raise PassageRefused(
            f"The library has no text of “{source.title}”, so no passage of it can be "
            "verified: add its document first."
        )
    quote, spans, error = reader.asked_passage(params, source)
    if error:
        raise PassageRefused(error)
    text = library.text_of(source)
    try:
        match = text.find_near(quote, spans)
    except quotes.Mismatch:
        raise PassageRefused(
            "That selection is not a passage of the text: select it again."
        ) from None
    # The source's own words, as stored (typographic quotes, dashes), not the selection's.
    verbatim = text.stored[match.spans[0][0] : match.spans[-1][1]].replace(quotes.SEPARATOR, " ")
    if len(verbatim) > limits.DESCRIPTION:
        raise PassageRefused(
            f"That passage is longer than what was promised may be ({limits.DESCRIPTION:,} "
            "characters): select part of it."
        )
    match = text.find_near(verbatim, [[match.spans[0][0], match.spans[-1][1]]])
    return library.Passage(source=source, quote=verbatim, spans=match.spans, match=match)


def suggest_reference(today=None):
    """`C-<year>-<n>` after the highest such reference of the year, e.g. C-2026-007."""
    year = (today or timezone.localdate()).year
    prefix = f"C-{year}-"
    taken = Commitment.objects.filter(reference__startswith=prefix).values_list(
        "reference", flat=True
    )
    numbers = [int(ref[len(prefix) :]) for ref in taken if ref[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"
