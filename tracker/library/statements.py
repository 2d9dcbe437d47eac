"""What each side says: per party bound by a commitment, its latest statements about it."""

import datetime
from typing import NamedTuple

from ..compiled import Compiled
from ..models import Evidence
from ..models.updates import reader_url

PER_PARTY = 2
SCANNED = 200  # the latest attributed quotes looked at; older ones are in the timeline


class PartyStatement(NamedTuple):
    """A quote of a party about the commitment, as its page shows it (read as values: as
    evidence instances with their updates, building the statement took 0.5 ms a page)."""

    speaker_party_id: int
    quote: str
    speaker: str
    as_of: datetime.date  # the update's
    locator: str
    source_id: int
    paragraph: int | None
    source_sha256: str

    @property
    def is_verified(self):
        return bool(self.source_sha256)

    def reader_url(self):
        return reader_url(self.source_id, self.paragraph)


LATEST = Compiled(
    lambda commitment_id, party_ids: (
        Evidence.objects.filter(commitment_id=commitment_id, speaker_party_id__in=party_ids)
        .order_by("-status_update__as_of", "-status_update__created_at", "-id")
        .values_list(
            *PartyStatement._fields[:3], "status_update__as_of", *PartyStatement._fields[4:]
        )
    )
)


def party_statements(commitment, parties):
    """[(party, [PartyStatement, ...]), ...] in the order of `parties`, newest first."""
    if not parties:
        return []
    by_party = {party.pk: [] for party in parties}
    for row in LATEST.rows(commitment.pk, list(by_party), limit=SCANNED):
        item = PartyStatement(*row)
        if len(by_party[item.speaker_party_id]) < PER_PARTY:
            by_party[item.speaker_party_id].append(item)
    return [(party, by_party[party.pk]) for party in parties]
