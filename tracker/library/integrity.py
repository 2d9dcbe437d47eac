"""Re-check every verified quote against the stored text and hashes (verify_integrity).

A verified piece of evidence stores its spans and the hash of the document it was verified
against; the source stores the hash of its original and of its extracted text. Any of these
disagreeing means the library was changed behind the tracker's back.
"""

import dataclasses
import hashlib

from ..models import CommitmentPassage, Evidence, Source
from . import services as library

MAX_EXAMPLES = 20


@dataclasses.dataclass
class QuoteReport:
    sources: int = 0
    quotes: int = 0
    problems: int = 0
    examples: list = dataclasses.field(default_factory=list)

    @property
    def clean(self):
        return self.problems == 0

    def add(self, problem, max_examples):
        self.problems += 1
        if len(self.examples) < max_examples:
            self.examples.append(problem)


def file_sha256(source):
    digest = hashlib.sha256()
    with source.document.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_source(source, report, max_examples):
    text = library.text_of(source)
    if library.sha256(text.stored.encode()) != source.text_sha256:
        report.add(f"source {source.pk}: its stored text no longer has its hash", max_examples)
    if source.document:
        try:
            if file_sha256(source) != source.sha256:
                report.add(f"source {source.pk}: the original file has changed", max_examples)
        except FileNotFoundError:
            report.add(f"source {source.pk}: the original file is missing", max_examples)
    evidence = Evidence.objects.filter(source=source).exclude(source_sha256="")
    for item in evidence.select_related("status_update__commitment").iterator(chunk_size=500):
        where = f"evidence {item.pk} ({item.status_update.commitment.reference})"
        check_quote(item, where, "quote", source, text, report, max_examples)
    # The passages that state commitments are verified quotes too.
    passages = CommitmentPassage.objects.filter(source=source).select_related("commitment")
    for item in passages.iterator(chunk_size=500):
        where = f"the passage stating {item.commitment.reference}"
        check_quote(item, where, "passage", source, text, report, max_examples)


def check_quote(item, where, what, source, text, report, max_examples):
    """A verified quote (evidence or passage): against this document, still at its spans."""
    report.quotes += 1
    if item.source_sha256 != source.sha256:
        report.add(f"{where}: verified against another document", max_examples)
    elif not text.still_matches(item.quote, item.spans):
        report.add(f"{where}: the {what} is no longer at its span", max_examples)


def check_quotes(*, max_examples=MAX_EXAMPLES):
    report = QuoteReport()
    for source in Source.objects.filter(paragraph_count__gt=0).order_by("pk").iterator():
        report.sources += 1
        check_source(source, report, max_examples)
    orphans = Evidence.objects.exclude(source_sha256="").filter(source__paragraph_count=0)
    for pk in orphans.values_list("pk", flat=True)[:1000]:
        report.quotes += 1
        report.add(f"evidence {pk}: verified, but its source has no text", max_examples)
    orphans = CommitmentPassage.objects.filter(source__paragraph_count=0)
    for reference in orphans.values_list("commitment__reference", flat=True)[:1000]:
        report.quotes += 1
        report.add(f"the passage stating {reference}: its source has no text", max_examples)
    return report


def verify_unverified(*, max_examples=MAX_EXAMPLES):
    """Verify every unverified quote whose source has text; (verified, still unverified)."""
    verified = 0
    for source in Source.objects.filter(paragraph_count__gt=0).order_by("pk").iterator():
        verified += library.verify_existing_evidence(source)
    remaining = Evidence.objects.filter(source_sha256="", source__paragraph_count__gt=0)
    examples = list(
        remaining.select_related("status_update__commitment", "source").order_by("pk")[
            :max_examples
        ]
    )
    return verified, remaining.count(), examples
