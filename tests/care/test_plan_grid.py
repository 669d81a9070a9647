"""A care plan's grid (CarePlan.grid, where the visits due find a person) is always the grid
of the resident's household: written with the plan, kept when a resident moves to another
household and when a grid's buildings move to another grid (with the people who moved out
of their households), and filled for the plans there were (care 0003)."""

import datetime
import importlib

import pytest
import time_machine
from django.apps import apps
from django.db.models import F

from care import due
from care.models import CarePlan
from grids import changes, services
from grids.models import AreaChange, Tag
from tests.care.factories import tagged_person
from tests.factories import make_household, make_resident, make_user
from tests.patrols.factories import local

TAGGED_ON = datetime.date(2026, 11, 2)  # weekly: due on 9 November
TODAY = datetime.date(2026, 11, 16)  # a Monday: every plan is overdue


@pytest.fixture
def alone(db):
    return Tag.objects.get(name="独居老人")


def misfiled():
    """The residents whose plan's grid is not their household's grid: none, ever."""
    return list(
        CarePlan.objects.exclude(grid_id=F("resident__household__grid_id")).values_list(
            "resident_id", flat=True
        )
    )


def overdue_of(community):
    rows, count = due.overdue([community.pk], TODAY)
    assert count == len(rows)
    return {plan.resident_id for plan in rows}


def test_a_plan_is_written_in_its_residents_grid(world, alone):
    person = tagged_person(world.a.other_grid, alone)
    assert CarePlan.objects.get(resident=person).grid_id == world.a.other_grid.pk


def test_a_resident_who_moves_takes_their_plan_to_the_new_grid(world, alone):
    with time_machine.travel(local(TAGGED_ON, 9)):
        mover = tagged_person(world.a.grid, alone)
        stays = tagged_person(world.a.grid, alone)
        neighbour = tagged_person(world.a.grid, alone)
    with time_machine.travel(local(TODAY, 9)):
        assert overdue_of(world.a.community) == {mover.pk, stays.pk, neighbour.pk}
        # To another community, and within the grid to another household.
        services.move_resident(
            mover, to=make_household(world.b.grid), on=TODAY, by=world.b.stationmaster
        )
        services.move_resident(
            neighbour, to=make_household(world.a.grid), on=TODAY, by=world.a.stationmaster
        )
        assert CarePlan.objects.get(resident=mover).grid_id == world.b.grid.pk
        assert misfiled() == []
        assert overdue_of(world.a.community) == {stays.pk, neighbour.pk}
        assert overdue_of(world.b.community) == {mover.pk}


def test_households_moving_to_another_grid_take_their_peoples_plans(world, alone):
    grid, target = world.a.grid, world.a.other_grid
    building = grid.children.get()
    with time_machine.travel(local(TAGGED_ON, 9)):
        household = make_household(grid, building=building)
        people = [make_resident(household, on=TAGGED_ON) for _ in range(2)]
        left = make_resident(household, on=TAGGED_ON)
        for person in [*people, left]:
            person.tags.add(alone)
        elsewhere = tagged_person(grid, alone)
        services.move_out(left, on=datetime.date(2026, 11, 10), by=world.a.stationmaster)
    admin = make_user("root", is_superuser=True, is_staff=True)
    with time_machine.travel(local(TODAY, 9)):
        changes.record_area_change(
            AreaChange.Kind.MOVE, grid, on=TODAY, by=admin, buildings=[building], target=target
        )
        household.refresh_from_db()
        assert household.grid_id == target.pk
        assert misfiled() == []
        plans = dict(CarePlan.objects.values_list("resident_id", "grid_id"))
        assert plans == {
            people[0].pk: target.pk,
            people[1].pk: target.pk,
            left.pk: target.pk,  # moved out: still with the household, as the register
            elsewhere.pk: grid.pk,
        }
        rows, count = due.overdue([world.a.community.pk], TODAY)
        assert {(p.resident_id, p.grid.name) for p in rows} == {
            (people[0].pk, target.name),
            (people[1].pk, target.name),
            (elsewhere.pk, grid.name),
        }


def test_the_migration_fills_the_grid_of_the_plans_there_were(world, alone):
    people = [tagged_person(world.a.grid, alone), tagged_person(world.b.other_grid, alone)]
    CarePlan.objects.update(grid=world.b.grid)  # as if empty: any grid but theirs
    assert set(misfiled()) == {p.pk for p in people}
    migration = importlib.import_module("care.migrations.0003_careplan_grid")
    migration.fill_grid(apps, None)
    assert misfiled() == []


def test_the_admin_cannot_move_a_household_or_a_resident_around_the_upkeep(world, alone, client):
    """The admin shows a household's grid and a resident's household but does not change them:
    a move goes through the register's pages, which keep the care plan's grid."""
    person = tagged_person(world.a.grid, alone)
    household = person.household
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    for url, field in [
        (f"/admin/grids/household/{household.pk}/change/", "grid"),
        (f"/admin/grids/resident/{person.pk}/change/", "household"),
    ]:
        page = client.get(url)
        assert page.status_code == 200
        assert f'name="{field}"' not in page.content.decode()
