"""The Monday meeting on a phone: the stationmaster opens it, marks attendance (one
participant excused, their AB post's B holder substituting), adds an action item and turns it
into an incident, and closes the meeting."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Category, Incident
from meetings.models import ActionItem, Meeting
from tests.browser.helpers import log_in
from tests.meetings.test_agenda import make_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_stationmaster_runs_the_monday_meeting(live_server, page, world):
    a = world.a
    # The migration's category; created again after a transactional test's flush.
    Category.objects.get_or_create(code="other", defaults={"name": "其他"})
    # The meeting began a few minutes ago.
    meeting = make_meeting(a.community, timezone.now() - datetime.timedelta(minutes=5))

    log_in(page, live_server, "sm_a")
    page.goto(f"{live_server.url}/meetings/")
    page.locator(f"[data-meeting='{meeting.pk}']").click()
    expect(page.get_by_role("heading", name="Monday communication meeting")).to_be_visible()

    # Attendance: the grid member is excused; their B holder is suggested as substitute.
    page.locator("[data-participant='sm_a']").get_by_text("Present", exact=True).click()
    page.locator("[data-participant='gl_a']").get_by_text("Present", exact=True).click()
    member = page.locator("[data-participant='gm_a']")
    member.get_by_text("Excused", exact=True).click()
    expect(member.locator("select")).to_have_value(str(a.grid_member_b.pk))
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_text("Attendance saved.")).to_be_visible()
    expect(page.locator("[data-participant='gm_a'] select")).to_have_value(str(a.grid_member_b.pk))

    # An action item, turned into an incident.
    page.get_by_text("Add an action item").click()
    form = page.locator("[data-add-action]")
    form.get_by_role("textbox", name="Action").fill("协调维修破损井盖")
    form.get_by_label("Owner").select_option(str(a.grid_leader.pk))
    form.get_by_label("Deadline").fill(
        (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    )
    form.get_by_label("Grid").select_option(str(a.grid.pk))
    page.get_by_role("button", name="Add the action item").click()
    expect(page.get_by_text("Action item added.")).to_be_visible()
    item = ActionItem.objects.get(meeting=meeting)
    row = page.locator(f"[data-action-item='{item.pk}']")
    row.get_by_role("button", name="Make an incident").click()
    expect(page.get_by_text("opened for the action item")).to_be_visible()
    item.refresh_from_db()
    incident = Incident.objects.get(pk=item.incident_id)
    assert (incident.grid, incident.source, incident.title) == (
        a.grid,
        "meeting",
        "协调维修破损井盖",
    )
    expect(page.locator(f"[data-incident='{incident.number}']")).to_be_visible()

    # Close the meeting.
    page.get_by_role("button", name="Close the meeting").click()
    expect(page.get_by_text("The meeting is closed.")).to_be_visible()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED and meeting.closed_by == a.stationmaster
    assert meeting.participants.get(user=a.grid_member).substitute == a.grid_member_b
