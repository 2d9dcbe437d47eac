"""Writes of the source library. Each runs in one transaction; the file is written to storage
inside it and removed again if the transaction fails, so nothing is ever half-saved."""

import dataclasses
import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import audit
from ..models import AuditAction, CommitmentPassage, Evidence, Source, SourceParagraph
from . import quotes


class DuplicateDocument(Exception):
    def __init__(self, existing):
        super().__init__(f"already in the library as source {existing.pk}")
        self.existing = existing


@dataclasses.dataclass
class Upload:
    """What the person gave: the original bytes (a file, or pasted text) and its name."""

    data: bytes
    name: str


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def text_of(source):
    """The source's stored text, ready for matching (one query)."""
    rows = source.paragraphs.order_by("number").values_list("text", "page")
    paragraphs = list(rows)
    return quotes.Text([t for t, _ in paragraphs], pages=[p for _, p in paragraphs])


def duplicate_of(data, *, exclude=None):
    existing = Source.objects.filter(sha256=sha256(data))
    if exclude is not None:
        existing = existing.exclude(pk=exclude.pk)
    return existing.first()


@transaction.atomic
def add_document(*, source, document, upload, user):
    """Give `source` (saved or not) its document: the original, the text, what it is.

    Returns (source, re-verified evidence count). Raises DuplicateDocument when the same file
    is in the library already, ValidationError when the source has a document already.
    """
    digest = sha256(upload.data)
    existing = duplicate_of(upload.data, exclude=source if source.pk else None)
    if existing:
        raise DuplicateDocument(existing)
    if source.pk and Source.objects.filter(pk=source.pk, paragraph_count__gt=0).exists():
        raise ValidationError("This source has its document already; it cannot be replaced.")
    text = quotes.Text([p.text for p in document.paragraphs])
    source.sha256 = digest
    source.size = len(upload.data)
    source.media_type = document.kind.media_type
    source.original_name = upload.name[:255]
    source.text_sha256 = sha256(text.stored.encode())
    source.paragraph_count = len(document.paragraphs)
    source.text_added_by = user
    source.text_added_at = timezone.now()
    source.document.save(upload.name or "pasted.txt", ContentFile(upload.data), save=False)
    stored_name = source.document.name
    try:
        with transaction.atomic():
            source.save()
        SourceParagraph.objects.bulk_create(
            SourceParagraph(
                source=source, number=i, page=p.page, start=text.starts[i - 1], text=p.text
            )
            for i, p in enumerate(document.paragraphs, start=1)
        )
        verified = verify_existing_evidence(source, text)
    except IntegrityError:
        source.document.storage.delete(stored_name)
        existing = Source.objects.filter(sha256=digest).first()
        if existing:
            raise DuplicateDocument(existing) from None
        raise
    except BaseException:
        source.document.storage.delete(stored_name)
        raise
    if user is not None:
        audit.record(
            AuditAction.EDIT,
            user=user,
            target=f"source {source.pk}"[:200],
            detail=f"document added: {document.kind.label}, {len(upload.data)} bytes, {digest}",
        )
    return source, verified


def match_fields(source, match):
    """What a verified piece of evidence stores: where the quote is, and against what."""
    return {
        "spans": [list(span) for span in match.spans],
        "paragraph": match.paragraph,
        "source_sha256": source.sha256,
        "locator": match.locator,
    }


def verify_existing_evidence(source, text=None):
    """Verify the unverified quotes from `source` that match its text; returns how many."""
    text = text or text_of(source)
    verified = []
    for evidence in Evidence.objects.filter(source=source, source_sha256=""):
        try:
            match = text.find(evidence.quote)
        except quotes.Mismatch:
            continue
        for name, value in match_fields(source, match).items():
            setattr(evidence, name, value)
        verified.append(evidence)
    Evidence.objects.bulk_update(verified, ["spans", "paragraph", "source_sha256", "locator"])
    return len(verified)


def verified_fields(source, quote, *, match=None):
    """The verification fields of a quote from `source`, or refuse it (ValidationError)."""
    if match is None:
        try:
            match = text_of(source).find(quote)
        except quotes.Mismatch as mismatch:
            raise ValidationError({"evidence": mismatch_message(source, mismatch)}) from None
    return match_fields(source, match)


def mismatch_message(source, mismatch, *, what="quote"):
    message = f"This {what} does not occur in “{source.title}”."
    if mismatch.closest:
        return f"{message} Did you mean: “{mismatch.closest}”?"
    return f"{message} No passage of it resembles the {what}."


# The passage that states a commitment (CommitmentPassage)


@dataclasses.dataclass
class Passage:
    """What a manager chose in the reader: `quote` from `source`, at `spans` if known."""

    source: Source
    quote: str
    spans: list = dataclasses.field(default_factory=list)
    match: object = None  # set by verify_passage


def verify_passage(passage, *, text=None):
    """The Match of the passage in its source's text (the occurrence at its spans, if still
    there); ValidationError on `description` when it does not occur or there is no text."""
    if passage.match is not None:
        return passage.match
    source = passage.source
    if not source.has_text:
        raise ValidationError(
            {"description": f"“{source.title}” has no text in the library to verify against."}
        )
    try:
        passage.match = (text or text_of(source)).find_near(passage.quote, passage.spans)
    except quotes.Mismatch as mismatch:
        raise ValidationError(
            {"description": mismatch_message(source, mismatch, what="passage")}
        ) from None
    return passage.match


def link_passage(*, commitment, passage):
    """Record that `commitment` is stated by `passage`, verified again here, inside the
    caller's transaction (create_commitment), at the span the form found."""
    if passage.match is not None:
        passage.spans, passage.match = [list(s) for s in passage.match.spans], None
    match = verify_passage(passage)
    return CommitmentPassage.objects.create(
        commitment=commitment,
        source=passage.source,
        quote=passage.quote,
        **match_fields(passage.source, match),
    )
