"""What the reader shows: a page of paragraphs, each cut into stretches quoted or not.

The spans were computed when each quote was verified (stored on the evidence); here they
are only intersected with the paragraphs on the page. Markup is the template's job.
"""

import dataclasses
import datetime
from typing import NamedTuple

from django.core.paginator import Paginator

from ..compiled import Compiled
from ..fields import MAX_INT, parse_id
from ..models import CommitmentPassage, Evidence, SourceParagraph
from ..models.commitments import commitment_url

PARAGRAPHS_PER_PAGE = 200
UNVERIFIED_PER_PAGE = 50  # quotes: a source cited thousands of times lists them in pages
MAX_SELECTION = 1000  # characters: the selection travels in a URL


@dataclasses.dataclass
class Segment:
    text: str
    evidence: list  # the verified evidence quoting this stretch; empty when unquoted


@dataclasses.dataclass
class Paragraph:
    """A paragraph of the page, as the reader shows it (a SourceParagraph's values), given
    its segments, `quoted_in` and `states` by annotate()."""

    number: int
    page: int | None
    start: int
    text: str


PARAGRAPHS = Compiled(
    lambda source_id, first, last: (
        SourceParagraph.objects.filter(source_id=source_id, number__gte=first, number__lte=last)
        .order_by("number")
        .values_list("number", "page", "start", "text")
    )
)


def paragraphs_of(source, page):
    """The paragraphs of the page `page` of `source`'s text, in order (one query)."""
    first, last = paragraph_range(page)
    return [Paragraph(*row) for row in PARAGRAPHS.rows(source.pk, first, last)]


def page_count(source):
    return max(1, -(-source.paragraph_count // PARAGRAPHS_PER_PAGE))


def page_of(paragraph_number):
    return (paragraph_number - 1) // PARAGRAPHS_PER_PAGE + 1


def paragraph_range(page):
    first = (page - 1) * PARAGRAPHS_PER_PAGE + 1
    return first, first + PARAGRAPHS_PER_PAGE - 1


class Citation(NamedTuple):
    """A piece of evidence citing the source, as the reader shows it: read as values (as
    model instances with their update and commitment, compiling the statement alone took
    1 ms; bench/README.md, "The seventh round"), by a statement compiled once."""

    pk: int
    status_update_id: int
    as_of: datetime.date  # the update's
    reference: str  # the commitment's
    title: str
    quote: str
    locator: str
    spans: list | None
    source_sha256: str

    @property
    def is_verified(self):
        return bool(self.source_sha256)

    @property
    def url(self):
        """The update in its commitment's status history."""
        return f"{commitment_url(self.reference)}#update-{self.status_update_id}"


CITATION_COLUMNS = (
    "pk",
    "status_update_id",
    "status_update__as_of",
    "commitment__reference",
    "commitment__title",
    "quote",
    "locator",
    "spans",
    "source_sha256",
)


CITATIONS = Compiled(
    lambda source_id: (
        Evidence.objects.filter(source_id=source_id)
        .order_by("commitment__reference", "status_update_id", "id")
        .values_list(*CITATION_COLUMNS)
    )
)


def evidence_of(source):
    """Every piece of evidence citing `source`, as Citations (one query)."""
    return [Citation(*row) for row in CITATIONS.rows(source.pk)]


def unverified_page(evidence, number):
    """A page of the quotes among `evidence` not found in the source's text; `number` as
    the query string gave it (the last page when past it, the first when not a number).
    Paged from the list already read: the highlights and counts need every citation, and a
    second statement would cost the usual page more than it saves the rare long one."""
    unverified = [item for item in evidence if not item.is_verified]
    return Paginator(unverified, UNVERIFIED_PER_PAGE).get_page(number)


class Passage(NamedTuple):
    """A passage of the source stating a commitment, as the reader shows it: read as values
    (as CommitmentPassages with their commitments, building and compiling the statement
    alone took 0.6 ms; bench/README.md, "The eleventh round"), by a statement compiled once."""

    pk: int
    reference: str  # the commitment's
    title: str
    spans: list


PASSAGE_COLUMNS = ("pk", "commitment__reference", "commitment__title", "spans")


PASSAGES = Compiled(
    lambda source_id: (
        CommitmentPassage.objects.filter(source_id=source_id)
        .order_by("commitment__reference")
        .values_list(*PASSAGE_COLUMNS)
    )
)


def passages_of(source):
    """The commitments stated by passages of `source`, as Passages (one query)."""
    return [Passage(*row) for row in PASSAGES.rows(source.pk)]


def segments(paragraph, spans):
    """`paragraph` cut at every quoted span's edge; `spans` are (start, end, evidence)."""
    start, text = paragraph.start, paragraph.text
    end = start + len(text)
    local = [
        (max(a, start) - start, min(b, end) - start, evidence)
        for a, b, evidence in spans
        if a < end and b > start
    ]
    cuts = sorted({0, len(text), *(a for a, _, _ in local), *(b for _, b, _ in local)})
    result = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        quoting = [evidence for la, lb, evidence in local if la <= a and b <= lb]
        result.append(Segment(text[a:b], quoting))
    return result


def annotate(paragraphs, evidence, passages=()):
    """Give each paragraph its segments, the evidence quoting it (`quoted_in`) and the
    commitments it states (`states`: Passages, highlighted like quotes)."""
    quoted = [item for item in evidence if item.is_verified]
    spans = [(a, b, item) for item in [*quoted, *passages] for a, b in item.spans]
    for paragraph in paragraphs:
        paragraph.segments = segments(paragraph, spans)
        seen = {}
        for segment in paragraph.segments:
            for item in segment.evidence:
                seen.setdefault((type(item), item.pk), item)
        paragraph.quoted_in = [i for i in seen.values() if isinstance(i, Citation)]
        paragraph.states = [i for i in seen.values() if isinstance(i, Passage)]
    return paragraphs


class Supported(NamedTuple):
    reference: str
    title: str

    @property
    def url(self):
        return commitment_url(self.reference)


def supported_commitments(evidence, passages=()):
    """The commitments the source supports (quoted in their updates, or stating them), each
    once, in reference order."""
    found = {item.reference: item.title for item in evidence}
    for passage in passages:
        found.setdefault(passage.reference, passage.title)
    return [Supported(reference, found[reference]) for reference in sorted(found)]


def asked_passage(params, source):
    """(text, spans, error): the passage asked for, ?paragraph=N (a whole paragraph, at its
    place) or ?text= (a selection, found later), or the error saying what is wrong."""
    asked = params.get("paragraph", "")
    if asked:
        number = parse_id(asked, MAX_INT)
        paragraph = source.paragraphs.filter(number=number).first() if number else None
        if paragraph is None:
            return None, [], f"The source has no paragraph “{asked[:20]}”."
        return paragraph.text, [[paragraph.start, paragraph.start + len(paragraph.text)]], None
    text = " ".join(params.get("text", "").split())
    if not text:
        return None, [], "Select a passage, or choose a whole paragraph."
    if len(text) > MAX_SELECTION:
        return (
            None,
            [],
            (
                f"The selection is longer than {MAX_SELECTION:,} characters: select less, or "
                "choose whole paragraphs."
            ),
        )
    return text, [], None


def quote_prefill(params):
    """The evidence a record-update form starts with, from ?quote_source=ID&quote_span=S-E
    (links of the reader's "Quote" page); None when absent or not a passage of a source."""
    from ..models import Source

    source_id, span = params.get("quote_source", ""), params.get("quote_span", "")
    start, _, end = span.partition("-")
    source_id, start, end = parse_id(source_id), parse_id(start, MAX_INT), parse_id(end, MAX_INT)
    if source_id is None or start is None or end is None:
        return None
    source = Source.objects.filter(pk=source_id).first()
    if source is None or not source.has_text or not 0 <= start < end:
        return None
    first = source.paragraphs.filter(start__lte=start).order_by("-number").first()
    if first is None:
        return None
    rows = list(
        source.paragraphs.filter(number__gte=first.number, start__lt=end)
        .order_by("number")
        .values_list("text", flat=True)
    )
    stored = "\n\n".join(rows)
    quote = stored[start - first.start : end - first.start].replace("\n\n", " ").strip()
    if not quote or end - first.start > len(stored):
        return None
    return {"source": source, "quote": quote, "locator": f"paragraph {first.number}"}
