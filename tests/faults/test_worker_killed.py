"""A worker SIGKILLed in the middle of a sweep or an import (with its pool: the machine lost
it). Right after the kill no item is half done (its marker without its notices); after a
restart, with beat's next runs, every due notice is emailed once and the import ends."""

import datetime
import time

import pytest
from django.db.models import Count
from django.utils import timezone

from grids.models import Area, ImportJob, Post, Resident, Role
from grids.tasks import import_register, recover_imports
from incidents import services as incident_services
from incidents.models import Incident
from incidents.tasks import sweep_time_limits
from notifications.models import Notification
from notifications.tasks import send_owed_emails
from patrols import services as patrol_services
from patrols.models import MissedPatrol
from patrols.tasks import record_missed_patrols
from tests.conftest import IN_CI
from tests.factories import make_community, make_post, make_user
from tests.faults.conftest import report, wait_for
from tests.grids.test_import import person, write_xlsx
from tests.incidents.factories import make_incident

GRIDS = 60 if IN_CI else 120
INCIDENTS = 60 if IN_CI else 120
IMPORT_ROWS = 12000 if IN_CI else 20000


def kill_when(faults, worker, condition, what):
    """SIGKILL the worker as soon as `condition()` is true (polled every 20 ms)."""
    value = wait_for(condition, 120, 0.02, what)
    faults.kill(worker)
    return value


def emailed_notices(faults, notifications):
    """(lost, duplicated): notifications to someone with an address not emailed exactly
    once (by recipient and subject)."""
    sent = faults.emails()
    wanted = [
        (n.recipient.email, n.title)
        for n in notifications.select_related("recipient").exclude(recipient__email="")
    ]
    lost = sum(1 for key in wanted if sent[key] == 0)
    duplicated = sum(sent[key] - 1 for key in set(wanted) if sent[key] > 1)
    return lost, duplicated, len(wanted)


def settle(faults, notifications, timeout=120):
    """Wait until every notification with an address was emailed."""

    def done():
        lost, _, _ = emailed_notices(faults, notifications)
        return lost == 0

    wait_for(done, timeout, 0.5, "every notice to be emailed")


@pytest.mark.faults
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_record_missed_patrols_loses_and_repeats_no_notice(
    world, faults, capsys
):
    world.a.stationmaster.email = "sm_a@example.com"
    world.a.stationmaster.save()
    community = make_community(world.street, "T-01-09", grids=GRIDS)
    make_post(community, Role.STATIONMASTER, make_user("sm_9", email="sm_9@example.com"))
    for n, grid in enumerate(Area.objects.grids().filter(parent=community)):
        make_post(grid, Role.GRID_LEADER, make_user(f"gl_9_{n}", email=f"gl_9_{n}@example.com"))

    # Small batches, each its own transaction, so the kill can land between two of them.
    faults.env["SWEEP_BATCH"] = "5"
    worker = faults.worker()
    record_missed_patrols.delay()
    at_kill = kill_when(
        faults, worker, lambda: MissedPatrol.objects.count() >= 20, "the sweep to get going"
    )
    at_kill = MissedPatrol.objects.count()
    half_done = MissedPatrol.objects.exclude(
        pk__in=[m.pk for m in MissedPatrol.objects.all() if _told_missed(m)]
    ).count()

    faults.worker()
    record_missed_patrols.delay()  # beat's next run
    time.sleep(1)
    wait_for(lambda: _quiet(MissedPatrol), 120, 1, "the sweep to finish")
    send_owed_emails.delay(older_than_seconds=0)
    notices = Notification.objects.filter(key__startswith="patrol-missed:")
    settle(faults, notices)
    undone = len(patrol_services.record_missed_patrols())  # what no run did: lost
    lost, duplicated, wanted = emailed_notices(faults, notices)
    total = MissedPatrol.objects.count()
    report(
        capsys,
        "SIGKILL in record_missed_patrols",
        actions=total,
        killed_after=at_kill,
        notices=wanted,
        half_done_at_kill=half_done,
        lost=lost + undone,
        duplicated=duplicated,
    )
    assert 0 < at_kill < total, "the kill did not land in the middle of the sweep"
    assert (half_done, lost, undone, duplicated) == (0, 0, 0, 0)


def _told_missed(missed):
    """Its grid leader was told. A grid without one has nobody to tell at once (the
    stationmaster's daily digest lists it)."""
    if not Post.objects.filter(area=missed.grid, role=Role.GRID_LEADER).exists():
        return True
    key = f"patrol-missed:{missed.grid.code}:{missed.day}:{missed.slot}"
    return Notification.objects.filter(key=key).exists()


_COUNTS = {}


def _quiet(model):
    """True once the model's row count has not changed since the last call (a second)."""
    count = model.objects.count()
    previous = _COUNTS.get(model)
    _COUNTS[model] = count
    return previous == count


@pytest.mark.faults
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_sweep_time_limits_loses_and_repeats_no_notice(world, faults, capsys):
    world.a.stationmaster.email = "sm_a@example.com"
    world.a.stationmaster.save()
    member = world.a.grid_member
    incidents = [make_incident(world.a.grid, member) for _ in range(INCIDENTS)]
    now = timezone.now()
    Incident.objects.filter(pk__in=[i.pk for i in incidents]).update(
        warn_at=now - datetime.timedelta(hours=1), deadline_at=now - datetime.timedelta(minutes=1)
    )

    # Small batches, each its own transaction, so the kill can land between two of them.
    faults.env["SWEEP_BATCH"] = "5"
    worker = faults.worker()
    sweep_time_limits.delay()
    kill_when(
        faults,
        worker,
        lambda: Incident.objects.filter(warned_at__isnull=False).count() >= 20,
        "the sweep to get going",
    )
    warned_at_kill = Incident.objects.filter(warned_at__isnull=False).count()
    escalated_at_kill = Incident.objects.filter(escalation_level__gte=1).count()
    yellow = Notification.objects.filter(key__startswith="incident-yellow:")
    red = Notification.objects.filter(key__startswith="incident-red:")
    half_done = (warned_at_kill - yellow.count()) + (escalated_at_kill - red.count())

    faults.worker()
    sweep_time_limits.delay()  # beat's next run
    wait_for(
        lambda: not Incident.objects.filter(escalation_level=0).exists(),
        120,
        0.5,
        "the sweep to finish",
    )
    send_owed_emails.delay(older_than_seconds=0)
    notices = Notification.objects.filter(key__startswith="incident-")
    settle(faults, notices)
    undone = sum(incident_services.sweep_time_limits())
    lost, duplicated, wanted = emailed_notices(faults, notices)
    report(
        capsys,
        "SIGKILL in sweep_time_limits",
        actions=2 * INCIDENTS,
        killed_after=warned_at_kill + escalated_at_kill,
        notices=wanted,
        half_done_at_kill=half_done,
        lost=lost + undone,
        duplicated=duplicated,
    )
    assert 0 < warned_at_kill + escalated_at_kill < 2 * INCIDENTS, "the kill missed the sweep"
    assert (half_done, lost, undone, duplicated) == (0, 0, 0, 0)
    assert wanted == 2 * INCIDENTS


@pytest.mark.faults
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_an_import_is_started_again_and_the_import_ends(world, faults, capsys):
    (faults.media / "imports").mkdir()
    write_xlsx(
        faults.media / "imports" / "big.xlsx",
        [person(n, world.a.grid) for n in range(IMPORT_ROWS)],
    )
    job = ImportJob.objects.create(user=world.a.grid_member, file="imports/big.xlsx")

    worker = faults.worker()
    import_register.delay(job.pk)
    kill_when(
        faults,
        worker,
        lambda: ImportJob.objects.filter(pk=job.pk, rows_done__gt=0).exists(),
        "the import to get going",
    )
    job.refresh_from_db()
    killed_in = (job.status, job.rows_done)

    faults.worker()
    # Beat's sweep, without waiting the two minutes a heartbeat may be late.
    recover_imports.delay(stale_after_seconds=0)
    wait_for(lambda: ImportJob.objects.get(pk=job.pk).is_finished, 300, 1, "the import to finish")
    job.refresh_from_db()
    duplicated = (
        Resident.objects.values("id_number").annotate(n=Count("pk")).filter(n__gt=1).count()
    )
    lost = IMPORT_ROWS - Resident.objects.count()
    report(
        capsys,
        "SIGKILL in an import",
        actions=1,
        killed_in=f"{killed_in[0]} at row {killed_in[1]}",
        attempts=job.attempts,
        status=job.status,
        lost=lost,
        duplicated=duplicated,
    )
    assert killed_in[0] == ImportJob.Status.VALIDATING
    assert (job.status, job.attempts) == (ImportJob.Status.DONE, 2)
    assert (lost, duplicated) == (0, 0)
