"""The report of an area whose children are areas (a street's communities, a district's
streets) sums the per-grid counts per child in the database (reports.figures._Keys
.per_key_moved, workers): an incident or instruction that a change to the map moved from a
grid of one community to a grid of another counts each event for the community it was in at
the time, as figures_by_child counts them grid by grid."""

import datetime

import time_machine
from django.db.models import F

from grids.models import Area
from incidents.models import Incident
from patrols.models import Instruction
from reports.figures import figures_by_child, figures_for, report_figures
from reports.rollup import fill_missing
from tests.incidents.factories import local
from tests.reports.test_figures import END, START, seeded  # noqa: F401 (fixture)

NOW = local(datetime.date(2026, 4, 10), 9)


def grids_of(area):
    return Area.objects.grids().under(area)


def move(qs, to, at):
    """Move the rows to the grid `to`, from the grid they were in, at `at`."""
    return qs.update(moved_from_id=F("grid_id"), grid=to, moved_at=at)


def same_as_live(area):
    children, headline, _trend = report_figures(area, START, END, grids_of(area), now=NOW)
    live = figures_by_child(area, START, END, grids_of(area), now=NOW)
    assert children == live
    assert headline == figures_for(grids_of(area), START, END, now=NOW)
    # As the report's page asks: the status now of those filed left out, due_closed made of
    # `due` and the states' count of those due not closed by the end.
    pairs, page_headline, _trend = report_figures(
        area, START, END, grids_of(area), now=NOW, statuses=False
    )
    for (child, figures), (_child, counted) in zip(pairs, live, strict=True):
        assert figures.by_status == {}
        figures.by_status = counted.by_status
        assert figures == counted, child
    assert page_headline.due_closed == headline.due_closed
    return dict(children)


def test_events_moved_between_communities_count_where_they_happened(seeded):  # noqa: F811
    world = seeded
    a, b = world.a.grid, world.b.grid
    ids = list(Incident.objects.filter(grid=a).order_by("pk").values_list("pk", flat=True))
    assert len(ids) >= 4
    # Moved in the middle of March: the events before count for A's community, those after
    # for B's; moved after the period: all of March counts for A's.
    move(Incident.objects.filter(pk__in=ids[:2]), b, local(datetime.date(2026, 3, 16), 0))
    move(Incident.objects.filter(pk=ids[2]), b, NOW)
    move(Instruction.objects.filter(grid=a), b, local(datetime.date(2026, 3, 20), 0))
    with time_machine.travel(NOW, tick=False):
        street_live = same_as_live(world.a.community.parent)
        same_as_live(world.district)
        fill_missing(days=45)
        assert same_as_live(world.a.community.parent) == street_live
        same_as_live(world.district)
    # Both communities have incident figures: the moves split them between the two.
    names = ("opened", "closed", "due", "overdue_open", "due_closed", "overdue_instructions")
    for community in (world.a.community, world.b.community):
        assert any(getattr(street_live[community], name) for name in names), community
