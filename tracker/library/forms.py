"""Forms of the source library: add a source with its document, or give one its document."""

from django import forms
from django.conf import settings

from .. import limits
from ..forms import DateInput, plausible_date
from ..models import Source, SourceKind
from . import extract
from .services import Upload, duplicate_of


class DocumentForm(forms.Form):
    """The document itself: an uploaded file or pasted text, exactly one of the two."""

    file = forms.FileField(
        required=False,
        label="Upload a file",
        help_text="PDF (with a text layer), Word (.docx), an HTML page, Markdown or plain text.",
    )
    text = forms.CharField(
        required=False,
        label="…or paste the text",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Paragraphs separated by blank lines.",
    )

    def __init__(self, *args, source=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        self.fields["text"].max_length = settings.TRACKER_SOURCE_MAX_TEXT_CHARS
        limit = extract.megabytes(settings.TRACKER_SOURCE_MAX_BYTES)
        self.fields["file"].help_text += f" Up to {limit}."
        self.document = self.upload = self.duplicate = None

    def clean(self):
        cleaned = super().clean()
        file, text = cleaned.get("file"), (cleaned.get("text") or "").strip()
        if self.errors:
            return cleaned
        if file and text:
            raise forms.ValidationError("Upload a file or paste the text, not both.")
        if not file and not text:
            raise forms.ValidationError("Upload the document or paste its text.")
        try:
            if file:
                if file.size > settings.TRACKER_SOURCE_MAX_BYTES:
                    raise extract.DocumentError(
                        f"The file is {extract.megabytes(file.size)}; the limit is "
                        f"{extract.megabytes(settings.TRACKER_SOURCE_MAX_BYTES)}."
                    )
                data = file.read()
                self.document = extract.extract(data, file.name)
                self.upload = Upload(data=data, name=file.name)
            else:
                self.document = extract.from_text(text)
                self.upload = Upload(data=text.encode(), name="pasted.txt")
        except extract.DocumentError as error:
            self.add_error("file" if file else "text", str(error))
            return cleaned
        self.duplicate = duplicate_of(self.upload.data, exclude=self.source)
        if self.duplicate:
            # The template links to it: "offer the existing source instead of a duplicate".
            raise forms.ValidationError(
                f"This document is in the library already, as “{self.duplicate.title}”.",
                code="duplicate",
            )
        return cleaned


class SourceForm(DocumentForm):
    """A new source with its document."""

    title = forms.CharField(max_length=500)
    kind = forms.ChoiceField(choices=SourceKind.choices, initial=SourceKind.STATEMENT)
    publisher = forms.CharField(max_length=200, required=False)
    url = forms.URLField(max_length=1000, required=False, label="Link (URL)", assume_scheme="https")
    published_on = forms.DateField(required=False, label="Published on", widget=DateInput)

    field_order = ["title", "kind", "publisher", "url", "published_on", "file", "text"]

    def clean_published_on(self):
        return plausible_date(self.cleaned_data.get("published_on"))

    def clean_title(self):
        return self.cleaned_data["title"].strip()

    def new_source(self):
        fields = ("title", "kind", "publisher", "url", "published_on")
        return Source(**{name: self.cleaned_data[name] for name in fields})


class LibrarySearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=limits.SEARCH_QUERY,
        label="Search the library",
        error_messages={"max_length": f"Searches are limited to {limits.SEARCH_QUERY} characters."},
    )
