"""Two beat processes (a second started by mistake) for a few minutes, every periodic task
due every few seconds: nothing is done twice."""

import datetime
import time

import pytest
from django.db.models import Count
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from grids.models import Area, ImportJob, Resident, Role
from incidents.models import Incident, TimelineEntry
from meetings import schedule
from meetings.models import Meeting
from notifications.models import Notification
from patrols.models import MissedPatrol
from tests.factories import make_community, make_post, make_user
from tests.faults.conftest import BEAT_SECONDS, report, wait_for
from tests.grids.test_import import person, write_xlsx
from tests.incidents.factories import make_incident

TASKS = [
    "patrols.tasks.record_missed_patrols",
    "incidents.tasks.sweep_time_limits",
    "incidents.tasks.tell_acting_holders",
    "meetings.tasks.plan_meetings",
    "meetings.tasks.send_reminders",
    "notifications.tasks.send_owed_emails",
    "grids.tasks.recover_imports",
]


def duplicates(queryset, *fields):
    return queryset.values(*fields).annotate(n=Count("pk")).filter(n__gt=1).count()


@pytest.mark.faults
@pytest.mark.django_db(transaction=True)
def test_two_beats_for_minutes_do_nothing_twice(world, faults, capsys):
    world.a.stationmaster.email = "sm_a@example.com"
    world.a.stationmaster.save()
    community = make_community(world.street, "T-01-09", grids=10)
    for n, grid in enumerate(Area.objects.grids().filter(parent=community)):
        make_post(grid, Role.GRID_LEADER, make_user(f"gl_9_{n}", email=f"gl_9_{n}@example.com"))
    incidents = [make_incident(world.a.grid, world.a.grid_member) for _ in range(10)]
    now = timezone.now()
    Incident.objects.filter(pk__in=[i.pk for i in incidents]).update(
        warn_at=now - datetime.timedelta(hours=1), deadline_at=now - datetime.timedelta(minutes=1)
    )
    schedule.ensure_series(world.a.community)
    (faults.media / "imports").mkdir()
    write_xlsx(faults.media / "imports" / "r.xlsx", [person(n, world.a.grid) for n in range(30)])
    # Queued while the broker was down: only recover_imports sends it.
    job = ImportJob.objects.create(user=world.a.grid_member, file="imports/r.xlsx")
    ImportJob.objects.filter(pk=job.pk).update(created_at=now - datetime.timedelta(minutes=10))

    every, _ = IntervalSchedule.objects.get_or_create(every=5, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.all().delete()
    for task in TASKS:
        PeriodicTask.objects.create(name=task, task=task, interval=every)

    worker = faults.worker(concurrency=2)
    beats = [faults.beat("b1"), faults.beat("b2")]
    time.sleep(BEAT_SECONDS)
    for beat in beats:
        faults.kill(beat)
    sent_by_beats = sum(b.log.read_text().count("Sending due task") for b in beats)
    # Let the worker drain what the beats sent (the owed emails' grace is a minute).
    from notifications.tasks import send_owed_emails

    send_owed_emails.delay(older_than_seconds=0)
    notices = Notification.objects.exclude(recipient__email="")
    wait_for(lambda: not notices.filter(emailed_at__isnull=True).exists(), 120, 1, "emails sent")
    time.sleep(3)
    faults.stop_all()

    log = worker.log.read_text()
    runs, errors = log.count("succeeded in"), log.count("raised unexpected")
    sent = faults.emails()
    duplicated = {
        "missed patrols": duplicates(MissedPatrol.objects, "grid", "day", "slot"),
        "notifications": duplicates(Notification.objects, "recipient", "key"),
        "overdue log entries": duplicates(
            TimelineEntry.objects.filter(action="overdue"), "incident"
        ),
        "meetings": duplicates(Meeting.objects, "series", "scheduled_on"),
        "residents": duplicates(Resident.objects, "id_number"),
        "emails": sum(count - 1 for count in sent.values()),
    }
    wanted = {(n.recipient.email, n.title) for n in notices.select_related("recipient")}
    job = ImportJob.objects.get()
    lost = len(wanted - set(sent)) + (job.status != ImportJob.Status.DONE)
    report(
        capsys,
        f"two beats for {BEAT_SECONDS} s",
        actions=sent_by_beats,
        task_runs=runs,
        failed_runs=errors,
        missed_patrols=MissedPatrol.objects.count(),
        notifications=Notification.objects.count(),
        meetings=Meeting.objects.count(),
        import_status=job.status,
        lost=lost,
        duplicated=sum(duplicated.values()),
    )
    assert sent_by_beats >= 2 * len(TASKS), "the beats did not both send"
    assert sum(duplicated.values()) == 0, duplicated
    assert (errors, lost) == (0, 0)
