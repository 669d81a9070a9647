"""Overdue visits reach the station: once in the next Monday agenda, on the stationmaster's
home, and in the monthly grid report."""

import datetime

import time_machine

from care import services
from grids.models import Tag
from meetings import gridreports
from meetings.agenda import draft_agenda
from meetings.models import AgendaItem
from tests.care.factories import tagged_person
from tests.meetings.test_agenda import make_meeting
from tests.patrols.factories import local

D = datetime.date
Source = AgendaItem.Source


def visit_items(meeting):
    return list(meeting.agenda.filter(source=Source.OVERDUE_VISIT).values_list("text", flat=True))


def test_an_overdue_visit_appears_once_in_the_next_monday_agenda(world, client):
    alone = Tag.objects.get(name="独居老人")
    released = Tag.objects.get(name="刑满释放人员")
    with time_machine.travel(local(D(2026, 11, 25), 9)):
        person = tagged_person(world.a.grid, alone, name="孙阿婆")  # due Wed 2 Dec
        hidden = tagged_person(world.a.grid, released, name="赵某")  # due 25 Dec
        tagged_person(world.b.grid, alone, name="钱阿公")  # another community
    first = make_meeting(world.a.community, local(D(2026, 11, 30), 9))
    second = make_meeting(world.a.community, local(D(2026, 12, 7), 9))
    third = make_meeting(world.a.community, local(D(2026, 12, 14), 9))

    with time_machine.travel(local(D(2026, 11, 29), 20), tick=False):
        draft_agenda(first)
    assert visit_items(first) == []  # not yet due

    with time_machine.travel(local(D(2026, 12, 6), 20), tick=False):
        draft_agenda(second)
        draft_agenda(second)  # drafting again does not repeat it
    [item] = visit_items(second)
    assert "孙阿婆" in item and "2026-12-02" in item and "钱阿公" not in item

    # Still overdue a week later: the agenda does not repeat it.
    with time_machine.travel(local(D(2026, 12, 13), 20), tick=False):
        draft_agenda(third)
    assert visit_items(third) == []

    # The stationmaster's home lists it while it stays overdue; a grid member's home does
    # not call it overdue before its day.
    with time_machine.travel(local(D(2026, 12, 14), 10), tick=False):
        client.force_login(world.a.stationmaster)
        home = client.get("/").content.decode()
        assert f'data-care-due="{person.pk}"' in home
        assert "data-count-overdue-visits>1<" in home
        assert f'data-care-due="{hidden.pk}"' not in home  # not overdue yet
        # Visited: it leaves the station's home.
        services.record_visit(
            person, by=world.a.grid_member, visited_on=D(2026, 12, 14), outcome="well"
        )
        home = client.get("/").content.decode()
        assert f'data-care-due="{person.pk}"' not in home


def test_a_station_only_person_is_not_named_in_the_agenda(world):
    released = Tag.objects.get(name="刑满释放人员")
    with time_machine.travel(local(D(2026, 11, 1), 9)):
        tagged_person(world.a.grid, released, name="赵某")  # due 1 Dec
    meeting = make_meeting(world.a.community, local(D(2026, 12, 7), 9))
    with time_machine.travel(local(D(2026, 12, 6), 20), tick=False):
        draft_agenda(meeting)
    [item] = visit_items(meeting)
    assert "赵某" not in item


def test_the_monthly_grid_report_counts_the_visits(world):
    alone = Tag.objects.get(name="独居老人")
    with time_machine.travel(local(D(2026, 11, 1), 9)):
        person = tagged_person(world.a.grid, alone)
        tagged_person(world.a.grid, alone)  # never visited: overdue at the month's end
    with time_machine.travel(local(D(2026, 11, 10), 9)):
        services.record_visit(
            person, by=world.a.grid_member, visited_on=D(2026, 11, 10), outcome="well"
        )
    with time_machine.travel(local(D(2026, 12, 1), 9)):
        gridreports.draft_monthly_reports()
    report = world.a.grid.reports.get(month=D(2026, 11, 1))
    f = report.figures
    assert (f["visits_due"], f["visits_done"], f["visits_overdue"]) == (8, 1, 2)
    sections = {s["title"]: s["rows"] for s in gridreports.figure_sections(f)}
    assert ("Visits made", 1) in [(str(a), b) for a, b in sections["Visits"]]
