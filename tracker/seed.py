"""Validate and load the structured seed file (seeds/*.yaml), idempotently.

Validation runs over the whole file before anything is written; the first problem is
reported as `file: entry: field: what is wrong`. Loading runs in one transaction and only
creates what is missing, so a second run changes nothing and never undoes later edits.
"""

import datetime as dt
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

    areas = {}
    for i, item in enumerate(check.items(raw, "areas")):
        entry = f"areas[{i}]"
        check.mapping(item, entry, "-")
        slug = check.text(item, "slug", entry, max_length=100)
        areas[slug] = {"name": check.text(item, "name", entry, max_length=100), "slug": slug}

    parties = {}
    for i, item in enumerate(check.items(raw, "parties")):
        entry = f"parties[{i}]"
        check.mapping(item, entry, "-")
        name = check.text(item, "name", entry, max_length=200)
        parties[name] = {
            "name": name,
            "short_name": check.text(item, "short_name", entry, required=False, max_length=50),
            "kind": check.choice(item, "kind", entry, PartyKind),
        }

    events = {}
    for i, item in enumerate(check.items(raw, "events")):
        entry = f"events[{i}]"
        check.mapping(item, entry, "-")
        events[check.text(item, "key", entry)] = {
            "name": check.text(item, "name", entry, max_length=300),
            "date": check.date(item, "date", entry),
            "place": check.text(item, "place", entry, required=False, max_length=200),
        }

    sources, documents = {}, {}
    for i, item in enumerate(check.items(raw, "sources")):
        entry = f"sources[{i}]"
        check.mapping(item, entry, "-")
        url = check.text(item, "url", entry, required=False, max_length=1000)
        if url:
            try:
                URLValidator()(url)
            except ValidationError:
                check.fail(entry, "url", f"{url!r} is not a valid URL")
        key = check.text(item, "key", entry)
        sources[key] = {
            "title": check.text(item, "title", entry, max_length=500),
            "kind": check.choice(item, "kind", entry, SourceKind),
            "publisher": check.text(item, "publisher", entry, required=False, max_length=200),
            "url": url,
            "published_on": check.date(item, "published_on", entry),
        }
        document = check.text(item, "document", entry, required=False, max_length=255)
        if document and not (path.parent / document).is_file():
            check.fail(entry, "document", f"{document!r}: no such file beside the seed file")
        documents[key] = path.parent / document if document else None

    def ref(item, field, table, entry, required=True):
        value = item.get(field)
        if value is None and not required:
            return None
        if value not in table:
            check.fail(
                entry, field, f"{value!r} is not defined (known: {', '.join(map(str, table))})"
            )
        return value

    commitments = []
    references = set()
    for i, item in enumerate(check.items(raw, "commitments")):
        check.mapping(item, f"commitments[{i}]", "-")
        reference = check.text(item, "reference", f"commitments[{i}]", max_length=40)
        entry = f"commitments[{i}] ({reference})"
        if reference in references:
            check.fail(entry, "reference", "is used twice")
        references.add(reference)
        commitment = {
            "reference": reference,
            "title": check.text(item, "title", entry, max_length=300),
            "description": check.text(item, "description", entry, required=False),
            "area": ref(item, "area", areas, entry),
            "event": ref(item, "event", events, entry, required=False),
            "parties": [],
            "status_update": None,
            "indicators": [],
        }
        for j, bound in enumerate(check.items(item, "parties", entry)):
            sub = f"{entry} parties[{j}]"
            check.mapping(bound, sub, "-")
            commitment["parties"].append(
                {
                    "party": ref(bound, "party", parties, sub),
                    "must_deliver": check.boolean(bound, "must_deliver", sub, True),
                }
            )
        if item.get("status_update") is not None:
            upd = check.mapping(item["status_update"], entry, "status_update")
            sub = f"{entry} status_update"
            progress = check.number(upd, "progress", sub)
            if progress is not None and not (0 <= progress <= 100 and progress == int(progress)):
                check.fail(sub, "progress", f"{progress} is not a whole number from 0 to 100")
            status = check.choice(upd, "status", sub, Status)
            evidence = []
            for k, ev in enumerate(check.items(upd, "evidence", sub)):
                ev_entry = f"{sub} evidence[{k}]"
                check.mapping(ev, ev_entry, "-")
                evidence.append(
                    {
                        "source": ref(ev, "source", sources, ev_entry),
                        "quote": check.text(ev, "quote", ev_entry),
                        "speaker": check.text(
                            ev, "speaker", ev_entry, required=False, max_length=200
                        ),
                        "speaker_party": ref(
                            ev, "speaker_party", parties, ev_entry, required=False
                        ),
                        "locator": check.text(
                            ev, "locator", ev_entry, required=False, max_length=100
                        ),
                    }
                )
            if status != Status.NOT_ASSESSED and not evidence:
                check.fail(sub, "evidence", "a status needs at least one piece of evidence")
            commitment["status_update"] = {
                "status": status,
                "progress": int(progress) if progress is not None else None,
                "confidence": check.choice(upd, "confidence", sub, Confidence),
                "assessment": check.text(upd, "assessment", sub, required=False),
                "as_of": check.date(upd, "as_of", sub),
                "evidence": evidence,
            }
        for j, ind in enumerate(check.items(item, "indicators", entry)):
            sub = f"{entry} indicators[{j}]"
            check.mapping(ind, sub, "-")
            measurements = []
            for k, m in enumerate(check.items(ind, "measurements", sub)):
                m_entry = f"{sub} measurements[{k}]"
                check.mapping(m, m_entry, "-")
                measurements.append(
                    {
                        "value": check.number(m, "value", m_entry, required=True),
                        "qualifier": check.choice(
                            m, "qualifier", m_entry, Qualifier, required=False
                        ),
                        "measured_on": check.date(m, "measured_on", m_entry),
                        "source": ref(m, "source", sources, m_entry),
                        "note": check.text(m, "note", m_entry, required=False, max_length=300),
                    }
                )
            commitment["indicators"].append(
                {
                    "name": check.text(ind, "name", sub, max_length=200),
                    "unit": check.text(ind, "unit", sub, required=False, max_length=50),
                    "baseline": check.number(ind, "baseline", sub),
                    "target": check.number(ind, "target", sub),
                    "direction": check.choice(ind, "direction", sub, Direction),
                    "measurements": measurements,
                }
            )
        commitments.append(commitment)

    return {
        "areas": areas,
        "parties": parties,
        "events": events,
        "sources": sources,
        "documents": documents,
        "commitments": commitments,
    }


def add_seed_document(source, path):
    raw = path.read_bytes()
    library.add_document(
        source=source,
        document=extract.extract(raw, path.name),
        upload=library.Upload(data=raw, name=path.name),
        user=None,
    )


@transaction.atomic
def load_seed(path):
    """Load a seed file; returns a dict of how many objects of each kind were created."""
    data = read_seed(path)
    created = dict.fromkeys(
        [
            "areas",
            "parties",
            "events",
            "sources",
            "commitments",
            "status updates",
            "indicators",
            "measurements",
        ],
        0,
    )

    def count(kind, was_created):
        created[kind] += int(was_created)

    areas = {}
    for slug, fields in data["areas"].items():
        areas[slug], new = Area.objects.get_or_create(slug=slug, defaults=fields)
        count("areas", new)
    parties = {}
    for name, fields in data["parties"].items():
        parties[name], new = Party.objects.get_or_create(name=name, defaults=fields)
        count("parties", new)
    events = {}
    for key, fields in data["events"].items():
        events[key], new = Event.objects.get_or_create(
            name=fields["name"], date=fields["date"], defaults=fields
        )
        count("events", new)
    sources = {}
    for key, fields in data["sources"].items():
        sources[key], new = Source.objects.get_or_create(
            title=fields["title"],
            kind=fields["kind"],
            publisher=fields["publisher"],
            defaults=fields,
        )
        count("sources", new)
        document = data["documents"].get(key)
        if document and not sources[key].has_text:
            add_seed_document(sources[key], document)

    for item in data["commitments"]:
        commitment, new = Commitment.objects.get_or_create(
            reference=item["reference"],
            defaults={
                "title": item["title"],
                "description": item["description"],
                "area": areas[item["area"]],
                "event": events.get(item["event"]),
            },
        )
        count("commitments", new)
        for bound in item["parties"]:
            CommitmentParty.objects.get_or_create(
                commitment=commitment,
                party=parties[bound["party"]],
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
                        speaker_party=parties.get(ev["speaker_party"]),
                        locator=ev["locator"],
                    )
                    for ev in upd["evidence"]
                ],
            )
            count("status updates", True)
        for ind in item["indicators"]:
            fields = {k: v for k, v in ind.items() if k != "measurements"}
            indicator, new = Indicator.objects.get_or_create(
                commitment=commitment, name=ind["name"], defaults=fields
            )
            count("indicators", new)
            for m in ind["measurements"]:
                _, new = Measurement.objects.get_or_create(
                    indicator=indicator,
                    value=m["value"],
                    qualifier=m["qualifier"],
                    measured_on=m["measured_on"],
                    source=sources[m["source"]],
                    defaults={"note": m["note"]},
                )
                count("measurements", new)
    return created
