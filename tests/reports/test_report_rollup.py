"""The report read from the daily roll-up (reports.figures.report_figures, GridDay, and
AreaDay above the grids): every figure of every grid and of every community equals the rows
counted directly, before and after writes back-dated into the month (a late patrol log, a
reopened incident, an incident closed late, a register edit, a split of the map), whether
the days come from the roll-up, are counted live after a write forgot them, or are rolled up
again; and the report's SQL names no grid: its queries and bound parameters do not grow with
the grids."""

import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from grids.models import Area, Membership, Role
from grids.scope import Scope
from grids.services import move_out
from incidents.models import Incident
from incidents.services import take_step
from patrols.models import MissedPatrol, Patrol, Slot
from patrols.services import submit_patrol
from reports.figures import (
    _counts_of,
    figures_by_child,
    figures_by_grid,
    figures_for,
    report_figures,
)
from reports.models import AreaDay, GridDay, GridDayCategory
from reports.rollup import fill_missing, missing_days
from tests.factories import make_community, make_post, make_user
from tests.incidents.factories import local, make_category
from tests.patrols.factories import make_patrol
from tests.reports.test_dated_map import (  # noqa: F401 (fixtures)
    JULY,
    JUNE,
    MARCH,
    community_grids,
    mapped,
    split,
    today,
)
from tests.reports.test_figures import (  # noqa: F401 (fixture)
    END,
    START,
    assert_same,
    build_street,
    expected_for,
    incident,
    march,
    seeded,
)

D = datetime.date
AM = Slot.MORNING
NOW = local(D(2026, 4, 10), 9)


def grids_of(area):
    return Area.objects.grids().under(area)


def every_grid(world, now):
    """Every figure of every grid of community A for March, from the roll-up path (the
    report of the community, whose children are its grids), against the direct count."""
    children, headline, trend = report_figures(
        world.a.community, START, END, grids_of(world.a.community), now=now
    )
    assert [child for child, _ in children] == [world.a.grid, world.a.other_grid]
    for grid, figures in children:
        assert_same(figures, expected_for(grid, START, END, now))
    # As the report's page asks (statuses=False): of those due, the states count the ones not
    # closed by the end, and due_closed is `due` less them.
    pairs, page_headline, _trend = report_figures(
        world.a.community, START, END, grids_of(world.a.community), now=now, statuses=False
    )
    for grid, figures in pairs:
        assert_same(figures, expected_for(grid, START, END, now) | {"by_status": {}})
    assert page_headline.due_closed == headline.due_closed
    # The headline is the same figures as counted live; the trend's row the same counts
    # (what adds up over days: a step shows no state).
    assert headline == figures_for(grids_of(world.a.community), START, END)
    ((first, march_row),) = trend
    assert first == START
    whole = figures_for(grids_of(world.a.community), START, END, register=False)
    assert (march_row.grids, _counts_of(march_row)) == (whole.grids, _counts_of(whole))
    assert march_row.median_hours_to_close is None and march_row.overdue_open == 0
    return children


def test_every_figure_of_every_grid_from_the_roll_up_equals_the_rows(seeded):  # noqa: F811
    world = seeded
    grid = world.a.grid
    with time_machine.travel(NOW, tick=False):
        live = every_grid(world, NOW)  # nothing rolled up: all counted live
        assert fill_missing(days=45) == 45
        assert GridDay.objects.filter(grid=grid, day__range=(START, END)).count() == 31
        assert GridDayCategory.objects.filter(grid=grid, day__range=(START, END)).exists()
        rolled = every_grid(world, NOW)
        assert rolled == live
        # The roll-up holds the counts: a row changed behind its back shows in the report.
        GridDay.objects.filter(grid=grid, day=march(2)).update(done=100)
        children, _headline, _trend = report_figures(
            world.a.community, START, END, grids_of(world.a.community), now=NOW
        )
        assert children[0][1].done == live[0][1].done + 100 - 2
        # So do the hours to close: the percentiles of a past day come from the roll-up.
        assert live[0][1].p90_hours_to_close is not None
        day = GridDay.objects.filter(grid=grid, day__range=(START, END)).exclude(close_hours=[])
        assert day.exists()
        day.update(close_hours=[10_000.0] * 50)
        children, _headline, _trend = report_figures(
            world.a.community, START, END, grids_of(world.a.community), now=NOW
        )
        assert children[0][1].p90_hours_to_close == 10_000.0
        assert children[1][1].p90_hours_to_close == live[1][1].p90_hours_to_close
        fill_missing(days=45)  # nothing missing: the changed row stays
        GridDay.objects.filter(grid=grid, day=march(2)).delete()
        day.delete()
        assert set(missing_days(days=45)) >= {march(2)}
        fill_missing(days=45)
        assert every_grid(world, NOW) == live

        # Writes back-dated into March forget the days they change, in their transaction.
        # A late log: the abandoned patrol of March 6th is submitted on April 10th.
        abandoned = Patrol.objects.get(grid=grid, day=march(6), status=Patrol.Status.IN_PROGRESS)
        submit_patrol(abandoned, by=abandoned.member, summary="Written up late.")
        # An incident closed on March 15th is reopened.
        closed_15th = Incident.objects.get(grid=grid, rework_count=2)
        scope = Scope(world.a.stationmaster)
        take_step(closed_15th, "reopen", by=world.a.stationmaster, scope=scope, note="Not fixed")
        # An incident due on March 25th is closed late, today, and rated.
        late = Incident.objects.get(grid=grid, deadline_at=local(march(25), 10))
        Incident.objects.filter(pk=late.pk).update(status=Incident.Status.VERIFIED)
        late.refresh_from_db()
        take_step(late, "close", by=world.a.stationmaster, scope=scope, satisfaction="satisfied")
        # A resident moved out on March 20th, recorded today.
        stay = Membership.objects.as_of(march(20)).filter(grid=grid).first()
        move_out(stay.resident, on=march(20), by=world.a.grid_member)

        assert not GridDay.objects.filter(grid=grid, day=march(6)).exists()
        assert not GridDay.objects.filter(grid=grid, day=march(15)).exists()
        assert not GridDay.objects.filter(grid=grid, day__gte=march(20)).exists()
        assert GridDay.objects.filter(grid=grid, day=march(7)).exists()
        assert GridDay.objects.filter(grid=world.a.other_grid, day=march(6)).exists()

        # The forgotten days are counted live, the others read from the roll-up.
        after = every_grid(world, NOW)
        assert after[0][1].done == live[0][1].done + 1
        assert after[0][1].missed == live[0][1].missed - 1
        assert after[0][1].closed == live[0][1].closed - 1
        assert after[0][1].residents == live[0][1].residents - 1
        # Rolled up again: the same.
        assert fill_missing(days=45) > 0
        assert missing_days(days=45) == []
        assert every_grid(world, NOW) == after


def every_community(world, now):
    """Every figure of each community of A's street for March, from the street's report
    (whose children are communities: read from the areas' roll-up for the days it has),
    against the same figures counted live; the headline and the trend's row too."""
    street = world.a.community.parent
    children, headline, trend = report_figures(street, START, END, grids_of(street), now=now)
    assert world.a.community in dict(children)
    for community, figures in children:
        assert figures == figures_for(grids_of(community), START, END, now=now), community
    assert headline == figures_for(grids_of(street), START, END, now=now)
    ((first, march_row),) = trend
    whole = figures_for(grids_of(street), START, END, now=now, register=False)
    assert (march_row.grids, _counts_of(march_row)) == (whole.grids, _counts_of(whole))
    return children


def test_every_figure_of_every_community_from_the_areas_roll_up_equals_the_rows(seeded):  # noqa: F811
    world = seeded
    grid, community = world.a.grid, world.a.community
    street = community.parent
    with time_machine.travel(NOW, tick=False):
        live = every_community(world, NOW)  # nothing rolled up: all counted live
        fill_missing(days=45)
        assert AreaDay.objects.filter(area=community, day__range=(START, END)).count() == 31
        assert AreaDay.objects.get(area=community, day=march(2)).grids == 2
        assert every_community(world, NOW) == live
        # The street's report reads the areas' rows: one changed behind its back shows...
        AreaDay.objects.filter(area=community, day=march(2)).update(done=F("done") + 100)
        children, _headline, _trend = report_figures(street, START, END, grids_of(street), now=NOW)
        assert dict(children)[community].done == dict(live)[community].done + 100
        # The hours to close too: the community's percentiles come from its rows.
        assert dict(live)[community].median_hours_to_close is not None
        AreaDay.objects.filter(area=community, day__range=(START, END)).update(close_hours=[7.0])
        children, _headline, _trend = report_figures(street, START, END, grids_of(street), now=NOW)
        assert dict(children)[community].median_hours_to_close == 7.0
        AreaDay.objects.filter(area=community, day=march(2)).update(done=F("done") - 100)
        AreaDay.objects.filter(day__range=(START, END)).delete()
        fill_missing(days=45)
        assert every_community(world, NOW) == live
        # A user who sees one grid of the community reads the grids' rows, not the areas'.
        one = Area.objects.filter(pk=grid.pk)
        ((_child, figures),), _headline, _trend = report_figures(street, START, END, one, now=NOW)
        assert figures == figures_for(one, START, END, now=NOW)
        # A day's areas' rows missing are built again from the grids' rows.
        AreaDay.objects.filter(day=march(2)).delete()
        fill_missing(days=45)
        assert every_community(world, NOW) == live

        # Writes back-dated into March forget the areas' rows of the days they change.
        abandoned = Patrol.objects.get(grid=grid, day=march(6), status=Patrol.Status.IN_PROGRESS)
        submit_patrol(abandoned, by=abandoned.member, summary="Written up late.")
        closed_15th = Incident.objects.get(grid=grid, rework_count=2)
        scope = Scope(world.a.stationmaster)
        take_step(closed_15th, "reopen", by=world.a.stationmaster, scope=scope, note="Not fixed")
        stay = Membership.objects.as_of(march(20)).filter(grid=grid).first()
        move_out(stay.resident, on=march(20), by=world.a.grid_member)
        assert not AreaDay.objects.filter(day=march(6)).exists()
        assert not AreaDay.objects.filter(day=march(15)).exists()
        assert not AreaDay.objects.filter(day__gte=march(20)).exists()
        assert AreaDay.objects.filter(area=community, day=march(7)).exists()
        after = every_community(world, NOW)
        assert dict(after)[community].done == dict(live)[community].done + 1
        assert dict(after)[community].closed == dict(live)[community].closed - 1
        assert dict(after)[community].residents == dict(live)[community].residents - 1
        # Rolled up again: the same, from the areas' rows.
        fill_missing(days=45)
        assert AreaDay.objects.filter(area=community, day__range=(START, END)).count() == 31
        assert every_community(world, NOW) == after


def test_a_split_keeps_every_figure_of_every_grid_from_the_roll_up(mapped):  # noqa: F811
    grids = community_grids(mapped)
    live_march = figures_by_grid(grids, *MARCH)
    new = split(mapped)
    # The grids of each period, as the report page selects them.
    live = {
        period: (
            figures_by_child(mapped.community, *period),
            figures_for(grids.existing_during(*period), *period),
        )
        for period in (MARCH, JUNE, JULY)
    }
    assert live_march == {
        pk: figures for pk, figures in figures_by_grid(grids, *MARCH).items() if pk != new.pk
    }

    def from_report():
        result = {}
        for period in (MARCH, JUNE, JULY):
            existing = grids.existing_during(*period)
            pairs, headline, _ = report_figures(mapped.community, *period, existing)
            result[period] = (pairs, headline)
        return result

    assert from_report() == live
    fill_missing(days=170)
    assert GridDay.objects.filter(grid=mapped.a, day=MARCH[0]).exists()
    assert from_report() == live
    # The move of a building back-dated into June forgets both grids from that day on.
    from reports.rollup import forget

    forget([mapped.a.pk, new.pk], JUNE[0] + datetime.timedelta(days=14))
    assert missing_days(days=170)
    assert from_report() == live


def test_the_rebuild_command_rolls_up_a_range(seeded):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        call_command("rebuild_rollups", "--start", "2026-03-01", "--end", "2026-03-10")
        grids = Area.objects.grids().count()
        assert GridDay.objects.count() == 10 * grids
        assert set(GridDay.objects.values_list("day", flat=True)) == {
            march(n) for n in range(1, 11)
        }


# --- The report's SQL names no grid ---


def add_communities(street, first, count):
    """More communities in `street`, each as build_street makes them (2 grids with data)."""
    category = make_category()
    for n in range(first, first + count):
        community = make_community(street, f"Q-01-{n:02d}", grids=2)
        for grid in community.children.all():
            make_post(grid, Role.GRID_MEMBER)
            make_patrol(grid, march(2), AM)
            MissedPatrol.objects.create(grid=grid, day=march(3), slot=AM)
            incident(grid, category, local(march(2), 9), local(march(4), 9), local(march(3), 9))
            incident(grid, category, local(march(5), 9), local(march(6), 9))


def measured(street):
    """(queries, bound parameters, characters of SQL) of the report of `street`, weekly."""
    sizes = {"queries": 0, "params": 0, "sql": 0, "each": []}

    def count(execute, sql, params, many, context):
        sizes["queries"] += 1
        sizes["params"] += len(params or ())
        sizes["sql"] += len(sql)
        sizes["each"].append((len(sql), len(params or ()), sql[:70]))
        return execute(sql, params, many, context)

    grids = grids_of(street).existing_during(START, END)
    with connection.execute_wrapper(count):
        _pairs, headline, _trend = report_figures(street, START, END, grids, "week")
    return sizes, headline


@pytest.mark.parametrize("rolled_up", [False, True])
def test_the_reports_queries_and_parameters_do_not_grow_with_the_grids(db, rolled_up):
    """A street of two communities (4 grids), then of five (10 grids): the same number of
    queries and of bound parameters, and SQL of the same length (give or take the digits of
    the ids in the paths): grids are selected by their path, never listed."""
    street = build_street(2)
    sizes = []
    for more in (0, 3):
        add_communities(street, 2, more)
        with time_machine.travel(local(D(2026, 4, 10), 13), tick=False):
            if rolled_up:
                fill_missing(days=45)
            size, headline = measured(street)
        assert headline.grids == 4 + 2 * more
        assert headline.opened == 8 + 4 * more
        assert headline.missed == 4 + 2 * more
        sizes.append(size)
    small, large = sizes
    changed = [(a, b) for a, b in zip(small["each"], large["each"], strict=True) if a[:2] != b[:2]]
    assert small["queries"] == large["queries"]
    assert small["params"] == large["params"], changed
    assert abs(large["sql"] - small["sql"]) < 100, changed


def test_the_report_page_runs_as_many_queries_for_more_grids(client, db):
    admin = make_user(is_superuser=True, is_staff=True)
    client.force_login(admin)
    street = build_street(2)
    counts = []
    for more in (0, 3):
        add_communities(street, 2, more)
        with (
            time_machine.travel(local(D(2026, 4, 10), 13), tick=False),
            CaptureQueriesContext(connection) as queries,
        ):
            page = client.get(f"/reports/?area={street.code}&start={START}&end={END}")
        assert page.status_code == 200
        counts.append((len(queries), max(len(q["sql"]) for q in queries.captured_queries)))
    assert counts[0][0] == counts[1][0]
    assert abs(counts[0][1] - counts[1][1]) < 50, counts


def test_a_second_escalation_forgets_the_day_of_the_first(seeded):  # noqa: F811
    from incidents.services import sweep_time_limits

    grid = seeded.a.grid
    with time_machine.travel(NOW, tick=False):
        # Open since March 20th, due on the 25th, escalated once on the 26th.
        escalated = Incident.objects.get(grid=grid, deadline_at=local(march(25), 10))
        Incident.objects.filter(pk=escalated.pk).update(
            warned_at=local(march(24), 9), escalation_level=1, escalated_at=local(march(26), 9)
        )
        fill_missing(days=45)
        assert GridDay.objects.get(grid=grid, day=march(26)).escalations == 1
        sweep_time_limits()
        escalated.refresh_from_db()
        assert escalated.escalation_level == 2
        assert not GridDay.objects.filter(grid=grid, day=march(26)).exists()
        assert GridDay.objects.filter(grid=grid, day=march(27)).exists()
        fill_missing(days=45)
        assert every_grid(seeded, NOW)
