"""What the reminders cost: the same two queries with nothing due however many meetings
there are, a few more per batch of reminders; and two runs at once tell each person each
reminder once.

Transactional (as the beat's worker runs it): the counts are the queries a worker sends."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grids.models import Area, Role
from incidents.calendar import Calendar
from meetings import schedule
from meetings.models import Meeting, Participant
from notifications.models import Notification
from tests.factories import make_area, make_post, make_user
from tests.incidents.test_race import run_together

pytestmark = pytest.mark.django_db(transaction=True)

ZONE = timezone.get_fixed_timezone(8 * 60)
# Thursday 10 December 2026, 08:30.
NOW = datetime.datetime(2026, 12, 10, 8, 30, tzinfo=ZONE)


@pytest.fixture(autouse=True)
def national_calendar(db):
    """2026's and 2027's calendar, loaded again after a transactional test's flush."""
    Calendar(datetime.date(2026, 1, 1), datetime.date(2027, 12, 31))


def counted(moment=NOW):
    with CaptureQueriesContext(connection) as queries, time_machine.travel(moment, tick=False):
        sent = schedule.send_reminders()
    return sent, len(queries)


def add_communities(world, count, start=3):
    """`count` more communities, each with a stationmaster and one grid with its leader,
    and their two series."""
    for c in range(start, start + count):
        community = make_area(Area.Kind.COMMUNITY, world.street, code=f"T-01-{c:02d}")
        make_post(community, Role.STATIONMASTER, make_user(f"sm_{c}"))
        grid = make_area(Area.Kind.GRID, community, code=f"{community.code}-01")
        make_post(grid, Role.GRID_LEADER, make_user(f"gl_{c}"))
        schedule.ensure_series(community)


def meetings_starting_soon(world, count, starts_at=NOW + datetime.timedelta(minutes=30)):
    """`count` weekly meetings of community A, all starting at `starts_at` (both reminders
    due), each with the series' three participants (sm_a, gl_a, gm_a)."""
    weekly, _monthly = schedule.ensure_series(world.a.community)
    people = schedule.participants_for(weekly, starts_at.date())
    assert len(people) == 3
    for n in range(count):
        meeting = Meeting.objects.create(
            series=weekly,
            community=world.a.community,
            kind=weekly.kind,
            scheduled_on=datetime.date(2027, 1, 1) + datetime.timedelta(days=n),
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(hours=1),
        )
        Participant.objects.bulk_create(
            Participant(meeting=meeting, post=post, user=user) for post, user in people
        )


def test_nothing_due_costs_the_same_two_queries_however_many_meetings(world):
    schedule.ensure_series(world.a.community)
    with time_machine.travel(NOW - datetime.timedelta(days=7), tick=False):
        assert schedule.plan_meetings()
    # Thursday 08:30: the next meeting (Monday 09:00) is reminded on Friday.
    # The calendar, the meetings to come.
    assert counted() == (0, 2)

    add_communities(world, 10)
    with time_machine.travel(NOW - datetime.timedelta(days=7), tick=False):
        assert schedule.plan_meetings()
    assert Meeting.objects.count() > 50
    assert counted() == (0, 2)


@pytest.mark.parametrize("due", [30, 300])
def test_due_reminders_cost_a_few_queries_per_batch(world, due):
    meetings_starting_soon(world, due // 6)
    sent, queries = counted()
    assert sent == due
    # The calendar, the meetings, their participants, who was told already, the notices.
    assert queries <= 10 + due / 100, queries
    # Everything due was sent: the same four queries, nothing written.
    assert counted() == (0, 4)


def test_two_runs_at_once_tell_each_person_each_reminder_once(world, settings):
    settings.SWEEP_BATCH = 7
    meetings_starting_soon(world, 10)
    with time_machine.travel(NOW, tick=False):  # for both threads
        if connection.vendor == "postgresql":
            results = run_together(schedule.send_reminders, schedule.send_reminders)
        else:
            # SQLite serialises writers (the in-memory test database refuses a second one:
            # "table is locked"): there, at once is one after the other.
            results = [schedule.send_reminders(), schedule.send_reminders()]
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert sum(results) == 60
    notices = Notification.objects.filter(key__startswith="meeting-")
    assert notices.count() == notices.values("recipient", "key").distinct().count() == 60
