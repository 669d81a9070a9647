"""The district and street staff's home figures (reports.home.area_figures) read the daily
roll-up for the past days of the month and count today live: they equal the figures counted
live (figures_by_child) before and after the roll-up, and after a back-dated write made it
forget a day; and the page's queries are pinned and do not grow with the data."""

import dataclasses

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from patrols.models import Patrol
from patrols.services import submit_patrol
from reports.figures import Figures, figures_by_child
from reports.home import area_figures
from reports.models import GridDay
from reports.rollup import count_today, fill_missing
from tests.patrols.factories import local
from tests.reports.test_figures import march, seeded  # noqa: F401 (fixture)
from tests.reports.test_home import (  # noqa: F401 (fixtures)
    PERSONAS,
    home,
    now,
    populate,
    street_staff,
)

TODAY = march(25)


# What the home page shows (its headlines: coverage, incidents filed, closed on time, overdue
# still open, escalations, overdue instructions; a child's on-time rate, overdue and
# coverage), so counts; the other figures are zero.
SHOWN = (
    "windows",
    "done",
    "short",
    "opened",
    "due",
    "on_time",
    "overdue_open",
    "escalations",
    "overdue_instructions",
    "grids",
)
NOT_SHOWN = [f.name for f in dataclasses.fields(Figures) if f.name not in SHOWN]


def live(area, today):
    """What the home page counts: every figure it shows, counted live, the others zero; the
    totals the children's sum."""
    children = [
        (child, figures)
        for child, figures in figures_by_child(area, today.replace(day=1), today, register=False)
        if figures.grids
    ]
    for _child, figures in children:
        for name in NOT_SHOWN:
            setattr(figures, name, getattr(Figures(), name))
    totals = Figures()
    for _child, figures in children:
        totals.add(figures)
    return children, totals


def assert_as_live(world):
    for area in (world.district, world.street):
        children, totals = area_figures(area, TODAY)
        expected_children, expected_totals = live(area, TODAY)
        assert children == expected_children, area.code
        assert totals == expected_totals, area.code
    return totals


def test_the_home_figures_equal_the_live_count_with_and_without_the_roll_up(seeded):  # noqa: F811
    world = seeded
    with time_machine.travel(local(TODAY, 10), tick=False):
        nothing_rolled = assert_as_live(world)
        # The seeded month is not empty: patrols, incidents and instructions count.
        assert nothing_rolled.windows and nothing_rolled.done and nothing_rolled.opened
        assert nothing_rolled.due and nothing_rolled.on_time and nothing_rolled.overdue_open
        assert nothing_rolled.escalations and nothing_rolled.overdue_instructions

        assert fill_missing(days=30) == 30
        assert GridDay.objects.filter(grid=world.a.grid, day__range=(march(1), march(24))).count()
        assert assert_as_live(world) == nothing_rolled

        # A log of March 6th written up late: the roll-up forgets that day, counted live.
        abandoned = Patrol.objects.get(
            grid=world.a.grid, day=march(6), status=Patrol.Status.IN_PROGRESS
        )
        submit_patrol(abandoned, by=abandoned.member, summary="Written up late.")
        assert not GridDay.objects.filter(grid=world.a.grid, day=march(6)).exists()
        after = assert_as_live(world)
        assert after.covered == nothing_rolled.covered + 1


# The page: session, user, posts (scope), who is acting on my posts, my incidents, my action
# items, unread notifications = 7. The area section, report_figures without the register,
# the trend, the categories, the missed windows and what is due and closed: the grids, the
# children; the month's state per child that the page shows (incidents overdue,
# instructions) = 4; the areas' roll-up and today's counts so far = 2; the grids' roll-up's
# sums with the rows it has of each day (which tell the days it lacks) = 1; those days
# counted live (schedules, patrols, incidents) = 3. With the past days rolled up, the areas'
# roll-up has them all: the grids' roll-up is not read, and today is counted live at 10:00,
# before any window of the day has closed: no log counts, none is read (schedules,
# incidents = 2). With today counted too (reports.rollup.count_today), nothing is counted
# live.
LIVE = 7 + 4 + 2 + 1 + 3
ROLLED = 7 + 4 + 2 + 2
COUNTED = 7 + 4 + 2


@pytest.mark.parametrize("persona", ["district_staff", "street_staff"])
def test_the_area_home_page_query_count_is_pinned_at_two_sizes(
    client,
    world,
    street_staff,  # noqa: F811
    now,  # noqa: F811
    persona,
):
    user = PERSONAS[persona](world, street_staff)
    populate(world, 1)
    small, body = home(client, user)
    populate(world, 6)
    large, _ = home(client, user)
    assert small == large
    # The pin is PostgreSQL's: SQLite splits GROUPING SETS and the percentiles in more queries.
    on_postgresql = connection.vendor == "postgresql"
    assert small == LIVE or not on_postgresql
    assert 'data-home="area"' in body
    # With the month's past days rolled up, the page reads them, whatever the data.
    fill_missing(days=timezone.localdate().day - 1)
    rolled, _ = home(client, user)
    populate(world, 2)
    fill_missing(days=timezone.localdate().day - 1)
    rolled_large, _ = home(client, user)
    assert rolled == rolled_large
    assert rolled == ROLLED or not on_postgresql
    count_today()
    counted, body = home(client, user)
    populate(world, 3)
    fill_missing(days=timezone.localdate().day - 1)
    count_today()
    counted_large, _ = home(client, user)
    assert counted == counted_large
    assert counted == COUNTED or not on_postgresql
    assert "data-today-as-of" in body
