"""What each side says: per party bound by a commitment, its latest statements about it."""

from ..models import Evidence

PER_PARTY = 2
SCANNED = 200  # the latest attributed quotes looked at; older ones are in the timeline


def party_statements(commitment, parties):
    """[(party, [evidence, ...]), ...] in the order of `parties`, newest statement first."""
    if not parties:
        return []
    latest = (
        Evidence.objects.filter(commitment=commitment, speaker_party__in=[p.pk for p in parties])
        .select_related("status_update")
        .order_by("-status_update__as_of", "-status_update__created_at", "-id")[:SCANNED]
    )
    by_party = {party.pk: [] for party in parties}
    for item in latest:
        if len(by_party[item.speaker_party_id]) < PER_PARTY:
            by_party[item.speaker_party_id].append(item)
    return [(party, by_party[party.pk]) for party in parties]
