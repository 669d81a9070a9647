"""A community that does not patrol on days off has no windows on them in the figures, so
its coverage is not lowered by days nobody was asked to patrol.

The 2026 calendar (loaded by an incidents migration): 1-7 October is the National Day holiday,
Saturday 10 October a make-up working day; 28-29 November an ordinary weekend.
"""

import datetime

from patrols.models import PatrolSchedule, Slot
from reports.figures import figures_for
from tests.patrols.factories import local, make_patrol

D = datetime.date
NOW = local(D(2026, 12, 2), 12)


def grid_only(grid):
    return type(grid).objects.filter(pk=grid.pk)


def test_windows_fall_on_working_days_only_where_the_community_rests_on_days_off(world):
    grid = world.a.grid
    # 23-29 November: Monday to Friday worked, the weekend off.
    assert figures_for(grid_only(grid), D(2026, 11, 23), D(2026, 11, 29), now=NOW).windows == 14
    PatrolSchedule.objects.update_or_create(
        community=world.a.community, defaults={"patrols_on_days_off": False}
    )
    assert figures_for(grid_only(grid), D(2026, 11, 23), D(2026, 11, 29), now=NOW).windows == 10
    # 1-11 October: 1-7 October are the National Day holiday, 8 and 9 a Thursday and a
    # Friday, 10 October a make-up Saturday, 11 a Sunday: three working days.
    october = figures_for(grid_only(grid), D(2026, 10, 1), D(2026, 10, 11), now=NOW)
    assert october.windows == 2 * 3
    # The other community still patrols every day.
    other = figures_for(grid_only(world.b.grid), D(2026, 11, 23), D(2026, 11, 29), now=NOW)
    assert other.windows == 14


def test_a_patrol_on_a_day_off_does_not_count_where_there_was_no_window(world):
    grid = world.a.grid
    PatrolSchedule.objects.update_or_create(
        community=world.a.community, defaults={"patrols_on_days_off": False}
    )
    make_patrol(grid, D(2026, 11, 28), Slot.MORNING)
    make_patrol(grid, D(2026, 11, 27), Slot.MORNING)
    figures = figures_for(grid_only(grid), D(2026, 11, 23), D(2026, 11, 29), now=NOW)
    assert (figures.windows, figures.covered) == (10, 1)
