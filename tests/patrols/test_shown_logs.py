"""The log a window's cell shows, read in SQL (patrols.board.shown_logs, the home pages'
windows): one row a window however many logs it has, and the same log build_rows chooses
from all of them."""

import datetime
import itertools

from patrols.board import build_rows, rows_for_grids, shown_logs
from patrols.models import Patrol, PatrolSchedule, Slot
from tests.patrols.factories import local, make_patrol

DAY = datetime.date(2026, 11, 28)
STATUSES = [
    Patrol.Status.IN_PROGRESS,
    Patrol.Status.RETURNED,
    Patrol.Status.SUBMITTED,
    Patrol.Status.APPROVED,
]


def logs_of_every_kind(world):
    """Many logs in each window of two grids: every status, short or not, started in an
    order that is neither their rank's nor their time's, two of them at the same moment."""
    made = []
    hours = itertools.cycle([9, 7, 11, 8, 10])
    for grid, slot in itertools.product((world.a.grid, world.a.other_grid), Slot.values):
        for status, minutes in itertools.product(STATUSES, (30, 70)):
            fields = {"status": status}
            if status != Patrol.Status.IN_PROGRESS:
                fields["minutes"] = minutes
            hour = next(hours) + (6 if slot == Slot.AFTERNOON else 0)
            made.append(make_patrol(grid, DAY, slot, started_at=local(DAY, hour), **fields))
    # A full log at the same moment as the latest started full one of its window (11:00):
    # the one made last wins the tie.
    twin = made[7]
    made.append(make_patrol(twin.grid, DAY, twin.slot, started_at=twin.started_at, minutes=70))
    return made


def chosen_from_all(grids, day):
    """{(grid id, slot): the pk of the log build_rows shows}, from every log of the day."""
    every = Patrol.objects.filter(grid__in=grids, day=day).exclude(slot="").order_by("-pk")
    schedules = {grid.parent_id: PatrolSchedule() for grid in grids}
    rows = build_rows(grids, list(every), set(), schedules, day, local(day, 23))
    return {(row.grid.pk, c.slot): c.patrol and c.patrol.pk for row in rows for c in row.cells}


def test_each_window_reads_one_log_the_one_build_rows_chooses(world):
    logs_of_every_kind(world)
    grids = [world.a.grid, world.a.other_grid]
    shown = list(shown_logs(Patrol.objects.filter(grid__in=grids, day=DAY).exclude(slot="")))
    assert len(shown) == 4  # two grids, two windows
    expected = chosen_from_all(grids, DAY)
    assert {(p.grid_id, p.slot): p.pk for p in shown} == expected
    # A full, not short log shows where there is one; then the latest started of them.
    for patrol in shown:
        assert patrol.status in (Patrol.Status.SUBMITTED, Patrol.Status.APPROVED)
        assert not patrol.is_short


def test_the_home_windows_follow_the_cell_chosen_from_every_log(world):
    logs_of_every_kind(world)
    grids = list(
        world.a.community.children.filter(pk__in=[world.a.grid.pk, world.a.other_grid.pk])
        .select_related("parent__patrol_schedule")
        .order_by("code")
    )
    for grid in grids:
        grid.missed_am = grid.missed_pm = False
    rows = rows_for_grids(grids, DAY, local(DAY, 23))
    found = {(row.grid.pk, c.slot): c.patrol.pk for row in rows for c in row.cells}
    assert found == chosen_from_all(grids, DAY)
