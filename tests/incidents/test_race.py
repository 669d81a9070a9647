"""Races: two people accepting the same incident at once, and two filings taking numbers at
once. Real threads, each with its own database connection, so PostgreSQL's row locks decide
the winner."""

import datetime
import threading

import pytest
from django.db import connection

from grids.scope import Scope
from incidents import services
from incidents.models import Incident, TimelineEntry
from tests.conftest import missing_service
from tests.incidents.factories import local, make_category, make_incident

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        missing_service("SQLite serialises writers, so threads cannot race: needs PostgreSQL")


ROUNDS = 30


def run_together(*calls):
    """Run each call in its own thread, released together by a barrier. Returns what each
    returned or raised, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a racing thread is stuck"
    return outcomes


def test_of_two_people_accepting_at_once_exactly_one_wins(world):
    member, leader = world.a.grid_member, world.a.grid_leader

    def accept(incident_id, user):
        def call():
            incident = Incident.objects.get(pk=incident_id)
            return services.take_step(incident, "accept", by=user, scope=Scope(user))

        return call

    for round_ in range(ROUNDS):
        incident = make_incident(world.a.grid, member)
        outcomes = run_together(accept(incident.pk, member), accept(incident.pk, leader))

        winners = [o for o in outcomes if isinstance(o, Incident)]
        losers = [o for o in outcomes if isinstance(o, services.InvalidTransition)]
        assert (len(winners), len(losers)) == (1, 1), f"round {round_}: {outcomes}"
        incident.refresh_from_db()
        assert incident.status == Incident.Status.ACCEPTED
        assert incident.handler == winners[0].handler
        assert incident.handler in (member, leader)
        accepts = TimelineEntry.objects.filter(incident=incident, action="accept")
        assert list(accepts.values_list("by", flat=True)) == [incident.handler.pk]


def test_filings_at_once_get_distinct_numbers(world):
    member, leader = world.a.grid_member, world.a.grid_leader
    category = make_category(hours={"normal": 24})

    def file(user, at):
        return lambda: make_incident(world.a.grid, user, category=category, at=at).number

    # A new year each round: both filings race to create that year's counter too.
    for round_ in range(ROUNDS):
        at = local(datetime.date(2030 + round_, 6, 1), 9)
        numbers = run_together(file(member, at), file(leader, at))
        assert sorted(numbers) == [f"{2030 + round_}-000001", f"{2030 + round_}-000002"], numbers

    # Eight at once in one year.
    at = local(datetime.date(2027, 6, 1), 9)
    numbers = run_together(*[file(member, at) for _ in range(8)])
    assert sorted(numbers) == [f"2027-{n:06d}" for n in range(1, 9)], numbers
