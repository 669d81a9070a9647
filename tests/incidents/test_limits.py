"""A value longer than its field is refused with the limit, never cut; a reported incident
is where its reporter lands (PostgreSQL)."""

import pytest
from django.utils import timezone

from incidents.models import Incident, TimelineEntry
from tests.incidents.factories import make_incident
from tests.incidents.test_intake import REPORT, report_data
from tests.reports.test_home import make_action_item


def test_a_title_over_200_characters_is_refused_with_the_limit_and_nothing_saved(client, world):
    client.force_login(world.a.grid_member)
    form = client.get(REPORT).content.decode()
    # No maxlength for the browser to cut a pasted title at without a word.
    assert 'name="title"' in form and 'maxlength="200"' not in form.split('name="title"')[1][:80]
    response = client.post(REPORT, report_data(world.a.grid, title="井" * 250))
    assert response.status_code == 200
    assert "A title is at most 200 characters; this one has 250." in response.content.decode()
    assert not Incident.objects.exists()


def test_a_title_of_exactly_200_characters_is_kept_whole(client, world):
    client.force_login(world.a.grid_member)
    response = client.post(REPORT, report_data(world.a.grid, title="井" * 200))
    incident = Incident.objects.get()
    assert incident.title == "井" * 200
    # The reporter lands on the new incident, not the list.
    assert response["Location"] == f"/incidents/{incident.number}/"


@pytest.mark.parametrize(("length", "kept"), [(500, True), (501, False)])
def test_an_urge_note_over_500_characters_is_refused_with_the_limit(client, world, length, kept):
    incident = make_incident(world.a.grid, world.a.grid_member)
    client.force_login(world.a.stationmaster)
    response = client.post(f"/incidents/{incident.number}/supervise/", {"note": "催" * length})
    assert response["Location"] == f"/incidents/{incident.number}/"
    urged = TimelineEntry.objects.filter(incident=incident, action="urge")
    if kept:
        assert urged.get().note == "催" * length
    else:
        assert not urged.exists()
        page = client.get(response["Location"]).content.decode()
        assert "A note is at most 500 characters; this one has 501." in page


def test_an_action_item_longer_than_a_title_keeps_its_whole_text_in_the_incident(client, world):
    from meetings import services

    text = "落实" * 140  # 280 characters: an action may be 300, a title 200
    item = make_action_item(
        world.a.grid_member, due_on=timezone.localdate(), grid=world.a.grid, text=text
    )
    incident = services.make_incident(item, by=world.a.stationmaster)
    assert len(incident.title) == 200 and incident.title.endswith("…")
    assert text in incident.description
