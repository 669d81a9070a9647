"""The daily roll-up of the register: its rows equal the register counted directly, the
reports read it and give exactly the numbers they count live, filling is idempotent, and a
real worker on Redis fills each day once."""

import datetime
import re
import threading

import pytest
import time_machine
from celery.signals import task_postrun
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grids.models import Area, Membership, Rental
from grids.services import move_out
from reports.figures import figures_by_child, figures_by_grid, figures_for, trend
from reports.models import PopulationDay, ScoreWeights
from reports.rollup import fill_missing, missing_days, roll_up
from reports.tasks import roll_up_population
from tests.factories import make_area
from tests.incidents.factories import local
from tests.reports.test_figures import BEFORE, END, START, march, seed_register

D = datetime.date
TODAY = D(2026, 4, 10)  # the register's month is March 2026


@pytest.fixture
def register(world):
    with time_machine.travel(local(TODAY, 9), tick=False):
        seed_register(world.a.grid, world.a.other_grid)
    return world


@pytest.fixture
def at_today():
    with time_machine.travel(local(TODAY, 9), tick=False):
        yield


def counted(grid, day):
    """The register of `grid` on `day`, counted here from the rows."""
    stays = Membership.objects.as_of(day).filter(grid=grid)
    return {
        "households": stays.values("household_id").distinct().count(),
        "residents": stays.count(),
        "floating": stays.filter(population="floating").count(),
        "rentals": Rental.objects.filter(
            household__grid=grid, starts_on__lte=day, ends_on__gte=day
        ).count(),
    }


def saved(grid, day):
    row = PopulationDay.objects.get(grid=grid, day=day)
    return {name: getattr(row, name) for name in counted(grid, day)}


def test_the_roll_up_equals_the_register_counted_directly(register, at_today):
    grid, other = register.a.grid, register.a.other_grid
    days = [BEFORE, START, march(11), march(12), march(15), march(20), END]
    for day in days:
        assert roll_up(day) == Area.objects.grids().count()
    for day in days:
        for area in (grid, other, register.b.grid):
            assert saved(area, day) == counted(area, day), (area, day)
    # The resident who moved from the other grid on March 12th counts there until the 11th.
    assert saved(other, march(11))["residents"] == 2
    assert saved(other, march(12))["residents"] == 1
    assert saved(grid, march(12))["floating"] - saved(grid, march(11))["floating"] == 1
    # Rolling a day up again replaces its rows.
    roll_up(END)
    assert PopulationDay.objects.filter(day=END).count() == Area.objects.grids().count()


def register_of(figures):
    names = ("households", "residents", "floating", "rentals")
    return {n: getattr(figures, n) for n in (*names, *(f"{n}_before" for n in names))}


def test_the_reports_give_the_same_numbers_from_the_roll_up(register, at_today):
    street = register.street
    grids = Area.objects.under(street).grids()
    periods = [(START, END), (march(12), march(15)), (START, TODAY)]
    live = [figures_for(grids, start, end) for start, end in periods]
    by_child = figures_by_child(street, START, END)
    by_grid = figures_by_grid(grids, START, END)
    weekly = trend(grids, START, END, "week")
    assert live[0].residents and all(f.population_as_of is None for f in live)

    assert fill_missing() == 70
    rolled, counts = [], []
    for start, end in periods:
        with CaptureQueriesContext(connection) as queries:
            rolled.append(figures_for(grids, start, end))
        counts.append(len(queries))
    assert rolled == live
    assert [register_of(f) for f in rolled] == [register_of(f) for f in live]
    # The two register queries are left out where the roll-up has both days: 12 - 2; the
    # last period ends today: counted live. The pin is PostgreSQL's: SQLite reads the time
    # to close in two queries (the waits for a response, the durations), one more each.
    assert counts[0] == counts[1] == counts[2] - 2, counts
    assert counts == [10, 10, 12] or connection.vendor != "postgresql", counts
    computed_at = PopulationDay.objects.earliest("computed_at").computed_at
    assert [f.population_as_of for f in rolled] == [computed_at] * 3
    assert figures_by_child(street, START, END) == by_child
    assert all(f.population_as_of == computed_at for _, f in figures_by_child(street, START, END))
    assert figures_by_grid(grids, START, END) == by_grid
    assert trend(grids, START, END, "week") == weekly

    # The figures really come from the table: change a row and they follow it.
    PopulationDay.objects.filter(grid=register.a.grid, day=END).update(households=1000)
    assert figures_for(grids, START, END).households == live[0].households - (
        counted(register.a.grid, END)["households"] - 1000
    )
    # A day without a row for every grid asked for is counted live.
    PopulationDay.objects.filter(grid=register.a.grid, day=END).delete()
    again = figures_for(grids, START, END)
    assert again == live[0]
    assert again.population_as_of == computed_at  # the day before the start still rolled up
    PopulationDay.objects.filter(day=BEFORE).delete()
    assert figures_for(grids, START, END).population_as_of is None


def test_the_report_page_says_when_population_comes_from_the_roll_up(client, register):
    ScoreWeights.load()
    client.force_login(register.district_officer)
    url = f"/reports/?area={register.street.code}&start={START}&end={END}"
    with time_machine.travel(local(TODAY, 9), tick=False):
        assert b"data-population-as-of" not in client.get(url).content
        fill_missing()
        page = client.get(url).content.decode()
    line = re.search(r"<p[^>]*data-population-as-of>([^<]*)</p>", page).group(1)
    # Local time (Asia/Shanghai): the roll-up ran at 09:00 there, 01:00 UTC.
    assert line == "Population from the daily roll-up of 04/10/2026 9 a.m.", line


def test_a_register_write_dated_in_the_past_drops_the_days_it_changed(register, at_today):
    grid = register.a.grid
    fill_missing(days=45)
    moved_on = D(2026, 3, 20)
    resident = Membership.objects.as_of(moved_on).filter(grid=grid)[0].resident
    before = counted(grid, D(2026, 3, 25))

    move_out(resident, on=moved_on, by=register.a.grid_member)

    kept = PopulationDay.objects.filter(grid=grid)
    assert kept.filter(day__lt=moved_on).exists()
    assert not kept.filter(day__gte=moved_on).exists()
    assert PopulationDay.objects.filter(grid=register.a.other_grid, day__gte=moved_on).exists()
    assert counted(grid, D(2026, 3, 25))["residents"] == before["residents"] - 1
    # Counted live until the task rolls the days up again; then from the roll-up, the same.
    live = figures_for(Area.objects.filter(pk=grid.pk), START, END)
    assert fill_missing(days=45) > 0
    assert PopulationDay.objects.filter(grid=grid, day=END).exists()
    rolled = figures_for(Area.objects.filter(pk=grid.pk), START, END)
    assert rolled.residents == live.residents == counted(grid, END)["residents"]


def test_filling_twice_creates_nothing_more(register, at_today):
    grids = Area.objects.grids().count()
    assert fill_missing(days=10, per_run=4) == 4
    assert sorted(set(PopulationDay.objects.values_list("day", flat=True))) == [
        TODAY - datetime.timedelta(days=n) for n in range(10, 6, -1)
    ]  # oldest first
    assert fill_missing(days=10) == 6
    assert PopulationDay.objects.count() == 10 * grids
    assert fill_missing(days=10) == 0
    assert PopulationDay.objects.count() == 10 * grids
    assert not PopulationDay.objects.filter(day__gte=TODAY).exists()  # today is not final
    # A new grid leaves the days incomplete: they are rolled up again, for every grid.
    make_area(Area.Kind.GRID, register.a.community, code=f"{register.a.community.code}-99")
    assert missing_days(days=10) == [TODAY - datetime.timedelta(days=n) for n in range(10, 0, -1)]
    assert fill_missing(days=10) == 10
    assert PopulationDay.objects.count() == 10 * (grids + 1)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_fills_each_day_once(celery_worker_on_redis, world):
    results = []
    finished = threading.Event()

    def collect(sender=None, retval=None, **kwargs):
        if sender.name == "reports.tasks.roll_up_population":
            results.append(retval)
            if len(results) == 2:
                finished.set()

    task_postrun.connect(collect, weak=False)
    try:
        roll_up_population.delay()
        roll_up_population.delay()
        assert finished.wait(60), f"the worker ran the roll-up {len(results)} times, not 2"
    finally:
        task_postrun.disconnect(collect)

    assert sorted(results) == [0, 70]
    grids = Area.objects.grids().count()
    assert PopulationDay.objects.count() == 70 * grids
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert PopulationDay.objects.latest("day").day == yesterday
    assert missing_days() == []
