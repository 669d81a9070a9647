"""The time-limit sweep: the handler is warned at yellow, the stationmaster told at red and
the street and district after 8 more working hours; each once, however often the sweep runs.
Pauses stop it, a pause that has run out is ended by it. And B hears of an absent A's open
incidents once."""

import datetime
import threading

import pytest
import time_machine
from celery.signals import task_postrun
from django.utils import timezone

from grids.models import Absence, Post, Role
from grids.scope import Scope
from incidents import services, tasks
from incidents.models import Incident
from notifications.models import Notification
from tests.factories import make_post, make_user
from tests.incidents.factories import local, make_category, make_incident

D = datetime.date
# Filed Thursday 26 November 09:00 with 24 working hours: the warning comes on Monday at
# 15:00, the deadline on Tuesday at 12:00, and the street and district hear of it 8 working
# hours later, on Wednesday at 15:00.
FILED_AT = local(D(2026, 11, 26), 9)
WARN_AT = local(D(2026, 11, 30), 15)
DEADLINE_AT = local(D(2026, 12, 1), 12)
SECOND_LEVEL_AT = local(D(2026, 12, 2), 15)
MINUTE = datetime.timedelta(minutes=1)


def sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        return tasks.sweep_time_limits()


def counts(warned=0, escalated=0):
    return {"warned": warned, "escalated": escalated}


def keys(user):
    """The sweep's notices to `user` (the station is also told when an incident is filed)."""
    return sorted(
        Notification.objects.filter(recipient=user, key__startswith="incident-").values_list(
            "key", flat=True
        )
    )


@pytest.fixture
def street_staff(world):
    user = make_user("street_staff", full_name="Street Staff")
    make_post(world.street, Role.STREET_STAFF, user)
    return user


@pytest.fixture
def accepted(world):
    """An incident in community A's grid, accepted by the grid member."""
    member = world.a.grid_member
    incident = make_incident(world.a.grid, member, at=FILED_AT)
    assert (incident.warn_at, incident.deadline_at) == (WARN_AT, DEADLINE_AT)
    with time_machine.travel(FILED_AT + MINUTE, tick=False):
        return services.take_step(incident, "accept", by=member, scope=Scope(member))


def test_each_level_is_reached_once_and_each_person_told_once(world, street_staff, accepted):
    member, stationmaster, officer = (
        world.a.grid_member,
        world.a.stationmaster,
        world.district_officer,
    )
    assert sweep_at(WARN_AT - MINUTE) == counts()
    assert sweep_at(WARN_AT) == counts(warned=1)
    assert sweep_at(WARN_AT) == counts()
    assert keys(member) == [f"incident-yellow:{accepted.pk}:{accepted.deadline_at.isoformat()}"]
    assert keys(stationmaster) == []

    assert sweep_at(DEADLINE_AT - MINUTE) == counts()
    assert sweep_at(DEADLINE_AT) == counts(escalated=1)
    assert sweep_at(DEADLINE_AT) == counts()
    assert keys(stationmaster) == [f"incident-red:{accepted.pk}:1"]
    assert keys(street_staff) == keys(officer) == []

    assert sweep_at(SECOND_LEVEL_AT - MINUTE) == counts()
    assert sweep_at(SECOND_LEVEL_AT) == counts(escalated=1)
    assert sweep_at(SECOND_LEVEL_AT) == counts()
    assert sweep_at(SECOND_LEVEL_AT + datetime.timedelta(days=3)) == counts()
    assert keys(street_staff) == keys(officer) == [f"incident-red:{accepted.pk}:2"]

    accepted.refresh_from_db()
    assert (accepted.warned_at, accepted.escalation_level) == (WARN_AT, 2)
    assert accepted.light(SECOND_LEVEL_AT) == "red"
    assert accepted.timeline.filter(action="overdue").count() == 1
    # One each for the handler, the stationmaster, the street and the district; nobody in
    # community B, and not the stationmaster's B holder.
    assert Notification.objects.filter(key__startswith="incident-").count() == 4
    assert not Notification.objects.filter(
        recipient__in=[world.b.stationmaster, world.b.grid_member, world.a.grid_member_b]
    ).exists()


def test_a_sweep_that_finds_it_already_overdue_warns_and_escalates_in_one_go(
    world, street_staff, accepted
):
    assert sweep_at(SECOND_LEVEL_AT) == counts(warned=1, escalated=2)
    assert sweep_at(SECOND_LEVEL_AT) == counts()
    assert Notification.objects.filter(key__startswith="incident-").count() == 4


def test_the_stationmasters_b_holder_is_told_while_they_are_absent(world, accepted):
    Absence.objects.create(
        user=world.a.stationmaster, starts_on=D(2026, 12, 1), ends_on=D(2026, 12, 1), reason="病假"
    )
    sweep_at(DEADLINE_AT)
    deputy = Post.objects.get(area=world.a.community, role=Role.STATIONMASTER).holder_b
    assert keys(deputy) == [f"incident-red:{accepted.pk}:1"]
    assert keys(world.a.stationmaster) == []


def test_a_closed_incident_is_left_alone(world, accepted):
    Incident.objects.filter(pk=accepted.pk).update(status=Incident.Status.CLOSED)
    assert sweep_at(SECOND_LEVEL_AT) == counts()
    assert not Notification.objects.filter(key__startswith="incident-").exists()


def test_a_paused_incident_is_not_warned_or_escalated(world, accepted):
    with time_machine.travel(local(D(2026, 11, 30), 14), tick=False):
        services.pause(accepted, by=world.a.grid_member, reason="等待居民回复")
    assert sweep_at(SECOND_LEVEL_AT) == counts()
    accepted.refresh_from_db()
    assert accepted.is_paused and accepted.warned_at is None
    assert accepted.escalation_level == 0
    assert not Notification.objects.filter(key__startswith="incident-").exists()


def test_the_sweep_ends_a_pause_whose_time_has_come(world, accepted):
    member = world.a.grid_member
    until = local(D(2026, 12, 2), 10)
    with time_machine.travel(local(D(2026, 11, 30), 14), tick=False):
        services.pause(accepted, by=member, reason="居民出差，周三回来", until=until)
    assert sweep_at(until - MINUTE) == counts()
    accepted.refresh_from_db()
    assert accepted.is_paused

    assert sweep_at(until) == counts()
    accepted.refresh_from_db()
    assert not accepted.is_paused and accepted.paused_until is None
    # Paused Monday 14:00 to Wednesday 10:00: 3.5 + 7 + 1.5 = 12 working hours.
    assert accepted.warn_at == local(D(2026, 12, 2), 11)  # Monday 15:00 + 12 h
    assert accepted.deadline_at == local(D(2026, 12, 3), 10)  # Tuesday 12:00 + 12 h
    assert accepted.timeline.filter(action="resume", by=None).count() == 1

    assert sweep_at(local(D(2026, 12, 2), 11)) == counts(warned=1)
    assert keys(member) == [f"incident-yellow:{accepted.pk}:{accepted.deadline_at.isoformat()}"]


def test_a_late_sweep_restarts_the_clock_when_the_pause_ended(world, accepted):
    until = local(D(2026, 12, 2), 10)
    with time_machine.travel(local(D(2026, 11, 30), 14), tick=False):
        services.pause(accepted, by=world.a.grid_member, reason="居民出差", until=until)
    sweep_at(until + datetime.timedelta(hours=1))  # beat was down for an hour
    accepted.refresh_from_db()
    assert accepted.deadline_at == local(D(2026, 12, 3), 10)


def test_an_extension_after_the_warning_warns_again_for_the_new_deadline(world, accepted):
    member, stationmaster = world.a.grid_member, world.a.stationmaster
    assert sweep_at(WARN_AT) == counts(warned=1)
    with time_machine.travel(WARN_AT + MINUTE, tick=False):
        extension = services.request_extension(accepted, by=member, hours=7, reason="等配件")
        services.decide_extension(
            extension, by=stationmaster, scope=Scope(stationmaster), approve=True
        )
    accepted.refresh_from_db()
    assert accepted.deadline_at == local(D(2026, 12, 2), 12)
    assert sweep_at(WARN_AT + 2 * MINUTE) == counts()
    assert sweep_at(accepted.warn_at) == counts(warned=1)
    assert len(keys(member)) == 2


# --- AB: B hears of A's open incidents when A's absence begins ---


def test_b_hears_once_of_as_open_incidents_when_as_absence_covers_today(world):
    member, backup, stationmaster = (
        world.a.grid_member,
        world.a.grid_member_b,
        world.a.stationmaster,
    )
    post = Post.objects.get(area=world.a.grid, role=Role.GRID_MEMBER)
    scope = Scope(stationmaster)
    assigned = []
    with time_machine.travel(FILED_AT, tick=False):
        for _ in range(3):
            incident = make_incident(world.a.grid, stationmaster, at=FILED_AT)
            assigned.append(
                services.take_step(incident, "assign", by=stationmaster, scope=scope, post=post)
            )
        make_incident(world.a.grid, member, at=FILED_AT)  # not assigned to the post
    assert {i.handler for i in assigned} == {member}
    Incident.objects.filter(pk=assigned[2].pk).update(status=Incident.Status.CLOSED)
    Absence.objects.create(
        user=member, starts_on=D(2026, 11, 30), ends_on=D(2026, 12, 4), reason="年假"
    )

    def tell_on(day):
        with time_machine.travel(local(day, 7, 30), tick=False):
            return tasks.tell_acting_holders()

    assert tell_on(D(2026, 11, 27)) == 0  # the absence has not begun
    assert tell_on(D(2026, 11, 30)) == 1
    assert tell_on(D(2026, 11, 30)) == 0
    assert tell_on(D(2026, 12, 1)) == 0  # still the same absence

    notification = Notification.objects.get(recipient=backup)
    assert notification.key.startswith("absence-cover:")
    assert set(notification.body.split(", ")) == {assigned[0].number, assigned[1].number}
    assert "Member A" in notification.title and "2" in notification.title
    assert not Notification.objects.filter(recipient=member, key__startswith="absence").exists()


def test_beat_sweeps_limits_tells_acting_holders_and_loads_holidays_daily(db):
    from django_celery_beat.models import PeriodicTask

    from gridmgmt.celery import app

    beat = {
        task.name: (task.task, task.interval.every, task.interval.period, task.enabled)
        for task in PeriodicTask.objects.select_related("interval").filter(
            task__startswith="incidents."
        )
    }
    assert beat == {
        "Sweep incident time limits": ("incidents.tasks.sweep_time_limits", 5, "minutes", True),
        "Tell acting holders": ("incidents.tasks.tell_acting_holders", 1, "hours", True),
        "Load public holidays": ("incidents.tasks.load_public_holidays", 1, "days", True),
    }
    assert {
        "incidents.tasks.sweep_time_limits",
        "incidents.tasks.tell_acting_holders",
        "incidents.tasks.load_public_holidays",
    } <= set(app.tasks)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_warns_and_escalates_once(celery_worker_on_redis, world):
    # Real time: filed three weeks ago with one working hour, so it is long past both levels.
    street_staff = make_user("street_staff")
    make_post(world.street, Role.STREET_STAFF, street_staff)
    member = world.a.grid_member
    category = make_category(hours={"normal": 1})
    incident = make_incident(
        world.a.grid, member, category=category, at=timezone.now() - datetime.timedelta(days=21)
    )
    services.take_step(incident, "accept", by=member, scope=Scope(member))

    results = []
    finished = threading.Event()

    def collect(sender=None, retval=None, **kwargs):
        if sender.name == "incidents.tasks.sweep_time_limits":
            results.append(retval)
            if len(results) == 2:
                finished.set()

    task_postrun.connect(collect, weak=False)
    try:
        tasks.sweep_time_limits.delay()
        tasks.sweep_time_limits.delay()
        assert finished.wait(30), f"the worker swept {len(results)} times, not 2"
    finally:
        task_postrun.disconnect(collect)

    assert sorted(results, key=lambda r: r["warned"]) == [counts(), counts(1, 2)]
    incident.refresh_from_db()
    assert incident.warned_at is not None and incident.escalation_level == 2
    assert incident.timeline.filter(action="overdue").count() == 1
    told = {
        user.username: keys(user)
        for user in (member, world.a.stationmaster, street_staff, world.district_officer)
    }
    assert told == {
        "gm_a": [f"incident-yellow:{incident.pk}:{incident.deadline_at.isoformat()}"],
        "sm_a": [f"incident-red:{incident.pk}:1"],
        "street_staff": [f"incident-red:{incident.pk}:2"],
        "district_officer": [f"incident-red:{incident.pk}:2"],
    }
    assert Notification.objects.filter(key__startswith="incident-").count() == 4
