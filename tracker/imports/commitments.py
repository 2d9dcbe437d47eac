"""Commitments from a file in the columns of /export/commitments.csv: create or update by reference.

Only the columns present are compared and written, so a file with `reference` and `title` only
changes titles. The export's derived columns (status, progress…, url) are read for nothing:
a status changes through a status update (the history file), never here.
"""

from django.conf import settings
from django.db.models import Prefetch

from .. import limits, services
from ..models import ANALYSTS, Area, Commitment, CommitmentParty, Event, Party
from ..new_commitment import valid_reference
from ..views.exports import COMMITMENT_COLUMNS
from . import values as v
from .base import CREATE, UNCHANGED, UPDATE, Importer, columns_except

SCALAR_COLUMNS = [
    # column: the model field it is written to
    "title",
    "description",
    "area",
    "event",
    "owner",
    "parent",
    "target_date",
    "review_cadence_days",
]
DERIVED_CHECKED = {"status": "current_status", "progress": "current_progress"}


class Lookups:
    """The small tables an import refers to by name, read once per import."""

    def __init__(self):
        self.areas = {a.name.lower(): a for a in Area.objects.all()}
        self.parties = {}
        for party in Party.objects.all():
            self.parties.setdefault(party.name.lower(), party)
            if party.short_name:
                self.parties.setdefault(party.short_name.lower(), party)
        self.events = {(e.name.lower(), e.date): e for e in Event.objects.all()}
        from django.contrib.auth.models import User

        self.analysts = {
            u.username: u for u in User.objects.filter(groups__name=ANALYSTS).distinct()
        }


def display(value):
    if value is None or value == "":
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(display(x) for x in value)
    if hasattr(value, "username"):
        return value.username
    if isinstance(value, Commitment | ParentRef):
        return value.reference
    if isinstance(value, Event):
        return value.name
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class CommitmentImporter(Importer):
    kind = "commitments"
    label = "commitments"
    key_column = "reference"
    required = ("reference",)
    # The export's derived columns are read for nothing; every other one is imported.
    ignored = ("status", "status_label", "progress", "confidence", "as_of", "next_review_due",
               "overdue", "last_update_at", "url")  # fmt: skip
    imported = columns_except(COMMITMENT_COLUMNS, *required, *ignored)

    def __init__(self, header, *, user):
        super().__init__(header, user=user)
        self.lookups = Lookups()
        self.seen = {}  # reference -> row, for duplicates
        self.planned = set()  # references this file creates, possible parents of later rows
        self.parent_of = dict(Commitment.objects.exclude(parent=None).values_list("pk", "parent"))

    def prepare(self, batch):
        """The batch's commitments (and parents) by reference, in three queries."""
        references = self.keys(batch, "reference", lambda x: v.text(x, limit=40))
        parents = self.keys(batch, "parent", lambda x: v.text(x, limit=40))
        bound = CommitmentParty.objects.select_related("party")
        found = (
            Commitment.objects.select_related("area", "event", "owner", "parent")
            .prefetch_related(Prefetch("commitment_parties", queryset=bound), "assignees")
            .filter(reference__in=references)
        )
        self.batch = {c.reference: c for c in found}
        self.parents = dict(
            Commitment.objects.filter(reference__in=parents - self.batch.keys()).values_list(
                "reference", "pk"
            )
        ) | {ref: c.pk for ref, c in self.batch.items()}

    def existing(self, reference):
        """Read before the batch's writes: a reference is written once per file, at its row."""
        return self.batch.get(reference)

    def check(self, cells, result):
        reference = cells.parse("reference", v.text, limit=40, required=True)
        if not reference:
            return
        result.key = reference
        if reference in self.seen:
            result.error("reference", f"{reference} is also on row {self.seen[reference]}")
            return
        self.seen[reference] = result.row
        commitment = self.existing(reference)
        if commitment is None and not valid_reference(reference):
            result.error(
                "reference",
                f"{v.shown(reference)} may hold only letters, digits, . _ and - (and not “new”)",
            )
        wanted = self.parse_fields(cells, result, commitment)
        parties = self.parse_parties(cells, result, commitment)
        assignees = self.parse_users(cells, result, "assignees") if cells.has("assignees") else None
        if result.errors:
            return
        if commitment is None:
            for column in ("title", "area"):
                if not wanted.get(column):
                    result.error(column, "a new commitment needs one")
            if result.errors:
                return
            result.action = CREATE
            self.planned.add(reference)
            result.changes = [[name, "", display(value)] for name, value in wanted.items() if value]
            if parties:
                result.changes.append(["parties", "", party_text(parties)])
            if assignees:
                result.changes.append(["assignees", "", display(assignees)])
            result.plan = (commitment, wanted, parties, assignees)
        else:
            self.warn_derived(cells, result, commitment)
            self.diff(result, commitment, wanted, parties, assignees)

    def diff(self, result, commitment, wanted, parties, assignees):
        for name in list(wanted):
            before = getattr(commitment, name)
            if _same(before, wanted[name]):
                del wanted[name]
            else:
                result.changes.append([name, display(before), display(wanted[name])])
        if parties is not None:
            bound = [(cp.party, cp.must_deliver) for cp in commitment.commitment_parties.all()]
            if sorted((p.pk, m) for p, m in bound) == sorted((p.pk, m) for p, m in parties):
                parties = None
            else:
                result.changes.append(["parties", party_text(bound), party_text(parties)])
        if assignees is not None:
            current = list(commitment.assignees.all())
            if {u.pk for u in current} == {u.pk for u in assignees}:
                assignees = None
            else:
                result.changes.append(["assignees", display(current), display(assignees)])
        result.action = UPDATE if result.changes else UNCHANGED
        result.plan = (commitment, wanted, parties, assignees)

    def parse_fields(self, cells, result, commitment):
        wanted = {}
        if cells.has("title"):
            wanted["title"] = cells.parse("title", v.text, limit=300, required=True)
        if cells.has("description"):
            wanted["description"] = cells.parse(
                "description", v.text, limit=limits.DESCRIPTION, multiline=True
            )
        if cells.has("area"):
            wanted["area"] = self.named(cells, "area", self.lookups.areas, "area", required=True)
        if cells.has("event"):
            wanted["event"] = self.parse_event(cells, result)
        if cells.has("owner"):
            owner = self.parse_users(cells, result, "owner")
            if owner is not None and len(owner) > 1:
                result.error("owner", "name one analyst (the responsible one)")
            wanted["owner"] = owner[0] if owner else None
        if cells.has("parent"):
            wanted["parent"] = self.parse_parent(cells, result, commitment)
        if cells.has("target_date"):
            wanted["target_date"] = cells.parse("target_date", v.date)
        if cells.has("review_cadence_days"):
            days = cells.parse("review_cadence_days", v.integer, low=1, high=3650)
            wanted["review_cadence_days"] = days or settings.TRACKER_DEFAULT_REVIEW_CADENCE_DAYS
        return wanted

    def named(self, cells, column, table, what, required=False):
        name = cells.parse(column, v.text, limit=300, required=required)
        if not name:
            return None
        found = table.get(name.lower())
        if found is None:
            known = ", ".join(sorted(str(x) for x in set(table.values()))[:12])
            cells.result.error(column, f"there is no {what} {v.shown(name)} (known: {known})")
        return found

    def parse_event(self, cells, result):
        name = cells.parse("event", v.text, limit=300)
        day = cells.parse("event_date", v.date) if cells.has("event_date") else None
        if not name:
            return None
        event = self.lookups.events.get((name.lower(), day))
        if event is None:
            when = f" on {day:%Y-%m-%d}" if day else " without a date"
            result.error("event", f"there is no event {v.shown(name)}{when}")
        return event

    def parse_users(self, cells, result, column):
        users = []
        for username in v.names(cells.raw(column)):
            user = self.lookups.analysts.get(username)
            if user is None:
                result.error(column, f"{v.shown(username)} is not the username of an analyst")
            else:
                users.append(user)
        return users

    def parse_parent(self, cells, result, commitment):
        reference = cells.parse("parent", v.text, limit=40)
        if not reference:
            return None
        parent_pk = self.parents.get(reference)
        if parent_pk is None and reference in self.planned:
            return reference  # created by an earlier row: found when this one is written
        if parent_pk is None:
            result.error("parent", f"there is no commitment {v.shown(reference)}")
            return None
        if commitment is not None and self.makes_cycle(commitment.pk, parent_pk):
            result.error("parent", f"{reference} is {commitment.reference} or part of it")
        return ParentRef(parent_pk, reference)

    def makes_cycle(self, pk, parent_pk):
        seen = set()
        while parent_pk is not None and parent_pk not in seen:
            if parent_pk == pk:
                return True
            seen.add(parent_pk)
            parent_pk = self.parent_of.get(parent_pk)
        return False

    def parse_parties(self, cells, result, commitment):
        if not (cells.has("parties") or cells.has("delivering")):
            return None
        if cells.has("parties"):
            names = v.names(cells.raw("parties"))
        else:
            names = (
                [cp.party.name for cp in commitment.commitment_parties.all()] if commitment else []
            )
        current = (
            {cp.party_id: cp.must_deliver for cp in commitment.commitment_parties.all()}
            if (commitment)
            else {}
        )
        # An empty (or absent) `delivering` leaves who must deliver as it is; new parties must.
        delivering = {n.lower() for n in v.names(cells.raw("delivering"))} or None
        parties, found = [], set()
        for name in names:
            party = self.lookups.parties.get(name.lower())
            if party is None:
                result.error("parties", f"there is no party {v.shown(name)}")
                continue
            if party.pk in found:
                continue
            found.add(party.pk)
            if delivering is None:
                must = current.get(party.pk, True)
            else:
                must = name.lower() in delivering or party.name.lower() in delivering
            parties.append((party, must))
        if delivering:
            names_found = {p.name.lower() for p, _ in parties} | {
                (p.short_name or p.name).lower() for p, _ in parties
            }
            for name in sorted(delivering - names_found - {n.lower() for n in names}):
                result.error("delivering", f"{v.shown(name)} is not one of the parties bound")
        return parties

    def warn_derived(self, cells, result, commitment):
        for column, field in DERIVED_CHECKED.items():
            if not cells.has(column):
                continue
            raw = str(cells.raw(column)).strip().lower()
            current = getattr(commitment, field)
            known = {display(current).lower()}
            if column == "status":
                known.add(commitment.status.label.lower())
            if raw and raw not in known:
                stays = display(current) or "empty"
                result.warnings.append(
                    [column, f"is not imported (it stays {stays}): record a status update"]
                )

    def write(self, result):
        commitment, wanted, parties, assignees = result.plan
        if result.action == UNCHANGED:
            return
        parent = wanted.get("parent")
        if isinstance(parent, str):  # created by an earlier row of this file
            wanted["parent"] = Commitment.objects.only("id").get(reference=parent)
        elif isinstance(parent, ParentRef):
            wanted["parent"] = Commitment(pk=parent.pk, reference=parent.reference)
        if commitment is None:
            saved = services.create_commitment(
                creator=self.user,
                fields={"reference": result.key, **wanted},
                parties=parties or (),
                assignees=assignees or (),
                via="import",
            )
        else:
            changes = wanted | ({"assignees": assignees} if assignees is not None else {})
            saved = services.change_commitment(
                commitment=commitment,
                editor=self.user,
                changes=changes,
                parties=parties,
                # As read when the row was checked: a change by someone since is refused.
                expected_version=commitment.version,
            )
        if "parent" in wanted:
            self.parent_of[saved.pk] = saved.parent_id


class ParentRef:
    """A parent commitment known by its key and reference (enough to compare and write)."""

    def __init__(self, pk, reference):
        self.pk, self.reference = pk, reference

    def __str__(self):
        return self.reference


def party_text(parties):
    return "; ".join(p.name + ("" if must else " (bound, not delivering)") for p, must in parties)


def _same(before, after):
    if hasattr(before, "pk") or hasattr(after, "pk"):
        return getattr(before, "pk", None) == getattr(after, "pk", None)
    if isinstance(before, str) and isinstance(after, str):
        return before.replace("\r\n", "\n") == after.replace("\r\n", "\n")
    return before == after
