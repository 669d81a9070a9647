"""The stationmaster's daily digest: one notice a day listing what they would otherwise have
heard of one by one."""

import datetime
import threading

import pytest
import time_machine
from celery.signals import task_postrun
from django.utils import timezone

from incidents.models import Incident
from notifications.digest import send_daily_digests
from notifications.models import Kind, Notification, NotificationSettings
from notifications.tasks import send_daily_digests as send_daily_digests_task
from patrols.models import MissedPatrol, Slot
from patrols.services import record_missed_patrols
from tests.incidents.factories import local, make_incident
from tests.patrols.factories import make_patrol

THURSDAY = datetime.date(2026, 11, 26)


def seven_missed_windows(side, recorded_at):
    """Seven windows of the community's two grids over four days, recorded at `recorded_at`."""
    windows = [
        (grid, THURSDAY - datetime.timedelta(days=d), slot)
        for d in range(4)
        for grid in (side.grid, side.other_grid)
        for slot in (Slot.MORNING, Slot.AFTERNOON)
    ][:7]
    for grid, day, slot in windows:
        MissedPatrol.objects.create(grid=grid, day=day, slot=slot)
    MissedPatrol.objects.update(recorded_at=recorded_at)


def digests(user):
    return list(Notification.objects.filter(recipient=user, kind=Kind.DIGEST))


def test_seven_missed_windows_are_one_digest_listing_seven(world):
    seven_missed_windows(world.a, local(THURSDAY, 20))
    late = make_incident(world.a.grid, world.a.grid_leader, title="Broken lamp")
    Incident.objects.filter(pk=late.pk).update(deadline_at=local(THURSDAY, 17))
    make_patrol(world.a.grid, THURSDAY, member=world.a.grid_member)  # submitted, not reviewed

    with time_machine.travel(local(THURSDAY + datetime.timedelta(days=1), 7, 59), tick=False):
        assert send_daily_digests() == []  # not yet 08:00
    with time_machine.travel(local(THURSDAY + datetime.timedelta(days=1), 8, 5), tick=False):
        sent = send_daily_digests()
        assert send_daily_digests() == []

    assert [n.recipient for n in sent] == [world.a.stationmaster]
    [digest] = digests(world.a.stationmaster)
    assert digest.title == (
        "Daily digest 2026-11-27: 7 missed patrols, 1 new overdue incident, 1 log waiting"
    )
    lines = digest.body.splitlines()
    assert lines[0] == "Missed patrols (7):"
    assert len([line for line in lines if line.startswith("- T-01-01-0")]) == 7 + 1
    assert f"- {late.number} Broken lamp (T-01-01-01)" in lines
    assert "- T-01-01-01, 2026-11-26 Morning, Member A" in lines
    assert digests(world.b.stationmaster) == []  # nothing happened in community B


def test_the_digest_comes_at_the_time_the_stationmaster_chose(world):
    NotificationSettings.objects.create(user=world.a.stationmaster, digest_at=datetime.time(18))
    seven_missed_windows(world.a, local(THURSDAY, 12))
    with time_machine.travel(local(THURSDAY, 17, 55), tick=False):
        assert send_daily_digests() == []
    with time_machine.travel(local(THURSDAY, 18), tick=False):
        [digest] = send_daily_digests()
    assert digest.recipient == world.a.stationmaster
    assert "7 missed patrols" in digest.title


def test_a_missed_window_tells_the_grid_leader_at_once_and_not_the_stationmaster(world):
    with time_machine.travel(local(THURSDAY, 20), tick=False):
        record_missed_patrols()
    assert Notification.objects.filter(
        recipient=world.a.grid_leader, key__startswith="patrol-missed:"
    ).exists()
    assert not Notification.objects.filter(
        recipient=world.a.stationmaster, key__startswith="patrol-missed:"
    ).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_sends_the_digest_once(celery_worker_on_redis, world):
    # Real time: the digest was due at midnight; the windows were recorded yesterday.
    NotificationSettings.objects.create(user=world.a.stationmaster, digest_at=datetime.time(0))
    seven_missed_windows(world.a, local(timezone.localdate() - datetime.timedelta(days=1), 12))

    results = []
    finished = threading.Event()

    def collect(sender=None, retval=None, **kwargs):
        if sender.name == "notifications.tasks.send_daily_digests":
            results.append(retval)
            if len(results) == 3:
                finished.set()

    task_postrun.connect(collect, weak=False)
    try:
        for _ in range(3):
            send_daily_digests_task.delay()
        assert finished.wait(30), f"the worker ran the digest {len(results)} times, not 3"
    finally:
        task_postrun.disconnect(collect)

    assert sorted(results) == [0, 0, 1]
    [digest] = digests(world.a.stationmaster)
    assert "7 missed patrols" in digest.title
    assert digest.body.count("\n- ") == 7


def test_beat_looks_for_due_digests_every_five_minutes(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="notifications.tasks.send_daily_digests")
    assert (task.interval.every, task.interval.period) == (5, "minutes") and task.enabled
