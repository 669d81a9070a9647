from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), max_retries=3, retry_backoff=True)
def record_missed_patrols():
    """The coverage check, run by beat every few minutes. At-least-once delivery: a repeated
    or overlapping run finds nothing left to do, because each missed window and each
    notification has a unique key. Returns how many missed windows it recorded."""
    return len(services.record_missed_patrols())
