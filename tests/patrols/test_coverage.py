"""The coverage check: after each window closes (in local time, plus its grace), every grid
without a submitted log gets one missed-patrol record, and its leader is told once (the
stationmaster reads them in the daily digest)."""

import datetime
import threading

import pytest
import time_machine
from celery.signals import task_postrun
from django.utils import timezone

from grids.models import Absence, Post, Role
from notifications.models import Notification
from patrols.models import MissedPatrol, Patrol, Slot
from patrols.tasks import record_missed_patrols
from tests.factories import make_user
from tests.patrols.factories import local, make_patrol

DAY = datetime.date(2026, 11, 28)
AM, PM = Slot.MORNING, Slot.AFTERNOON


def run_at(moment):
    with time_machine.travel(moment, tick=False):
        return record_missed_patrols()


def missed(day=DAY, slot=AM):
    return set(MissedPatrol.objects.filter(day=day, slot=slot).values_list("grid__code", flat=True))


def told(user):
    return list(
        Notification.objects.filter(recipient=user, key__startswith="patrol-missed:")
        .order_by("key")
        .values_list("key", flat=True)
    )


def test_the_morning_closes_at_half_past_twelve_local_time(world):
    # 12:29 and 12:31 in Shanghai are 04:29 and 04:31 UTC.
    utc = datetime.UTC
    assert local(DAY, 12, 29) == datetime.datetime(2026, 11, 28, 4, 29, tzinfo=utc)

    run_at(datetime.datetime(2026, 11, 28, 4, 29, tzinfo=utc))
    assert missed() == set()
    run_at(datetime.datetime(2026, 11, 28, 4, 31, tzinfo=utc))
    assert missed() == {
        world.a.grid.code,
        world.a.other_grid.code,
        world.b.grid.code,
        world.b.other_grid.code,
    }
    assert missed(slot=PM) == set()


def test_yesterdays_windows_are_checked_too(world):
    yesterday = DAY - datetime.timedelta(days=1)
    make_patrol(world.a.grid, yesterday, PM)
    run_at(local(DAY, 7))
    assert len(missed(yesterday, AM)) == 4
    assert missed(yesterday, PM) == {
        world.a.other_grid.code,
        world.b.grid.code,
        world.b.other_grid.code,
    }
    assert missed() == set()


def test_running_twice_records_and_tells_once(world):
    first = run_at(local(DAY, 12, 31))
    second = run_at(local(DAY, 12, 31))
    later = run_at(local(DAY, 12, 45))
    # Yesterday's two windows and today's morning, for four grids.
    assert (first, second, later) == (12, 0, 0)
    assert MissedPatrol.objects.count() == 12
    assert len(told(world.a.stationmaster)) == 0  # the daily digest lists them
    assert len(told(world.a.grid_leader)) == 3  # their own grid only
    assert Notification.objects.filter(key__startswith="patrol-missed:").count() == 6


def test_a_submitted_log_covers_its_window_short_or_not_but_one_in_progress_does_not(world):
    make_patrol(world.a.grid, DAY, AM, minutes=70)
    make_patrol(world.a.other_grid, DAY, AM, minutes=20)
    make_patrol(world.b.grid, DAY, AM, status=Patrol.Status.IN_PROGRESS)
    make_patrol(world.b.other_grid, DAY, AM, status=Patrol.Status.RETURNED)
    run_at(local(DAY, 12, 31))
    assert missed() == {world.b.grid.code}


def test_the_grid_leader_is_told_at_once_and_the_stationmaster_is_not(world):
    run_at(local(DAY, 12, 31))
    key = f"patrol-missed:{world.a.grid.code}:{DAY}:am"
    notifications = Notification.objects.filter(key=key)
    assert {n.recipient for n in notifications} == {world.a.grid_leader}
    assert notifications[0].url == "/patrols/board/?day=2026-11-28"
    assert world.a.grid.name in notifications[0].title
    # The other grid has no leader post: nobody hears of it at once (the digest lists it).
    other = Notification.objects.filter(key=f"patrol-missed:{world.a.other_grid.code}:{DAY}:am")
    assert not other.exists()
    # Nobody of community B hears of community A's grids.
    assert not Notification.objects.filter(
        recipient__in=[world.b.stationmaster, world.b.grid_leader], key__contains=":T-01-01-"
    ).exists()


def test_the_b_holder_is_told_while_the_grid_leader_is_absent(world):
    post = Post.objects.get(area=world.a.grid, role=Role.GRID_LEADER)
    post.holder_b = deputy = make_user("gl_a_b")
    post.save()
    Absence.objects.create(user=world.a.grid_leader, starts_on=DAY, ends_on=DAY, reason="leave")
    run_at(local(DAY, 12, 31))
    key = f"patrol-missed:{world.a.grid.code}:{DAY}:am"
    recipients = set(Notification.objects.filter(key=key).values_list("recipient", flat=True))
    assert recipients == {deputy.pk}
    # Yesterday the leader was present, so yesterday's windows went to them.
    assert len(told(world.a.grid_leader)) == 2 and len(told(deputy)) == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_records_each_missed_window_once(celery_worker_on_redis, world):
    # Real time: today's windows are all covered, so only yesterday's (closed for sure) count.
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    grids = [world.a.grid, world.a.other_grid, world.b.grid, world.b.other_grid]
    for grid in grids:
        for slot in (AM, PM):
            make_patrol(grid, today, slot)
    make_patrol(world.a.grid, yesterday, AM)

    results = []
    finished = threading.Event()

    def collect(sender=None, retval=None, **kwargs):
        if sender.name == "patrols.tasks.record_missed_patrols":
            results.append(retval)
            if len(results) == 2:
                finished.set()

    task_postrun.connect(collect, weak=False)
    try:
        record_missed_patrols.delay()
        record_missed_patrols.delay()
        assert finished.wait(30), f"the worker ran the check {len(results)} times, not 2"
    finally:
        task_postrun.disconnect(collect)

    # a.grid's afternoon and both windows of the three other grids.
    assert sorted(results) == [0, 7]
    assert MissedPatrol.objects.count() == 7
    assert set(MissedPatrol.objects.values_list("day", flat=True)) == {yesterday}
    assert not MissedPatrol.objects.filter(grid=world.a.grid, slot=AM).exists()
    per_recipient = {
        user.username: len(told(user))
        for user in (
            world.a.grid_leader,
            world.a.stationmaster,
            world.b.grid_leader,
            world.b.stationmaster,
        )
    }
    assert per_recipient == {"gl_a": 1, "sm_a": 0, "gl_b": 2, "sm_b": 0}
    assert Notification.objects.filter(key__startswith="patrol-missed:").count() == 3


def test_beat_runs_the_check_every_ten_minutes(db):
    from django_celery_beat.models import PeriodicTask

    from gridmgmt.celery import app

    task = PeriodicTask.objects.select_related("interval").get(name="Record missed patrols")
    assert task.enabled and (task.interval.every, task.interval.period) == (10, "minutes")
    assert task.task in app.tasks
