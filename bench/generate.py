"""The benchmark's data set: ten years of a tracker's life, generated fast and deterministically.

Rows are written directly, in big batches (executemany / bulk_create) inside transactions:
going through services.record_status_update() once per update would take hours. The derived
data (each commitment's current_* fields and next review date, its status periods, each
update's previous status) is computed in memory with the functions the services use
(services.official_key, services.compute_periods, tracker/derived.py), so it is what the
services would have written had every update gone through them.
"""

import bisect
import datetime as dt
import itertools
import random
import time
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from tracker import derived, services
from tracker.dashboard import days, tallies
from tracker.markup import render_markdown
from tracker.models import (
    ANALYSTS,
    MANAGERS,
    Area,
    Commitment,
    CommitmentParty,
    Confidence,
    Direction,
    Event,
    Evidence,
    Indicator,
    Measurement,
    Party,
    ReviewState,
    Source,
    SourceKind,
    Status,
    StatusPeriod,
    StatusUpdate,
)
from tracker.search import index as search_index

YEARS = 10
BATCH = 50_000
# The commitment page is measured on one commitment with this many updates.
HOT_UPDATES = 1_000

AREAS = [
    "Military communications",
    "Counternarcotics",
    "Climate and energy",
    "Trade and market access",
    "Artificial intelligence",
    "Public health",
    "People-to-people exchange",
    "Export controls",
    "Maritime security",
    "Agriculture and food security",
    "Cyber security",
    "Financial stability",
]
AREA_CODES = ["MIL", "CN", "CLI", "TRD", "AI", "HLT", "PPL", "EXC", "MAR", "AGR", "CYB", "FIN"]
PARTIES = [
    ("United States of America", "US", "government"),
    ("People's Republic of China", "PRC", "government"),
    ("European Union", "EU", "organization"),
    ("United Kingdom", "UK", "government"),
    ("Japan", "JP", "government"),
    ("Republic of Korea", "ROK", "government"),
    ("India", "IN", "government"),
    ("Brazil", "BR", "government"),
    ("Mexico", "MX", "government"),
    ("Canada", "CA", "government"),
    ("Australia", "AU", "government"),
    ("Indonesia", "ID", "government"),
    ("South Africa", "ZA", "government"),
    ("Nigeria", "NG", "government"),
    ("Germany", "DE", "government"),
    ("France", "FR", "government"),
    ("Viet Nam", "VN", "government"),
    ("Philippines", "PH", "government"),
    ("Türkiye", "TR", "government"),
    ("Saudi Arabia", "SA", "government"),
    ("United Nations", "UN", "organization"),
    ("World Health Organization", "WHO", "organization"),
    ("World Trade Organization", "WTO", "organization"),
    ("Association of Southeast Asian Nations", "ASEAN", "organization"),
    ("African Union", "AU-ORG", "organization"),
    ("G20", "G20", "coalition"),
    ("Global Coalition to Address Synthetic Drug Threats", "GCSDT", "coalition"),
    ("Quad", "QUAD", "coalition"),
    ("APEC economies", "APEC", "coalition"),
    ("Pacific Islands Forum", "PIF", "organization"),
]
VERBS = [
    "Establish",
    "Expand",
    "Strengthen",
    "Resume",
    "Reduce",
    "Curb",
    "Launch",
    "Coordinate",
    "Fund",
    "Increase",
    "Share data on",
    "Hold regular talks on",
    "Set up a working group on",
    "Restore",
    "Publish a joint plan on",
]
OBJECTS = [
    "military-to-military communications",
    "fentanyl precursor controls",
    "methane emissions",
    "renewable energy deployment",
    "agricultural market access",
    "AI safety research",
    "pandemic preparedness",
    "student exchanges",
    "export licensing",
    "maritime incident hotlines",
    "food security reserves",
    "critical infrastructure protection",
    "debt relief for low-income countries",
    "customs cooperation",
    "coal power phase-down",
    "vaccine manufacturing",
    "journalist visas",
    "semiconductor supply chains",
    "fisheries enforcement",
    "anti-money-laundering rules",
    "clean transport corridors",
    "nuclear risk reduction",
    "wildlife trafficking enforcement",
    "forest protection",
]
QUALIFIERS = [
    "",
    "by the end of the year",
    "within two years",
    "through a joint commission",
    "with annual reporting",
    "at ministerial level",
    "in the region",
    "with independent verification",
]
FIRST = [
    "Alex",
    "Sam",
    "Priya",
    "Chen",
    "Fatima",
    "Jonas",
    "Maria",
    "Kwame",
    "Yuki",
    "Olga",
    "Diego",
    "Amara",
    "Lena",
    "Omar",
    "Grace",
    "Ivan",
    "Nadia",
    "Tom",
    "Aisha",
    "Ben",
]
LAST = [
    "Smith",
    "Garcia",
    "Nakamura",
    "Okafor",
    "Müller",
    "Dubois",
    "Kowalski",
    "Singh",
    "Wang",
    "Haddad",
    "Silva",
    "Jensen",
    "Mensah",
    "Rossi",
    "Petrov",
]
PUBLISHERS = [
    "Ministry of Foreign Affairs",
    "The White House",
    "State Council Information Office",
    "Reuters",
    "Associated Press",
    "Financial Times",
    "Xinhua",
    "UN News",
    "European Commission",
    "Department of Commerce",
    "",
]
SENTENCES = [
    "Officials confirmed that the working group met as planned",
    "No public statement has been made since the last review",
    "The ministry published implementing regulations",
    "Funding was announced but has not yet been disbursed",
    "Both sides described the talks as constructive",
    "Independent monitors report slower progress than announced",
    "The joint plan was delayed pending a cabinet decision",
    "Customs data show a measurable decline",
    "A second round of exchanges took place",
    "The hotline was tested and worked",
    "Parliament has not yet approved the budget line",
    "Observers note contradictory statements from officials",
    "The agreement was signed at ministerial level",
    "Implementation is on track according to the annual report",
    "Key staff were reassigned and meetings were cancelled",
]
EVENT_KINDS = ["Summit", "Ministerial meeting", "Leaders call", "Dialogue"]
SOURCE_KINDS = ["Readout", "Statement", "Report", "Briefing", "Article"]
INDICATORS = [
    "Countries joined",
    "Tonnes seized",
    "Meetings held",
    "Funding disbursed",
    "Emissions",
]
STATUS_SEQUENCE = {
    # From an open status to the next one: mostly stays, usually in progress.
    Status.NOT_STARTED: [(Status.NOT_STARTED, 80), (Status.IN_PROGRESS, 18), (Status.STALLED, 2)],
    Status.IN_PROGRESS: [
        (Status.IN_PROGRESS, 93),
        (Status.AT_RISK, 4),
        (Status.STALLED, 1),
        (Status.PARTIALLY_FULFILLED, 2),
    ],
    Status.AT_RISK: [
        (Status.AT_RISK, 80),
        (Status.IN_PROGRESS, 14),
        (Status.STALLED, 5),
        (Status.PARTIALLY_FULFILLED, 1),
    ],
    Status.STALLED: [(Status.STALLED, 85), (Status.AT_RISK, 8), (Status.IN_PROGRESS, 7)],
    Status.PARTIALLY_FULFILLED: [
        (Status.PARTIALLY_FULFILLED, 92),
        (Status.IN_PROGRESS, 4),
        (Status.AT_RISK, 4),
    ],
}
NEXT_STATUS = {
    status: ([s for s, _ in options], list(itertools.accumulate(w for _, w in options)))
    for status, options in STATUS_SEQUENCE.items()
}


class Update:
    """A status update in memory. Has what services.compute_periods and official_key read."""

    __slots__ = (
        "pk",
        "commitment_id",
        "status",
        "previous_status",
        "progress",
        "confidence",
        "assessment",
        "as_of",
        "author_id",
        "created_at",
        "review_state",
        "decided_by_id",
        "decided_at",
        "decision_comment",
        "revises",
        "evidence",
    )

    def __init__(self, **fields):
        for name in self.__slots__:
            setattr(self, name, fields.get(name))


class Generator:
    def __init__(self, *, commitments, updates, seed, log=print):
        self.n_commitments = commitments
        self.n_updates = updates
        self.rng = random.Random(seed)
        self.log = log
        self.started = time.monotonic()
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.first_day = self.today - dt.timedelta(days=round(365.25 * YEARS))
        self.tz = timezone.get_current_timezone()

    def say(self, message):
        self.log(f"[{time.monotonic() - self.started:6.1f} s] {message}")

    # Helpers

    def moment(self, day):
        """A working-hours moment on `day`, never in the future."""
        rng = self.rng
        at = dt.datetime.combine(
            day,
            dt.time(
                rng.randint(7, 18), rng.randint(0, 59), rng.randint(0, 59), rng.randrange(10**6)
            ),
            tzinfo=self.tz,
        )
        # Drawn either way, so that the clock does not shift the random sequence.
        earlier = dt.timedelta(seconds=rng.randint(1, 3600))
        return at if at < self.now else self.now - earlier

    def day(self, offset):
        return self.first_day + dt.timedelta(days=offset)

    # Stages

    def run(self):
        self.say(
            f"generating {self.n_commitments:,} commitments and {self.n_updates:,} status "
            f"updates over {YEARS} years (to {self.today}) into {connection.settings_dict['NAME']}"
        )
        # The search index is filled in bulk at the end, not row by row by its triggers.
        search_index.drop()
        self.make_people()
        self.make_reference_data()
        self.plan_commitments()
        self.plan_updates()
        self.derive()
        self.write_commitments()
        self.write_updates()
        self.write_indicators()
        self.reset_sequences()
        search_index.install()
        self.say("filled the search index")
        tallies.rebuild()  # the dashboard's kept counts, folded into one row each
        days.forget()  # the past days kept: bench/all.py's prepare fills them
        self.say("done")
        return {
            "commitments": len(self.commitments),
            "updates": len(self.updates),
            "evidence": self.evidence_count,
            "periods": self.period_count,
        }

    def make_people(self):
        rng = self.rng
        password = make_password(None)  # Unusable: the benchmark signs in with force_login.
        names = [(f, last) for last in LAST for f in FIRST]
        rng.shuffle(names)

        def user(username, first, last, **extra):
            return User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@example.org",
                password=password,
                **extra,
            )

        analysts = [user(f"analyst{i:02d}", *names[i]) for i in range(1, 51)]
        managers = [user(f"manager{i}", *names[100 + i]) for i in range(1, 6)]
        admin = user("admin", "Ada", "Admin", is_staff=True, is_superuser=True)
        with transaction.atomic():
            User.objects.bulk_create([*analysts, *managers, admin])
            analyst_group = Group.objects.get(name=ANALYSTS)
            manager_group = Group.objects.get(name=MANAGERS)
            Through = User.groups.through
            Through.objects.bulk_create(
                [Through(user_id=u.pk, group_id=analyst_group.pk) for u in analysts]
                + [Through(user_id=u.pk, group_id=manager_group.pk) for u in managers]
            )
        self.analysts = [u.pk for u in analysts]
        self.managers = [u.pk for u in managers]
        self.say(f"users: {len(analysts)} analysts, {len(managers)} managers, 1 admin")

    def make_reference_data(self):
        rng = self.rng
        span = (self.today - self.first_day).days
        with transaction.atomic():
            areas = Area.objects.bulk_create(
                Area(name=name, slug=code.lower())
                for name, code in zip(AREAS, AREA_CODES, strict=True)
            )
            parties = Party.objects.bulk_create(
                Party(name=name, short_name=short, kind=kind) for name, short, kind in PARTIES
            )
            n_events = max(5, self.n_commitments // 30)
            event_days = sorted(rng.randrange(span) for _ in range(n_events))
            events = Event.objects.bulk_create(
                Event(
                    name=f"{rng.choice(EVENT_KINDS)} on {rng.choice(OBJECTS)} #{i + 1}",
                    date=self.day(d),
                    place=rng.choice(
                        ["Geneva", "Jakarta", "San Francisco", "Beijing", "Nairobi", ""]
                    ),
                )
                for i, d in enumerate(event_days)
            )
            n_sources = max(50, self.n_updates // 30)
            source_days = sorted(rng.randrange(span) for _ in range(n_sources))
            sources = []
            for i, d in enumerate(source_days):
                publisher = rng.choice(PUBLISHERS)
                published = self.day(d)
                sources.append(
                    Source(
                        title=f"{rng.choice(SOURCE_KINDS)}: {rng.choice(OBJECTS)} ({i + 1})",
                        kind=rng.choice(SourceKind.values),
                        publisher=publisher,
                        url=f"https://example.org/docs/{i + 1}" if rng.random() < 0.7 else "",
                        published_on=published if rng.random() < 0.9 else None,
                        created_at=self.moment(
                            min(self.today, published + dt.timedelta(days=rng.randint(0, 3)))
                        ),
                    )
                )
            sources = Source.objects.bulk_create(sources, batch_size=5_000)
        self.areas = [a.pk for a in areas]
        self.parties = [p.pk for p in parties]
        self.events = [e.pk for e in events]
        self.event_days = event_days
        self.sources = [s.pk for s in sources]
        self.source_days = source_days
        self.quotes = [
            f"“{rng.choice(SENTENCES)}; {rng.choice(SENTENCES).lower()}, and work on "
            f"{rng.choice(OBJECTS)} will continue {rng.choice(QUALIFIERS) or 'as agreed'}.”"
            for _ in range(5_000)
        ]
        self.assessments = [
            ". ".join(rng.sample(SENTENCES, rng.randint(1, 3))) + "." for _ in range(3_000)
        ]
        self.speakers = [
            f"{rng.choice(['Minister', 'Spokesperson', 'Ambassador', 'Director'])} "
            f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            for _ in range(300)
        ]
        self.say(
            f"reference data: {len(areas)} areas, {len(parties)} parties, {len(events)} events, "
            f"{len(sources):,} sources"
        )

    def plan_commitments(self):
        rng = self.rng
        n = self.n_commitments
        last_day = (self.today - self.first_day).days
        self.commitments = []
        for i in range(n):
            # The first commitment gets HOT_UPDATES updates: tracked from day one.
            start = 0 if i == 0 else int((last_day - 30) * rng.random() ** 1.3)
            area = rng.randrange(len(self.areas))
            year = self.day(start).year
            parent = None
            if i > 2 and rng.random() < 0.15:
                parent = self.commitments[rng.randrange(i // 2)]
                if parent["parent_id"] is None:
                    area = parent["area_index"]
                    start = max(start, parent["start"])
                else:
                    parent = None
            event_index = bisect.bisect_right(self.event_days, start) - 1 - rng.randint(0, 2)
            owner = rng.choice(self.analysts)
            self.commitments.append(
                {
                    "id": i + 1,
                    "reference": f"{AREA_CODES[area]}-{year}-{i + 1:05d}",
                    "title": " ".join(
                        [rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(QUALIFIERS)]
                    ).strip(),
                    "description": ". ".join(rng.sample(SENTENCES, 2)) + ".",
                    "area_index": area,
                    "area_id": self.areas[area],
                    "event_id": self.events[event_index] if event_index >= 0 else None,
                    "owner_id": owner,
                    "assignees": rng.sample(
                        [a for a in self.analysts if a != owner], rng.choice([1, 1, 2])
                    )
                    if rng.random() < 0.25
                    else [],
                    "parties": rng.sample(self.parties, rng.choice([1, 2, 2, 3])),
                    "parent_id": parent["id"] if parent else None,
                    "start": start,
                    "created_at": self.moment(self.day(start)),
                    "target_date": self.day(start) + dt.timedelta(days=rng.randint(365, 5 * 365)),
                    "review_cadence_days": rng.choice([14, 30, 30, 30, 60, 90]),
                }
            )
        # How many updates each commitment gets: more for those tracked longer, varying cadence.
        hot = min(HOT_UPDATES, max(1, self.n_updates // 5))
        weights = [0.0] + [
            (last_day - c["start"]) * rng.lognormvariate(0, 0.5) * (rng.random() > 0.01)
            for c in self.commitments[1:]
        ]
        rest = self.n_updates - hot
        total = sum(weights) or 1.0
        counts = [hot] + [min(hot - 1, int(rest * w / total)) for w in weights[1:]]
        # Hand out what rounding and the cap left, to the commitments with room.
        short = self.n_updates - sum(counts)
        room = [i for i in range(1, n) if weights[i] and counts[i] < hot - 1]
        while short > 0 and room:
            for i in list(room):
                if short == 0:
                    break
                if counts[i] < hot - 1:
                    counts[i] += 1
                    short -= 1
                else:
                    room.remove(i)
        for c, count in zip(self.commitments, counts, strict=True):
            c["n_updates"] = count
        children = sum(1 for c in self.commitments if c["parent_id"])
        self.say(f"planned {n:,} commitments ({children:,} sub-commitments)")

    def plan_updates(self):
        rng = self.rng
        last_day = (self.today - self.first_day).days
        self.updates = []
        for c in self.commitments:
            n = c["n_updates"]
            if not n:
                continue
            fate = rng.random()
            closing = Status.FULFILLED if fate < 0.18 else Status.BROKEN if fate < 0.30 else None
            if closing:
                end = rng.randint(c["start"] + (last_day - c["start"]) * 2 // 5, last_day)
            elif rng.random() < 0.10:
                end = max(c["start"], last_day - rng.randint(60, 400))  # Neglected lately.
            else:
                end = last_day - rng.randint(0, 10)
            end = max(end, c["start"])
            gap = (end - c["start"]) / n
            closing_from = n - max(1, int(n * rng.uniform(0.02, 0.1))) if closing else n
            status = Status.NOT_STARTED if rng.random() < 0.4 else Status.IN_PROGRESS
            progress = 0 if status == Status.NOT_STARTED else rng.randint(5, 30)
            authors = [c["owner_id"], *c["assignees"]]
            returned = None
            previous_day = c["start"]
            for k in range(n):
                day = c["start"] + int(gap * (k + rng.random()))
                if k and rng.random() < 0.015:
                    # A late observation: as of a date before the previous update's.
                    day = max(c["start"], previous_day - rng.randint(1, 30))
                day = min(day, last_day)
                previous_day = max(previous_day, day)
                if k >= closing_from:
                    status = closing
                elif k:
                    names, cumulative = NEXT_STATUS[status]
                    status = names[bisect.bisect(cumulative, rng.random() * cumulative[-1])]
                if status == Status.FULFILLED:
                    progress = 100
                elif status in (Status.IN_PROGRESS, Status.PARTIALLY_FULFILLED):
                    progress = min(95, (progress or 0) + rng.randint(0, 2))
                as_of = self.day(day)
                created = self.moment(as_of + dt.timedelta(days=rng.choice([0, 0, 0, 1, 1, 2, 3])))
                as_of = min(as_of, timezone.localdate(created))
                # Most updates are reviewed within a day or two, some wait a week or more.
                wait = (
                    rng.expovariate(1 / 1440) if rng.random() < 0.85 else rng.expovariate(1 / 11520)
                )
                decided = created + dt.timedelta(minutes=int(wait) + 5)
                author = rng.choice(authors) if rng.random() < 0.25 else c["owner_id"]
                if returned is not None and returned.decided_at < created:
                    author = returned.author_id  # A revision of a returned update.
                else:
                    returned = None
                update = Update(
                    commitment_id=c["id"],
                    status=status,
                    progress=None if rng.random() < 0.08 else progress,
                    confidence=rng.choices(Confidence.values, (15, 60, 25))[0],
                    assessment=rng.choice(self.assessments) if rng.random() < 0.5 else "",
                    as_of=as_of,
                    author_id=author,
                    created_at=created,
                    revises=returned,
                    evidence=rng.choices((1, 2, 3), (85, 12, 3))[0],
                )
                returned = None
                manager, verdict = rng.choice(self.managers), rng.random()
                if decided > self.now:
                    update.review_state = ReviewState.SUBMITTED  # Still in the review queue.
                else:
                    update.decided_at = decided
                    update.decided_by_id = manager
                    if verdict < 0.03 and k < n - 1:
                        update.review_state = ReviewState.RETURNED
                        update.decision_comment = "Please add a quote from the readout."
                        returned = update  # The analyst's next update revises it.
                    else:
                        update.review_state = ReviewState.ACCEPTED
                self.updates.append(update)
            if len(self.updates) % 100_000 < n:
                self.say(f"planned {len(self.updates):,} status updates")
        # Ids in the order the updates were recorded, as the database would have given them.
        self.updates.sort(key=lambda u: u.created_at)
        for pk, update in enumerate(self.updates, start=1):
            update.pk = pk
        self.say(f"planned {len(self.updates):,} status updates")

    def derive(self):
        """current_*, next review, last update, periods and previous status, per commitment."""
        by_commitment = {}
        for update in self.updates:  # In recording order.
            by_commitment.setdefault(update.commitment_id, []).append(update)
        self.periods = []
        for c in self.commitments:
            history = by_commitment.get(c["id"], [])
            accepted = [u for u in history if u.review_state == ReviewState.ACCEPTED]
            # previous_status: the official status at the moment each update was recorded.
            decided_order = sorted(accepted, key=lambda u: u.decided_at)
            official, j = None, 0
            for update in history:
                while j < len(decided_order) and decided_order[j].decided_at <= update.created_at:
                    candidate = decided_order[j]
                    if official is None or services.official_key(candidate) > services.official_key(
                        official
                    ):
                        official = candidate
                    j += 1
                update.previous_status = official.status if official else Status.NOT_ASSESSED
            official = max(accepted, key=services.official_key, default=None)
            c["current_update"] = official
            c["official"] = derived.official_fields(official)
            c["next_review_due"] = derived.next_review_due(
                current_as_of=c["official"]["current_as_of"],
                created_at=c["created_at"],
                cadence_days=c["review_cadence_days"],
            )
            for update, valid_from, valid_to in services.compute_periods(accepted):
                self.periods.append((c["id"], update.pk, update.status, valid_from, valid_to))
        self.say(f"derived official status and {len(self.periods):,} status periods")

    def write_commitments(self):
        def commitment(c):
            # current_update_id and last_update_at follow once the updates exist.
            official = {**c["official"], "current_update_id": None}
            return Commitment(
                id=c["id"],
                reference=c["reference"],
                title=c["title"],
                description=c["description"],
                area_id=c["area_id"],
                event_id=c["event_id"],
                owner_id=c["owner_id"],
                parent_id=c["parent_id"],
                target_date=c["target_date"],
                review_cadence_days=c["review_cadence_days"],
                next_review_due=c["next_review_due"],
                **official,
                created_at=c["created_at"],
            )

        with transaction.atomic():
            Commitment.objects.bulk_create(map(commitment, self.commitments), batch_size=2_000)
            CommitmentParty.objects.bulk_create(
                (
                    CommitmentParty(
                        commitment_id=c["id"], party_id=party, must_deliver=i == 0 or i % 2 == 1
                    )
                    for c in self.commitments
                    for i, party in enumerate(c["parties"])
                ),
                batch_size=5_000,
            )
            Through = Commitment.assignees.through
            Through.objects.bulk_create(
                (
                    Through(commitment_id=c["id"], user_id=a)
                    for c in self.commitments
                    for a in c["assignees"]
                ),
                batch_size=5_000,
            )
        self.say(f"wrote {len(self.commitments):,} commitments")

    def write_updates(self):
        ops = connection.ops
        dtv, dv = ops.adapt_datetimefield_value, ops.adapt_datefield_value
        rng = self.rng
        # The few thousand distinct assessments, rendered once each as the app would on save.
        rendered = {text: render_markdown(text) for text in self.assessments}
        update_rows = (
            (
                u.pk,
                u.commitment_id,
                u.status,
                u.previous_status,
                u.progress,
                u.confidence,
                u.assessment,
                rendered.get(u.assessment, ""),
                dv(u.as_of),
                u.author_id,
                dtv(u.created_at),
                u.review_state,
                u.decided_by_id,
                dtv(u.decided_at),
                u.decision_comment or "",
                u.revises.pk if u.revises else None,
            )
            for u in self.updates
        )
        fields = ["id", *StatusUpdate.PUBLIC_FIELDS]
        insert_rows(
            StatusUpdate, fields, update_rows, len(self.updates), self.say, "status updates"
        )

        n_sources = len(self.sources)

        def evidence_rows():
            source_days, sources = self.source_days, self.sources
            for u in self.updates:
                day = (u.as_of - self.first_day).days
                newest = bisect.bisect_right(source_days, day)
                for _ in range(u.evidence):
                    index = (
                        newest - 1 - rng.randrange(300) if newest > 0 else rng.randrange(n_sources)
                    )
                    locator = rng.random()
                    yield (
                        u.pk,
                        u.commitment_id,
                        sources[max(0, index)],
                        rng.choice(self.quotes),
                        rng.choice(self.speakers) if rng.random() < 0.8 else "",
                        f"p. {rng.randint(1, 40)}"
                        if locator < 0.3
                        else f"para. {rng.randint(1, 30)}"
                        if locator < 0.6
                        else "",
                    )

        self.evidence_count = sum(u.evidence for u in self.updates)
        insert_rows(
            Evidence,
            ["status_update", "commitment", "source", "quote", "speaker", "locator"],
            evidence_rows(),
            self.evidence_count,
            self.say,
            "evidence",
        )
        period_rows = (
            (commitment_id, update_id, status, dv(start), dv(end))
            for commitment_id, update_id, status, start, end in self.periods
        )
        self.period_count = len(self.periods)
        insert_rows(
            StatusPeriod,
            ["commitment", "status_update", "status", "valid_from", "valid_to"],
            period_rows,
            self.period_count,
            self.say,
            "status periods",
        )
        table = connection.ops.quote_name(Commitment._meta.db_table)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET current_update_id = %s WHERE id = %s",  # noqa: S608
                [
                    (c["current_update"].pk, c["id"])
                    for c in self.commitments
                    if c["current_update"]
                ],
            )
            Commitment.objects.update(last_update_at=derived.last_update_at())
        self.say("linked each commitment to its official update and its latest update time")

    def write_indicators(self):
        rng = self.rng
        indicators = []
        for c in self.commitments:
            if rng.random() < 0.15:
                for k in range(rng.choice([1, 1, 2])):
                    indicators.append(
                        Indicator(
                            commitment_id=c["id"],
                            name=f"{rng.choice(INDICATORS)} {k + 1}",
                            unit=rng.choice(["", "countries", "t", "meetings", "USD m", "Mt CO2e"]),
                            baseline=Decimal(rng.randint(0, 50)),
                            target=Decimal(rng.randint(60, 500)),
                            direction=rng.choice(Direction.values),
                        )
                    )
        last_day = (self.today - self.first_day).days
        with transaction.atomic():
            Indicator.objects.bulk_create(indicators, batch_size=5_000)
            by_id = {c["id"]: c for c in self.commitments}
            measurements = []
            for indicator in indicators:
                start = by_id[indicator.commitment_id]["start"]
                value = float(indicator.baseline)
                for day in sorted(rng.randint(start, last_day) for _ in range(rng.randint(3, 30))):
                    value = max(0.0, value + rng.uniform(-5, 15))
                    measured = self.day(day)
                    measurements.append(
                        Measurement(
                            indicator_id=indicator.pk,
                            value=Decimal(f"{value:.1f}"),
                            qualifier=rng.choice(["", "", "", "about", "at_least"]),
                            measured_on=measured if rng.random() < 0.95 else None,
                            source_id=rng.choice(self.sources),
                            recorded_by_id=by_id[indicator.commitment_id]["owner_id"],
                            created_at=self.moment(measured),
                        )
                    )
            Measurement.objects.bulk_create(measurements, batch_size=5_000)
        self.say(f"wrote {len(indicators):,} indicators and {len(measurements):,} measurements")

    def reset_sequences(self):
        """PostgreSQL: explicit ids leave the sequences behind; SQLite needs nothing."""
        statements = connection.ops.sequence_reset_sql(no_style(), [Commitment, StatusUpdate])
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


def insert_rows(model, fields, rows, total, say, label):
    """INSERT rows (tuples in `fields` order) with executemany, BATCH rows per transaction."""
    qn = connection.ops.quote_name
    columns = ", ".join(qn(model._meta.get_field(name).column) for name in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    done = 0
    with connection.cursor() as cursor:
        for chunk in itertools.batched(rows, BATCH):
            with transaction.atomic():
                cursor.executemany(sql, chunk)
            done += len(chunk)
            if done % (BATCH * 4) == 0 or done == total:
                say(f"wrote {done:,} / {total:,} {label}")


def wipe():
    """Delete what a previous run generated: users and all tracker data (groups stay)."""
    models = [
        *apps.get_app_config("tracker").get_models(include_auto_created=True),
        User,
        User.groups.through,
        User.user_permissions.through,
        *apps.get_app_config("sessions").get_models(),
        *apps.get_app_config("admin").get_models(),
        *apps.get_app_config("axes").get_models(),
    ]
    tables = [m._meta.db_table for m in models]
    sql = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
    if connection.vendor == "postgresql":
        # TRUNCATE refuses tables with deferred trigger events still pending (inside a test's
        # transaction): run them now.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    connection.ops.execute_sql_flush(sql)


def generate(*, commitments=10_000, updates=1_000_000, seed=1, reset=False, log=print):
    if reset:
        started = time.monotonic()
        wipe()
        log(f"[{time.monotonic() - started:6.1f} s] deleted the previous data")
    elif Commitment.objects.exists() or User.objects.exists():
        raise ValueError(
            "The database already has users or commitments: pass --reset to replace them."
        )
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            # A bulk load: a big page cache; durability per batch is not needed here.
            cursor.execute("PRAGMA cache_size = -400000")
            cursor.execute("PRAGMA synchronous = OFF")
    return Generator(commitments=commitments, updates=updates, seed=seed, log=log).run()
