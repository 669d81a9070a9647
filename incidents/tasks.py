from celery import shared_task
from django.utils import timezone

from gridmgmt.tasks import DURABLE

from . import national_calendar, services


@shared_task(**DURABLE)
def sweep_time_limits():
    """Warn at yellow, escalate at red; run by beat every five minutes. At-least-once
    delivery, and idempotent: the due incidents are claimed by locking their rows (an
    overlapping run skips them, and finds them changed afterwards) and each notification
    has a unique key, so a repeated or overlapping run tells nobody twice. Returns
    {"warned": n, "escalated": n}."""
    warned, escalated = services.sweep_time_limits()
    return {"warned": warned, "escalated": escalated}


@shared_task(**DURABLE)
def tell_acting_holders():
    """Tell each B holder of the open incidents of an A who is absent today; run by beat.
    At-least-once delivery, and idempotent: the notification's key names the absence and the
    post, so B hears once per absence however often this runs. Returns how many were told."""
    return services.tell_acting_holders()


@shared_task(**DURABLE)
def load_public_holidays():
    """Load this year's and next year's national calendar (public holidays and make-up
    working days) from the `holidays` package; run by beat once a day. At-least-once
    delivery, and idempotent: each run replaces the years' package rows with the same rows
    and never touches a day a station loaded from its own file. Returns {year: rows}."""
    year = timezone.localdate().year
    return national_calendar.load_national_years((year, year + 1))
