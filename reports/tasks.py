from celery import shared_task

from gridmgmt.tasks import DURABLE


@shared_task(**DURABLE)
def roll_up_population():
    """Roll up the register of the past days (up to yesterday) that have no roll-up yet; run
    by beat hourly. At-least-once and idempotent: a day already rolled up is skipped, and
    rolling a day up again writes the same counts over the same rows. Returns how many days
    were rolled up."""
    from .rollup import fill_missing

    return fill_missing()
