from celery import shared_task

from . import imports
from .models import ImportJob


@shared_task(acks_late=True)
def import_register(job_id):
    """Check and save one uploaded register file. At most once: the job is claimed with a
    conditional update from `queued`, so a repeated delivery (or a job that is gone) finds
    nothing to do. A worker lost mid-run leaves the job unfinished and nothing saved: the
    write is one transaction."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.VALIDATING
    )
    if not claimed:
        return
    imports.run_import(job_id)
