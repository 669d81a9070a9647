"""Every answer posted about an incident is read through a form: a decision that is missing
or means nothing decides nothing and says so (it is never taken for a refusal), and a note
keeps its limit."""

import pytest

from grids.models import Post, Role
from grids.scope import Scope
from incidents import services
from incidents.models import Extension, Handover
from tests.incidents.factories import make_incident


@pytest.fixture
def assigned(world):
    station = world.a.stationmaster
    post = Post.objects.get(area=world.a.grid, role=Role.GRID_MEMBER)
    incident = make_incident(world.a.grid, station)
    return services.take_step(incident, "assign", by=station, scope=Scope(station), post=post)


@pytest.mark.parametrize("posted", [{}, {"decision": "maybe"}])
def test_an_extension_without_a_decision_stays_undecided(client, world, assigned, posted):
    extension = services.request_extension(
        assigned, by=world.a.grid_member, hours=8, reason="等配件"
    )
    client.force_login(world.a.stationmaster)
    response = client.post(
        f"/incidents/{assigned.number}/extensions/{extension.pk}/", posted, follow=True
    )
    assert "Choose whether to approve or refuse." in response.content.decode()
    assert Extension.objects.get(pk=extension.pk).is_approved is None


def test_an_extension_approved_is_approved(client, world, assigned):
    extension = services.request_extension(
        assigned, by=world.a.grid_member, hours=8, reason="等配件"
    )
    client.force_login(world.a.stationmaster)
    client.post(f"/incidents/{assigned.number}/extensions/{extension.pk}/", {"decision": "approve"})
    assert Extension.objects.get(pk=extension.pk).is_approved is True


@pytest.mark.parametrize("posted", [{}, {"decision": "later"}])
def test_a_handover_without_an_answer_stays_waiting(client, world, posted):
    member, station = world.a.grid_member, world.a.stationmaster
    incident = make_incident(world.a.grid, member)
    handover = services.request_handover(incident, by=member, to=station)
    client.force_login(station)
    response = client.post(
        f"/incidents/{incident.number}/handovers/{handover.pk}/", posted, follow=True
    )
    assert "Choose whether to accept or decline." in response.content.decode()
    handover = Handover.objects.get(pk=handover.pk)
    assert handover.accepted_at is None and handover.declined_at is None
