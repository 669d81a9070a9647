"""The register as of today, for a period that ends today: from yesterday's roll-up and the
rows dated today (reports.register_day), equal to the register counted live after every kind
of change made today (a household registered, a resident moving in, out, to another grid,
changing status, a rental beginning today, one that ended yesterday, a grid's households
moved to another grid), at every level of the report; counted live when yesterday is not
rolled up or a grid begins today."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids import services as register
from grids.changes import move_buildings
from grids.models import Area, Rental
from reports.figures import REGISTER, figures_by_grid, register_by_grid, report_figures
from reports.models import AreaDay
from reports.rollup import fill_missing, forget
from tests.factories import make_area, make_household, make_resident
from tests.incidents.factories import local

D = datetime.date
TODAY = D(2026, 4, 10)
YESTERDAY = TODAY - datetime.timedelta(days=1)
MONTH = D(2026, 4, 1)
OLD = D(2025, 1, 1)
# The statements of today's changes look for the households of the stays ended today
# (reports.register_day.register_changes); the live count has no such condition.
CHANGES = '"moved_out_on" = '


@pytest.fixture
def changed(world):
    """A register rolled up to yesterday, then changed today in every way it can be."""
    grid, other, b = world.a.grid, world.a.other_grid, world.b.grid
    with time_machine.travel(local(YESTERDAY, 9), tick=False):
        staying = make_household(grid, on=OLD)
        make_resident(staying, on=OLD)
        leaver = make_resident(staying, on=OLD)
        moving = make_resident(staying, on=OLD, population="floating")
        changing = make_resident(staying, on=OLD)
        elsewhere = make_household(other, on=OLD)
        make_resident(elsewhere, on=OLD)
        quiet = make_household(other, on=OLD)  # nothing else happens to it today
        make_resident(quiet, on=OLD)
        gone = make_resident(quiet, on=OLD)
        merged = make_household(b, on=OLD)
        make_resident(merged, on=OLD)
        make_resident(merged, on=OLD, population="floating")
        Rental.objects.create(household=merged, starts_on=OLD, ends_on=D(2026, 12, 31))
        Rental.objects.create(household=staying, starts_on=MONTH, ends_on=YESTERDAY)
        Rental.objects.create(household=elsewhere, starts_on=OLD, ends_on=D(2026, 12, 31))
    with time_machine.travel(local(TODAY, 9), tick=False):
        fill_missing()
        assert AreaDay.objects.filter(day=YESTERDAY).exists()
        newcomer = make_household(other, on=TODAY)
        make_resident(newcomer, on=TODAY, population="floating")
        make_resident(elsewhere, on=TODAY)
        register.move_out(leaver, on=TODAY, by=None)
        register.move_out(gone, on=TODAY, by=None)
        register.move_resident(moving, to=elsewhere, on=TODAY, by=None)
        register.update_resident(changing, by=None, population="floating")
        Rental.objects.create(household=newcomer, starts_on=TODAY, ends_on=D(2027, 4, 9))
        move_buildings(b, world.b.other_grid, None, on=TODAY, by=None)
    return world


def live(world):
    """{grid id: register as of today}, counted from every row."""
    grids = list(Area.objects.grids().values_list("pk", flat=True))
    counted = register_by_grid(grids, [TODAY])
    zero = dict.fromkeys(REGISTER, 0)
    return {pk: counted.get((pk, TODAY), zero) for pk in grids}


def register_of(figures):
    return {name: getattr(figures, name) for name in REGISTER}


def summed(counts, grid_ids):
    return {name: sum(counts[pk][name] for pk in grid_ids) for name in REGISTER}


def test_todays_register_is_yesterdays_roll_up_and_todays_changes(changed):
    world = changed
    with time_machine.travel(local(TODAY, 11), tick=False):
        expected = live(world)
        # Every kind of change made a difference today.
        grid, other, b = world.a.grid.pk, world.a.other_grid.pk, world.b.grid.pk
        assert expected[b] == dict.fromkeys(REGISTER, 0)
        assert expected[world.b.other_grid.pk]["rentals"] == 1
        assert expected[grid]["rentals"] == 0
        assert expected[other]["floating"] == 2

        grids = Area.objects.grids().under(world.district)
        with CaptureQueriesContext(connection) as queries:
            by_grid = figures_by_grid(grids, MONTH, TODAY)
        assert any(CHANGES in q["sql"] for q in queries)
        assert {pk: register_of(f) for pk, f in by_grid.items()} == expected

        # The report of every level: the communities (the areas' roll-up gives yesterday),
        # the grids of a community, and the district's headline.
        for area in (world.street, world.a.community, world.b.community, world.district):
            with CaptureQueriesContext(connection) as queries:
                children, headline, _trend = report_figures(area, MONTH, TODAY, grids)
            assert any(CHANGES in q["sql"] for q in queries), area
            for child, figures in children:
                ids = Area.objects.grids().under(child).values_list("pk", flat=True)
                assert register_of(figures) == summed(expected, ids), child
            under = Area.objects.grids().under(area).values_list("pk", flat=True)
            assert register_of(headline) == summed(expected, under), area


def test_counted_live_when_yesterday_is_not_rolled_up_or_a_grid_begins_today(changed):
    world = changed
    grids = Area.objects.grids().under(world.district)
    with time_machine.travel(local(TODAY, 11), tick=False):
        expected = live(world)
        forget([world.a.grid.pk], YESTERDAY)
        with CaptureQueriesContext(connection) as queries:
            by_grid = figures_by_grid(grids, MONTH, TODAY)
        assert not any(CHANGES in q["sql"] for q in queries)
        assert {pk: register_of(f) for pk, f in by_grid.items()} == expected

        fill_missing()
        new = make_area(Area.Kind.GRID, world.a.community, code="T-01-01-09", valid_from=TODAY)
        make_resident(make_household(new, on=TODAY), on=TODAY)
        expected = live(world)
        with CaptureQueriesContext(connection) as queries:
            by_grid = figures_by_grid(Area.objects.grids().under(world.district), MONTH, TODAY)
        assert not any(CHANGES in q["sql"] for q in queries)
        assert {pk: register_of(f) for pk, f in by_grid.items()} == expected
        assert expected[new.pk]["residents"] == 1
