"""Data out of the app: commitments as CSV and JSON, the status history as CSV, an Atom feed.

Each honours the dashboard's filters (area, party, owner). Files are streamed in chunks
(`.iterator(chunk_size=...)`), so a million rows never sit in memory, and CSV cells that a
spreadsheet would run as a formula are neutralised.
"""

import csv
import datetime as dt
import functools
import tempfile
import unicodedata
from wsgiref.util import FileWrapper

from django.contrib.auth.models import User
from django.contrib.syndication.views import Feed
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Case, Prefetch, Value, When
from django.http import HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from .. import audit
from ..access import deny, has_role, role_required
from ..api.authentication import token_readable, without_token
from ..api.serializers import COMMITMENT_SUMMARY
from ..dashboard import queries
from ..dashboard.forms import DashboardForm
from ..models import STATUS_LABELS, AuditAction, CommitmentParty, Status, StatusUpdate
from ..people import display_name

CHUNK = 2000
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection), also
# in their fullwidth or small forms (＝ ＋ － ＠, NFKC-equal to these) and after invisible
# characters it skips (a BOM, zero-width spaces, spaces).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
SKIPPED_BEFORE_FORMULA = "\ufeff\u200b\u200c\u200d\u2060 \u00a0"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def spreadsheet_safe(value):
    """A CSV cell: text that could start a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and guarded(value):
        return "'" + value
    return value


def starts_a_formula(text):
    if text.startswith(FORMULA_STARTS):
        return True
    rest = text.lstrip(SKIPPED_BEFORE_FORMULA)
    return bool(rest) and unicodedata.normalize("NFKC", rest[0]).startswith(FORMULA_STARTS)


def guarded(text):
    """Text the exports prefix with an apostrophe: a formula, or already an apostrophe (so
    the import, which removes one, gives back exactly what was stored)."""
    return text.startswith("'") or starts_a_formula(text)


class _Line:
    """csv.writer writes into this and gets the line back."""

    def write(self, value):
        return value


def stream_csv(header, rows, rows_per_chunk=500):
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(header)  # the BOM tells spreadsheets it is UTF-8
    chunk = []
    for row in rows:
        chunk.append(writer.writerow([spreadsheet_safe(v) for v in row]))
        if len(chunk) >= rows_per_chunk:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk)


def xlsx_file(title, header, rows):
    """A workbook written row by row (openpyxl's write-only mode) into a temporary file.

    Text is always a text cell, guarded like the CSV's; dates are date cells.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
            else:
                value = spreadsheet_safe(value)
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever it starts with
            cells.append(cell)
        sheet.append(cells)
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    book.save(out)
    out.seek(0)
    return FileWrapper(out)


def export_scope(request):
    """The filters of an export, or (None, problems) when one of them is wrong."""
    choices = queries.dashboard_choices()
    form = DashboardForm(request.GET, choices=choices, today=timezone.localdate())
    form.is_valid()
    problems = [m for name in ("area", "party", "owner") for m in form.errors.get(name, [])]
    if problems:
        return None, problems
    data = form.cleaned_data
    return queries.Scope(
        area=data.get("area"), party=data.get("party"), owner=data.get("owner")
    ), []


def download(request, content, content_type, filename):
    """A streamed file named like `commitments-2026-03-02.csv`; the export is audited."""
    response = StreamingHttpResponse(content, content_type=content_type)
    stem, ext = filename.rsplit(".", 1)
    today = timezone.localdate()
    response["Content-Disposition"] = f'attachment; filename="{stem}-{today:%Y-%m-%d}.{ext}"'
    audit.record(
        AuditAction.EXPORT, request=request, target=request.path, detail=without_token(request.GET)
    )
    return response


def refused(problems):
    text = "Nothing was exported: " + " ".join(problems) + "\n"
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")


def export(view):
    """An export: readable with a token, GET only, for a role; `view(request, scope)` runs
    with the filters, and a wrong filter is refused (400) before anything is read."""

    @token_readable
    @require_GET
    @role_required()
    @functools.wraps(view)
    def checked(request):
        scope, problems = export_scope(request)
        if problems:
            return refused(problems)
        return view(request, scope)

    return checked


def _commitments(scope):
    bound = CommitmentParty.objects.select_related("party")
    return (
        scope.commitments()
        .select_related("area", "owner", "event", "parent")
        .prefetch_related(
            Prefetch("commitment_parties", queryset=bound),
            Prefetch("assignees", queryset=User.objects.only("id", "username")),
        )
        .order_by("reference")
        .iterator(chunk_size=CHUNK)
    )


# The import (tracker/imports/) reads these same columns back.
COMMITMENT_COLUMNS = [
    "reference",
    *COMMITMENT_SUMMARY,
    "url",
    "description",
    "event",
    "event_date",
    "delivering",
    "assignees",
    "parent",
    "review_cadence_days",
]


def commitment_rows(request, scope):
    today = timezone.localdate()
    for c in _commitments(scope):
        bound = c.commitment_parties.all()
        yield [
            c.reference,
            c.title,
            c.area.name,
            "; ".join(cp.party.name for cp in bound),
            c.owner.username if c.owner else "",
            c.current_status,
            STATUS_LABELS[c.current_status],
            c.current_progress,
            c.current_confidence,
            c.current_as_of,
            c.next_review_due,
            c.is_overdue(today),
            c.target_date,
            c.last_update_at,
            request.build_absolute_uri(c.get_absolute_url()),
            c.description,
            c.event.name if c.event else "",
            c.event.date if c.event else None,
            "; ".join(cp.party.name for cp in bound if cp.must_deliver),
            "; ".join(u.username for u in c.assignees.all()),
            c.parent.reference if c.parent else "",
            c.review_cadence_days,
        ]


@export
def commitments_csv(request, scope):
    return download(
        request,
        stream_csv(COMMITMENT_COLUMNS, commitment_rows(request, scope)),
        "text/csv; charset=utf-8",
        "commitments.csv",
    )


@export
def commitments_xlsx(request, scope):
    book = xlsx_file("Commitments", COMMITMENT_COLUMNS, commitment_rows(request, scope))
    return download(request, book, XLSX, "commitments.xlsx")


@export
def commitments_json(request, scope):
    today = timezone.localdate()
    encoder = DjangoJSONEncoder(ensure_ascii=False)

    def content():
        head = {
            "exported_at": timezone.localtime().isoformat(timespec="seconds"),
            "filters": {k: v for k, v in vars(scope).items() if v},
        }
        yield encoder.encode(head)[:-1] + ', "commitments": [\n'
        sep = ""
        for c in _commitments(scope):
            item = {
                "reference": c.reference,
                "title": c.title,
                "url": request.build_absolute_uri(c.get_absolute_url()),
                "area": c.area.name,
                "parties": [
                    {"name": cp.party.name, "must_deliver": cp.must_deliver}
                    for cp in c.commitment_parties.all()
                ],
                "owner": c.owner.username if c.owner else None,
                "status": c.current_status,
                "status_label": STATUS_LABELS[c.current_status],
                "progress": c.current_progress,
                "confidence": c.current_confidence or None,
                "as_of": c.current_as_of,
                "next_review_due": c.next_review_due,
                "overdue": c.is_overdue(today),
                "target_date": c.target_date,
                "last_update_at": c.last_update_at,
                "description": c.description,
                "event": {"name": c.event.name, "date": c.event.date} if c.event else None,
                "assignees": [u.username for u in c.assignees.all()],
                "parent": c.parent.reference if c.parent else None,
                "review_cadence_days": c.review_cadence_days,
            }
            yield sep + encoder.encode(item)
            sep = ",\n"
        yield "\n]}\n"

    return download(request, content(), "application/json", "commitments.json")


HISTORY_FIELDS = {
    # column: field, in the order of the file
    "update_id": "id",
    "commitment": "commitment__reference",
    "commitment_title": "commitment__title",
    "as_of": "as_of",
    "status": "status",
    "previous_status": "previous_status",
    "progress": "progress",
    "confidence": "confidence",
    "assessment": "assessment",
    "review_state": "review_state",
    "author": "author__username",
    "recorded_at": "created_at",
    "decided_by": "decided_by__username",
    "decided_at": "decided_at",
    "decision_comment": "decision_comment",
    "evidence_id": "evidence__id",
    "quote": "evidence__quote",
    "speaker": "evidence__speaker",
    "locator": "evidence__locator",
    # "verified" when the quote was found in the source's text (tracker/library/quotes.py).
    "verification": "verification",
    "paragraph": "evidence__paragraph",
    "source_sha256": "evidence__source_sha256",
    "source": "evidence__source__title",
    "source_kind": "evidence__source__kind",
    "source_publisher": "evidence__source__publisher",
    "source_url": "evidence__source__url",
    "source_published_on": "evidence__source__published_on",
}


def verification_label():
    return Case(
        When(evidence__id=None, then=Value("")),
        When(evidence__source_sha256="", then=Value("unverified")),
        default=Value("verified"),
    )


def history_rows(scope):
    return (
        StatusUpdate.objects.filter(*scope.conditions("commitment"))
        .annotate(verification=verification_label())
        .order_by("id", "evidence__id")
        .values_list(*HISTORY_FIELDS.values())
        .iterator(chunk_size=CHUNK)
    )


@export
def history_csv(request, scope):
    """Every status update, one line per piece of evidence (one line if it has none)."""
    rows = history_rows(scope)
    return download(
        request, stream_csv(list(HISTORY_FIELDS), rows), "text/csv; charset=utf-8", "history.csv"
    )


@export
def history_xlsx(request, scope):
    book = xlsx_file("History", list(HISTORY_FIELDS), history_rows(scope))
    return download(request, book, XLSX, "history.xlsx")


class UpdatesFeed(Feed):
    """Accepted status updates, newest first, for signed-in users with a role."""

    feed_type = Atom1Feed
    token_readable = True  # feed readers send a token in the address: ?token=ct_...
    title = "Commitment Tracker: status updates"
    subtitle = "Accepted status updates, newest first."
    limit = 50

    def __call__(self, request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if not has_role(request.user):
            deny(request, "role")
        scope, problems = export_scope(request)
        if problems:
            return refused(problems)
        request.feed_scope = scope
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request, *args, **kwargs):
        return request.feed_scope

    def link(self, scope):
        return reverse("dashboard")

    def items(self, scope):
        return (
            StatusUpdate.objects.accepted()
            .filter(*scope.conditions("commitment"))
            .select_related("commitment__area", "author", "decided_by")
            .order_by("-decided_at", "-id")[: self.limit]
        )

    def item_title(self, update):
        status = Status(update.status).label
        if update.changes_status:
            change = f"{Status(update.previous_status).label} → {status}"
        else:
            change = f"{status} (confirmed)"
        return f"{update.commitment.reference}: {change}"

    def item_description(self, update):
        return format_html(
            "<p>{}. As of {}.</p>{}",
            update.commitment.title,
            f"{update.as_of:%d %b %Y}",
            mark_safe(update.assessment_html),  # noqa: S308 - sanitised when written
        )

    def item_link(self, update):
        return update.get_absolute_url()

    def item_pubdate(self, update):
        return update.decided_at

    def item_updateddate(self, update):
        return update.decided_at

    def item_author_name(self, update):
        return display_name(update.author, missing="Imported")

    def item_categories(self, update):
        return [Status(update.status).label, update.commitment.area.name]
