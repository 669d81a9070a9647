"""Every kind of notification is written in its recipient's language when it is made,
whatever language is active where it is made (a request, or a worker with none).

Community A's people read Chinese and community B's English; each event happens once in
each community, always under the *other* language, and each recipient must get their own."""

import datetime
import re

import pytest
import time_machine
from django.utils import translation

from grids.models import Absence, Post, Role
from grids.scope import Scope
from incidents import services as incidents
from incidents import tasks as incident_tasks
from incidents.models import Incident
from meetings import schedule
from meetings import tasks as meeting_tasks
from meetings.models import Meeting, Participant
from meetings.services import add_action_item
from notifications import tasks as notification_tasks
from notifications.models import Kind, Notification, kind_of
from patrols import services as patrols
from patrols import tasks as patrol_tasks
from tests.factories import make_post, make_user
from tests.incidents.factories import local, make_incident
from tests.patrols.factories import make_patrol

CJK = re.compile(r"[\u4e00-\u9fff]")
NUMBER = re.compile(r"\d{4}-\d{6}")
# Thursday 26 November 2026, 20:00 local: a working day, yesterday too.
EVENING = local(datetime.date(2026, 11, 26), 20)
NEXT_MORNING = local(datetime.date(2026, 11, 27), 9)


def _people(side):
    return [side.stationmaster, side.grid_leader, side.grid_member, side.grid_member_b]


@pytest.fixture
def speakers(world):
    """Side A speaks Chinese, side B English; the street staff speak whichever side's event
    is happening (set by `on`)."""
    for user in _people(world.a):
        user.language = "zh-hans"
        user.save(update_fields=["language"])
    street = make_user("street_staff", full_name="Street Staff")
    make_post(world.street, Role.STREET_STAFF, street)
    return street


def _on(side, world, street):
    """The language active while side's event happens: the other one. Street and district
    staff read the side's language for this event."""
    chinese = side is world.a
    for user in (street, world.district_officer):
        user.language = "zh-hans" if chinese else "en"
        user.save(update_fields=["language"])
    return translation.override("en" if chinese else "zh-hans")


def _member_post(side):
    return Post.objects.get(area=side.grid, role=Role.GRID_MEMBER)


def _walk_incident(side):
    """Filed, assigned, worked, resolved, returned, resolved, handed over, given more time,
    urged and escalated: the incident notices of one community."""
    sm = side.stationmaster
    incident = make_incident(side.grid, side.grid_leader, title="楼道堆物")
    incident = incidents.take_step(
        incident, "assign", by=sm, scope=Scope(sm), post=_member_post(side)
    )
    member = side.grid_member
    incident = incidents.take_step(incident, "start", by=member, scope=Scope(member))
    incident = incidents.take_step(incident, "resolve", by=member, scope=Scope(member), note="ok")
    incident = incidents.take_step(incident, "return", by=sm, scope=Scope(sm), note="again")
    incident = incidents.take_step(incident, "start", by=member, scope=Scope(member))
    incidents.request_extension(incident, by=member, hours=8, reason="waiting for parts")
    incidents.supervise(incident, by=sm, scope=Scope(sm), note="please")
    incidents.request_handover(incident, by=side.grid_leader, to=side.grid_member_b)
    incidents.take_step(incident, "escalate", by=member, scope=Scope(member), note="too big")
    # Overdue long ago: the worker's sweep warns, escalates to the station and then further.
    late = make_incident(side.grid, side.grid_leader, title="路灯不亮")
    late = incidents.take_step(late, "assign", by=sm, scope=Scope(sm), post=_member_post(side))
    Incident.objects.filter(pk=late.pk).update(
        warn_at=EVENING - datetime.timedelta(days=21),
        deadline_at=EVENING - datetime.timedelta(days=20),
    )
    return late


def _walk_patrol_and_meeting(side):
    patrol = make_patrol(side.grid, datetime.date(2026, 11, 26), member=side.grid_member)
    patrols.review_patrol(patrol, by=side.stationmaster, approve=False, comment="too short")
    weekly, _monthly = schedule.ensure_series(side.community)
    meeting = Meeting.objects.create(
        series=weekly,
        community=side.community,
        kind=weekly.kind,
        scheduled_on=EVENING.date(),
        starts_at=EVENING + datetime.timedelta(minutes=30),
        ends_at=EVENING + datetime.timedelta(minutes=90),
        place="Room 1",
    )
    for post, user in schedule.participants_for(weekly, EVENING.date()):
        Participant.objects.create(meeting=meeting, post=post, user=user)
    add_action_item(
        meeting,
        by=side.stationmaster,
        text="Clear the stairwell",
        owner=side.grid_leader,
        due_on=datetime.date(2026, 11, 30),
    )


@pytest.mark.django_db
def test_every_notification_kind_reaches_each_recipient_in_their_language(world, speakers):
    for side in (world.a, world.b):
        with time_machine.travel(EVENING, tick=False), _on(side, world, speakers):
            _walk_incident(side)
            _walk_patrol_and_meeting(side)
            # The grid member's A holder is away: B hears of their open incidents.
            Absence.objects.create(
                user=side.grid_member, starts_on=EVENING.date(), ends_on=EVENING.date()
            )
            # Worker tasks, called as plain functions.
            incident_tasks.sweep_time_limits()
            incident_tasks.tell_acting_holders()
            meeting_tasks.send_reminders()
            if side is world.b:  # one coverage check records both communities' windows
                with _on(world.a, world, speakers):
                    patrol_tasks.record_missed_patrols()
        Absence.objects.filter(user=side.grid_member).delete()
    with time_machine.travel(NEXT_MORNING, tick=False), translation.override("en"):
        assert notification_tasks.send_daily_digests() == 2

    chinese = {user.pk for user in _people(world.a)}
    english = {user.pk for user in _people(world.b)}
    seen = {}
    for n in Notification.objects.exclude(recipient=speakers).exclude(
        recipient=world.district_officer
    ):
        reads = "zh" if n.recipient_id in chinese else "en" if n.recipient_id in english else None
        assert reads, f"{n.key} went to someone outside both communities"
        name = re.sub(r"[:\-]?\d.*$", "", n.key.split(":")[0])  # "meeting-12-moved" -> meeting
        seen.setdefault(kind_of(n.key), set()).add(reads)
        seen.setdefault(name, set()).add(reads)
        # Names and grid codes are ASCII here: Chinese text can only come from the catalogue.
        text = (n.title + n.body).replace("楼道堆物", "").replace("路灯不亮", "")
        if reads == "zh":
            assert CJK.search(n.title), f"{n.key} reached a Chinese reader as {n.title!r}"
        else:
            assert not CJK.search(text), f"{n.key} reached an English reader as {text!r}"
    # The street and district staff read the language of the side whose event it was.
    for user in (speakers, world.district_officer):
        for n in Notification.objects.filter(recipient=user):
            incident = Incident.objects.get(number=NUMBER.search(n.title).group())
            if incident.grid.parent_id == world.a.community.pk:
                assert CJK.search(n.title), n.title
            else:
                assert not CJK.search(n.title), n.title
    assert (
        Notification.objects.filter(recipient=speakers, key__startswith="escalated:").count() == 2
    )
    expected = {
        "filed", "assigned", "resolved", "returned", "extension", "urge", "handover",
        "handover-waiting", "incident-yellow", "incident-red", "absence-cover",
        "patrol-returned", "patrol-missed", "meeting", "action-item", "digest",
    }  # fmt: skip
    missing = {name for name in expected if seen.get(name) != {"zh", "en"}}
    assert not missing, f"not seen in both languages: {missing}"
    assert {Kind.INCIDENT, Kind.STATION, Kind.PATROL, Kind.MEETING, Kind.DIGEST} <= set(seen)
