"""A rental written after its days were rolled up makes the roll-up forget every day it
changed: in each grid its household stayed in since its first day, as it was and as it is,
whether it is added, moved to later dates or another household, or deleted. Every row the
roll-up keeps then equals the register counted live."""

import datetime

import pytest
import time_machine

from grids.changes import move_buildings
from grids.models import Rental
from reports.figures import register_by_grid
from reports.models import GridDay
from reports.rollup import fill_missing
from tests.factories import make_household, make_resident
from tests.incidents.factories import local

D = datetime.date
TODAY = D(2026, 4, 10)
OLD = D(2025, 1, 1)


def assert_rows_equal_the_register():
    rows = list(GridDay.objects.values("grid_id", "day", "rentals"))
    assert rows
    live = register_by_grid({r["grid_id"] for r in rows}, {r["day"] for r in rows})
    for row in rows:
        counted = live.get((row["grid_id"], row["day"]), {"rentals": 0})["rentals"]
        assert row["rentals"] == counted, row


@pytest.fixture
def moved(world):
    """A household of grid A moved to grid B on March 15th, the days since rolled up."""
    grid, other = world.a.grid, world.a.other_grid
    with time_machine.travel(local(D(2026, 3, 20), 9), tick=False):
        household = make_household(grid, on=OLD)
        make_resident(household, on=OLD)
        staying = make_household(other, on=OLD)
    with time_machine.travel(local(D(2026, 3, 20), 10), tick=False):
        move_buildings(grid, other, None, on=D(2026, 3, 15), by=None)
    with time_machine.travel(local(TODAY, 9), tick=False):
        fill_missing(days=50)
        yield household, staying


def test_a_rental_begun_before_its_household_moved_forgets_the_grid_it_left(moved):
    household, _staying = moved
    with time_machine.travel(local(TODAY, 10), tick=False):
        Rental.objects.create(household=household, starts_on=D(2026, 3, 1), ends_on=TODAY)
        assert_rows_equal_the_register()


def test_a_rental_moved_to_later_dates_or_another_household_or_deleted(moved):
    household, staying = moved
    with time_machine.travel(local(TODAY, 10), tick=False):
        rental = Rental.objects.create(household=household, starts_on=D(2026, 3, 1), ends_on=TODAY)
        fill_missing(days=50)
        rental.starts_on = D(2026, 4, 5)
        rental.save()
        assert_rows_equal_the_register()
        fill_missing(days=50)
        rental.starts_on = D(2026, 3, 2)
        rental.save()
        fill_missing(days=50)
        rental.household = staying
        rental.save()
        assert_rows_equal_the_register()
        fill_missing(days=50)
        rental.delete()
        assert_rows_equal_the_register()
