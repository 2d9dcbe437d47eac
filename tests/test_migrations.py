"""Migrations that rewrite recorded data, run over rows (an empty table proves little)."""

import pytest
from django.core.management import call_command

from tests import factories
from tracker.models import Evidence

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_EVIDENCE_COMMITMENT = "0022_dashboard_growth_indexes"


def test_evidence_recorded_before_it_had_a_commitment_gets_its_updates(client, analyst):
    first = factories.make_commitment("MIG-1", owner=analyst)
    second = factories.make_commitment("MIG-2", owner=analyst)
    factories.record(first, author=analyst, quote="Channels are open.")
    factories.record(second, author=analyst, quote="Talks resumed.")
    factories.record(second, author=analyst, quote="Talks continue.")

    # Back to before the column existed (the rows stay), then forward again: the fill copies
    # each update's commitment, on a table with rows (on PostgreSQL, the NOT NULL and the
    # index come in their own transaction; on SQLite, the table's rebuild with its triggers).
    call_command("migrate", "tracker", BEFORE_EVIDENCE_COMMITMENT, verbosity=0)
    call_command("migrate", verbosity=0)

    assert dict(Evidence.objects.values_list("quote", "commitment__reference")) == {
        "Channels are open.": "MIG-1",
        "Talks resumed.": "MIG-2",
        "Talks continue.": "MIG-2",
    }
    # The triggers dropped for the rebuild are back: a quote recorded now is found by search.
    factories.record(first, author=analyst, quote="A hotline is staffed.")
    client.force_login(analyst)
    found = client.get("/search/", {"q": "hotline"}).content.decode()
    assert '<p class="snippet">A <mark>hotline</mark> is staffed.</p>' in found
