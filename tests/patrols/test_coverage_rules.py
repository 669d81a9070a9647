"""The coverage check follows the community's schedule on days off and the days each grid
exists.

The 2026 calendar (loaded by an incidents migration) gives the days: Thursday 1 October is
National Day (off), Saturday 10 October a make-up working day; Saturday 28 and Sunday 29
November are an ordinary weekend and Monday 30 November an ordinary working day.
"""

import datetime

import time_machine
from django.db import connection

from grids.models import Area
from patrols.models import MissedPatrol, PatrolSchedule, Slot
from patrols.services import record_missed_patrols
from tests.factories import make_area, make_user
from tests.patrols.factories import local

D = datetime.date
AM, PM = Slot.MORNING, Slot.AFTERNOON


def run_at(moment):
    with time_machine.travel(moment, tick=False):
        return record_missed_patrols()


def missed(day, slot=AM):
    return set(MissedPatrol.objects.filter(day=day, slot=slot).values_list("grid__code", flat=True))


def codes(*grids):
    return {grid.code for grid in grids}


def no_patrols_on_days_off(community):
    PatrolSchedule.objects.update_or_create(
        community=community, defaults={"patrols_on_days_off": False}
    )


def test_without_patrols_on_days_off_no_window_is_missed_on_a_day_off(world):
    no_patrols_on_days_off(world.a.community)
    a, b = codes(world.a.grid, world.a.other_grid), codes(world.b.grid, world.b.other_grid)

    # Saturday 28 November, an ordinary weekend day: only B patrols.
    run_at(local(D(2026, 11, 28), 12, 31))
    assert missed(D(2026, 11, 28)) == b
    # Sunday 29 (a run on Monday morning checks it): again only B.
    run_at(local(D(2026, 11, 30), 7))
    assert missed(D(2026, 11, 29), AM) == missed(D(2026, 11, 29), PM) == b
    # Monday 30 November is worked: both communities.
    run_at(local(D(2026, 11, 30), 12, 31))
    assert missed(D(2026, 11, 30)) == a | b


def test_without_patrols_on_days_off_a_public_holiday_is_off_and_a_make_up_day_is_not(world):
    no_patrols_on_days_off(world.a.community)
    a, b = codes(world.a.grid, world.a.other_grid), codes(world.b.grid, world.b.other_grid)

    run_at(local(D(2026, 10, 1), 18, 31))  # National Day, a Thursday
    assert missed(D(2026, 10, 1), AM) == missed(D(2026, 10, 1), PM) == b

    run_at(local(D(2026, 10, 10), 18, 31))  # the make-up Saturday
    assert missed(D(2026, 10, 10), AM) == missed(D(2026, 10, 10), PM) == a | b


def test_no_window_is_missed_before_a_grid_exists(world):
    new = world.a.other_grid
    new.valid_from = D(2026, 11, 28)
    new.save(update_fields=["valid_from"])

    # At 07:00 on its first day only yesterday's windows have closed: not its.
    run_at(local(D(2026, 11, 28), 7))
    for slot in (AM, PM):
        assert missed(D(2026, 11, 27), slot) == codes(
            world.a.grid, world.b.grid, world.b.other_grid
        )
    # Its first morning counts.
    run_at(local(D(2026, 11, 28), 12, 31))
    assert new.code in missed(D(2026, 11, 28))


def test_no_window_is_missed_after_a_grid_is_retired(world):
    retired = world.a.other_grid
    retired.valid_to = D(2026, 11, 27)  # retired from Saturday 28
    retired.save(update_fields=["valid_to"])

    run_at(local(D(2026, 11, 28), 12, 31))
    # Its last day, Friday 27, still counts; the day after does not.
    assert retired.code in missed(D(2026, 11, 27), AM)
    assert retired.code in missed(D(2026, 11, 27), PM)
    assert missed(D(2026, 11, 28)) == codes(world.a.grid, world.b.grid, world.b.other_grid)
    run_at(local(D(2026, 11, 30), 18, 31))
    assert not MissedPatrol.objects.filter(grid=retired, day__gt=D(2026, 11, 27)).exists()


def test_a_check_with_nothing_left_to_record_costs_the_same_however_many_grids(
    world, django_assert_num_queries
):
    moment = local(D(2026, 11, 30), 12, 31)
    assert run_at(moment)  # records yesterday's windows and this morning's

    # The calendar (its days and the years loaded), the distinct schedules, and one
    # statement that reads the closed windows' fingerprints and finds each (Sunday morning
    # and afternoon, Monday morning) remembered complete, inside a savepoint: 2 + 3 (on
    # SQLite two more, storing the windows complete).
    idle = 5 if connection.vendor == "postgresql" else 7
    with django_assert_num_queries(idle):
        assert run_at(moment) == []

    for n in range(3, 8):
        make_area(Area.Kind.GRID, world.a.community, code=f"{world.a.community.code}-{n:02d}")
    retired = make_area(Area.Kind.GRID, world.b.community, code=f"{world.b.community.code}-09")
    retired.valid_to = D(2026, 11, 1)
    retired.save(update_fields=["valid_to"])
    assert len(run_at(moment)) == 5 * 3  # the five new grids, not the retired one
    with django_assert_num_queries(idle):
        assert run_at(moment) == []


def test_the_schedule_page_in_admin_shows_patrols_on_days_off(world, client):
    admin = make_user("root", is_staff=True, is_superuser=True)
    schedule = PatrolSchedule.objects.create(community=world.a.community)
    client.force_login(admin)
    response = client.get(f"/admin/patrols/patrolschedule/{schedule.pk}/change/")
    assert response.status_code == 200
    assert 'name="patrols_on_days_off"' in response.content.decode()

    data = {
        "community": world.a.community.pk,
        "morning_starts_at": "08:00",
        "morning_ends_at": "12:00",
        "afternoon_starts_at": "14:00",
        "afternoon_ends_at": "18:00",
        "minimum_minutes": 60,
        "grace_minutes": 30,
    }  # the box unticked
    response = client.post(f"/admin/patrols/patrolschedule/{schedule.pk}/change/", data)
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.patrols_on_days_off is False


def test_a_run_when_a_single_window_has_closed_records_it(world):
    no_patrols_on_days_off(world.a.community)
    no_patrols_on_days_off(world.b.community)
    # Monday 30 November 12:31: Sunday was off for both, so only Monday's morning is due.
    created = run_at(local(D(2026, 11, 30), 12, 31))
    everyone = codes(world.a.grid, world.a.other_grid, world.b.grid, world.b.other_grid)
    assert {(m.grid.code, m.day, m.slot) for m in created} == {
        (code, D(2026, 11, 30), AM) for code in everyone
    }
    assert MissedPatrol.objects.count() == 4
