"""What each side says: per party bound by a commitment, its latest statements about it."""

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from ..models import Evidence

PER_PARTY = 2


def party_statements(commitment, parties):
    """[(party, [evidence, ...]), ...] in the order of `parties`, newest statement first.

    The database ranks each party's quotes and returns only the first PER_PARTY of each:
    building a model for each of the latest 200 quotes to keep six of them was most of the
    commitment page's time at 1,000 updates (bench/README.md).
    """
    if not parties:
        return []
    newest_first = [
        F("status_update__as_of").desc(),
        F("status_update__created_at").desc(),
        F("id").desc(),
    ]
    latest = (
        Evidence.objects.filter(
            status_update__commitment=commitment, speaker_party__in=[p.pk for p in parties]
        )
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("speaker_party")], order_by=newest_first)
        )
        .filter(rank__lte=PER_PARTY)
        .select_related("status_update")
        .order_by(*newest_first)
    )
    by_party = {party.pk: [] for party in parties}
    for item in latest:
        by_party[item.speaker_party_id].append(item)
    return [(party, by_party[party.pk]) for party in parties]
