"""A small fixed history for the dashboard's tests, with every number computed by hand."""

import datetime as dt
from types import SimpleNamespace

import time_machine

from tests import factories
from tracker.models import Status

TODAY = dt.date(2026, 3, 2)


def at(moment):
    """Travel to a moment in UTC ("2026-01-05 09:00"), time standing still."""
    return time_machine.travel(dt.datetime.fromisoformat(moment).replace(tzinfo=dt.UTC), tick=False)


NOW = "2026-03-02 12:00"


def build_world(analyst, other_analyst, manager):
    """Five commitments, by 2 March 2026 (NOW):

    C1 Counternarcotics, Alice, U.S. + China: in progress (as of 10 Jan, accepted 12 Jan),
       then at risk (as of 25 Feb, accepted 26 Feb): got worse this week.
    C2 Counternarcotics, Alice, U.S.: fulfilled (as of 1 Feb, accepted 2 Feb); review due 3 Mar.
    C3 Military, Oscar, China: stalled (as of 20 Jan, accepted 21 Jan); review due 19 Feb: overdue.
    C4 Military, nobody, U.S.: never assessed; created 5 Jan, review due 4 Feb: overdue.
    C5 Military, Oscar, no party: created 20 Feb; an update waits for review: not assessed.
    """
    us = factories.make_party("United States", short_name="U.S.")
    china = factories.make_party("China")
    narcotics = factories.make_area("Counternarcotics")
    military = factories.make_area("Military communications")
    make = factories.make_commitment
    with at("2026-01-05 09:00"):
        c1 = make("C1", owner=analyst, area=narcotics, parties=[us, china], title="Curb precursors")
        c2 = make("C2", owner=analyst, area=narcotics, parties=[us], title="Share intelligence")
        c3 = make("C3", owner=other_analyst, area=military, parties=[china], title="Hotline")
        c4 = make("C4", area=military, parties=[us], title="Annual talks")
    record = factories.record
    with at("2026-01-12 09:00"):
        record(c1, author=analyst, status=Status.IN_PROGRESS, as_of=dt.date(2026, 1, 10),
               accept_by=manager)  # fmt: skip
    with at("2026-01-21 09:00"):
        record(c3, author=other_analyst, status=Status.STALLED, as_of=dt.date(2026, 1, 20),
               accept_by=manager)  # fmt: skip
    with at("2026-02-02 09:00"):
        record(c2, author=analyst, status=Status.FULFILLED, as_of=dt.date(2026, 2, 1),
               accept_by=manager)  # fmt: skip
    with at("2026-02-20 09:00"):
        c5 = make("C5", owner=other_analyst, area=military, title="Joint exercise")
    with at("2026-02-26 09:00"):
        record(c1, author=analyst, status=Status.AT_RISK, as_of=dt.date(2026, 2, 25),
               accept_by=manager)  # fmt: skip
    with at("2026-02-27 09:00"):
        record(c5, author=other_analyst, status=Status.IN_PROGRESS, as_of=dt.date(2026, 2, 27))
    return SimpleNamespace(
        c1=c1, c2=c2, c3=c3, c4=c4, c5=c5, us=us, china=china, narcotics=narcotics,
        military=military, alice=analyst, oscar=other_analyst, manager=manager,
    )  # fmt: skip


def counts(tally):
    return {status: n for status, n in tally.counts.items() if n}
