"""The station is told what waits for it: an incident filed in the community, one resolved
and waiting for verification, a request for more time, a handover; the street is told when
an incident is escalated to it."""

from grids.models import Post, Role
from grids.scope import Scope
from incidents import services
from incidents.models import Incident
from notifications.models import Kind, Notification
from tests.factories import make_post, make_user
from tests.incidents.factories import make_incident


def keys(user, prefix):
    return list(
        Notification.objects.filter(recipient=user, key__startswith=prefix).values_list(
            "kind", flat=True
        )
    )


def assigned(world):
    side = world.a
    incident = make_incident(side.grid, side.grid_member, source=Incident.Source.PATROL)
    post = Post.objects.get(area=side.grid, role=Role.GRID_MEMBER)
    sm = side.stationmaster
    return services.take_step(incident, "assign", by=sm, scope=Scope(sm), post=post)


def test_an_incident_filed_from_a_patrol_or_at_the_desk_tells_the_stationmaster(world):
    patrol = make_incident(world.a.grid, world.a.grid_member, source=Incident.Source.PATROL)
    desk = make_incident(world.a.grid, world.a.grid_leader, source=Incident.Source.WALK_IN)
    [notice] = Notification.objects.filter(key=f"filed:{patrol.pk}")
    assert notice.recipient == world.a.stationmaster and notice.kind == Kind.STATION
    assert notice.title.startswith(f"New incident {patrol.number} (Patrol) in T-01-01-01")
    assert Notification.objects.get(key=f"filed:{desk.pk}").title.startswith(
        f"New incident {desk.number} (Walk-in)"
    )
    assert not Notification.objects.filter(recipient=world.b.stationmaster).exists()


def test_the_stationmaster_filing_it_is_not_told(world):
    incident = make_incident(world.a.grid, world.a.stationmaster)
    assert not Notification.objects.filter(key=f"filed:{incident.pk}").exists()


def test_resolved_more_time_and_handover_wait_for_the_station(world):
    incident = assigned(world)
    member = world.a.grid_member
    incident = services.take_step(incident, "start", by=member, scope=Scope(member))
    services.request_extension(incident, by=member, hours=8, reason="parts")
    services.take_step(incident, "resolve", by=member, scope=Scope(member), note="done")
    services.request_handover(incident, by=member, to=world.a.grid_member_b)
    sm = world.a.stationmaster
    assert keys(sm, "extension:") == keys(sm, "resolved:") == [Kind.STATION]
    assert keys(sm, "handover-waiting:") == [Kind.STATION]
    # The one asked to take it over is asked, as before.
    assert keys(world.a.grid_member_b, "handover:") == [Kind.INCIDENT]


def test_an_escalation_tells_the_street(world):
    street = make_user("street_staff")
    make_post(world.street, Role.STREET_STAFF, street)
    incident = assigned(world)
    member = world.a.grid_member
    services.take_step(incident, "escalate", by=member, scope=Scope(member), note="too big")
    [notice] = Notification.objects.filter(recipient=street)
    assert notice.title == f"{incident.number} was escalated to the street"
    assert notice.body == "too big" and notice.kind == Kind.STATION
