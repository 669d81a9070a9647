"""Notices about an incident go only to people who may open it: a B holder covering a post
hears of A's open incidents except the sensitive ones (petitions and the like are for the
station and above), is not warned of a sensitive incident nearing its deadline, and nobody
is offered a sensitive incident they could not open."""

import datetime

import pytest
import time_machine

from grids.models import Absence, Post, Role
from grids.scope import Scope
from incidents import services
from incidents.models import Incident
from incidents.services import InvalidTransition
from notifications.models import Notification
from tests.incidents.factories import local, make_incident

MONDAY = datetime.date(2026, 11, 30)


def _assigned_to_member(world, *, sensitive, at):
    station = world.a.stationmaster
    post = Post.objects.get(area=world.a.grid, role=Role.GRID_MEMBER)
    with time_machine.travel(at, tick=False):
        incident = make_incident(world.a.grid, station, at=at)
        Incident.objects.filter(pk=incident.pk).update(is_sensitive=sensitive)
        incident.refresh_from_db()
        return services.take_step(incident, "assign", by=station, scope=Scope(station), post=post)


def test_a_covering_b_holder_hears_only_of_incidents_they_may_open(world):
    friday = local(MONDAY - datetime.timedelta(days=3), 10)
    plain = _assigned_to_member(world, sensitive=False, at=friday)
    secret = _assigned_to_member(world, sensitive=True, at=friday)
    Absence.objects.create(user=world.a.grid_member, starts_on=MONDAY, ends_on=MONDAY)
    with time_machine.travel(local(MONDAY, 7, 30), tick=False):
        assert services.tell_acting_holders() == 1
    [told] = Notification.objects.filter(recipient=world.a.grid_member_b)
    assert told.body == plain.number
    assert secret.number not in told.title + told.body
    assert told.title.endswith(": 1 open incident")


def test_a_covering_b_holder_is_not_told_when_every_incident_is_sensitive(world):
    friday = local(MONDAY - datetime.timedelta(days=3), 10)
    _assigned_to_member(world, sensitive=True, at=friday)
    Absence.objects.create(user=world.a.grid_member, starts_on=MONDAY, ends_on=MONDAY)
    with time_machine.travel(local(MONDAY, 7, 30), tick=False):
        assert services.tell_acting_holders() == 0
    assert not Notification.objects.filter(recipient=world.a.grid_member_b).exists()


@pytest.mark.parametrize("sensitive", [False, True])
def test_the_deadline_warning_goes_to_the_stand_in_only_if_they_may_open_it(world, sensitive):
    incident = _assigned_to_member(
        world, sensitive=sensitive, at=local(MONDAY - datetime.timedelta(days=7), 10)
    )
    Absence.objects.create(user=world.a.grid_member, starts_on=MONDAY, ends_on=MONDAY)
    with time_machine.travel(local(MONDAY, 10), tick=False):
        services.sweep_time_limits()
    warned = set(
        Notification.objects.filter(key__startswith=f"incident-yellow:{incident.pk}:").values_list(
            "recipient__username", flat=True
        )
    )
    if sensitive:
        assert warned == {world.a.grid_member.username}
    else:
        assert warned == {world.a.grid_member_b.username}


def test_a_sensitive_incident_is_not_offered_to_someone_who_may_not_open_it(world):
    station = world.a.stationmaster
    incident = make_incident(world.a.grid, station)
    Incident.objects.filter(pk=incident.pk).update(is_sensitive=True)
    incident.refresh_from_db()
    with pytest.raises(InvalidTransition):
        services.request_handover(incident, by=station, to=world.a.grid_member)
    assert not Notification.objects.filter(recipient=world.a.grid_member).exists()


def test_the_handover_form_of_a_sensitive_incident_offers_only_the_station(world):
    from incidents.forms import HandoverForm

    member = world.a.grid_member
    incident = make_incident(world.a.grid, member)
    offered = set(HandoverForm(incident=incident).fields["to"].queryset)
    assert {world.a.grid_leader, world.a.stationmaster} <= offered
    Incident.objects.filter(pk=incident.pk).update(is_sensitive=True)
    incident.refresh_from_db()
    offered = set(HandoverForm(incident=incident).fields["to"].queryset)
    assert offered == {world.a.stationmaster}
