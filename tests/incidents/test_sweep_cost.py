"""What the time-limit sweep costs: the same few queries with nothing due however many
incidents there are, a few more per batch of due incidents; and two sweeps running at once
warn, escalate and tell each once.

Transactional (as the beat's worker runs it): the counts are the queries a worker sends,
with its transactions' begin and commit."""

import copy
import datetime
import itertools

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.models import Role
from incidents import services
from incidents.calendar import Calendar
from incidents.models import Incident, TimelineEntry
from notifications.models import Notification
from tests.factories import make_post, make_user
from tests.incidents.factories import local, make_incident
from tests.incidents.test_race import run_together

pytestmark = pytest.mark.django_db(transaction=True)

# Wednesday 2 December 2026, 15:00.
NOW = local(datetime.date(2026, 12, 2), 15)
HOUR = datetime.timedelta(hours=1)
_numbers = itertools.count(900000)


@pytest.fixture(autouse=True)
def national_calendar(db):
    """2026's calendar, loaded again after a transactional test's flush, before counting."""
    Calendar(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))


@pytest.fixture
def street_staff(world):
    user = make_user("street_staff")
    make_post(world.street, Role.STREET_STAFF, user)
    return user


def make_many(world, count, **fields):
    """`count` incidents of community A's grid (the first filed through the service, the
    others copies of it), with `fields` set on all of them."""
    first = make_incident(world.a.grid, world.a.grid_member, at=NOW - 48 * HOUR)
    copies = []
    for _n in range(count - 1):
        other = copy.copy(first)
        other.pk = None
        other.number = f"2026-{next(_numbers)}"
        copies.append(other)
    Incident.objects.bulk_create(copies)
    made = Incident.objects.filter(pk__in=[first.pk, *(c.pk for c in copies)])
    made.update(**fields)
    return made


def sweep(moment=NOW):
    with time_machine.travel(moment, tick=False):
        return services.sweep_time_limits()


def counted(moment=NOW):
    with CaptureQueriesContext(connection) as queries:
        found = sweep(moment)
    return found, len(queries)


def settled_and_pending(world, count):
    """`count` incidents past both levels and told, and `count` not due for days."""
    make_many(world, count, warn_at=NOW - 40 * HOUR, deadline_at=NOW - 30 * HOUR)
    sweep()
    make_many(world, count, warn_at=NOW + 50 * HOUR, deadline_at=NOW + 60 * HOUR)


def test_a_sweep_with_nothing_due_costs_the_same_at_any_size(world):
    settled_and_pending(world, 3)
    # The pauses ended; in a transaction (begin, commit), the due incidents.
    assert counted() == ((0, 0), 4)
    settled_and_pending(world, 60)
    assert Incident.objects.count() == 126
    assert counted() == ((0, 0), 4)


@pytest.mark.parametrize("due", [30, 300])
def test_due_incidents_cost_a_few_queries_per_batch(world, due):
    make_many(world, due, warn_at=NOW - 2 * HOUR, deadline_at=NOW - HOUR)
    found, queries = counted()
    assert found == (due, due)
    # The pauses ended; in one transaction (begin, commit): the due incidents, the
    # markers, the overdue log entries, the stationmasters' posts, who acts for them and who
    # is away, the notices.
    assert queries <= 10 + due / 100, queries
    assert Notification.objects.filter(key__startswith="incident-").count() == 2 * due
    assert TimelineEntry.objects.filter(action="overdue").count() == due
    assert counted() == ((0, 0), 4)


@pytest.mark.parametrize("due", [30, 300])
def test_second_escalations_cost_a_few_queries_per_batch(world, street_staff, due):
    make_many(
        world, due, warn_at=NOW - 40 * HOUR, deadline_at=NOW - 30 * HOUR, warned_at=NOW - HOUR
    )
    Incident.objects.update(escalation_level=1, escalated_at=NOW - HOUR)
    found, queries = counted()
    assert found == (0, due)
    # As above, with the working calendar and no log entries.
    assert queries <= 10 + due / 100, queries
    assert Notification.objects.filter(key__startswith="incident-red:", key__endswith=":2").count()


def test_batches_are_swept_until_nothing_is_left(world, settings):
    settings.SWEEP_BATCH = 4
    make_many(world, 10, warn_at=NOW - 2 * HOUR, deadline_at=NOW - HOUR)
    make_many(world, 3, warn_at=NOW - HOUR, deadline_at=NOW + HOUR)
    assert sweep() == (13, 10)
    assert Incident.objects.filter(warned_at=NOW).count() == 13
    assert Incident.objects.filter(escalation_level=1).count() == 10
    assert sweep() == (0, 0)


def test_two_sweeps_at_once_warn_escalate_and_tell_each_once(world, settings):
    settings.SWEEP_BATCH = 7
    make_many(world, 40, warn_at=NOW - 2 * HOUR, deadline_at=NOW - HOUR)
    with time_machine.travel(NOW, tick=False):  # for both threads
        if connection.vendor == "postgresql":
            results = run_together(services.sweep_time_limits, services.sweep_time_limits)
        else:
            # SQLite serialises writers (the in-memory test database refuses a second one:
            # "table is locked"): there, at once is one after the other.
            results = [services.sweep_time_limits(), services.sweep_time_limits()]
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert tuple(map(sum, zip(*results, strict=True))) == (40, 40)
    notices = Notification.objects.filter(key__startswith="incident-")
    assert notices.count() == notices.values("recipient", "key").distinct().count() == 80
    assert TimelineEntry.objects.filter(action="overdue").count() == 40
    assert sweep() == (0, 0)
