"""Small plain helpers to make test data (each returns a saved object), shared with bench/."""

import datetime as dt
import itertools

from django.contrib.auth.models import Group, User
from django.utils import timezone

from tracker import services
from tracker.models import (
    ANALYSTS,
    MANAGERS,
    Area,
    Commitment,
    CommitmentParty,
    Confidence,
    Indicator,
    Party,
    Source,
    Status,
)

_seq = itertools.count(1)

# The header an HTMX request carries, for django.test.Client's get/post.
HTMX = {"HTTP_HX_REQUEST": "true"}


def evidence_management(total=3, prefix="evidence"):
    """The management form of the evidence formset, for `total` forms."""
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "20",
    }


def signed_in(user, client=None):
    """A test client signed in as `user` (a new one unless given)."""
    from django.test import Client

    client = client or Client()
    client.force_login(user)
    return client


def make_user(username=None, group=None, **fields):
    username = username or f"user{next(_seq)}"
    user = User.objects.create_user(username=username, password="pw-for-tests-only", **fields)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def make_analyst(username=None, **fields):
    return make_user(username, ANALYSTS, **fields)


def make_manager(username=None, **fields):
    return make_user(username, MANAGERS, **fields)


def make_area(name=None):
    n = next(_seq)
    name = name or f"Area {n}"
    return Area.objects.get_or_create(slug=f"area-{n}", defaults={"name": name})[0]


def make_party(name=None, kind=Party.Kind.GOVERNMENT, short_name=""):
    name = name or f"Party {next(_seq)}"
    return Party.objects.get_or_create(
        name=name, defaults={"kind": kind, "short_name": short_name}
    )[0]


def make_source(title=None, **fields):
    return Source.objects.create(title=title or f"Source {next(_seq)}", **fields)


def make_document_source(title=None, *, text=None, data=None, filename="document.txt", user=None):
    """A source with its document in the library: `text` (plain) or `data` (a file's bytes)."""
    from tracker.library import extract
    from tracker.library import services as library

    data = data if data is not None else (text or f"Paragraph one of {title}.").encode()
    source = Source(title=title or f"Document {next(_seq)}")
    source, _ = library.add_document(
        source=source,
        document=extract.extract(data, filename),
        upload=library.Upload(data=data, name=filename),
        user=user,
    )
    return source


def make_commitment(reference=None, *, owner=None, area=None, parties=(), **fields):
    n = next(_seq)
    commitment = Commitment.objects.create(
        reference=reference or f"C-{n:04d}",
        title=fields.pop("title", f"Commitment {n}"),
        area=area or make_area(),
        owner=owner,
        **fields,
    )
    for party in parties:
        CommitmentParty.objects.create(commitment=commitment, party=party)
    return commitment


def record(
    commitment,
    *,
    author=None,
    status=Status.IN_PROGRESS,
    as_of=None,
    progress=None,
    confidence=Confidence.MODERATE,
    assessment="",
    quote="A verbatim quote.",
    source=None,
    accept_by=None,
    **kwargs,
):
    """Record a status update with one piece of evidence; optionally accept it at once."""
    evidence = [services.EvidenceItem(quote=quote, source=source or make_source())] if quote else []
    update, _ = services.record_status_update(
        commitment=commitment,
        author=author,
        status=status,
        confidence=confidence,
        as_of=as_of or timezone.localdate(),
        progress=progress,
        assessment=assessment,
        evidence=evidence,
        **kwargs,
    )
    if accept_by is not None and update.is_pending:
        update = services.accept_update(update=update, manager=accept_by)
    return update


def make_indicator(commitment, name=None, **fields):
    return Indicator.objects.create(
        commitment=commitment, name=name or f"Indicator {next(_seq)}", **fields
    )


def days_ago(n):
    return timezone.localdate() - dt.timedelta(days=n)


def make_notification(recipient, commitment, *, kind="status_changed", read=False, **fields):
    from tracker.notifications.models import Notification

    n = next(_seq)
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        event_key=fields.pop("event_key", f"test:{n}"),
        commitment=commitment,
        title=fields.pop("title", f"{commitment.reference}: notification {n}"),
        url=commitment.get_absolute_url(),
        read_at=timezone.now() if read else None,
        **fields,
    )


def edit_form_data(commitment, **changes):
    """The commitment edit form as a manager would post it unchanged, plus `changes`."""
    commitment.refresh_from_db()
    data = {
        "title": commitment.title,
        "description": commitment.description,
        "area": commitment.area_id,
        "event": commitment.event_id or "",
        "target_date": commitment.target_date.isoformat() if commitment.target_date else "",
        "review_cadence_days": commitment.review_cadence_days,
        "parent": commitment.parent_id or "",
        "assignees": [u.pk for u in commitment.assignees.all()],
        "version": commitment.version,
    }
    if commitment.owner_id:
        data["owner"] = commitment.owner_id
    data.update(changes)
    return data


def make_token(user, *, scope="read", days=30, name="Script"):
    """A saved personal access token; its secret (shown once) is `token.raw`."""
    from tracker.api.models import ApiToken

    token, raw = ApiToken.issue(
        user=user, name=name, scope=scope, expires_at=timezone.now() + dt.timedelta(days=days)
    )
    token.raw = raw
    return token


def make_pdf(pages):
    """A small valid PDF with a text layer: `pages` is a list of lists of lines (ASCII)."""

    def escape(line):
        return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, lines in enumerate(pages):
        body = "".join(f"({escape(line)}) Tj T* " for line in lines)
        stream = f"BT /F1 11 Tf 14 TL 72 760 Td {body}ET".encode() if lines else b""
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def make_docx(paragraphs, table=None):
    """A Word document with these paragraphs (and optionally a table of rows of cells)."""
    import io

    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
