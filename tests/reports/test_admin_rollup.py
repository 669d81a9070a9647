"""An administrator's edit of a row the daily roll-up counts (a patrol log, a missed window,
an incident) drops the roll-up of the past days it changed, before and after the edit, as the
services' writes do: the report then counts those days live and shows the edit. And
rebuild_rollups leaves the roll-up's tables analysed."""

import datetime
import io

import time_machine
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory

from grids.models import Area
from incidents.models import Incident
from patrols.models import MissedPatrol, Patrol, Slot
from reports.figures import figures_for, report_figures
from reports.models import GridDay
from reports.rollup import roll_up_days
from tests.factories import make_user
from tests.incidents.factories import local, make_incident
from tests.patrols.factories import make_patrol

D = datetime.date
MARCH = [D(2026, 3, day) for day in range(1, 10)]
NOW = local(D(2026, 3, 10), 9)


def rolled(grid, day):
    return GridDay.objects.filter(grid=grid, day=day).exists()


def as_reported(world):
    """The community's figures of March 1st-9th from the report (the roll-up where it has
    the days), and counted live."""
    grids = Area.objects.grids().under(world.a.community)
    _children, headline, _trend = report_figures(world.a.community, MARCH[0], MARCH[-1], grids)
    return headline, figures_for(grids, MARCH[0], MARCH[-1])


def test_admin_edits_and_deletions_drop_the_days_they_change(world, client):
    grid, other = world.a.grid, world.a.other_grid
    with time_machine.travel(NOW, tick=False):
        patrol = make_patrol(grid, MARCH[2], Slot.MORNING)
        missed = MissedPatrol.objects.create(grid=grid, day=MARCH[3], slot=Slot.AFTERNOON)
        gone = MissedPatrol.objects.create(grid=other, day=MARCH[4], slot=Slot.MORNING)
        with time_machine.travel(local(MARCH[1], 9), tick=False):
            incident = make_incident(grid, world.a.grid_member)
        roll_up_days(MARCH)
        assert all(rolled(g, day) for g in (grid, other) for day in MARCH)
        client.force_login(make_user("root", is_staff=True, is_superuser=True))

        # A missed window moved to another day: both days are dropped, no other.
        response = client.post(
            f"/admin/patrols/missedpatrol/{missed.pk}/change/",
            {"grid": grid.pk, "day": "2026-03-06", "slot": Slot.AFTERNOON},
        )
        assert response.status_code == 302
        assert not rolled(grid, MARCH[3]) and not rolled(grid, MARCH[5])
        assert rolled(grid, MARCH[2]) and rolled(other, MARCH[3])
        headline, live = as_reported(world)
        assert headline.missed == live.missed == 2

        # A log deleted: its day is dropped, and the report no longer counts it.
        done_before = headline.done
        response = client.post(f"/admin/patrols/patrol/{patrol.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
        assert not Patrol.objects.filter(pk=patrol.pk).exists()
        assert not rolled(grid, MARCH[2])
        headline, live = as_reported(world)
        assert headline.done == live.done == done_before - 1

        # Several missed windows deleted at once (the list's action).
        response = client.post(
            "/admin/patrols/missedpatrol/",
            {"action": "delete_selected", "_selected_action": [gone.pk], "post": "yes"},
        )
        assert response.status_code == 302
        assert not MissedPatrol.objects.filter(pk=gone.pk).exists()
        assert not rolled(other, MARCH[4])

        # An incident moved to another grid: the day it was filed on is dropped in both.
        incident_admin = admin.site._registry[Incident]
        request = RequestFactory().post("/admin/")
        request.user = make_user("root2", is_staff=True, is_superuser=True)
        assert rolled(other, MARCH[1])
        incident.grid = other
        incident_admin.save_model(request, incident, None, True)
        assert not rolled(grid, MARCH[1]) and not rolled(other, MARCH[1])
        headline, live = as_reported(world)
        assert headline.opened == live.opened == 1
        assert headline == live


def test_rebuild_rollups_analyses_the_tables(world):
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            (started,) = cursor.fetchone()
    with time_machine.travel(NOW, tick=False):
        out = io.StringIO()
        call_command("rebuild_rollups", "--start", "2026-03-01", "--end", "2026-03-09", stdout=out)
    assert out.getvalue().startswith("Rolled up 9 days")
    assert GridDay.objects.filter(day__range=("2026-03-01", "2026-03-09")).exists()
    if not postgresql:
        return  # the planner's statistics, and ANALYZE of them, are PostgreSQL's
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, last_analyze FROM pg_stat_user_tables "
            "WHERE relname IN ('reports_gridday', 'reports_griddaycategory')"
        )
        analysed = dict(cursor.fetchall())
    assert set(analysed) == {"reports_gridday", "reports_griddaycategory"}
    assert all(at is not None and at >= started for at in analysed.values())
