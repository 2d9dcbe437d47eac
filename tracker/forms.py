"""Forms of the analyst workspace: record a status update, add a measurement, decide on an update.

The commitment edit form is in commitment_forms.py.

Forms validate; the writes themselves go through tracker/services/.
"""

import uuid

from django import forms
from django.forms.renderers import Jinja2
from django.utils import timezone

from . import fields as safe
from . import limits, services
from .library import quotes
from .library import services as library
from .models import (
    EARLIEST_DATE,
    Confidence,
    Party,
    Qualifier,
    Source,
    SourceKind,
    Status,
    StatusUpdate,
)

EVIDENCE_SLOTS = 3
NEW_SOURCE_FIELDS = {
    "new_source_title": "title",
    "new_source_kind": "kind",
    "new_source_publisher": "publisher",
    "new_source_url": "url",
    "new_source_published_on": "published_on",
}


# The status update form's widgets, error lists and management form, drawn by Django's Jinja2
# copies of its widget templates (the same markup): through the Django template language its 30
# widgets took about 4 ms of every commitment page and post (bench/README.md, "Posting a status
# update (fourth round)"). Its selects are RememberedSelect's, drawn once (tracker/fields.py).
JINJA2_WIDGETS = Jinja2()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def plausible_date(value):
    if problem := services.implausible_date(value):
        raise forms.ValidationError(problem)
    return value


class SourceForm(forms.Form):
    """Pick an existing source or describe a new one, in place. Exactly one of the two."""

    source = safe.ModelChoiceField(
        queryset=Source.objects.all(),
        required=False,
        label="Existing source",
        empty_label="— Choose a source —",
        widget=safe.RememberedSelect,
    )
    new_source_title = forms.CharField(max_length=500, required=False, label="Source title")
    new_source_kind = forms.ChoiceField(
        choices=SourceKind.choices,
        initial=SourceKind.STATEMENT,
        required=False,
        label="Kind",
        widget=safe.RememberedSelect,
    )
    new_source_publisher = forms.CharField(max_length=200, required=False, label="Publisher")
    new_source_url = forms.URLField(
        max_length=1000, required=False, label="Link (URL)", assume_scheme="https"
    )
    new_source_published_on = forms.DateField(
        required=False, label="Published on", widget=DateInput
    )

    def __init__(self, *args, source_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        limits.show_limits(self)
        if source_choices is not None:
            self.offer_sources(source_choices)

    def offer_sources(self, source_choices):
        """The picker's options: one shared list of recent sources instead of a query per
        form (the search box finds the others; validation still accepts any source)."""
        choices = list(source_choices)
        picked = self.selected_source()
        if picked and all(str(pk) != str(picked.pk) for pk, _ in choices[1:]):
            choices.append((picked.pk, str(picked)))
        self.fields["source"].widget.choices = choices

    def selected_source(self):
        if not self.is_bound:
            return (
                self.initial.get("source")
                if isinstance(self.initial.get("source"), Source)
                else None
            )
        value = self.data.get(self.add_prefix("source"))
        pk = safe.parse_id(value) if value else None
        if pk is not None:
            return Source.objects.filter(pk=pk).first()
        return None

    def has_changed(self):
        # The kind select always has a value; on its own it does not fill an empty slot.
        return any(name != "new_source_kind" for name in self.changed_data)

    def clean_new_source_published_on(self):
        return plausible_date(self.cleaned_data.get("new_source_published_on"))

    def clean(self):
        cleaned = super().clean()
        source = cleaned.get("source")
        title = (cleaned.get("new_source_title") or "").strip()
        described = any(
            cleaned.get(name)
            for name in ("new_source_publisher", "new_source_url", "new_source_published_on")
        )
        if source and (title or described):
            self.add_error(
                "source", "Choose an existing source or describe a new one below, not both."
            )
        elif not source and not title:
            if described:
                self.add_error("new_source_title", "Give the new source a title.")
            elif "source" not in self.errors:
                self.add_error("source", "Choose a source, or add a new one below.")
        return cleaned

    def new_source(self):
        """The fields of the new source to create, or None when an existing one was picked."""
        if self.cleaned_data.get("source"):
            return None
        fields = {
            model_field: self.cleaned_data.get(form_field)
            for form_field, model_field in NEW_SOURCE_FIELDS.items()
        }
        fields["title"] = fields["title"].strip()
        fields["kind"] = fields["kind"] or SourceKind.STATEMENT
        return {k: v for k, v in fields.items() if v not in (None, "")}


class EvidenceForm(SourceForm):
    default_renderer = JINJA2_WIDGETS
    quote = forms.CharField(
        max_length=limits.QUOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Verbatim, as the source says it.",
    )
    speaker = forms.CharField(max_length=200, required=False)
    speaker_party = safe.ModelChoiceField(
        queryset=Party.objects.all(),
        required=False,
        label="Speaking for",
        empty_label="— No party —",
        help_text="The party whose position the speaker states.",
        widget=safe.RememberedSelect,
    )
    locator = forms.CharField(
        max_length=100,
        required=False,
        help_text="Page, paragraph or timestamp; filled in for a verified quote.",
    )

    field_order = ["quote", "speaker", "speaker_party", "locator", "source"]
    match = None

    def offer_choices(self, source_choices, party_choices):
        self.offer_sources(source_choices)
        self.fields["speaker_party"].widget.choices = party_choices

    def clean(self):
        cleaned = super().clean()
        source, quote = cleaned.get("source"), cleaned.get("quote")
        if source and quote and source.has_text:
            # Checked against the source's text here, to answer next to the quote.
            try:
                self.match = library.text_of(source).find(quote)
            except quotes.Mismatch as mismatch:
                self.add_error("quote", library.mismatch_message(source, mismatch))
        return cleaned

    def evidence_item(self):
        return services.EvidenceItem(
            quote=self.cleaned_data["quote"].strip(),
            source=self.cleaned_data.get("source"),
            new_source=self.new_source(),
            speaker=self.cleaned_data.get("speaker", "").strip(),
            speaker_party=self.cleaned_data.get("speaker_party"),
            locator=self.cleaned_data.get("locator", "").strip(),
            match=self.match,
        )


class BaseEvidenceFormSet(forms.BaseFormSet):
    # Set by the view once the status is known: a change of status needs evidence.
    status_changes = False

    def _construct_form(self, i, **kwargs):
        # Every slot may stay empty, prefilled ones too; an empty slot is simply skipped.
        return super()._construct_form(i, empty_permitted=True, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        if self.status_changes and not self.filled_forms():
            raise forms.ValidationError(
                "A change of status needs at least one piece of evidence: add a quote and "
                "its source.",
                code="evidence_required",
            )

    def filled_forms(self):
        return [form for form in self.forms if form.cleaned_data]

    def evidence_items(self):
        return [form.evidence_item() for form in self.filled_forms()]

    def offer_choices(self, source_choices):
        """The pickers' options, for a formset that is shown (validating needs none)."""
        # One list of parties for every slot, instead of a query per form.
        parties = [("", "— No party —"), *Party.objects.order_by("name").values_list("pk", "name")]
        for form in self.forms:
            form.offer_choices(source_choices, parties)


EvidenceFormSet = forms.formset_factory(
    EvidenceForm,
    formset=BaseEvidenceFormSet,
    extra=EVIDENCE_SLOTS,
    max_num=20,
    absolute_max=20,
    validate_max=True,
    renderer=JINJA2_WIDGETS,
)


def evidence_formset(data=None, *, source_choices=None, initial=None):
    """The evidence slots; with `source_choices` ready to be shown (a posted formset is
    validated first, and given its choices only if it is shown again)."""
    formset = EvidenceFormSet(
        data,
        prefix="evidence",
        initial=initial,
        form_kwargs={"use_required_attribute": False},
    )
    if initial:
        formset.extra = max(1, EVIDENCE_SLOTS - len(initial))
    if source_choices is not None:
        formset.offer_choices(source_choices)
    return formset


class RecordUpdateForm(forms.Form):
    default_renderer = JINJA2_WIDGETS
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in Status if s != Status.NOT_ASSESSED],
        widget=safe.RememberedSelect,
    )
    progress = forms.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        label="Progress (%)",
        help_text="0–100; empty if it cannot be estimated.",
    )
    confidence = forms.ChoiceField(
        choices=Confidence.choices, initial=Confidence.MODERATE, widget=safe.RememberedSelect
    )
    as_of = forms.DateField(
        label="As of",
        widget=DateInput,
        help_text="When the situation was observed.",
    )
    assessment = forms.CharField(
        max_length=limits.ASSESSMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Markdown is fine: **bold**, *italic*, lists and links.",
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    revises = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, commitment, user, **kwargs):
        self.commitment = commitment
        self.user = user
        super().__init__(*args, **kwargs)
        limits.show_limits(self)
        today = timezone.localdate()
        self.fields["as_of"].initial = today
        self.fields["as_of"].widget.attrs.update(
            min=EARLIEST_DATE.isoformat(), max=today.isoformat()
        )
        self.fields["idempotency_key"].initial = uuid.uuid4().hex
        if commitment.current_status != Status.NOT_ASSESSED:
            self.fields["status"].initial = commitment.current_status
        self.fields["progress"].initial = commitment.current_progress
        if commitment.current_confidence:
            self.fields["confidence"].initial = commitment.current_confidence
        self.fields["progress"].widget.attrs.update({"inputmode": "numeric"})

    def clean_as_of(self):
        return plausible_date(self.cleaned_data["as_of"])

    def renew_idempotency_key(self):
        """A fresh key for the form shown again, so its next submit records a new update."""
        self.data = self.data.copy()
        self.data[self.add_prefix("idempotency_key")] = uuid.uuid4().hex

    def clean_revises(self):
        pk = self.cleaned_data.get("revises")
        if pk is None:
            return None
        update = returned_update_for(pk, commitment=self.commitment, user=self.user)
        if (
            update is None
            and StatusUpdate.objects.filter(pk=pk, author_id=self.user.pk)
            .filter(revisions__isnull=False, review_state=StatusUpdate.ReviewState.RETURNED)
            .exists()
        ):
            raise forms.ValidationError(services.ALREADY_REVISED)
        if update is None:
            raise forms.ValidationError(
                "You can only revise one of your own returned updates on this commitment."
            )
        return update

    def status_changes(self):
        status = self.cleaned_data.get("status") if hasattr(self, "cleaned_data") else None
        return bool(status) and status != self.commitment.current_status

    def update_fields(self, formset):
        """What services.record_status_update() records, from this form and its evidence
        (both valid); the web form and the API pass it on alike."""
        data = self.cleaned_data
        return {
            "status": data["status"],
            "confidence": data["confidence"],
            "as_of": data["as_of"],
            "progress": data["progress"],
            "assessment": data["assessment"].strip(),
            "evidence": formset.evidence_items(),
            "revises": data["revises"],
        }


def returned_update_for(pk, *, commitment, user):
    """The returned update `pk` if `user` wrote it on `commitment`; None otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        StatusUpdate.objects.filter(
            pk=pk,
            commitment=commitment,
            author_id=user.pk,
            review_state=StatusUpdate.ReviewState.RETURNED,
            revisions__isnull=True,
        )
        .select_related("decided_by")
        .prefetch_related("evidence__source")
        .first()
    )


def revision_initial(update):
    """Initial values of the update form and its evidence, copied from a returned update."""
    initial = {
        "status": update.status,
        "progress": update.progress,
        "confidence": update.confidence,
        "assessment": update.assessment,
        "revises": update.pk,
    }
    evidence = [
        {
            "source": item.source,
            "quote": item.quote,
            "speaker": item.speaker,
            "locator": item.locator,
        }
        for item in update.evidence.all()
    ]
    return initial, evidence


class MeasurementForm(SourceForm):
    value = forms.DecimalField(max_digits=16, decimal_places=4)
    qualifier = forms.ChoiceField(
        choices=Qualifier.choices, required=False, label="Qualifier", initial=""
    )
    measured_on = forms.DateField(
        required=False,
        label="Date",
        widget=DateInput,
        help_text="Leave empty when the source gives no date.",
    )
    note = forms.CharField(max_length=300, required=False)

    field_order = ["qualifier", "value", "measured_on", "note", "source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measured_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def measurement_fields(self):
        """What services.record_measurement() records, from this valid form."""
        data = self.cleaned_data
        return {
            "value": data["value"],
            "qualifier": data["qualifier"],
            "measured_on": data["measured_on"],
            "note": data["note"].strip(),
            "source": data["source"] or self.new_source(),
        }

    def clean_measured_on(self):
        return plausible_date(self.cleaned_data.get("measured_on"))


class DecisionForm(forms.Form):
    comment = forms.CharField(
        required=False,
        max_length=limits.DECISION_COMMENT,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Comment",
    )


class ReturnForm(DecisionForm):
    comment = forms.CharField(
        max_length=limits.DECISION_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What is missing?",
        error_messages={"required": "Say what is missing so the analyst can revise it."},
    )
