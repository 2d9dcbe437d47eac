"""Status updates with evidence from a file in the columns of /export/history.csv.

A row with an `update_id` is an update already recorded: updates are append-only, so it must
match what is stored (unchanged) or it is refused. Rows with an empty `update_id` are new
updates, recorded through services.record_status_update() by the importing user (review
rules, "a change of status needs evidence"). Consecutive new rows that agree on commitment,
as-of date, status, progress, confidence and assessment are one update with several pieces
of evidence, as the export writes them.
"""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Prefetch

from .. import access, limits, services
from ..library import quotes
from ..models import (
    Commitment,
    Confidence,
    Evidence,
    Source,
    SourceKind,
    SourceParagraph,
    Status,
    StatusUpdate,
)
from ..views.exports import HISTORY_FIELDS
from . import values as v
from .base import CREATE, UNCHANGED, Cells, Importer, RowResult, columns_except

UPDATE_COLUMNS = ("as_of", "status", "progress", "confidence", "assessment")
EVIDENCE_COLUMNS = ("quote", "speaker", "locator", "source")
SOURCE_COLUMNS = ("source_kind", "source_publisher", "source_url", "source_published_on")
CLOSEST_SHOWN = 300  # characters of the closest passage shown with a quote not found
# Quotes not found that get the closest passage: looking for it costs some 2 ms a row on a
# short text and grows with the text, so a file of wrong quotes is not checked for hours.
CLOSEST_SUGGESTED = 1000


class HistoryImporter(Importer):
    kind = "history"
    label = "status history"
    key_column = "commitment"
    required = ("commitment", "as_of", "status", "confidence")
    imported = (
        "update_id",
        "progress",
        "assessment",
        "evidence_id",
        *EVIDENCE_COLUMNS,
        *SOURCE_COLUMNS,
    )
    # Written by the app (who, when, the review), never read back.
    ignored = columns_except(HISTORY_FIELDS, *required, *imported)

    def __init__(self, header, *, user):
        super().__init__(header, user=user)
        self.commitments = {}  # reference -> Commitment (or None)
        self.official = {}  # commitment pk -> (as_of, status) as the import leaves it
        self.sources = {}  # title -> Source, or the fields of a new one
        self.texts = {}  # source pk -> quotes.Text, each source's text read once per import
        self.suggestions_left = CLOSEST_SUGGESTED
        self.stored = {}  # update id -> StatusUpdate, of the batch
        self.group = None  # (key, [RowResult, ...]) of the new update being read
        self.evidence_seen = set()
        self.accept_now = access.records_directly(user)

    def prepare(self, batch):
        """The batch's commitments, recorded updates, sources and their texts, in five
        queries (fewer when the batch names nothing new)."""
        references = self.keys(batch, "commitment", lambda x: v.text(x, limit=40))
        missing = references - self.commitments.keys()
        for commitment in Commitment.objects.filter(reference__in=missing).only(
            "id", "reference", "current_status", "current_as_of"
        ):
            self.commitments[commitment.reference] = commitment
        ids = self.keys(batch, "update_id", lambda x: v.integer(x, low=1, high=2**63 - 1))
        self.stored = {
            u.pk: u
            for u in StatusUpdate.objects.select_related("commitment")
            .prefetch_related(
                Prefetch("evidence", queryset=Evidence.objects.select_related("source"))
            )
            .filter(pk__in=ids)
        }
        titles = self.keys(batch, "source", lambda x: v.text(x, limit=500))
        titles -= self.sources.keys()
        for source in Source.objects.filter(title__in=titles).order_by("-id"):
            self.sources[source.title] = source  # the oldest of a title wins
        self.load_texts([self.sources[t] for t in titles if t in self.sources])

    def load_texts(self, sources):
        """The texts of `sources` not read yet, in one query: quotes are verified against
        them in the preview, as record_status_update() will verify them."""
        wanted = {s.pk for s in sources if s.has_text and s.pk not in self.texts}
        if not wanted:
            return
        paragraphs = {pk: [] for pk in wanted}
        rows = SourceParagraph.objects.filter(source_id__in=wanted).order_by("source_id", "number")
        for source_id, text, page in rows.values_list("source_id", "text", "page"):
            paragraphs[source_id].append((text, page))
        for pk, found in paragraphs.items():
            self.texts[pk] = quotes.Text([t for t, _ in found], pages=[p for _, p in found])

    def row(self, number, cells):
        result = RowResult(row=number)
        cells = Cells(self.index, cells, result)
        update_id = cells.parse("update_id", v.integer, low=1, high=2**63 - 1)
        if update_id or result.errors:
            done = self.close_group()
            if not result.errors:
                self.check_recorded(cells, result, update_id)
            return [*done, result]
        return self.check_new(cells, result)

    def finish(self):
        return self.close_group()

    # Rows describing an update already recorded

    def check_recorded(self, cells, result, update_id):
        update = self.stored.get(update_id)
        result.key = f"update {update_id}"
        if update is None:
            result.error(
                "update_id", f"there is no update {update_id}; leave it empty for a new update"
            )
            return
        wanted = self.parse_update(cells, result)
        if result.errors:
            return
        stored = {
            "commitment": update.commitment.reference,
            "as_of": update.as_of,
            "status": update.status,
            "progress": update.progress,
            "confidence": update.confidence,
            "assessment": update.assessment.replace("\r\n", "\n"),
        }
        evidence_id = cells.parse("evidence_id", v.integer, low=1, high=2**63 - 1)
        found = {e.pk: e for e in update.evidence.all()}
        if evidence_id:
            if evidence_id not in found:
                result.error("evidence_id", f"update {update_id} has no evidence {evidence_id}")
                return
            if evidence_id in self.evidence_seen:
                result.error("evidence_id", f"evidence {evidence_id} is on an earlier row too")
            self.evidence_seen.add(evidence_id)
            item = found[evidence_id]
            stored |= {
                "quote": item.quote.replace("\r\n", "\n"),
                "speaker": item.speaker,
                "locator": item.locator,
                "source": item.source.title,
            }
        elif v.text(cells.raw("quote"), limit=limits.QUOTE, multiline=True).strip():
            result.error(
                "quote",
                "evidence cannot be added to an update already recorded; record a new update",
            )
        for column, before in stored.items():
            after = wanted.get(column, before)
            if cells.has(column) and after != before:
                result.error(
                    column,
                    f"update {update_id} is recorded with {v.shown(display(before))}; status "
                    "updates are never changed: to correct it, add a row with update_id empty",
                )
        result.action = UNCHANGED

    # Rows of new updates

    def parse_update(self, cells, result):
        wanted = {
            "commitment": cells.parse("commitment", v.text, limit=40, required=True),
            "as_of": cells.parse("as_of", v.date),
            "status": cells.parse("status", v.choice, Status, what="status"),
            "confidence": cells.parse("confidence", v.choice, Confidence, what="confidence"),
            "progress": cells.parse("progress", v.integer, low=0, high=100),
            "assessment": cells.parse(
                "assessment", v.text, limit=limits.ASSESSMENT, multiline=True
            ),
        }
        if wanted["as_of"] is None and not any(c == "as_of" for c, _ in result.errors):
            result.error("as_of", "is empty, and it is required")
        wanted.update(
            quote=cells.parse("quote", v.text, limit=limits.QUOTE, multiline=True) or "",
            speaker=cells.parse("speaker", v.text, limit=200) or "",
            locator=cells.parse("locator", v.text, limit=100) or "",
            source=cells.parse("source", v.text, limit=500) or "",
        )
        return wanted

    def commitment(self, reference):
        return self.commitments.get(reference)

    def check_new(self, cells, result):
        wanted = self.parse_update(cells, result)
        commitment = None
        if wanted["commitment"]:
            result.key = wanted["commitment"]
            commitment = self.commitment(wanted["commitment"])
            if commitment is None:
                result.error(
                    "commitment", f"there is no commitment {v.shown(wanted['commitment'])}"
                )
        evidence = self.parse_evidence(cells, result, wanted)
        if result.errors:
            return [*self.close_group(), result]
        key = (commitment.pk, *(wanted[c] for c in UPDATE_COLUMNS))
        done = []
        if self.group is not None and self.group[0] != key:
            done = self.close_group()
        if self.group is None:
            self.group = (key, [], commitment, wanted)
        self.group[1].append((result, evidence))
        return done

    def parse_evidence(self, cells, result, wanted):
        if not wanted["quote"].strip():
            if wanted["source"]:
                result.error("quote", "is empty, but a source is given")
            return None
        if not wanted["source"]:
            result.error("source", "a quote needs the title of its source")
            return None
        source = self.source(cells, result, wanted["source"])
        item = services.EvidenceItem(
            quote=wanted["quote"],
            speaker=wanted["speaker"],
            locator=wanted["locator"],
            **({"source": source} if isinstance(source, Source) else {"new_source": source}),
        )
        text = self.texts.get(source.pk) if isinstance(source, Source) else None
        if text is not None:
            try:
                item.match = text.find(item.quote, suggest=self.suggestions_left > 0)
            except quotes.Mismatch as mismatch:
                self.suggestions_left -= 1
                result.error("quote", not_found(source, mismatch, self.suggestions_left >= 0))
        return item

    def source(self, cells, result, title):
        if title not in self.sources:  # not stored (prepare): the first row citing it says
            self.sources[title] = self.new_source(cells, result, title)
        return self.sources[title]

    def new_source(self, cells, result, title):
        kind = cells.raw("source_kind")
        fields = {
            "title": title,
            "kind": cells.parse("source_kind", v.choice, SourceKind, what="source kind")
            if str(kind).strip()
            else SourceKind.OTHER,
            "publisher": cells.parse("source_publisher", v.text, limit=200) or "",
            "url": cells.parse("source_url", v.text, limit=1000) or "",
            "published_on": cells.parse("source_published_on", v.date),
        }
        if fields["url"]:
            try:
                URLValidator()(fields["url"])
            except ValidationError:
                result.error("source_url", f"{v.shown(fields['url'])} is not a web address")
        return fields

    def close_group(self):
        """Check the new update the last rows described, through the services' rules."""
        if self.group is None:
            return []
        _, rows, commitment, wanted = self.group
        self.group = None
        evidence = [item for _, item in rows if item is not None]
        first = rows[0][0]
        official_as_of, official = self.official.get(
            commitment.pk, (commitment.current_as_of, commitment.current_status)
        )
        try:
            services.check_status_update(
                official_status=official,
                status=wanted["status"],
                as_of=wanted["as_of"],
                has_evidence=bool(evidence),
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                first.error("quote" if field == "evidence" else field, " ".join(messages))
        if self.accept_now and (official_as_of is None or wanted["as_of"] >= official_as_of):
            self.official[commitment.pk] = (wanted["as_of"], wanted["status"])
        for result, item in rows:
            result.action = CREATE
            if result is first:
                result.changes = [
                    [c, "", display(wanted[c])]
                    for c in UPDATE_COLUMNS
                    if wanted[c] not in ("", None)
                ]
            if item is not None:
                result.changes.append(["quote", "", f"{item.quote[:120]} — {verification(item)}"])
        first.plan = (commitment, wanted, evidence)
        return [r for r, _ in rows]

    def write(self, result):
        if result.plan is None:
            return
        commitment, wanted, evidence = result.plan
        for item in evidence:
            if item.source is None:  # a new source: one per title, however many rows cite it
                title = item.new_source["title"]
                found = Source.objects.filter(title=title).order_by("id").first()
                item.source = found or Source.objects.create(**item.new_source)
                item.new_source = None
        services.record_status_update(
            commitment=commitment,
            author=self.user,
            status=wanted["status"],
            confidence=wanted["confidence"],
            as_of=wanted["as_of"],
            progress=wanted["progress"],
            assessment=wanted["assessment"],
            evidence=evidence,
        )


def not_found(source, mismatch, suggested):
    message = f"not found in “{source.title}”"
    closest = mismatch.closest
    if closest:
        closest = closest if len(closest) <= CLOSEST_SHOWN else f"{closest[:CLOSEST_SHOWN]}…"
        return f"{message}; did you mean “{closest}”?"
    if not suggested:
        return f"{message} (the closest passage is shown for the first {CLOSEST_SUGGESTED:,})"
    return f"{message}; no passage of it resembles the quote"


def verification(item):
    """Where the preview says a quote is: verified (and where), or unverified and why."""
    if item.source is None:
        return f"{item.new_source['title']} (new; unverified: the source has no text)"
    if item.match is not None:
        return f"{item.source.title}, {item.match.locator} (verified)"
    return f"{item.source.title} (unverified: the source has no text)"


def display(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
