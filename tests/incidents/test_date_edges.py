"""A moment typed at the calendar's edge (a pause until year 1 or 9999) is refused with the
site's range of dates, never a 500, and the clock is not stopped."""

import pytest

from grids.models import Post, Role
from grids.scope import Scope
from incidents import services
from incidents.models import Incident
from tests.incidents.factories import make_incident


@pytest.mark.parametrize("until", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_pause_until_the_edge_of_the_calendar_says_the_range(client, world, until):
    station = world.a.stationmaster
    post = Post.objects.get(area=world.a.grid, role=Role.GRID_MEMBER)
    incident = make_incident(world.a.grid, station)
    services.take_step(incident, "assign", by=station, scope=Scope(station), post=post)
    client.force_login(station)
    response = client.post(
        f"/incidents/{incident.number}/pause/",
        {"reason": "等居民回来", "until": until},
        follow=True,
    )
    assert response.status_code == 200
    assert "Give a date from 1900-01-01 to 2099-12-31." in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).paused_at is None
