"""The coverage check remembers the windows it found complete (CompleteWindow) and skips
them later, yet records whatever it recorded before: each change that can make a grid due
in a window already found complete is caught (the window's fingerprint changes, or an edit
outside the check reopens the windows), whoever makes it. Each change below is made as a
bulk write (a queryset's update, bulk_create), which no signal sees, unless it is the
admin's."""

import datetime

import pytest
import time_machine
from django.contrib import admin
from django.test import RequestFactory

from grids.models import Area
from incidents.calendar import Calendar
from incidents.models import CalendarDay
from patrols.models import CompleteWindow, CoverageEdit, MissedPatrol, Patrol, PatrolSchedule, Slot
from patrols.services import record_missed_patrols, reopen_windows
from tests.factories import make_area, make_user
from tests.patrols.factories import local, make_patrol

pytestmark = pytest.mark.django_db

SUNDAY, MONDAY = datetime.date(2026, 11, 29), datetime.date(2026, 11, 30)
AM, PM = Slot.MORNING, Slot.AFTERNOON
MOMENT = local(MONDAY, 12, 31)  # Sunday's two windows and Monday's morning have closed


def run(moment=MOMENT):
    with time_machine.travel(moment, tick=False):
        return {(m.grid.code, m.day, m.slot) for m in record_missed_patrols()}


def windows(*grids, days=(SUNDAY,), slots=(AM, PM)):
    return {(grid.code, day, slot) for grid in grids for day in days for slot in slots}


def monday_am(*grids):
    return windows(*grids, days=(MONDAY,), slots=(AM,))


@pytest.fixture(autouse=True)
def national_calendar(db):
    Calendar(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))


def all_grids():
    return list(Area.objects.grids())


def test_a_window_found_complete_is_skipped_until_the_windows_are_reopened(world):
    grids = all_grids()
    assert run() == windows(*grids) | monday_am(*grids)
    complete = set(CompleteWindow.objects.values_list("day", "slot"))
    assert complete == {(SUNDAY, AM), (SUNDAY, PM), (MONDAY, AM)}
    # A record deleted behind the check's back (no CoverageEdit): the window is not
    # checked again, so the record is not written again.
    MissedPatrol.objects.filter(grid=world.a.grid, day=SUNDAY, slot=AM).delete()
    assert run() == set()
    reopen_windows()
    assert run() == {(world.a.grid.code, SUNDAY, AM)}
    assert run() == set()


def test_a_grid_created_by_a_bulk_insert_is_recorded(world):
    run()
    [grid] = Area.objects.bulk_create(
        [Area(kind=Area.Kind.GRID, parent=world.a.community, code="T-01-01-77", path="~77")]
    )
    assert run() == windows(grid) | monday_am(grid)


def test_a_retired_grid_brought_back_is_recorded(world):
    grid = make_area(Area.Kind.GRID, world.a.community, code="T-01-01-78")
    Area.objects.filter(pk=grid.pk).update(valid_to=datetime.date(2026, 11, 1))
    assert (grid.code, SUNDAY, AM) not in run()
    assert run() == set()
    Area.objects.filter(pk=grid.pk).update(valid_to=None)
    assert run() == windows(grid) | monday_am(grid)


def test_a_grid_dated_from_earlier_is_recorded(world):
    grid = make_area(Area.Kind.GRID, world.a.community, code="T-01-01-79")
    Area.objects.filter(pk=grid.pk).update(valid_from=MONDAY)  # split off on Monday
    assert run() == windows(*all_grids()) - windows(grid) | monday_am(*all_grids())
    Area.objects.filter(pk=grid.pk).update(valid_from=SUNDAY)
    assert run() == windows(grid)


def test_a_grid_moved_to_a_community_that_patrols_on_days_off_is_recorded(world):
    PatrolSchedule.objects.create(community=world.a.community, patrols_on_days_off=False)
    grid = make_area(Area.Kind.GRID, world.a.community, code="T-01-01-80")
    assert (grid.code, SUNDAY, AM) not in run()  # A does not patrol on Sunday
    # The same shapes close on Sunday before and after: only the grid's row changes.
    Area.objects.filter(pk=grid.pk).update(parent=world.b.community)
    assert run() == windows(grid)


def test_two_grids_swapping_communities_are_recorded(world):
    PatrolSchedule.objects.create(community=world.a.community, patrols_on_days_off=False)
    into_b = make_area(Area.Kind.GRID, world.a.community, code="T-01-01-81")
    into_a = make_area(Area.Kind.GRID, world.b.community, code="T-01-02-81")
    assert run() & windows(into_b, into_a) == windows(into_a)
    # The same ids, parents and dates, in other pairs.
    Area.objects.filter(pk=into_b.pk).update(parent=world.b.community)
    Area.objects.filter(pk=into_a.pk).update(parent=world.a.community)
    assert run() == windows(into_b)


def test_a_schedule_changed_to_a_shorter_grace_is_recorded(world):
    PatrolSchedule.objects.create(community=world.a.community, grace_minutes=15)
    PatrolSchedule.objects.create(community=world.b.community, grace_minutes=45)
    b_grids = list(world.b.community.children.all())
    assert run() & monday_am(*b_grids) == set()  # B's morning closes at 12:45
    # Monday morning's closed shapes stay the same (grace 15, and the default): only B's
    # schedule changes.
    PatrolSchedule.objects.filter(community=world.b.community).update(grace_minutes=15)
    assert run() == monday_am(*b_grids)


def test_a_schedule_created_is_recorded(world):
    PatrolSchedule.objects.create(community=world.a.community, grace_minutes=15)
    b_grids = list(world.b.community.children.all())
    at = local(MONDAY, 12, 20)  # A's morning has closed (12:15), the default's not (12:30)
    assert run(at) & monday_am(*b_grids) == set()
    PatrolSchedule.objects.bulk_create(
        [PatrolSchedule(community=world.b.community, grace_minutes=15)]
    )
    assert run(at) == monday_am(*b_grids)


def test_a_schedule_changed_to_patrol_on_days_off_is_recorded(world):
    PatrolSchedule.objects.create(community=world.a.community, patrols_on_days_off=False)
    PatrolSchedule.objects.create(community=world.b.community)
    a_grids = list(world.a.community.children.all())
    assert run() & windows(*a_grids) == set()
    # Sunday's closed shapes stay the same (B's, which A's becomes, and the default).
    PatrolSchedule.objects.filter(community=world.a.community).update(patrols_on_days_off=True)
    assert run() == windows(*a_grids)


def test_a_schedule_deleted_is_recorded(world):
    PatrolSchedule.objects.create(community=world.a.community, patrols_on_days_off=False)
    a_grids = list(world.a.community.children.all())
    assert run() & windows(*a_grids) == set()
    PatrolSchedule.objects.filter(community=world.a.community).delete()  # the default's
    assert run() == windows(*a_grids)


def test_a_make_up_working_day_is_recorded(world):
    PatrolSchedule.objects.create(community=world.a.community, patrols_on_days_off=False)
    a_grids = list(world.a.community.children.all())
    assert run() & windows(*a_grids) == set()
    CalendarDay.objects.bulk_create([CalendarDay(day=SUNDAY, kind=CalendarDay.Kind.WORKING_DAY)])
    assert run() == windows(*a_grids)


def test_a_window_closing_later_for_another_community_is_recorded(world):
    PatrolSchedule.objects.create(community=world.a.community, grace_minutes=15)
    b_grids = list(world.b.community.children.all())
    assert run(local(MONDAY, 12, 20)) & monday_am(*b_grids) == set()
    assert run(local(MONDAY, 12, 31)) == monday_am(*b_grids)


def admin_request():
    request = RequestFactory().post("/admin/")
    request.user = make_user("root", is_staff=True, is_superuser=True)
    return request


def test_a_record_deleted_in_the_admin_is_written_again(world):
    run()
    missed = MissedPatrol.objects.filter(grid=world.b.grid, day=SUNDAY)
    model_admin, request = admin.site._registry[MissedPatrol], admin_request()
    model_admin.delete_model(request, missed.get(slot=AM))
    model_admin.delete_queryset(request, missed.filter(slot=PM))
    assert CoverageEdit.objects.count() == 2
    assert run() == windows(world.b.grid)


def test_a_log_made_not_to_count_in_the_admin_is_recorded(world):
    logs = [make_patrol(grid, SUNDAY, AM) for grid in all_grids()]
    assert (world.a.grid.code, SUNDAY, AM) not in run()
    patrol = next(p for p in logs if p.grid == world.a.grid)
    patrol.status = Patrol.Status.IN_PROGRESS
    admin.site._registry[Patrol].save_model(admin_request(), patrol, None, change=True)
    assert run() == {(world.a.grid.code, SUNDAY, AM)}


def test_a_log_deleted_in_the_admin_is_recorded(world):
    logs = [make_patrol(grid, SUNDAY, PM) for grid in all_grids()]
    assert (world.a.grid.code, SUNDAY, PM) not in run()
    patrol = next(p for p in logs if p.grid == world.a.grid)
    admin.site._registry[Patrol].delete_model(admin_request(), patrol)
    assert run() == {(world.a.grid.code, SUNDAY, PM)}
