"""Validate and load the structured seed file (seeds/*.yaml), idempotently.

Validation runs over the whole file before anything is written; the first problem is
reported as `file: entry: field: what is wrong`. Loading runs in one transaction and only
creates what is missing, so a second run changes nothing and never undoes later edits.
"""

import datetime as dt
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from . import services
from .library import extract
from .library import services as library
from .models import (
    Area,
    Commitment,
    CommitmentParty,
    Confidence,
    Direction,
    Event,
    Indicator,
    Measurement,
    Party,
    PartyKind,
    Qualifier,
    Source,
    SourceKind,
    Status,
)


class SeedError(Exception):
    def __init__(self, path, entry, field, problem):
        self.path, self.entry, self.field, self.problem = path, entry, field, problem
        super().__init__(f"{path}: {entry}: field '{field}': {problem}")


class _Checker:
    def __init__(self, path):
        self.path = path

    def fail(self, entry, field, problem):
        raise SeedError(self.path, entry, field, problem)

    def mapping(self, value, entry, field):
        if not isinstance(value, dict):
            self.fail(entry, field, f"expected a mapping, got {type(value).__name__}")
        return value

    def items(self, data, key, entry="file"):
        value = data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(entry, key, "expected a list")
        return value

    def entries(self, data, key, entry=None):
        """(entry name, mapping) for each item of the list `key`: "areas[0]", "... parties[1]"."""
        for i, item in enumerate(self.items(data, key, entry or "file")):
            name = f"{entry} {key}[{i}]" if entry else f"{key}[{i}]"
            self.mapping(item, name, "-")
            yield name, item

    def ref(self, item, field, table, entry, required=True):
        value = item.get(field)
        if value is None and not required:
            return None
        if value not in table:
            known = ", ".join(map(str, table))
            self.fail(entry, field, f"{value!r} is not defined (known: {known})")
        return value

    def text(self, data, field, entry, required=True, max_length=None):
        value = data.get(field)
        if value is None or value == "":
            if required:
                self.fail(entry, field, "is required")
            return ""
        if not isinstance(value, str):
            self.fail(entry, field, f"expected text, got {value!r}")
        value = " ".join(value.split()) if "\n" in value else value.strip()
        if max_length and len(value) > max_length:
            self.fail(entry, field, f"longer than {max_length} characters")
        return value

    def choice(self, data, field, entry, choices, required=True):
        value = data.get(field)
        if value in (None, "") and not required:
            return ""
        if value not in choices.values:
            allowed = ", ".join(v for v in choices.values if v)
            self.fail(entry, field, f"{value!r} is not one of: {allowed}")
        return value

    def date(self, data, field, entry):
        value = data.get(field)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                self.fail(entry, field, f"{value!r} is not a date (YYYY-MM-DD)")
        elif isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            self.fail(entry, field, f"{value!r} is not a date (YYYY-MM-DD)")
        if value > timezone.localdate():
            self.fail(entry, field, f"{value} is in the future")
        return value

    def number(self, data, field, entry, required=False):
        value = data.get(field)
        if value is None:
            if required:
                self.fail(entry, field, "is required")
            return None
        if isinstance(value, bool):
            self.fail(entry, field, f"{value!r} is not a number")
        try:
            return Decimal(str(value))
        except InvalidOperation:
            self.fail(entry, field, f"{value!r} is not a number")

    def boolean(self, data, field, entry, default):
        value = data.get(field, default)
        if not isinstance(value, bool):
            self.fail(entry, field, f"{value!r} is not true or false")
        return value


def read_seed(path):
    """Parse and validate a seed file into plain dicts; raises SeedError."""
    path = Path(path)
    check = _Checker(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        check.fail("file", "-", "file not found")
    except yaml.YAMLError as exc:
        check.fail("file", "-", f"not valid YAML ({exc})")
    check.mapping(raw, "file", "-")
    tables = {
        "areas": _read_areas(check, raw),
        "parties": _read_parties(check, raw),
        "events": _read_events(check, raw),
        "sources": _read_sources(check, raw),
        "documents": _read_documents(check, raw),
    }
    return {**tables, "commitments": _read_commitments(check, raw, tables)}


def _read_areas(check, raw):
    areas = {}
    for entry, item in check.entries(raw, "areas"):
        slug = check.text(item, "slug", entry, max_length=100)
        areas[slug] = {"name": check.text(item, "name", entry, max_length=100), "slug": slug}
    return areas


def _read_parties(check, raw):
    parties = {}
    for entry, item in check.entries(raw, "parties"):
        name = check.text(item, "name", entry, max_length=200)
        parties[name] = {
            "name": name,
            "short_name": check.text(item, "short_name", entry, required=False, max_length=50),
            "kind": check.choice(item, "kind", entry, PartyKind),
        }
    return parties


def _read_events(check, raw):
    return {
        check.text(item, "key", entry): {
            "name": check.text(item, "name", entry, max_length=300),
            "date": check.date(item, "date", entry),
            "place": check.text(item, "place", entry, required=False, max_length=200),
        }
        for entry, item in check.entries(raw, "events")
    }


def _read_sources(check, raw):
    sources = {}
    for entry, item in check.entries(raw, "sources"):
        url = check.text(item, "url", entry, required=False, max_length=1000)
        if url:
            try:
                URLValidator()(url)
            except ValidationError:
                check.fail(entry, "url", f"{url!r} is not a valid URL")
        sources[check.text(item, "key", entry)] = {
            "title": check.text(item, "title", entry, max_length=500),
            "kind": check.choice(item, "kind", entry, SourceKind),
            "publisher": check.text(item, "publisher", entry, required=False, max_length=200),
            "url": url,
            "published_on": check.date(item, "published_on", entry),
        }
    return sources


def _read_documents(check, raw):
    """{source key: the path of its document (beside the seed file), or None}."""
    documents = {}
    for entry, item in check.entries(raw, "sources"):
        name = check.text(item, "document", entry, required=False, max_length=255)
        if name and not (check.path.parent / name).is_file():
            check.fail(entry, "document", f"{name!r}: no such file beside the seed file")
        documents[check.text(item, "key", entry)] = check.path.parent / name if name else None
    return documents


def _read_commitments(check, raw, tables):
    commitments, references = [], set()
    for i, item in enumerate(check.items(raw, "commitments")):
        check.mapping(item, f"commitments[{i}]", "-")
        reference = check.text(item, "reference", f"commitments[{i}]", max_length=40)
        entry = f"commitments[{i}] ({reference})"
        if reference in references:
            check.fail(entry, "reference", "is used twice")
        references.add(reference)
        update = item.get("status_update")
        sources = tables["sources"]
        commitments.append(
            {
                "reference": reference,
                "title": check.text(item, "title", entry, max_length=300),
                "description": check.text(item, "description", entry, required=False),
                "area": check.ref(item, "area", tables["areas"], entry),
                "event": check.ref(item, "event", tables["events"], entry, required=False),
                "parties": [
                    {
                        "party": check.ref(bound, "party", tables["parties"], sub),
                        "must_deliver": check.boolean(bound, "must_deliver", sub, True),
                    }
                    for sub, bound in check.entries(item, "parties", entry)
                ],
                "status_update": None
                if update is None
                else _read_status_update(check, update, entry, sources, tables["parties"]),
                "indicators": [
                    _read_indicator(check, ind, sub, sources)
                    for sub, ind in check.entries(item, "indicators", entry)
                ],
            }
        )
    return commitments


def _read_status_update(check, update, entry, sources, parties):
    check.mapping(update, entry, "status_update")
    sub = f"{entry} status_update"
    progress = check.number(update, "progress", sub)
    if progress is not None and not (0 <= progress <= 100 and progress == int(progress)):
        check.fail(sub, "progress", f"{progress} is not a whole number from 0 to 100")
    status = check.choice(update, "status", sub, Status)
    evidence = [
        {
            "source": check.ref(ev, "source", sources, ev_entry),
            "quote": check.text(ev, "quote", ev_entry),
            "speaker": check.text(ev, "speaker", ev_entry, required=False, max_length=200),
            "speaker_party": check.ref(ev, "speaker_party", parties, ev_entry, required=False),
            "locator": check.text(ev, "locator", ev_entry, required=False, max_length=100),
        }
        for ev_entry, ev in check.entries(update, "evidence", sub)
    ]
    if status != Status.NOT_ASSESSED and not evidence:
        check.fail(sub, "evidence", "a status needs at least one piece of evidence")
    return {
        "status": status,
        "progress": int(progress) if progress is not None else None,
        "confidence": check.choice(update, "confidence", sub, Confidence),
        "assessment": check.text(update, "assessment", sub, required=False),
        "as_of": check.date(update, "as_of", sub),
        "evidence": evidence,
    }


def _read_indicator(check, ind, sub, sources):
    measurements = [
        {
            "value": check.number(m, "value", m_entry, required=True),
            "qualifier": check.choice(m, "qualifier", m_entry, Qualifier, required=False),
            "measured_on": check.date(m, "measured_on", m_entry),
            "source": check.ref(m, "source", sources, m_entry),
            "note": check.text(m, "note", m_entry, required=False, max_length=300),
        }
        for m_entry, m in check.entries(ind, "measurements", sub)
    ]
    return {
        "name": check.text(ind, "name", sub, max_length=200),
        "unit": check.text(ind, "unit", sub, required=False, max_length=50),
        "baseline": check.number(ind, "baseline", sub),
        "target": check.number(ind, "target", sub),
        "direction": check.choice(ind, "direction", sub, Direction),
        "measurements": measurements,
    }


@transaction.atomic
def load_seed(path):
    """Load a seed file; returns a dict of how many objects of each kind were created."""
    data = read_seed(path)
    created = Counter()
    tables = _load_tables(data, created)
    for item in data["commitments"]:
        _load_commitment(item, tables, created)
    kinds = ["areas", "parties", "events", "sources", "commitments", "status updates"]
    return {kind: created[kind] for kind in [*kinds, "indicators", "measurements"]}


def _load_tables(data, created):
    """Areas, parties, events and sources: {kind: {key in the file: object}}."""
    tables = {"areas": {}, "parties": {}, "events": {}, "sources": {}}
    lookups = {
        "areas": (Area, lambda key, fields: {"slug": key}),
        "parties": (Party, lambda key, fields: {"name": key}),
        "events": (Event, lambda key, fields: {"name": fields["name"], "date": fields["date"]}),
        "sources": (
            Source,
            lambda key, fields: {k: fields[k] for k in ("title", "kind", "publisher")},
        ),
    }
    for kind, (model, lookup) in lookups.items():
        for key, fields in data[kind].items():
            tables[kind][key], new = model.objects.get_or_create(
                **lookup(key, fields), defaults=fields
            )
            created[kind] += new
    for key, path in data["documents"].items():
        if path and not tables["sources"][key].has_text:
            _add_document(tables["sources"][key], path)
    return tables


def _add_document(source, path):
    """The seed document becomes the source's text (through the library, like an upload)."""
    raw = path.read_bytes()
    library.add_document(
        source=source,
        document=extract.extract(raw, path.name),
        upload=library.Upload(data=raw, name=path.name),
        user=None,
    )


def _load_commitment(item, tables, created):
    sources = tables["sources"]
    commitment, new = Commitment.objects.get_or_create(
        reference=item["reference"],
        defaults={
            "title": item["title"],
            "description": item["description"],
            "area": tables["areas"][item["area"]],
            "event": tables["events"].get(item["event"]),
        },
    )
    created["commitments"] += new
    for bound in item["parties"]:
        CommitmentParty.objects.get_or_create(
            commitment=commitment,
            party=tables["parties"][bound["party"]],
            defaults={"must_deliver": bound["must_deliver"]},
        )
    upd = item["status_update"]
    if upd and not commitment.status_updates.exists():
        services.record_status_update(
            commitment=commitment,
            author=None,
            status=upd["status"],
            progress=upd["progress"],
            confidence=upd["confidence"],
            assessment=upd["assessment"],
            as_of=upd["as_of"] or timezone.localdate(),
            evidence=[
                services.EvidenceItem(
                    source=sources[ev["source"]],
                    quote=ev["quote"],
                    speaker=ev["speaker"],
                    speaker_party=tables["parties"].get(ev["speaker_party"]),
                    locator=ev["locator"],
                )
                for ev in upd["evidence"]
            ],
        )
        created["status updates"] += 1
    for ind in item["indicators"]:
        fields = {k: v for k, v in ind.items() if k != "measurements"}
        indicator, new = Indicator.objects.get_or_create(
            commitment=commitment, name=ind["name"], defaults=fields
        )
        created["indicators"] += new
        for m in ind["measurements"]:
            _, new = Measurement.objects.get_or_create(
                indicator=indicator,
                value=m["value"],
                qualifier=m["qualifier"],
                measured_on=m["measured_on"],
                source=sources[m["source"]],
                defaults={"note": m["note"]},
            )
            created["measurements"] += new
