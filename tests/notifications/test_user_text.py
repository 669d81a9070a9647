"""A person's own words reach the people told as written, whatever they hold: a percent
sign, or text that looks like a placeholder ("%(number)s", "%s", "%d"), is never formatted
and never breaks a page. Titles are the product's translated templates with parameters;
notes, comments and reasons are bodies, taken as they are."""

import datetime

import pytest
import time_machine

from grids.models import Post, Role
from grids.scope import Scope
from incidents import services
from meetings import gridreports
from meetings.models import GridReport
from notifications.models import Notification
from tests.incidents.factories import local, make_incident

WORDS = ["Only 50% done", "Fix 100%", "完成 %(number)s 的 %d%%，%s 待办"]


@pytest.fixture
def assigned(world):
    station = world.a.stationmaster
    post = Post.objects.get(area=world.a.grid, role=Role.GRID_MEMBER)
    incident = make_incident(world.a.grid, station)
    return services.take_step(incident, "assign", by=station, scope=Scope(station), post=post)


@pytest.mark.parametrize("words", WORDS)
def test_an_urge_with_a_percent_sign_is_sent_as_written(client, world, assigned, words):
    client.force_login(world.a.stationmaster)
    response = client.post(f"/incidents/{assigned.number}/supervise/", {"note": words})
    assert response.status_code == 302
    urged = Notification.objects.get(recipient=world.a.grid_member, key__startswith="urge:")
    assert urged.body == words
    assert urged.title == f"{assigned.number} is supervised: please settle it"


@pytest.mark.parametrize("words", WORDS)
def test_a_step_returned_with_a_percent_sign_is_sent_as_written(client, world, assigned, words):
    member, station = world.a.grid_member, world.a.stationmaster
    incident = services.take_step(assigned, "start", by=member, scope=Scope(member))
    incident = services.take_step(incident, "resolve", by=member, scope=Scope(member), note=words)
    resolved = Notification.objects.get(recipient=station, key__startswith="resolved:")
    assert resolved.body == words
    client.force_login(station)
    response = client.post(
        f"/incidents/{incident.number}/steps/return/", {"note": words}, follow=True
    )
    assert response.status_code == 200
    returned = Notification.objects.get(recipient=member, key__startswith="returned:")
    assert returned.body == words
    assert returned.title == f"{incident.number} was returned for rework"


@pytest.mark.parametrize("words", WORDS)
def test_a_grid_report_returned_with_a_percent_sign_is_sent_as_written(client, world, words):
    with time_machine.travel(local(datetime.date(2026, 12, 1), 10), tick=False):
        gridreports.draft_monthly_reports()
        report = GridReport.objects.get(grid=world.a.grid, month=datetime.date(2026, 11, 1))
        gridreports.submit(report, by=world.a.grid_leader, updated_at=None)
        client.force_login(world.a.stationmaster)
        response = client.post(f"/meetings/reports/{report.pk}/return/", {"note": words})
    assert response.status_code == 302
    notice = Notification.objects.get(recipient=world.a.grid_leader)
    assert notice.body == words
    assert notice.title == "Your grid report for 2026-11 was returned"


@pytest.mark.parametrize("words", WORDS)
def test_a_reason_for_more_time_with_a_percent_sign_is_sent_as_written(world, assigned, words):
    services.request_extension(assigned, by=world.a.grid_member, hours=8, reason=words)
    asked = Notification.objects.get(recipient=world.a.stationmaster, key__startswith="extension:")
    assert asked.body == words
