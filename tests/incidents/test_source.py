"""An incident's page shows where it came from: the patrol log and the observation with its
photo (served only within scope), the meeting's action item, the resident who reported it;
and a closed incident shows whether it closed on time or late (PostgreSQL)."""

import datetime
import io

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from incidents.models import Incident
from meetings import services as meeting_services
from patrols.models import Observation
from tests.factories import make_household, make_resident
from tests.incidents.factories import make_incident
from tests.patrols.factories import make_patrol
from tests.reports.test_home import make_action_item


def page(client, user, incident):
    client.force_login(user)
    return client.get(f"/incidents/{incident.number}/")


@pytest.fixture
def observed(world, settings, tmp_path):
    """An observation with a photo, on a patrol of A's grid, made an incident with one tap."""
    settings.MEDIA_ROOT = tmp_path
    patrol = make_patrol(world.a.grid, timezone.localdate(), member=world.a.grid_member)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "JPEG")
    observation = Observation(patrol=patrol, category="facility", text="井盖缺失", place="3号楼")
    observation.photo.save("well.jpg", ContentFile(buffer.getvalue()), save=True)
    return observation


def test_an_incident_from_an_observation_shows_its_patrol_and_photo_in_scope(
    client, world, observed
):
    client.force_login(world.a.grid_member)
    response = client.post(f"/incidents/from-observation/{observed.pk}/")
    incident = Incident.objects.get(observation=observed)
    assert response.url == f"/incidents/{incident.number}/"

    body = page(client, world.a.stationmaster, incident).content.decode()
    photo_url = f"/patrols/observations/{observed.pk}/photo/"
    assert f'href="/patrols/{observed.patrol.pk}/" data-source-patrol' in body
    assert f'src="{photo_url}"' in body and "data-observation" in body and "井盖缺失" in body
    assert client.get(photo_url).status_code == 200

    # Outside the community: neither the incident nor its photo.
    client.force_login(world.b.stationmaster)
    assert client.get(f"/incidents/{incident.number}/").status_code == 404
    assert client.get(photo_url).status_code == 404


def test_an_incident_without_an_observation_shows_no_photo(client, world):
    incident = make_incident(world.a.grid, world.a.grid_member, source=Incident.Source.PHONE)
    body = page(client, world.a.grid_member, incident).content.decode()
    assert 'data-source="phone"' in body
    assert "data-observation" not in body and "/photo/" not in body


def test_an_incident_from_a_meeting_links_the_meeting_and_its_action_item(client, world):
    item = make_action_item(world.a.grid_member, due_on=timezone.localdate(), grid=world.a.grid)
    incident = meeting_services.make_incident(item, by=world.a.stationmaster)
    body = page(client, world.a.stationmaster, incident).content.decode()
    assert f'href="/meetings/{item.meeting.pk}/" data-source-meeting' in body
    assert item.text in body


def test_an_incident_a_resident_reported_links_their_household(client, world):
    household = make_household(world.a.grid)
    resident = make_resident(household, name="王秀英")
    incident = make_incident(
        world.a.grid,
        world.a.grid_member,
        source=Incident.Source.WALK_IN,
        reporter_resident=resident,
        reporter_name=resident.name,
    )
    body = page(client, world.a.grid_member, incident).content.decode()
    assert f'href="{household.get_absolute_url()}" data-source-resident>王秀英' in body


@pytest.mark.parametrize(("hours", "light"), [(-1, "on_time"), (1, "late")])
def test_a_closed_incident_shows_whether_it_closed_on_time(client, world, hours, light):
    incident = make_incident(world.a.grid, world.a.grid_member)
    closed_at = incident.deadline_at + datetime.timedelta(hours=hours)
    Incident.objects.filter(pk=incident.pk).update(
        status=Incident.Status.CLOSED, closed_at=closed_at
    )
    body = page(client, world.a.grid_member, incident).content.decode()
    assert f'data-closed-light="{light}"' in body
    colour = "green" if light == "on_time" else "red"
    assert f'data-light="{colour}" data-closed-light="{light}"' in body


def test_an_open_incident_has_no_closed_light(client, world):
    incident = make_incident(world.a.grid, world.a.grid_member)
    body = page(client, world.a.grid_member, incident).content.decode()
    assert "data-closed-light" not in body and 'data-light="green"' in body
