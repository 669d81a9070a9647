"""Figures of the past stay the figures of the past when the map changes.

Grid A of community T-01-01 is split on 1 June 2026: a new grid N (valid from 1 June) takes
one of A's households, with its residents, its rental, an open incident and an open
instruction; the community's other grid O is retired from 1 July (valid to 30 June). The
dated facts are set directly (as the area-change services leave them). The figures of March
taken before and after the split are equal, grid by grid; July shows N with what it holds;
windows count only on the days a grid existed; the roll-up agrees with the live count and
expects no grid on a day it did not exist; the report page, its export, the board and the
monthly grid reports list the grids that existed in the period or on the day.
"""

import datetime
import io
import re
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from grids.models import Area, Household, HouseholdGrid, Membership, Post, Rental, Role
from incidents.models import Incident
from meetings.gridreports import draft_monthly_reports
from meetings.models import GridReport
from patrols.models import Instruction, MissedPatrol, Slot
from reports.figures import (
    Figures,
    figures_by_child,
    figures_by_grid,
    figures_for,
    local_midnight,
    trend,
)
from reports.models import PopulationDay, ScoreWeights
from reports.rollup import fill_missing, missing_days, roll_up_days
from tests.factories import make_area, make_household, make_post, make_resident, make_user
from tests.incidents.factories import local, make_incident
from tests.patrols.factories import make_patrol

D = datetime.date
AM, PM = Slot.MORNING, Slot.AFTERNOON
TODAY = D(2026, 8, 10)
SPLIT_ON = D(2026, 6, 1)
RETIRED_AFTER = D(2026, 6, 30)
MARCH = (D(2026, 3, 1), D(2026, 3, 31))
MAY = (D(2026, 5, 1), D(2026, 5, 31))
JUNE = (D(2026, 6, 1), D(2026, 6, 30))
JULY = (D(2026, 7, 1), D(2026, 7, 31))
OLD = D(2025, 1, 1)


@pytest.fixture
def today(db):
    ScoreWeights.load()
    with time_machine.travel(local(TODAY, 10), tick=False):
        yield


def incident(grid, filed, deadline, closed=None, **fields):
    made = make_incident(grid, by=make_user(), at=filed)
    status = Incident.Status.CLOSED if closed else Incident.Status.IN_PROGRESS
    Incident.objects.filter(pk=made.pk).update(
        filed_at=filed, deadline_at=deadline, closed_at=closed, status=status, **fields
    )
    return made


@pytest.fixture
def mapped(world, today):
    """The community before the split: A holds two households, O one; work in March in A,
    in June and July in O."""
    a, o = world.a.grid, world.a.other_grid
    staying = make_household(a, on=OLD)
    make_resident(staying, on=OLD)
    make_resident(staying, on=OLD, population="floating")
    moving = make_household(a, on=OLD)
    for population in ("registered", "registered", "floating"):
        make_resident(moving, on=OLD, population=population)
    make_post(o, Role.GRID_MEMBER)
    in_o = make_household(o, on=OLD)
    make_resident(in_o, on=OLD)
    Rental.objects.create(household=staying, starts_on=D(2025, 6, 1), ends_on=D(2026, 12, 31))
    # Began before the household was registered: counted in its first grid, as ever.
    Rental.objects.create(household=moving, starts_on=D(2024, 2, 1), ends_on=D(2026, 12, 31))

    # Patrols in March in A (one missed), in June and July in O.
    make_patrol(a, D(2026, 3, 2), AM)
    make_patrol(a, D(2026, 3, 3), PM, minutes=40)
    MissedPatrol.objects.create(grid=a, day=D(2026, 3, 4), slot=AM)
    make_patrol(o, D(2026, 6, 10), AM)
    # Logged and recorded missed after O's last day (before the sweep knew): not counted.
    make_patrol(o, D(2026, 7, 6), AM)
    MissedPatrol.objects.create(grid=o, day=D(2026, 7, 5), slot=PM)

    # Incidents of A: one closed in March; one filed in March, overdue and open at the end
    # of March, escalated in May, closed in July (after it moved to N).
    incident(a, local(D(2026, 3, 3), 9), local(D(2026, 3, 5), 9), local(D(2026, 3, 4), 9))
    moved = incident(
        a,
        local(D(2026, 3, 10), 9),
        local(D(2026, 3, 12), 9),
        local(D(2026, 7, 20), 9),
        escalation_level=1,
        escalated_at=local(D(2026, 5, 5), 9),
        rework_count=1,
        satisfaction="satisfied",
    )
    instruction = Instruction.objects.create(
        grid=a, text="Check the rental", due_on=D(2026, 3, 20), issued_by=make_user()
    )
    Instruction.objects.filter(pk=instruction.pk).update(issued_at=local(D(2026, 2, 20), 9))
    return SimpleNamespace(
        a=a,
        o=o,
        community=world.a.community,
        moving=moving,
        incident=moved,
        instruction=instruction,
    )


def split(mapped):
    """Apply the split of 1 June and the retirement of O from 1 July, as dated facts."""
    new = make_area(
        Area.Kind.GRID, mapped.community, code=f"{mapped.community.code}-03", valid_from=SPLIT_ON
    )
    Area.objects.filter(pk=mapped.o.pk).update(valid_to=RETIRED_AFTER)
    mapped.o.refresh_from_db()
    Post.all_posts.filter(area=mapped.o).update(closed_on=RETIRED_AFTER + datetime.timedelta(1))
    household = mapped.moving
    HouseholdGrid.objects.filter(household=household, until_on__isnull=True).update(
        until_on=SPLIT_ON
    )
    HouseholdGrid.objects.create(household=household, grid=new, since_on=SPLIT_ON)
    Household.objects.filter(pk=household.pk).update(grid=new)
    for stay in Membership.objects.filter(household=household, moved_out_on__isnull=True):
        Membership.objects.filter(pk=stay.pk).update(moved_out_on=SPLIT_ON)
        Membership.objects.create(
            resident_id=stay.resident_id,
            household=household,
            grid=new,
            population=stay.population,
            moved_in_on=SPLIT_ON,
        )
    moved = {"grid": new, "moved_from": mapped.a, "moved_at": local_midnight(SPLIT_ON)}
    Incident.objects.filter(pk=mapped.incident.pk).update(**moved)
    Instruction.objects.filter(pk=mapped.instruction.pk).update(**moved)
    make_post(new, Role.GRID_MEMBER)
    # Logged on N before it existed (by mistake): not counted.
    make_patrol(new, D(2026, 5, 20), AM)
    MissedPatrol.objects.create(grid=new, day=D(2026, 5, 21), slot=PM)
    make_patrol(new, D(2026, 7, 2), AM)
    return new


def community_grids(mapped):
    return Area.objects.grids().under(mapped.community)


def register(figures):
    return (figures.households, figures.residents, figures.floating, figures.rentals)


# --- Figures ---


def test_a_past_month_is_the_same_grid_by_grid_before_and_after_the_split(mapped):
    before_by_grid = figures_by_grid(community_grids(mapped), *MARCH)
    before_total = figures_for(community_grids(mapped), *MARCH)
    before_children = figures_by_child(mapped.community, *MARCH)
    before_may = figures_by_grid(community_grids(mapped), *MAY)
    # What March holds, so the comparison is not of two empty rows.
    in_a = before_by_grid[mapped.a.pk]
    assert register(in_a) == (2, 5, 2, 2)
    assert (in_a.opened, in_a.closed, in_a.due, in_a.on_time, in_a.overdue_open) == (2, 1, 2, 1, 1)
    assert (in_a.done, in_a.short, in_a.missed, in_a.overdue_instructions) == (1, 1, 1, 1)
    assert in_a.grid_workers == 2 and before_may[mapped.a.pk].escalations == 1

    new = split(mapped)

    after_by_grid = figures_by_grid(community_grids(mapped), *MARCH)
    assert after_by_grid[mapped.a.pk] == before_by_grid[mapped.a.pk]
    assert after_by_grid[mapped.o.pk] == before_by_grid[mapped.o.pk]
    assert after_by_grid[new.pk] == Figures()  # it did not exist in March
    assert figures_for(community_grids(mapped), *MARCH) == before_total
    after_children = figures_by_child(mapped.community, *MARCH)
    assert [child for child, _f in after_children] == [mapped.a, mapped.o]
    assert after_children == before_children
    # The escalation of May happened in A, before the move.
    after_may = figures_by_grid(community_grids(mapped), *MAY)
    assert after_may[mapped.a.pk] == before_may[mapped.a.pk]
    assert after_may[new.pk].escalations == 0


def test_the_month_after_shows_the_new_grid_with_what_it_holds(mapped):
    new = split(mapped)

    july = dict(figures_by_child(mapped.community, *JULY))
    assert list(july) == [mapped.a, new]  # O was retired from 1 July
    in_a, in_new = july[mapped.a], july[new]
    assert register(in_a) == (1, 2, 1, 1)
    assert register(in_new) == (1, 3, 1, 1)
    assert (in_new.closed, in_new.rework, in_new.satisfied, in_new.rated) == (1, 1, 1, 1)
    assert in_a.closed == 0
    assert (in_new.overdue_instructions, in_a.overdue_instructions) == (1, 0)
    assert (in_new.grid_workers, in_new.grids) == (1, 1)
    # June: the three grids; the household counts where it lived on each day.
    june = dict(figures_by_child(mapped.community, *JUNE))
    assert list(june) == [mapped.a, mapped.o, new]
    assert (june[new].households_before, june[new].households) == (0, 1)
    assert (june[mapped.a].households_before, june[mapped.a].households) == (2, 1)
    assert (june[mapped.a].rentals_before, june[mapped.a].rentals) == (2, 1)
    assert june[new].rentals == 1
    # The whole community over the period of the split adds up to the same register.
    total = figures_for(community_grids(mapped), *JUNE)
    assert register(total) == (3, 6, 2, 2)
    assert (total.households_before, total.grids) == (3, 3)


def test_windows_count_only_on_the_days_a_grid_existed(mapped):
    new = split(mapped)
    only = lambda grid: Area.objects.filter(pk=grid.pk)  # noqa: E731

    may_june = figures_for(only(new), MAY[0], JUNE[1])
    assert (may_june.windows, may_june.done, may_june.missed, may_june.grids) == (60, 0, 0, 1)
    assert figures_for(only(new), *MAY) == Figures()
    july_new = figures_for(only(new), *JULY)
    assert (july_new.windows, july_new.done) == (62, 1)

    june_o = figures_for(only(mapped.o), *JUNE)
    assert (june_o.windows, june_o.done) == (60, 1)
    july_o = figures_for(only(mapped.o), *JULY)
    assert (july_o.windows, july_o.done, july_o.missed, july_o.grids) == (0, 0, 0, 0)
    # A trend across the retirement: O's windows stop with June.
    months = trend(only(mapped.o), JUNE[0], JULY[1], register=False)
    assert [(f.windows, f.done, f.grids) for _day, f in months] == [(60, 1, 1), (0, 0, 0)]
    # Its post, closed from its retirement, counted while it existed.
    assert [f.grid_workers for _day, f in months] == [1, 0]
    assert figures_for(only(mapped.o), JUNE[0], JULY[1]).grid_workers == 1
    assert figures_for(only(mapped.o), *MARCH).grid_workers == 1


def test_a_moved_incident_counts_each_event_where_it_happened(mapped):
    new = split(mapped)
    # Filed and overdue in March in A; closed in July in N: a report over the whole half
    # year counts it once, in A for the filing, in N for the closure.
    half = figures_by_grid(community_grids(mapped), MARCH[0], JULY[1])
    assert (half[mapped.a.pk].opened, half[new.pk].opened) == (2, 0)
    assert (half[mapped.a.pk].closed, half[new.pk].closed) == (1, 1)
    assert (half[mapped.a.pk].escalations, half[new.pk].escalations) == (1, 0)
    assert (half[mapped.a.pk].due, half[new.pk].due) == (2, 0)
    # Open and overdue at the end of May: still in A; at the end of June: in N.
    may, june = (figures_by_grid(community_grids(mapped), *period) for period in (MAY, JUNE))
    assert (may[mapped.a.pk].overdue_open, may[new.pk].overdue_open) == (1, 0)
    assert (june[mapped.a.pk].overdue_open, june[new.pk].overdue_open) == (0, 1)
    assert (may[mapped.a.pk].overdue_instructions, june[new.pk].overdue_instructions) == (1, 1)
    assert june[mapped.a.pk].overdue_instructions == 0
    # The time to close is N's (it closed there).
    assert half[new.pk].median_hours_to_close == pytest.approx(
        (local(D(2026, 7, 20), 9) - local(D(2026, 3, 10), 9)).total_seconds() / 3600
    )


def test_the_figures_run_the_same_queries_with_moved_work(mapped):
    new = split(mapped)
    for n in range(4):
        incident(
            mapped.a, local(D(2026, 3, 1 + n), 9), local(D(2026, 3, 9), 9), local(D(2026, 7, 2), 9)
        )
    with CaptureQueriesContext(connection) as unmoved:
        figures_by_grid(community_grids(mapped), MARCH[0], JULY[1])
    Incident.objects.filter(grid=mapped.a, closed_at__month=7).update(
        grid=new, moved_from=mapped.a, moved_at=local_midnight(SPLIT_ON)
    )
    with CaptureQueriesContext(connection) as queries:
        by_grid = figures_by_grid(community_grids(mapped), MARCH[0], JULY[1])
    assert by_grid[new.pk].closed == 5 and by_grid[mapped.a.pk].opened == 6
    assert len(queries) == len(unmoved)
    # The grids, the schedules, patrols, missed windows, incidents, incidents filed, time to
    # close, instructions, the roll-up, the register's stays and rentals, the posts. The pin
    # is PostgreSQL's: SQLite reads the time to close in two queries (the waits for a
    # response, the durations) where PostgreSQL runs one of percentile_cont.
    assert len(queries) == 12 or connection.vendor != "postgresql"


# --- The roll-up ---


def test_the_roll_up_follows_the_grids_that_existed_and_agrees_with_the_live_count(mapped):
    live_march = figures_by_grid(community_grids(mapped), *MARCH)
    new = split(mapped)
    live_july = figures_by_child(mapped.community, *JULY)
    live_june = figures_by_grid(community_grids(mapped), *JUNE)

    assert fill_missing(days=100) == 100
    # No day is missing: O is not expected after 30 June, N not before 1 June.
    assert missing_days(days=100) == []
    assert not PopulationDay.objects.filter(grid=new, day__lt=SPLIT_ON).exists()
    assert not PopulationDay.objects.filter(grid=mapped.o, day__gt=RETIRED_AFTER).exists()
    assert PopulationDay.objects.filter(grid=mapped.o, day=RETIRED_AFTER).exists()
    roll_up_days([D(2026, 2, 28), D(2026, 3, 31)])

    rolled_july = figures_by_child(mapped.community, *JULY)
    assert rolled_july == live_july
    assert all(f.population_as_of is not None for _child, f in rolled_july)
    rolled_june = figures_by_grid(community_grids(mapped), *JUNE)
    assert rolled_june == live_june
    assert rolled_june[mapped.o.pk].population_as_of is not None
    rolled_march = figures_by_grid(community_grids(mapped), *MARCH)
    assert rolled_march == live_march | {new.pk: Figures()}
    assert rolled_march[mapped.a.pk].population_as_of is not None
    # A grid that existed on the day and has no row makes the day missing again.
    PopulationDay.objects.filter(grid=new, day=D(2026, 7, 15)).delete()
    assert missing_days(days=100) == [D(2026, 7, 15)]


# --- Pages ---


def table_codes(html):
    return re.findall(r'<tr data-area="([^"]+)"', html)


def test_the_report_page_and_its_export_list_the_grids_of_the_period(client, world, mapped):
    new = split(mapped)
    client.force_login(world.district_officer)
    area = mapped.community.code

    march = client.get(f"/reports/?area={area}&start={MARCH[0]}&end={MARCH[1]}")
    assert march.status_code == 200
    assert table_codes(march.content.decode()) == [mapped.a.code, mapped.o.code]
    july = client.get(f"/reports/?area={area}&start={JULY[0]}&end={JULY[1]}")
    assert table_codes(july.content.decode()) == [mapped.a.code, new.code]
    both = client.get(f"/reports/?area={area}&start={MAY[0]}&end={JULY[1]}")
    assert table_codes(both.content.decode()) == [mapped.a.code, mapped.o.code, new.code]

    exported = client.get(f"/reports/{area}/report.xlsx?start={MARCH[0]}&end={MARCH[1]}")
    workbook = load_workbook(io.BytesIO(b"".join(exported.streaming_content)), read_only=True)
    _header, *rows = list(workbook.worksheets[2].values)
    assert [row[0] for row in rows] == [mapped.a.code, mapped.o.code]


def test_the_board_of_a_day_lists_the_grids_that_existed_that_day(client, world, mapped):
    new = split(mapped)
    client.force_login(world.a.stationmaster)

    def codes(day):
        response = client.get("/patrols/board/", {"area": mapped.community.code, "day": day})
        assert response.status_code == 200
        return re.findall(r'<tr data-grid="([^"]+)"', response.content.decode())

    assert codes(D(2026, 5, 20)) == [mapped.a.code, mapped.o.code]
    assert codes(D(2026, 6, 2)) == [mapped.a.code, mapped.o.code, new.code]
    assert codes(D(2026, 7, 6)) == [mapped.a.code, new.code]


def test_monthly_grid_reports_are_drafted_for_the_grids_of_the_month(mapped):
    new = split(mapped)
    draft_monthly_reports(today=D(2026, 4, 1))
    draft_monthly_reports(today=D(2026, 7, 1))
    draft_monthly_reports(today=D(2026, 8, 1))
    drafted = sorted(
        (report.month, report.grid.code)
        for report in GridReport.objects.filter(grid__parent=mapped.community).select_related(
            "grid"
        )
    )
    assert drafted == [
        (D(2026, 3, 1), mapped.a.code),
        (D(2026, 3, 1), mapped.o.code),
        (D(2026, 6, 1), mapped.a.code),
        (D(2026, 6, 1), mapped.o.code),
        (D(2026, 6, 1), new.code),
        (D(2026, 7, 1), mapped.a.code),
        (D(2026, 7, 1), new.code),
    ]
    report = GridReport.objects.get(grid=new, month=D(2026, 7, 1))
    assert (report.figures["households"], report.figures["residents"]) == (1, 3)
    assert GridReport.objects.get(grid=mapped.a, month=D(2026, 3, 1)).figures["residents"] == 5


def test_the_report_list_of_a_month_counts_the_grids_that_existed(client, world, mapped):
    split(mapped)
    client.force_login(world.a.stationmaster)
    for month, expected in (("2026-03", 2), ("2026-06", 3), ("2026-07", 2)):
        response = client.get("/meetings/reports/", {"month": month})
        assert response.status_code == 200
        assert response.context["counts"]["total"] == expected, month


def test_the_home_page_shows_the_grids_of_today_and_reports_of_the_grids_of_last_month(
    client, world, mapped
):
    new = split(mapped)
    code = f"{mapped.community.code}-04"
    newest = make_area(Area.Kind.GRID, mapped.community, code=code, valid_from=D(2026, 8, 1))
    leader = make_user("gl_newest", full_name="Leader of the newest grid")
    make_post(newest, Role.GRID_LEADER, leader)
    make_post(new, Role.GRID_LEADER, leader)

    client.force_login(world.a.stationmaster)
    page = client.get("/").content.decode()
    assert re.findall(r'data-grid="([^"]+)"', page) == [mapped.a.code, new.code, newest.code]

    # Last month (July): a report row for N, none for the grid that began in August.
    client.force_login(leader)
    page = client.get("/").content.decode()
    reports = page.split("data-grid-reports>")[1].split("</ul>")[0]
    assert reports.count("data-report-status=") == 1 and new.name in reports
    assert newest.name not in reports


def test_the_agenda_counts_missed_windows_only_on_the_days_a_grid_existed(mapped):
    from meetings.agenda import draft_agenda
    from meetings.models import AgendaItem
    from tests.meetings.test_agenda import make_meeting

    split(mapped)
    MissedPatrol.objects.create(grid=mapped.a, day=D(2026, 7, 3), slot=AM)
    meeting = make_meeting(mapped.community, local(D(2026, 7, 8), 10))
    draft_agenda(meeting, now=local(D(2026, 7, 8), 9))
    missed = meeting.agenda.filter(source=AgendaItem.Source.MISSED_PATROLS)
    # O's window of 5 July, recorded after its last day, is not on the agenda.
    assert list(missed.values_list("grid_id", flat=True)) == [mapped.a.pk]
