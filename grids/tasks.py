import datetime

from celery import shared_task
from django.db.models import F
from django.utils import timezone

from gridmgmt.tasks import DURABLE

from . import imports
from .models import ImportJob


@shared_task(**DURABLE, soft_time_limit=25 * 60, time_limit=30 * 60)
def import_register(job_id):
    """Check and save one uploaded register file. Safe to run again: the job is claimed with
    a conditional update from `queued` (counting the attempt), so a repeated delivery, or a
    job that is gone, finds nothing to do; and nothing is saved before the final
    transaction, so a worker lost mid-run leaves the job to `recover_imports`, which queues
    it again."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.VALIDATING,
        heartbeat_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return
    imports.run_import(job_id)


@shared_task(**DURABLE)
def recover_imports(stale_after_seconds=None):
    """Start again the imports whose worker stopped (or never started), or fail them after
    their last attempt; run by beat every minute. At-least-once, and idempotent: each change
    is conditional on the job being as the sweep read it. Returns {"again": n, "failed": n}."""
    if stale_after_seconds is None:
        again, failed = imports.recover_imports()
    else:
        again, failed = imports.recover_imports(
            stale_after=datetime.timedelta(seconds=stale_after_seconds)
        )
    return {"again": len(again), "failed": len(failed)}


@shared_task(**DURABLE)
def apply_area_changes():
    """Apply every area change that has come due (its effective date is today or earlier and
    it is neither applied nor failed); run by beat every hour. At-least-once, and
    idempotent: each change is claimed with a conditional update on `applied_at`, so a
    repeated delivery or a second beat applies nothing twice. A change that can no longer
    be applied keeps its reason in `error` and its recorder is told. Returns how many were
    applied."""
    from .changes import apply_area_change
    from .models import AreaChange

    due = AreaChange.objects.filter(
        applied_at__isnull=True, error="", effective_on__lte=timezone.localdate()
    ).order_by("effective_on", "pk")
    return sum(1 for pk in due.values_list("pk", flat=True) if apply_area_change(pk))
