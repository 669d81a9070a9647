from celery import shared_task

from gridmgmt.tasks import DURABLE

from . import services


@shared_task(**DURABLE)
def record_missed_patrols():
    """The coverage check, run by beat every few minutes. At-least-once delivery: a repeated
    or overlapping run finds nothing left to do, because each missed window and each
    notification has a unique key. Returns how many missed windows it recorded."""
    return len(services.record_missed_patrols())
