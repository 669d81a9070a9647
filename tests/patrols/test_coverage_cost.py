"""What the coverage check costs: the same few queries with nothing to record however many
communities and grids there are (and no statement over the grids' windows: each was
remembered complete, see tests/patrols/test_coverage_complete.py), a few more per batch of
missed windows; and two checks running at once record and tell each window once.

Transactional (as the beat's worker runs it): the counts are the queries a worker sends,
without the savepoints a test transaction would add. On SQLite, storing the complete
windows takes two statements more (no writes in a WITH)."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.models import Area, Role
from incidents.calendar import Calendar
from notifications.models import Notification
from patrols.models import CompleteWindow, MissedPatrol, PatrolSchedule, Slot
from patrols.services import record_missed_patrols
from tests.factories import make_area, make_post, make_user
from tests.incidents.test_race import run_together
from tests.patrols.factories import local, make_patrol

pytestmark = pytest.mark.django_db(transaction=True)

# Monday 30 November 12:31: Sunday's two windows and Monday's morning have closed.
MOMENT = local(datetime.date(2026, 11, 30), 12, 31)
WINDOWS = 3
# The calendar, the distinct schedules, and in its transaction (begin, commit) the one
# statement that reads the fingerprints, finds every window complete and records nothing.
IDLE = 5 if connection.vendor == "postgresql" else 7


def run(moment=MOMENT):
    with time_machine.travel(moment, tick=False):
        return record_missed_patrols()


def counted(moment=MOMENT):
    with CaptureQueriesContext(connection) as queries:
        created = run(moment)
    return len(created), len(queries)


def add_communities(world, count, grids, *, start=3, shaped=True):
    """`count` more communities of `grids` grids each, each grid with a leader. `shaped`:
    their schedules in a few shapes (in turn none, a shorter grace, a later afternoon and no
    patrols on days off); else none (the default schedule)."""
    for c in range(start, start + count):
        community = make_area(Area.Kind.COMMUNITY, world.street, code=f"T-01-{c:02d}")
        if not shaped:
            pass
        elif c % 3 == 1:
            PatrolSchedule.objects.create(community=community, grace_minutes=15)
        elif c % 3 == 2:
            PatrolSchedule.objects.create(
                community=community, afternoon_ends_at=datetime.time(19), patrols_on_days_off=False
            )
        for g in range(1, grids + 1):
            grid = make_area(Area.Kind.GRID, community, code=f"{community.code}-{g:02d}")
            make_post(grid, Role.GRID_LEADER, make_user(f"gl_{c}_{g}"))


@pytest.fixture(autouse=True)
def national_calendar(db):
    """2026's calendar, loaded again after a transactional test's flush, before counting."""
    Calendar(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))


def test_a_check_with_nothing_to_record_costs_three_queries_at_any_size(world):
    assert run()  # records what the world missed
    assert counted() == (0, IDLE)
    assert CompleteWindow.objects.count() == WINDOWS

    add_communities(world, 10, 4)
    retired = make_area(Area.Kind.GRID, world.b.community, code="T-01-02-09")
    retired.valid_to = datetime.date(2026, 11, 1)
    retired.save(update_fields=["valid_to"])
    # Four communities with no schedule and three with a shorter grace miss all three
    # windows; three not patrolling on days off miss Monday's morning only.
    assert len(run()) == 4 * 4 * WINDOWS + 3 * 4 * WINDOWS + 3 * 4 * 1
    assert counted() == (0, IDLE)


@pytest.mark.parametrize("due", [30, 300])
def test_due_windows_cost_a_few_queries_per_batch(world, due):
    for grid in Area.objects.grids():  # the world's grids patrolled: only the new ones miss
        for day, slot in [(MOMENT.date() - datetime.timedelta(days=1), s) for s in Slot.values]:
            make_patrol(grid, day, slot)
        make_patrol(grid, MOMENT.date(), Slot.MORNING)
    per_community = 10
    add_communities(world, due // (WINDOWS * per_community), per_community, shaped=False)
    assert MissedPatrol.objects.count() == 0

    created, queries = counted()
    assert created == due
    # The calendar, the schedules; in one transaction (begin, commit) the records (and
    # the complete windows), the posts, who is away, the notices, and the roll-up's days to
    # redo (two).
    assert queries <= 10 + due / 100 + (IDLE - 5), queries
    assert Notification.objects.filter(key__startswith="patrol-missed:").count() == due
    assert counted() == (0, IDLE)


def test_batches_are_written_until_nothing_is_left(world, settings):
    settings.SWEEP_BATCH = 5
    created = run()
    assert len(created) == 4 * WINDOWS == MissedPatrol.objects.count()
    assert len({m.pk for m in created}) == len(created)
    # gl_a leads one grid of A, gl_b one of B: told of each of their grid's windows once.
    assert Notification.objects.filter(key__startswith="patrol-missed:").count() == 2 * WINDOWS


def test_two_checks_at_once_record_and_tell_each_window_once(world, settings):
    settings.SWEEP_BATCH = 7
    add_communities(world, 6, 5)
    with time_machine.travel(MOMENT, tick=False):  # for both threads
        if connection.vendor == "postgresql":
            results = run_together(record_missed_patrols, record_missed_patrols)
        else:
            # SQLite serialises writers (the in-memory test database refuses a second one:
            # "table is locked"): there, at once is one after the other.
            results = [record_missed_patrols(), record_missed_patrols()]
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    records = MissedPatrol.objects.count()
    first, second = ({m.pk for m in found} for found in results)
    assert not first & second and len(first | second) == records
    # The world's four grids; of the new thirty, twenty miss all three windows and ten (not
    # patrolling on days off) Monday's morning only.
    assert records == 4 * WINDOWS + 20 * WINDOWS + 10 * 1
    keys = Notification.objects.filter(key__startswith="patrol-missed:")
    assert keys.count() == keys.values("recipient", "key").distinct().count()
    # Two of the world's grids have a leader, and every new one.
    assert keys.count() == 2 * WINDOWS + 20 * WINDOWS + 10 * 1
    assert CompleteWindow.objects.count() == WINDOWS
    assert run() == []
